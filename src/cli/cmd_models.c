/* noshow models: the model registry (list, show, promote, rollback). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "learn/registry.h"

static const char usage[] =
    "usage: noshow models list --db URL\n"
    "       noshow models show VERSION --db URL\n"
    "       noshow models promote VERSION --db URL\n"
    "       noshow models rollback --db URL\n\n"
    "list prints every version (newest first) with its status: candidate,\n"
    "production or archived. show prints one version's metrics and data\n"
    "fingerprint as JSON. promote makes VERSION the production model (the\n"
    "previous one is archived); rollback puts back the version the current\n"
    "production replaced (its parent). Running services pick the change up\n"
    "at their next registry poll. --db defaults to NOSHOW_DB.\n";

static int parse(int argc, char **argv, const char **db,
                 const char **version, bool want_version)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    optind = 2;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'd')
            *db = optarg;
        else if (c == 'h')
            return -1;
        else
            return cli_usage_error("models", "unknown option");
    }
    if (want_version) {
        if (optind >= argc)
            return cli_usage_error("models", "%s needs a VERSION (see "
                                   "'noshow models list')", argv[1]);
        *version = argv[optind++];
    }
    if (optind < argc)
        return cli_usage_error("models", "unexpected argument '%s'",
                               argv[optind]);
    return cli_database("models", db);
}

static int list(struct store *s)
{
    struct store_model_list l = {0};
    struct ns_error err;

    if (store_model_list(s, &l, &err) != NS_OK)
        return cli_fail(&err);
    printf("%-28s %-10s %-28s\n", "version", "status", "parent");
    for (size_t i = 0; i < l.n; i++)
        printf("%-28s %-10s %-28s\n", l.items[i].version,
               store_model_status_name(l.items[i].status),
               l.items[i].parent ? l.items[i].parent : "-");
    store_model_list_free(&l);
    return CLI_EXIT_OK;
}

static int show(struct store *s, const char *version)
{
    struct store_model m = {0};
    struct ns_error err;
    json_t *j;

    if (store_model_get(s, version, &m, &err) != NS_OK) {
        if (err.code == NS_ERR_NOT_FOUND)
            ns_error_set(&err, NS_ERR_NOT_FOUND, "model version '%s' is "
                         "not in the registry; expected one that 'noshow "
                         "models list' shows", version);
        return cli_fail(&err);
    }
    j = registry_model_json(&m);
    store_model_free(&m);
    if (j == NULL || json_dumpf(j, stdout, JSON_INDENT(2)) != 0) {
        json_decref(j);
        ns_error_set(&err, NS_ERR_IO, "models: cannot write to stdout");
        return cli_fail(&err);
    }
    putchar('\n');
    json_decref(j);
    return CLI_EXIT_OK;
}

static int act(struct store *s, const char *action, const char *version)
{
    struct ns_error err;
    char restored[REGISTRY_VERSION_MAX];

    if (strcmp(action, "list") == 0)
        return list(s);
    if (strcmp(action, "show") == 0)
        return show(s, version);
    if (strcmp(action, "promote") == 0) {
        if (registry_promote(s, version, &err) != NS_OK)
            return cli_fail(&err);
        printf("promoted %s to production\n", version);
        return CLI_EXIT_OK;
    }
    if (registry_rollback(s, restored, sizeof(restored), &err) != NS_OK)
        return cli_fail(&err);
    printf("rolled back: %s is production again\n", restored);
    return CLI_EXIT_OK;
}

int cmd_models(int argc, char **argv)
{
    static const char *const actions[] = {"list", "show", "promote",
                                          "rollback"};
    const char *db = NULL;
    const char *version = NULL;
    struct store *s = NULL;
    struct ns_error err;
    size_t k = 0;
    int rc;

    if (argc < 2 || strcmp(argv[1], "--help") == 0
        || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    while (k < 4 && strcmp(argv[1], actions[k]) != 0)
        k++;
    if (k == 4)
        return cli_usage_error("models", "unknown action '%s'; expected "
                               "list, show, promote or rollback", argv[1]);
    rc = parse(argc, argv, &db, &version, k == 1 || k == 2);
    if (rc != 0) {
        if (rc < 0)
            fputs(usage, stdout);
        return rc < 0 ? CLI_EXIT_OK : rc;
    }
    if (store_open(db, &s, &err) != NS_OK)
        return cli_fail(&err);
    rc = act(s, argv[1], version);
    store_close(s);
    return rc;
}
