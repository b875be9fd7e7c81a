/* noshow serve: the prediction service until SIGTERM or SIGINT; SIGHUP
 * reloads the model file. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "decide/policy.h"
#include "server/api.h"
#include "util/log.h"

#define GRACE_MS 10000

static const char usage[] =
    "usage: noshow serve [options]\n\n"
    "Runs the REST API (and the Open Inference Protocol v2 routes).\n\n"
    "  --model FILE         model bundle (env NOSHOW_MODEL); without one,\n"
    "                       scoring routes answer 503\n"
    "  --db URL             sqlite:PATH, sqlite::memory: or\n"
    "                       mysql://USER:PASS@HOST:PORT/NAME\n"
    "                       (env NOSHOW_DB; default sqlite:noshow.db)\n"
    "  --listen HOST:PORT   (env NOSHOW_LISTEN; default 127.0.0.1:8080;\n"
    "                       port 0 picks a free one, logged at start)\n"
    "  --threads N          worker threads (env NOSHOW_THREADS; default:\n"
    "                       one per core)\n"
    "  --body-limit BYTES   largest request body (env NOSHOW_BODY_LIMIT;\n"
    "                       default 1048576)\n"
    "  --timeout SECONDS    idle connection timeout (env NOSHOW_TIMEOUT;\n"
    "                       default 10)\n"
    "  --webhook-url URL    where reminders are POSTed (env\n"
    "                       NOSHOW_WEBHOOK_URL); without it they are\n"
    "                       recorded but not delivered\n"
    "  --web-dir DIR        static web app at / (env NOSHOW_WEB_DIR;\n"
    "                       default web/dist when present)\n"
    "  --pseudonym-key-file FILE  key for patient pseudonyms (env\n"
    "                       NOSHOW_PSEUDONYM_KEY holds the key itself)\n"
    "  --rate-limit N       requests per second per API key (env\n"
    "                       NOSHOW_RATE_LIMIT; default: no limit); past\n"
    "                       it, 429 with Retry-After\n"
    "  --rate-burst N       requests a key may send at once (default 2N)\n"
    "  --tls-cert FILE      PEM certificate; with --tls-key the service\n"
    "  --tls-key FILE       speaks HTTPS only (PEM private key)\n"
    "  --registry-poll SECONDS  how often the model registry is checked\n"
    "                       for a new production version (default 10)\n"
    "  --retrain-every DURATION  retrain in the background, e.g. 24h,\n"
    "                       90m, 3600s (one replica per period, by a\n"
    "                       database lease; default: never)\n"
    "  --holdout-days N     the retraining window (default 7)\n\n"
    "Web app sessions: env NOSHOW_SESSION_SECRET (shared by replicas;\n"
    "unset: random, sessions end with the process); NOSHOW_COOKIE_SECURE=1\n"
    "marks the cookie Secure when the service is reached over TLS.\n"
    "\nDecision support (GET /actions, /overbooking, /actions/effect):\n"
    "  --cost-slot X        cost of an empty slot (default 50)\n"
    "  --cost-call Y        cost of one reminder call (default 2)\n"
    "  --reminder-effect Z  share of no-shows a reminder prevents, in\n"
    "                       (0, 1] (default 0.25)\n"
    "  --control-share F    share of each action list held back as a\n"
    "                       control group, [0, 1) (default 0.1)\n"
    "  --no-contact-days N  leave patients contacted within N days off\n"
    "                       new action lists (default 7; 0: never)\n\n"
    "Signals: SIGTERM/SIGINT stop after the requests in flight; SIGHUP\n"
    "reloads the model (a bad file keeps the old model serving).\n"
    "API keys: 'noshow keys add --db URL --role reader|clinic|admin'.\n";

struct serve_opts {
    struct api_config cfg;
    const char *listen;
};

/* Splits HOST:PORT ("[::1]:8080", ":8080" means every address). */
static int parse_listen(const char *s, char *host, size_t hsz,
                        unsigned *port)
{
    const char *colon = strrchr(s, ':');
    const char *h = s;
    size_t n;
    long p;

    if (colon == NULL || !cli_parse_long(colon + 1, 0, 65535, &p))
        return 0;
    n = (size_t)(colon - s);
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        h = s + 1;
        n -= 2;
    }
    if (n >= hsz)
        return 0;
    memcpy(host, h, n);
    host[n] = '\0';
    if (n == 0)
        snprintf(host, hsz, "0.0.0.0");
    *port = (unsigned)p;
    return 1;
}

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);

    return v && *v ? v : dflt;
}

static int number_opt(const char *name, const char *v, long min, long max,
                      long *out)
{
    if (v == NULL)
        return 1;
    if (!cli_parse_long(v, min, max, out)) {
        cli_usage_error("serve", "%s '%s' is not an integer from %ld to "
                        "%ld", name, v, min, max);
        return 0;
    }
    return 1;
}

