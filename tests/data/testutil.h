/* Small helpers shared by the tests of src/data/: substring checks that
 * print the whole message when they fail, and rows built from text. */
#ifndef NS_TESTS_DATA_TESTUTIL_H
#define NS_TESTS_DATA_TESTUTIL_H

#include <stdio.h>
#include <string.h>

#include "data/csv.h"

#define TROW_MAX 64

/* Fails, quoting the whole text, when needle is not in it. */
#define assert_contains(text, needle)                                      \
    do {                                                                   \
        const char *t_ = (text);                                           \
        if (t_ == NULL || strstr(t_, (needle)) == NULL)                    \
            fail_msg("expected \"%s\" in the message \"%s\"", (needle),    \
                     t_ ? t_ : "(null)");                                  \
    } while (0)

/* A csv_row made from "a,b,c" (no quoting; for tests only). */
struct trow {
    char text[1024];
    struct csv_field f[TROW_MAX];
    struct csv_row row;
};

static inline const struct csv_row *trow_make(struct trow *t, long line,
                                              const char *csv)
{
    size_t n = 0;
    char *p = t->text;

    snprintf(t->text, sizeof(t->text), "%s", csv);
    for (;;) {
        char *comma = strchr(p, ',');

        t->f[n].ptr = p;
        t->f[n].len = comma ? (size_t)(comma - p) : strlen(p);
        n++;
        if (comma == NULL || n == TROW_MAX)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    t->row.line = line;
    t->row.nfields = n;
    t->row.fields = t->f;
    return &t->row;
}

#endif
