/* Schemas: which column plays which role, its type, valid range, missing
 * value policy and, for the target, its positive spellings. A schema is a
 * small text file a user can write (see docs/schema.md); the built-in ones
 * are written in the same language and parsed by the same code.
 *
 *   schema kaggle-noshow
 *   column Age  numeric  min=0 max=115 integer missing=drop
 *               label="age"
 *   column No-show  target  positive=Yes negative=No
 */
#ifndef NS_SCHEMA_H
#define NS_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "data/csv.h"
#include "util/err.h"

#define SCHEMA_NAME_MAX 64
#define SCHEMA_MAX_COLUMNS 256
#define SCHEMA_MAX_SPELLINGS 16

enum schema_role {
    ROLE_IGNORE = 0,
    ROLE_TARGET,        /* the outcome: positive means missed/cancelled */
    ROLE_APPT_ID,
    ROLE_PATIENT_ID,    /* an identifier, never a number */
    ROLE_BOOKED_AT,     /* booking date-time */
    ROLE_APPT_DATE,     /* appointment date, or date-time */
    ROLE_APPT_TIME,     /* appointment time of day, HH:MM[:SS] */
    ROLE_BINARY,        /* 0/1 (also yes/no, true/false) */
    ROLE_NUMERIC,
    ROLE_CATEGORICAL
};

enum schema_missing {
    MISSING_DROP = 0,   /* drop the row, counted as "missing" */
    MISSING_IMPUTE,     /* replace by impute value */
    MISSING_KEEP        /* keep as missing; the model learns a branch */
};

struct schema_column {
    char name[SCHEMA_NAME_MAX];      /* header name, matched exactly */
    char label[SCHEMA_NAME_MAX];     /* plain words for reasons; or name */
    enum schema_role role;
    bool required;                   /* absent from the header: error */
    bool integer;
    double min, max;                 /* NAN when unbounded */
    enum schema_missing missing;
    double impute_num;
    char impute_text[SCHEMA_NAME_MAX];
    size_t npositive, nnegative;     /* target spellings */
    char positive[SCHEMA_MAX_SPELLINGS][SCHEMA_NAME_MAX];
    char negative[SCHEMA_MAX_SPELLINGS][SCHEMA_NAME_MAX];
};

struct schema {
    char name[SCHEMA_NAME_MAX];
    size_t ncols;
    struct schema_column *cols;      /* owned */
    char *text;                      /* owned: the source, for bundles */
};

/* Parses schema text; origin names it in messages ("file:line: ...").
 * Caller frees with schema_free(). */
NS_MUST_CHECK enum ns_err schema_parse(const char *text, size_t len,
                                       const char *origin,
                                       struct schema **out,
                                       struct ns_error *err);

NS_MUST_CHECK enum ns_err schema_load_file(const char *path,
                                           struct schema **out,
                                           struct ns_error *err);

/* A built-in schema by name ("kaggle-noshow", "doctolib"); NS_ERR_NOT_FOUND
 * otherwise. Caller frees with schema_free(). */
NS_MUST_CHECK enum ns_err schema_builtin(const char *name,
                                         struct schema **out,
                                         struct ns_error *err);

/* Names of the built-in schemas, NULL-terminated; static storage. */
const char *const *schema_builtin_names(void);

/* The schema a command-line option names: a built-in schema when spec
 * is one's name, else the schema file at path spec. Caller frees with
 * schema_free(). */
NS_MUST_CHECK enum ns_err schema_from_spec(const char *spec,
                                           struct schema **out,
                                           struct ns_error *err);

/* Picks the built-in schema whose required columns all appear in the
 * header; when none fits, the message lists the columns found. */
NS_MUST_CHECK enum ns_err schema_detect(const struct csv_row *header,
                                        struct schema **out,
                                        struct ns_error *err);

/* Index of the first column with that role, or -1. */
int schema_find_role(const struct schema *s, enum schema_role role);
int schema_find_name(const struct schema *s, const char *name);

const char *schema_role_name(enum schema_role role);

void schema_free(struct schema *s);

/* Where each schema column sits in a particular file's header. */
struct schema_binding {
    size_t nfields;     /* header width */
    int *field_of_col;  /* [ncols]: header index, or -1 when absent */
};

/* Matches a header to a schema. A required column that is missing is an
 * error naming it and listing the columns found. Extra columns are
 * allowed (they are carried through by predict). Caller frees with
 * schema_binding_free(). */
NS_MUST_CHECK enum ns_err schema_bind(const struct schema *s,
                                      const struct csv_row *header,
                                      const char *file,
                                      struct schema_binding **out,
                                      struct ns_error *err);

void schema_binding_free(struct schema_binding *b);

#endif