/* The numeric options, from flags or the environment. */
static int apply_numbers(struct serve_opts *o, const char *threads,
                         const char *limit, const char *timeout)
{
    long v = 0;

    if (!number_opt("--threads", threads, 1, 256, &v))
        return CLI_EXIT_USAGE;
    o->cfg.threads = (unsigned)v;
    v = 0;
    if (!number_opt("--body-limit", limit, 1024, 1L << 30, &v))
        return CLI_EXIT_USAGE;
    o->cfg.body_limit = (size_t)v;
    v = 0;
    if (!number_opt("--timeout", timeout, 1, 3600, &v))
        return CLI_EXIT_USAGE;
    o->cfg.timeout_s = (unsigned)v;
    return 0;
}

static int apply_rate(struct serve_opts *o, const char *rate,
                      const char *burst)
{
    long v = 0;

    if (rate && *rate && !number_opt("--rate-limit", rate, 1, 1000000, &v))
        return CLI_EXIT_USAGE;
    o->cfg.rate_limit = (double)v;
    v = 0;
    if (burst && !number_opt("--rate-burst", burst, 1, 1000000, &v))
        return CLI_EXIT_USAGE;
    o->cfg.rate_burst = (double)v;
    return 0;
}

/* "24h", "90m", "3600s" or plain seconds into seconds; 0 when bad. */
static unsigned long parse_duration(const char *v)
{
    char *end = NULL;
    unsigned long mult = 1;
    double d;

    errno = 0;
    d = strtod(v, &end);
    if (errno || end == v || d <= 0)
        return 0;
    if (strcmp(end, "h") == 0)
        mult = 3600;
    else if (strcmp(end, "m") == 0)
        mult = 60;
    else if (strcmp(end, "d") == 0)
        mult = 86400;
    else if (strcmp(end, "s") != 0 && *end != '\0')
        return 0;
    d *= (double)mult;
    return d >= 1 && d <= 366.0 * 86400 ? (unsigned long)d : 0;
}

static int learn_option(int c, const char *v, struct serve_opts *o)
{
    unsigned long secs;
    long n = 0;

    if (c == 'R') {
        secs = parse_duration(v);
        if (secs == 0)
            return cli_usage_error("serve", "--retrain-every '%s' is not "
                                   "a duration such as 24h, 90m or 3600s "
                                   "(1 s to 366 days)", v);
        o->cfg.retrain_every_s = (unsigned)secs;
        return 0;
    }
    if (!number_opt(c == 'P' ? "--registry-poll" : "--holdout-days", v, 1,
                    c == 'P' ? 86400 : 3650, &n))
        return CLI_EXIT_USAGE;
    if (c == 'P')
        o->cfg.registry_poll_ms = (unsigned)n * 1000;
    else
        o->cfg.retrain_holdout_days = (unsigned)n;
    return 0;
}

/* One decision-support option; 0 when taken, else a usage error was
 * printed. */
static int decide_opt(struct serve_opts *o, int c, const char *v)
{
    static const char *const names[] = {"--cost-slot", "--cost-call",
                                        "--reminder-effect",
                                        "--control-share",
                                        "--no-contact-days"};
    static const char flags[] = "SCEFN";
    double *dst[] = {&o->cfg.cost_slot, &o->cfg.cost_call,
                     &o->cfg.reminder_effect, &o->cfg.control_share};
    int k = (int)(strchr(flags, c) - flags);
    double x;

    if (c == 'N') {
        long days;

        if (!cli_parse_long(v, 0, 3650, &days))
            return cli_usage_error("serve", "--no-contact-days '%s' is not "
                                   "a number of days from 0 to 3650", v);
        o->cfg.no_contact_days = (unsigned)days;
        return 0;
    }
    if (!cli_parse_double(v, 0.0, c == 'F' ? 0.999999 : 1e12, &x) ||
        (c != 'F' && x <= 0.0) || (c == 'E' && x > 1.0))
        return cli_usage_error("serve", "%s '%s': expected %s", names[k], v,
                               c == 'F' ? "a share from 0 up to (not "
                                          "including) 1"
                               : c == 'E' ? "a share greater than 0 and "
                                            "at most 1"
                                          : "a positive cost");
    *dst[k] = x;
    return 0;
}

