/* Runs one API test group per database back end: SQLite always (a fresh
 * file), MariaDB when NOSHOW_TEST_MYSQL_URL names a server (skipped
 * loudly otherwise, and a failure under CI=true). As in the store tests,
 * NOSHOW_TEST_STORE_BACKENDS=sqlite|mysql runs one group only, so
 * scripts/test.sh can run the MariaDB group beside its throwaway server. */
#ifndef NS_TEST_BACKENDS_H
#define NS_TEST_BACKENDS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int run_backends(const char *what, const struct CMUnitTest *tests,
                        size_t n, CMFixtureFunction setup,
                        CMFixtureFunction teardown, const char **url)
{
    const char *mysql = getenv("NOSHOW_TEST_MYSQL_URL");
    const char *only = getenv("NOSHOW_TEST_STORE_BACKENDS");
    const char *ci = getenv("CI");
    char name[96];
    int failed = 0;

    if (only == NULL || strcmp(only, "mysql") != 0) {
        *url = NULL;
        snprintf(name, sizeof(name), "%s on sqlite", what);
        failed = _cmocka_run_group_tests(name, tests, n, setup, teardown);
    }
    if (only != NULL && strcmp(only, "sqlite") == 0)
        return failed;
    if (mysql == NULL || mysql[0] == '\0') {
        fprintf(stderr, "\n*** %s on MariaDB SKIPPED: "
                "NOSHOW_TEST_MYSQL_URL not set ***\n\n", what);
        if (ci != NULL && strcmp(ci, "true") == 0) {
            fprintf(stderr, "CI=true requires the MariaDB run: failing\n");
            return failed + 1;
        }
        return failed;
    }
    *url = mysql;
    snprintf(name, sizeof(name), "%s on mariadb", what);
    return failed + _cmocka_run_group_tests(name, tests, n, setup,
                                            teardown);
}

#endif
