/* noshow keys: add, revoke and list through the built binary, on an
 * SQLite file and, when NOSHOW_TEST_MYSQL_URL names one, MariaDB. The
 * list shows id, role, creation, revocation and label, and neither the
 * key nor its hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "clirun.h"
#include "server/auth.h"
#include "server/backends.h"

static const char *g_url;

struct fx {
    char dir[64];
    char db[512];
    char tag[32];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/noshow-keys-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    if (g_url != NULL)
        snprintf(f->db, sizeof(f->db), "%s", g_url);
    else
        snprintf(f->db, sizeof(f->db), "sqlite:%s/db", f->dir);
    snprintf(f->tag, sizeof(f->tag), "k%ld", (long)getpid());
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    free(f);
    return system(cmd) == 0 ? 0 : -1;
}

/* Adds a key; returns its id and copies the printed key into key. */
static long add_key(const struct fx *f, const char *role, const char *label,
                    char *key, size_t n)
{
    struct result res;
    char args[768];
    const char *id;

    snprintf(args, sizeof(args), "keys add --db '%s' --role %s --label "
             "'%s'", f->db, role, label);
    run(args, &res);
    expect(&res, 0, "the key is shown only this once");
    id = strstr(res.out, "key id ");
    assert_non_null(id);
    assert_true(strncmp(strstr(res.out, "ns_"), "ns_", 3) == 0);
    snprintf(key, n, "%.*s", (int)strcspn(strstr(res.out, "ns_"), "\n"),
             strstr(res.out, "ns_"));
    return strtol(id + 7, NULL, 10);
}

/* The list line of key id: "id role created revoked label". */
static const char *line_of(const char *out, long id, char *buf, size_t n)
{
    char want[32];
    const char *p = out;

    snprintf(want, sizeof(want), "%ld ", id);
    while (p != NULL && *p != '\0') {
        if (strncmp(p, want, strlen(want)) == 0) {
            snprintf(buf, n, "%.*s", (int)strcspn(p, "\n"), p);
            return buf;
        }
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    fail_msg("key %ld is not listed:\n%s", id, out);
    return NULL;
}

static void test_keys_list_shows_state_never_secrets(void **state)
{
    struct fx *f = *state;
    char key[96], hash[AUTH_HEX_LEN], label[64], args[600], line[256];
    struct ns_error err;
    struct result res;
    long clinic, admin;

    snprintf(label, sizeof(label), "front desk %s", f->tag);
    clinic = add_key(f, "clinic", label, key, sizeof(key));
    admin = add_key(f, "admin", f->tag, key, sizeof(key));
    assert_int_equal(auth_key_hash(key, hash, &err), NS_OK);
    snprintf(args, sizeof(args), "keys revoke --db '%s' --id %ld", f->db,
             clinic);
    run(args, &res);
    expect(&res, 0, "revoked");
    snprintf(args, sizeof(args), "keys list --db '%s'", f->db);
    run(args, &res);
    expect(&res, 0, "id     role    created");
    line_of(res.out, clinic, line, sizeof(line));
    if (!strstr(line, " clinic ") || !strstr(line, " yes ")
        || !strstr(line, label) || !strstr(line, "Z "))
        fail_msg("revoked clinic key listed as '%s'", line);
    line_of(res.out, admin, line, sizeof(line));
    if (!strstr(line, " admin ") || !strstr(line, " no "))
        fail_msg("admin key listed as '%s'", line);
    if (strstr(res.out, key) || strstr(res.out, hash))
        fail_msg("the list shows a key or its hash:\n%s", res.out);
}

static void test_keys_unknown_action_names_list(void **state)
{
    struct result res;

    (void)state;
    run("keys show --db sqlite::memory:", &res);
    expect(&res, 2, "expected add, revoke or list");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_keys_list_shows_state_never_secrets),
    cmocka_unit_test(test_keys_unknown_action_names_list),
};

int main(void)
{
    return run_backends("keys command", tests,
                        sizeof(tests) / sizeof(tests[0]), setup, teardown,
                        &g_url);
}