static int parse_args(int argc, char **argv, struct serve_opts *o,
                      char *host, size_t hsz)
{
    static const struct option longopts[] = {
        {"model", required_argument, NULL, 'm'},
        {"db", required_argument, NULL, 'd'},
        {"listen", required_argument, NULL, 'l'},
        {"threads", required_argument, NULL, 't'},
        {"body-limit", required_argument, NULL, 'b'},
        {"timeout", required_argument, NULL, 'T'},
        {"webhook-url", required_argument, NULL, 'w'},
        {"web-dir", required_argument, NULL, 'W'},
        {"pseudonym-key-file", required_argument, NULL, 'k'},
        {"rate-limit", required_argument, NULL, 'r'},
        {"rate-burst", required_argument, NULL, 'B'},
        {"tls-cert", required_argument, NULL, 'c'},
        {"tls-key", required_argument, NULL, 'K'},
        {"registry-poll", required_argument, NULL, 'P'},
        {"retrain-every", required_argument, NULL, 'R'},
        {"holdout-days", required_argument, NULL, 'H'},
        {"cost-slot", required_argument, NULL, 'S'},
        {"cost-call", required_argument, NULL, 'C'},
        {"reminder-effect", required_argument, NULL, 'E'},
        {"control-share", required_argument, NULL, 'F'},
        {"no-contact-days", required_argument, NULL, 'N'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *threads = getenv("NOSHOW_THREADS");
    const char *limit = getenv("NOSHOW_BODY_LIMIT");
    const char *timeout = getenv("NOSHOW_TIMEOUT");
    const char *rate = getenv("NOSHOW_RATE_LIMIT");
    const char *burst = NULL;
    struct stat st;
    int c;

    o->cfg.control_share = POLICY_DEFAULT_CONTROL;
    o->cfg.no_contact_days = 7;
    o->cfg.model_path = env_or("NOSHOW_MODEL", NULL);
    o->cfg.db_url = env_or("NOSHOW_DB", "sqlite:noshow.db");
    o->listen = env_or("NOSHOW_LISTEN", "127.0.0.1:8080");
    o->cfg.webhook_url = env_or("NOSHOW_WEBHOOK_URL", NULL);
    o->cfg.web_dir = env_or("NOSHOW_WEB_DIR", NULL);
    o->cfg.session_secret = env_or("NOSHOW_SESSION_SECRET", NULL);
    o->cfg.session_secure = strcmp(env_or("NOSHOW_COOKIE_SECURE", "0"),
                                   "1") == 0;
    if (o->cfg.web_dir == NULL && stat("web/dist", &st) == 0
        && S_ISDIR(st.st_mode))
        o->cfg.web_dir = "web/dist";
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            o->cfg.model_path = optarg;
            break;
        case 'd':
            o->cfg.db_url = optarg;
            break;
        case 'l':
            o->listen = optarg;
            break;
        case 't':
            threads = optarg;
            break;
        case 'b':
            limit = optarg;
            break;
        case 'T':
            timeout = optarg;
            break;
        case 'w':
            o->cfg.webhook_url = optarg;
            break;
        case 'W':
            o->cfg.web_dir = optarg;
            break;
        case 'k':
            o->cfg.pseudonym_key_file = optarg;
            break;
        case 'r':
            rate = optarg;
            break;
        case 'B':
            burst = optarg;
            break;
        case 'c':
            o->cfg.tls_cert_file = optarg;
            break;
        case 'K':
            o->cfg.tls_key_file = optarg;
            break;
        case 'P':
        case 'R':
        case 'H':
            if (learn_option(c, optarg, o) != 0)
                return CLI_EXIT_USAGE;
            break;
        case 'S':
        case 'C':
        case 'E':
        case 'F':
        case 'N':
            if (decide_opt(o, c, optarg) != 0)
                return CLI_EXIT_USAGE;
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        default:
            return cli_usage_error("serve", "unknown option");
        }
    }
    if (optind < argc)
        return cli_usage_error("serve", "unexpected argument '%s'",
                               argv[optind]);
    if (!parse_listen(o->listen, host, hsz, &o->cfg.port))
        return cli_usage_error("serve", "--listen '%s' is not HOST:PORT "
                               "with a port from 0 to 65535", o->listen);
    o->cfg.host = host;
    if (apply_rate(o, rate, burst) != 0)
        return CLI_EXIT_USAGE;
    return apply_numbers(o, threads, limit, timeout);
}

/* Waits for signals on this thread only: every other thread was started
 * with them blocked, so none is interrupted mid-request. */
static int run(struct api *a)
{
    sigset_t set;
    int sig = 0;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    for (;;) {
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            struct ns_error err;

            ns_log_info("serve", "SIGHUP: reloading the model");
            if (api_reload(a, &err) == NS_OK)
                ns_log_info("serve", "model reloaded");
            continue;
        }
        ns_log_info("serve", "signal %d: stopping after requests in "
                    "flight", sig);
        api_stop(a, GRACE_MS);
        ns_log_info("serve", "stopped");
        return CLI_EXIT_OK;
    }
}

int cmd_serve(int argc, char **argv)
{
    struct serve_opts o;
    struct api *a = NULL;
    struct ns_error err;
    sigset_t set;
    char host[256];
    int rc;

    memset(&o, 0, sizeof(o));
    rc = parse_args(argc, argv, &o, host, sizeof(host));
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    ns_error_clear(&err);
    if (api_start(&o.cfg, &a, &err) != NS_OK)
        return cli_fail(&err);
    ns_log_info("serve", "listening host=%s port=%u model=%s", host,
                api_port(a), o.cfg.model_path ? "loaded" : "none");
    printf("listening on %s:%u\n", host, api_port(a));
    fflush(stdout);
    return run(a);
}
