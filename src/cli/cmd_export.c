/* noshow export: the event trace of every appointment since a date, as
 * JSON lines or CSV, for archiving (e.g. in object storage). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "data/csv.h"
#include "store/store.h"
#include "util/timeutil.h"

static const char usage[] =
    "usage: noshow export --db URL --since DATE [--format jsonl|csv]\n"
    "                     [-o FILE]\n\n"
    "Writes every event recorded at or after DATE (YYYY-MM-DD or an ISO\n"
    "date-time, UTC) in the order it was recorded: id, appointment_id,\n"
    "at (ISO time), kind, actor and detail (the event's JSON text).\n"
    "--format defaults to jsonl; -o defaults to stdout. --db defaults to\n"
    "NOSHOW_DB. Erased patients' events keep their kind and time only.\n";

struct export_opts {
    const char *db;
    const char *since;
    const char *format;
    const char *out;
};

struct sink {
    FILE *f;
    bool csv;
    size_t n;
};

/* A CSV field of text that may be NULL (written empty). */
static struct csv_field field(const char *s)
{
    return (struct csv_field){s ? s : "", s ? strlen(s) : 0};
}

static enum ns_err write_event(void *ctx, const struct store_event *ev,
                               struct ns_error *err)
{
    struct sink *k = ctx;
    char at[21];
    json_t *detail = NULL;
    json_t *j;
    int bad;

    ns_format_datetime(ev->at_ms / 1000, at);
    k->n++;
    if (k->csv) {
        char id[24], appt[24];
        struct csv_field row[6];

        snprintf(id, sizeof(id), "%lld", (long long)ev->id);
        snprintf(appt, sizeof(appt), "%lld", (long long)ev->appointment_id);
        row[0] = field(id);
        row[1] = field(appt);
        row[2] = field(at);
        row[3] = field(ev->kind);
        row[4] = field(ev->actor);
        row[5] = field(ev->detail_json);
        if (csv_write_row(k->f, ',', row, 6) != NS_OK)
            return ns_error_set(err, NS_ERR_IO, "export: cannot write "
                                "event %lld", (long long)ev->id);
        return NS_OK;
    }
    if (ev->detail_json)
        detail = json_loads(ev->detail_json, JSON_DECODE_ANY, NULL);
    j = json_pack("{s:I, s:I, s:s, s:s, s:s?, s:o}", "id",
                  (json_int_t)ev->id, "appointment_id",
                  (json_int_t)ev->appointment_id, "at", at, "kind",
                  ev->kind, "actor", ev->actor, "detail",
                  detail ? detail : json_null());
    bad = j == NULL || json_dumpf(j, k->f, JSON_COMPACT) != 0;
    json_decref(j);
    if (bad)
        return ns_error_set(err, NS_ERR_IO, "export: cannot write event "
                            "%lld", (long long)ev->id);
    fputc('\n', k->f);
    return NS_OK;
}

static int parse(int argc, char **argv, struct export_opts *o)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"since", required_argument, NULL, 's'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    o->format = "jsonl";
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
        if (c == 'd')
            o->db = optarg;
        else if (c == 's')
            o->since = optarg;
        else if (c == 'f')
            o->format = optarg;
        else if (c == 'o')
            o->out = optarg;
        else if (c == 'h')
            return -1;
        else
            return cli_usage_error("export", "unknown option");
    }
    if (optind < argc)
        return cli_usage_error("export", "unexpected argument '%s'",
                               argv[optind]);
    if (cli_database("export", &o->db) != 0)
        return CLI_EXIT_USAGE;
    if (o->since == NULL)
        return cli_usage_error("export", "--since DATE is required");
    if (strcmp(o->format, "jsonl") != 0 && strcmp(o->format, "csv") != 0)
        return cli_usage_error("export", "--format '%s' is not jsonl or "
                               "csv", o->format);
    return 0;
}

static int run(const struct export_opts *o, int64_t since_s)
{
    struct sink k = {stdout, strcmp(o->format, "csv") == 0, 0};
    struct store *s = NULL;
    struct ns_error err;
    enum ns_err rc;

    if (o->out && (k.f = fopen(o->out, "w")) == NULL) {
        int e = errno;

        ns_error_set(&err, NS_ERR_IO, "%s: cannot create: %s", o->out,
                     strerror(e));
        return cli_fail(&err);
    }
    rc = store_open(o->db, &s, &err);
    if (rc == NS_OK && k.csv)
        fputs("id,appointment_id,at,kind,actor,detail\n", k.f);
    if (rc == NS_OK)
        rc = store_events_since(s, since_s * 1000, write_event, &k, &err);
    store_close(s);
    if ((k.f != stdout ? fclose(k.f) : fflush(k.f)) != 0 && rc == NS_OK) {
        int e = errno;

        rc = ns_error_set(&err, NS_ERR_IO, "%s: write failed: %s",
                          o->out ? o->out : "stdout", strerror(e));
    }
    if (rc != NS_OK)
        return cli_fail(&err);
    fprintf(stderr, "noshow: exported %zu events\n", k.n);
    return CLI_EXIT_OK;
}

int cmd_export(int argc, char **argv)
{
    struct export_opts o = {0};
    int64_t since = 0;
    int rc = parse(argc, argv, &o);

    if (rc != 0) {
        if (rc < 0)
            fputs(usage, stdout);
        return rc < 0 ? CLI_EXIT_OK : rc;
    }
    if (ns_parse_datetime(o.since, strlen(o.since), &since) != NS_OK)
        return cli_usage_error("export", "--since '%s' is not a date "
                               "(expected YYYY-MM-DD or an ISO date-time)",
                               o.since);
    return run(&o, since);
}
