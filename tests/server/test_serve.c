/* The commands as a user runs them: `noshow keys add` prints a usable key
 * once, `noshow serve` on port 0 prints its port, survives SIGHUP (a
 * reload that fails keeps it serving) and exits 0 on SIGTERM. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "server/auth.h"

struct fx {
    char dir[64];
    char bin[256];
    char url[128];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    const char *build = getenv("NOSHOW_BUILD");

    snprintf(f->dir, sizeof(f->dir), "/tmp/noshow-serve-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->bin, sizeof(f->bin), "%s/noshow", build ? build : "build");
    snprintf(f->url, sizeof(f->url), "sqlite:%s/db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

/* Runs `noshow keys add`; the key is the one line on stdout. */
static void add_key(const struct fx *f, const char *role, char *key,
                    size_t n)
{
    char cmd[512];
    FILE *p;

    snprintf(cmd, sizeof(cmd), "'%s' keys add --db '%s' --role %s "
             "--label test 2>/dev/null", f->bin, f->url, role);
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(key, (int)n, p));
    assert_int_equal(pclose(p), 0);
    key[strcspn(key, "\n")] = '\0';
}

/* Starts the server (with a model when model is not NULL, its log at
 * level into DIR/serve.log); returns its pid and reads the port it
 * prints. */
