/* noshow generate: writes synthetic doctolib-schema appointments. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "data/generate.h"
#include "util/log.h"
#include "util/timeutil.h"

static const char usage[] =
    "usage: noshow generate --rows N --seed S -o FILE [--start DATE]\n"
    "                       [--days D] [--patients P]\n"
    "\n"
    "Writes N synthetic appointments in the 'doctolib' schema (27 columns,\n"
    "header first) with a known generating model, for tests, demos and\n"
    "benchmarks. The same options and seed give the same bytes. Memory\n"
    "does not grow with N.\n"
    "\n"
    "options:\n"
    "  --rows N        rows to write (required, 0 to 10^10)\n"
    "  --seed S        seed of the generator (required, 0 to 2^63-1)\n"
    "  -o FILE         output file; '-' writes to standard output\n"
    "  --start DATE    first appointment day, YYYY-MM-DD "
    "(default 2024-01-01)\n"
    "  --days D        appointment days span (default 365, 1 to 36500)\n"
    "  --patients P    patient id pool (default rows/3, at least 1);\n"
    "                  patients are drawn with a skew, so some return often\n"
    "\n"
    "Model (docs/generated-data.md has the details): Appointment_Status=1\n"
    "with probability 1/(1+exp(-z)), where z adds to -3.20:\n"
    "  +0.40*ln(1+lead days)  -1.30 same-day  -0.50 SMS_Received\n"
    "  weather: Cloudy +0.10 Rainy +0.40 Stormy +0.80 (Sunny 0)\n"
    "  +0.30*ln(1+Distance_km)  +0.80*patient propensity (N(0,1) per id)\n"
    "  age: <12 +0.10, 12-17 +0.30, 18-29 +0.50, 30-44 +0.25, 45-64 0,\n"
    "       65+ +0.15\n"
    "  -0.20*(Hospital_Rating-3)  +0.005*Waiting_Time_Minutes\n"
    "  Scholarship +0.20  Alcoholism +0.35  Hypertension -0.10\n"
    "  Diabetes -0.05  Disability +0.10  Previously_Treated -0.25\n"
    "  Social_Status Low +0.20 High -0.20; Type_of_Care First Visit +0.15\n"
    "  Follow-up -0.10 Routine Check +0.25 Urgent -0.80\n"
    "  +0.003*Average_Fee  -0.03*Consultations_Last_12_Months  male +0.05\n"
    "  weekday: Monday +0.10 Friday +0.15 Saturday -0.10\n"
    "The missed rate is about 20%.\n"
    "\n"
    "exit: 0 written, 1 the output failed, 2 bad command line\n";

static int parse_u64(const char *s, long max, uint64_t *out)
{
    long v;

    if (!cli_parse_long(s, 0, max, &v))
        return 0;
    *out = (uint64_t)v;
    return 1;
}

/* Fills o from argv; returns CLI_EXIT_OK, or the usage exit code after
 * printing the problem. *help is set for --help. */
static int parse_args(int argc, char **argv, struct generate_opts *o,
                      const char **path, int *help)
{
    int have_rows = 0;
    int have_seed = 0;
    long days;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            *help = 1;
            return CLI_EXIT_OK;
        }
        if (v == NULL)
            return cli_usage_error("generate", "option '%s' %s", a,
                                   a[0] == '-' ? "needs a value"
                                               : "is not an option");
        i++;
        if (strcmp(a, "--rows") == 0) {
            if (!parse_u64(v, 10000000000L, &o->rows))
                return cli_usage_error("generate", "--rows: '%s' is not a "
                                       "whole number from 0 to 10^10", v);
            have_rows = 1;
        } else if (strcmp(a, "--seed") == 0) {
            if (!parse_u64(v, __LONG_MAX__, &o->seed))
                return cli_usage_error("generate", "--seed: '%s' is not a "
                                       "whole number from 0 to 2^63-1", v);
            have_seed = 1;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            *path = v;
        } else if (strcmp(a, "--start") == 0) {
            if (strlen(v) != 10 ||
                ns_parse_date(v, 10, &o->start_day) != NS_OK ||
                v[4] != '-')
                return cli_usage_error("generate", "--start: '%s' is not "
                                       "a date; expected YYYY-MM-DD", v);
        } else if (strcmp(a, "--days") == 0) {
            if (!cli_parse_long(v, 1, 36500, &days))
                return cli_usage_error("generate", "--days: '%s' is not a "
                                       "whole number from 1 to 36500", v);
            o->days = (int32_t)days;
        } else if (strcmp(a, "--patients") == 0) {
            if (!parse_u64(v, 10000000000L, &o->patients) ||
                o->patients == 0)
                return cli_usage_error("generate", "--patients: '%s' is "
                                       "not a whole number from 1 to "
                                       "10^10", v);
        } else {
            return cli_usage_error("generate", "unknown option '%s'", a);
        }
    }
    if (!have_rows || !have_seed || *path == NULL)
        return cli_usage_error("generate", "missing %s",
                               !have_rows ? "--rows N"
                               : !have_seed ? "--seed S" : "-o FILE");
    return CLI_EXIT_OK;
}

int cmd_generate(int argc, char **argv)
{
    struct generate_opts o;
    struct ns_error err = {0};
    const char *path = NULL;
    FILE *f = NULL;
    int help = 0;
    int rc;
    int64_t t0 = ns_mono_ns();

    generate_opts_default(&o);
    rc = parse_args(argc, argv, &o, &path, &help);
    if (rc != CLI_EXIT_OK || help) {
        if (help)
            fputs(usage, stdout);
        return rc;
    }
    if (strcmp(path, "-") == 0) {
        f = stdout;
    } else {
        f = fopen(path, "w");
        if (f == NULL) {
            int e = errno;

            ns_error_set(&err, NS_ERR_IO, "%s: cannot create: %s", path,
                         strerror(e));
            return cli_fail(&err);
        }
    }
    rc = CLI_EXIT_OK;
    if (generate_write_csv(&o, f, path, &err) != NS_OK)
        rc = cli_fail(&err);
    if (f != stdout && fclose(f) != 0 && rc == CLI_EXIT_OK) {
        int e = errno;

        ns_error_set(&err, NS_ERR_IO, "%s: write failed: %s", path,
                     strerror(e));
        rc = cli_fail(&err);
    }
    if (rc == CLI_EXIT_OK)
        ns_log_info("generate", "wrote rows=%llu seconds=%.2f",
                    (unsigned long long)o.rows,
                    (double)(ns_mono_ns() - t0) / 1e9);
    return rc;
}
