/* noshow keys: API keys for the service. A new key is printed once and
 * only its SHA-256 is stored. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "server/auth.h"
#include "store/store.h"
#include "util/timeutil.h"

static const char usage[] =
    "usage: noshow keys add --db URL --role reader|clinic|admin "
    "[--label TEXT]\n"
    "       noshow keys revoke --db URL --id N\n"
    "       noshow keys list --db URL\n\n"
    "add prints a new key once, on stdout; keep it: only its hash is\n"
    "stored. Send it as 'Authorization: Bearer <key>'. list shows each\n"
    "key's id, role, creation time (UTC), whether it is revoked, and its\n"
    "label; never the key or its hash. Roles: reader\n"
    "(GET routes), clinic (also booking, outcomes, reminders, scoring),\n"
    "admin (also model reloads). --db defaults to NOSHOW_DB.\n";

struct keys_opts {
    const char *db;
    const char *role;
    const char *label;
    const char *id;
};

static int parse(int argc, char **argv, struct keys_opts *o)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"role", required_argument, NULL, 'r'},
        {"label", required_argument, NULL, 'l'},
        {"id", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    optind = 2;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'd')
            o->db = optarg;
        else if (c == 'r')
            o->role = optarg;
        else if (c == 'l')
            o->label = optarg;
        else if (c == 'i')
            o->id = optarg;
        else if (c == 'h')
            return -1;
        else
            return cli_usage_error("keys", "unknown option");
    }
    if (optind < argc)
        return cli_usage_error("keys", "unexpected argument '%s'",
                               argv[optind]);
    return cli_database("keys", &o->db);
}

static int add(struct store *s, const struct keys_opts *o)
{
    struct ns_error err;
    enum store_role role;
    char key[AUTH_KEY_LEN + 1];
    char hash[AUTH_HEX_LEN];
    int64_t id = 0;

    if (o->role == NULL)
        return cli_usage_error("keys", "--role is required: reader, "
                               "clinic or admin");
    if (store_role_parse(o->role, &role, &err) != NS_OK)
        return cli_usage_error("keys", "%s", err.msg);
    if (auth_key_generate(key, sizeof(key), &err) != NS_OK
        || auth_key_hash(key, hash, &err) != NS_OK
        || store_key_add(s, hash, role, o->label, ns_now_ms(), &id, &err)
               != NS_OK)
        return cli_fail(&err);
    printf("%s\n", key);
    fprintf(stderr, "noshow: key id %lld with role %s added; the key is "
            "shown only this once\n", (long long)id,
            store_role_name(role));
    memset(key, 0, sizeof(key));
    return CLI_EXIT_OK;
}

static int revoke(struct store *s, const struct keys_opts *o)
{
    struct ns_error err;
    long id;

    if (o->id == NULL || !cli_parse_long(o->id, 1, 0x7fffffffL, &id))
        return cli_usage_error("keys", "--id must be a key id (a positive "
                               "integer, printed by 'keys add')");
    if (store_key_revoke(s, id, &err) != NS_OK)
        return cli_fail(&err);
    fprintf(stderr, "noshow: key id %ld revoked\n", id);
    return CLI_EXIT_OK;
}

static int list(struct store *s)
{
    struct store_key_list l = {0};
    struct ns_error err;
    char when[21];

    if (store_key_list(s, &l, &err) != NS_OK)
        return cli_fail(&err);
    printf("%-6s %-7s %-20s %-7s %s\n", "id", "role", "created", "revoked",
           "label");
    for (size_t i = 0; i < l.n; i++) {
        const struct store_key_info *k = &l.items[i];

        ns_format_datetime(k->created_at_ms / 1000, when);
        printf("%-6lld %-7s %-20s %-7s %s\n", (long long)k->id,
               store_role_name(k->role), when, k->revoked ? "yes" : "no",
               k->label ? k->label : "");
    }
    store_key_list_free(&l);
    return CLI_EXIT_OK;
}

int cmd_keys(int argc, char **argv)
{
    struct keys_opts o = {0};
    struct store *s = NULL;
    struct ns_error err;
    int rc;

    if (argc < 2 || strcmp(argv[1], "--help") == 0
        || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "revoke") != 0
        && strcmp(argv[1], "list") != 0)
        return cli_usage_error("keys", "unknown action '%s'; expected add, "
                               "revoke or list", argv[1]);
    rc = parse(argc, argv, &o);
    if (rc != 0) {
        if (rc < 0)
            fputs(usage, stdout);
        return rc < 0 ? CLI_EXIT_OK : rc;
    }
    if (store_open(o.db, &s, &err) != NS_OK)
        return cli_fail(&err);
    if (strcmp(argv[1], "list") == 0)
        rc = list(s);
    else
        rc = strcmp(argv[1], "add") == 0 ? add(s, &o) : revoke(s, &o);
    store_close(s);
    return rc;
}
