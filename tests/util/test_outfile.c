/* Output files appear whole or not at all: nothing at the path until
 * commit, the old file kept when a run drops its output, special files
 * written in place, and errors that name the path. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/outfile.h"

struct dir {
    char path[64];
    char file[96];
};

static void dir_make(struct dir *d)
{
    snprintf(d->path, sizeof(d->path), "/tmp/noshow-outfile-XXXXXX");
    assert_non_null(mkdtemp(d->path));
    snprintf(d->file, sizeof(d->file), "%s/out.csv", d->path);
}

/* Entries of the directory besides . and .. */
static int dir_entries(const struct dir *d)
{
    DIR *dp = opendir(d->path);
    struct dirent *e;
    int n = 0;

    assert_non_null(dp);
    while ((e = readdir(dp)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(dp);
    return n;
}

static void dir_remove(struct dir *d)
{
    unlink(d->file);
    assert_int_equal(dir_entries(d), 0);
    assert_int_equal(rmdir(d->path), 0);
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void expect_text(const char *path, const char *text)
{
    char buf[64] = {0};
    FILE *f = fopen(path, "r");

    assert_non_null(f);
    assert_true(fread(buf, 1, sizeof(buf) - 1, f) < sizeof(buf) - 1);
    fclose(f);
    assert_string_equal(buf, text);
}

static void test_outfile_appears_only_on_commit(void **state)
{
    struct ns_outfile o = NS_OUTFILE_INIT;
    struct ns_error err = {0};
    struct dir d;
    struct stat st;
    mode_t mask = umask(022);

    (void)state;
    dir_make(&d);
    assert_int_equal(ns_outfile_open(&o, d.file, &err), NS_OK);
    fputs("a,b\n1,2\n", o.f);
    assert_int_equal(access(d.file, F_OK), -1);
    assert_int_equal(dir_entries(&d), 1);
    assert_int_equal(ns_outfile_commit(&o, &err), NS_OK);
    expect_text(d.file, "a,b\n1,2\n");
    assert_int_equal(stat(d.file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(dir_entries(&d), 1);
    assert_int_equal(ns_outfile_commit(&o, &err), NS_OK);
    umask(mask);
    dir_remove(&d);
}

static void test_outfile_abort_keeps_the_old_file(void **state)
{
    struct ns_outfile o = NS_OUTFILE_INIT;
    struct ns_error err = {0};
    struct dir d;

    (void)state;
    dir_make(&d);
    put(d.file, "old\n");
    assert_int_equal(ns_outfile_open(&o, d.file, &err), NS_OK);
    fputs("half a row", o.f);
    ns_outfile_abort(&o);
    expect_text(d.file, "old\n");
    assert_int_equal(dir_entries(&d), 1);
    ns_outfile_abort(&o);
    dir_remove(&d);
}

static void test_outfile_special_files_are_written_in_place(void **state)
{
    struct ns_outfile o = NS_OUTFILE_INIT;
    struct ns_error err = {0};

    (void)state;
    assert_int_equal(ns_outfile_open(&o, "/dev/null", &err), NS_OK);
    assert_null(o.tmp);
    fputs("gone\n", o.f);
    assert_int_equal(ns_outfile_commit(&o, &err), NS_OK);
    assert_int_equal(ns_outfile_open(&o, "-", &err), NS_OK);
    assert_true(o.f == stdout);
    assert_int_equal(ns_outfile_commit(&o, &err), NS_OK);
}

static void test_outfile_errors_name_the_path(void **state)
{
    struct ns_outfile o = NS_OUTFILE_INIT;
    struct ns_error err = {0};

    (void)state;
    assert_int_equal(ns_outfile_open(&o, "/nonexistent/dir/f.csv", &err),
                     NS_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/dir/f.csv: cannot "
                                    "create: No such file"));
    assert_null(o.f);
    assert_null(o.path);
    /* A full device fails at the latest on commit. */
    assert_int_equal(ns_outfile_open(&o, "/dev/full", &err), NS_OK);
    fputs("x\n", o.f);
    assert_int_equal(ns_outfile_commit(&o, &err), NS_ERR_IO);
    assert_non_null(strstr(err.msg, "/dev/full: write failed"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outfile_appears_only_on_commit),
        cmocka_unit_test(test_outfile_abort_keeps_the_old_file),
        cmocka_unit_test(test_outfile_special_files_are_written_in_place),
        cmocka_unit_test(test_outfile_errors_name_the_path),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