static pid_t start(const struct fx *f, const char *model, const char *level,
                   unsigned *port)
{
    int out[2];
    pid_t pid;
    char line[128] = "";
    char log[128];
    FILE *in;

    snprintf(log, sizeof(log), "%s/serve.log", f->dir);
    assert_int_equal(pipe(out), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        if (freopen(log, "w", stderr) == NULL)
            _exit(126);
        close(out[0]);
        close(out[1]);
        setenv("NOSHOW_LOG", level, 1);
        if (model)
            execl(f->bin, "noshow", "serve", "--db", f->url, "--listen",
                  "127.0.0.1:0", "--model", model, (char *)NULL);
        else
            execl(f->bin, "noshow", "serve", "--db", f->url, "--listen",
                  "127.0.0.1:0", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    in = fdopen(out[0], "r");
    assert_non_null(in);
    assert_non_null(fgets(line, sizeof(line), in));
    fclose(in);
    assert_int_equal(sscanf(line, "listening on 127.0.0.1:%u", port), 1);
    return pid;
}

static int wait_exit(pid_t pid, int timeout_ms)
{
    int status = 0;

    for (int t = 0; t < timeout_ms / 10; t++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

static void test_serve_key_works_hup_survives_term_exits_zero(void **st)
{
    struct fx *f = *st;
    char key[128], header[160];
    const char *h[] = {header, NULL};
    struct reply r;
    unsigned port;
    pid_t pid;
    size_t n;

    add_key(f, "reader", key, sizeof(key));
    n = strlen(key);
    assert_int_equal(n, 46);
    assert_true(strncmp(key, "ns_", 3) == 0);
    assert_int_equal(strspn(key + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
                                     "klmnopqrstuvwxyz0123456789-_"), 43);
    snprintf(header, sizeof(header), "Authorization: Bearer %s", key);
    pid = start(f, NULL, "error", &port);
    assert_int_equal(http_call(port, "GET", "/appointments", NULL, 0, h,
                               &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    assert_int_equal(kill(pid, SIGHUP), 0);
    usleep(100000);
    assert_int_equal(http_call(port, "GET", "/healthz", NULL, 0, NULL, &r),
                     CURLE_OK);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    assert_int_equal(kill(pid, SIGTERM), 0);
    assert_int_equal(wait_exit(pid, 5000), 0);
}

/* The patient's pseudonym and the pseudonym key (hex) the server used:
 * the key file beside the SQLite database. */
static void pseudo_secrets(const struct fx *f, const char *patient,
                           char *pseudonym, char *key_hex)
{
    struct auth_pseudo p;
    struct ns_error err;

    if (auth_pseudo_load(f->url, NULL, &p, &err) != NS_OK)
        fail_msg("pseudonym key: %s", err.msg);
    assert_int_equal(auth_pseudonymise(&p, patient, pseudonym, &err),
                     NS_OK);
    for (size_t i = 0; i < p.len; i++)
        snprintf(key_hex + 2 * i, 3, "%02x", p.key[i]);
}

/* One log line against everything that must never be logged. */
static void scan_line(const char *line, const char *const *secrets)
{
    for (size_t i = 0; secrets[i]; i++) {
        if (strstr(line, secrets[i]))
            fail_msg("the log shows '%s': %s", secrets[i], line);
    }
    /* The age is a small number: flag it only next to its column. */
    if (strstr(line, "Age") && strstr(line, "97"))
        fail_msg("the log shows the age: %s", line);
}

/* Every line the server logs at debug level during bookings, lookups,
 * errors, a reminder and an erasure: no patient id, age, neighbourhood,
 * message text, API key, pseudonym or pseudonym key. */
static void test_serve_log_holds_no_patient_data_or_keys(void **state)
{
    struct fx *f = *state;
    char pseudonym[AUTH_HEX_LEN], pkey[2 * AUTH_PSEUDO_KEY_MAX + 1];
    char admin[128], h_admin[160];
    const char *secrets[] = {"987654321012345", "VILA RUBIM",
                             "Call me back, Maria", pseudonym, pkey,
                             NULL, NULL, NULL};
    const char *rec = "{\"PatientId\": \"987654321012345\", "
                      "\"AppointmentID\": \"A-77\", \"Gender\": \"F\", "
                      "\"ScheduledDay\": \"2016-04-29T18:38:08Z\", "
                      "\"AppointmentDay\": \"2016-05-03\", \"Age\": 97, "
                      "\"Neighbourhood\": \"VILA RUBIM\", \"Scholarship\": 0,"
                      " \"Hipertension\": 1, \"Diabetes\": 0, "
                      "\"Alcoholism\": 0, \"Handcap\": 0, "
                      "\"SMS_received\": 0}";
    const char *notice = "{\"message\": \"Call me back, Maria\"}";
    char key[128], header[160], model[128], cmd[512], path[64];
    const char *h[] = {header, "Content-Type: application/json", NULL};
    struct reply r;
    unsigned port;
    pid_t pid;
    FILE *log;
    char line[4096];
    int access = 0;
    int outbox = 0;

    snprintf(model, sizeof(model), "%s/model.json", f->dir);
    snprintf(cmd, sizeof(cmd), "'%s' train tests/fixtures/server/train.csv "
             "-o '%s' --trees 5 --depth 2 --threads 1 >/dev/null 2>&1",
             f->bin, model);
    assert_int_equal(system(cmd), 0);
    add_key(f, "clinic", key, sizeof(key));
    add_key(f, "admin", admin, sizeof(admin));
    snprintf(header, sizeof(header), "Authorization: Bearer %s", key);
    snprintf(h_admin, sizeof(h_admin), "Authorization: Bearer %s", admin);
    secrets[5] = key + 3;
    secrets[6] = admin + 3;
    pid = start(f, model, "debug", &port);
    pseudo_secrets(f, "987654321012345", pseudonym, pkey);
    assert_int_equal(http_call(port, "POST", "/appointments", rec,
                               strlen(rec), h, &r), CURLE_OK);
    assert_int_equal(r.status, 201);
    reply_free(&r);
    assert_int_equal(http_call(port, "POST", "/appointments", rec,
                               strlen(rec), h, &r), CURLE_OK);
    assert_int_equal(r.status, 409);
    reply_free(&r);
    assert_int_equal(http_call(port, "POST", "/appointments/1/notify",
                               notice, strlen(notice), h, &r), CURLE_OK);
    assert_int_equal(r.status, 202);
    reply_free(&r);
    snprintf(path, sizeof(path), "/appointments/1");
    assert_int_equal(http_call(port, "GET", path, NULL, 0, h, &r),
                     CURLE_OK);
    reply_free(&r);
    /* The reminder's delivery attempt first: an erasure would cancel it. */
    usleep(1200000);
    /* Erasure names the patient in the path. */
    h[0] = h_admin;
    assert_int_equal(http_call(port, "DELETE", "/patients/987654321012345",
                               NULL, 0, h, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    assert_int_equal(kill(pid, SIGTERM), 0);
    assert_int_equal(wait_exit(pid, 5000), 0);
    snprintf(path, sizeof(path), "%s/serve.log", f->dir);
    log = fopen(path, "r");
    assert_non_null(log);
    while (fgets(line, sizeof(line), log)) {
        scan_line(line, secrets);
        access += strstr(line, "access: ") != NULL;
        outbox += strstr(line, "outbox: ") != NULL;
    }
    fclose(log);
    /* The scan read a real log: every request and the delivery are in. */
    assert_int_equal(access, 5);
    assert_true(outbox >= 1);
}

static void test_keys_bad_role_is_usage_error(void **state)
{
    struct fx *f = *state;
    char cmd[512];
    int rc;

    snprintf(cmd, sizeof(cmd), "'%s' keys add --db '%s' --role root "
             ">/dev/null 2>&1", f->bin, f->url);
    rc = system(cmd);
    assert_true(WIFEXITED(rc));
    assert_int_equal(WEXITSTATUS(rc), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serve_key_works_hup_survives_term_exits_zero),
        cmocka_unit_test(test_serve_log_holds_no_patient_data_or_keys),
        cmocka_unit_test(test_keys_bad_role_is_usage_error),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, setup, teardown);
}
