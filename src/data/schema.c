/* Schema language parser, the built-in schemas, detection of a schema
 * from a header and binding of a schema to a header. The language is
 * described in docs/schema.md. */
#include "data/schema.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#define MAX_TOKENS 48
#define TOKEN_MAX 256
#define SCHEMA_FILE_MAX (1u << 20)

/* Built-in schemas, in the same language a user writes. */
static const char kaggle_text[] =
    "# Medical Appointment No Shows (Vitoria, Brazil, 2016), as published\n"
    "# on Kaggle. Column names keep the data set's own spelling.\n"
    "schema kaggle-noshow\n"
    "column PatientId      patient_id       label=\"patient\"\n"
    "column AppointmentID  appointment_id   label=\"appointment\"\n"
    "column Gender         categorical      label=\"gender\"\n"
    "column ScheduledDay   booked_at        label=\"booking time\"\n"
    "column AppointmentDay appointment_date label=\"appointment day\"\n"
    "# Ages over 100 are real and kept; a negative age is a typing error.\n"
    "column Age            numeric integer min=0 max=115 label=\"age\"\n"
    "column Neighbourhood  categorical      label=\"neighbourhood\"\n"
    "column Scholarship    binary  label=\"welfare programme\"\n"
    "column Hipertension   binary  label=\"hypertension\"\n"
    "column Diabetes       binary  label=\"diabetes\"\n"
    "column Alcoholism     binary  label=\"alcoholism\"\n"
    "column Handcap        numeric integer min=0 max=4\n"
    "       label=\"disability level\"\n"
    "column SMS_received   binary  label=\"SMS reminder received\"\n"
    "# \"Yes\" means the patient did not come.\n"
    "column No-show        target  positive=Yes negative=No\n"
    "       label=\"missed the appointment\"\n";

static const char doctolib_text[] =
    "# Appointment export with cancellations (Appointment_Status 1).\n"
    "schema doctolib\n"
    "column Patient_Id     patient_id     required=no label=\"patient\"\n"
    "column Appointment_Id appointment_id required=no\n"
    "       label=\"appointment\"\n"
    "column Appointment_Booking_Date booked_at label=\"booking time\"\n"
    "column Appointment_Date appointment_date label=\"appointment day\"\n"
    "column Appointment_Time appointment_time\n"
    "       label=\"appointment time\"\n"
    "# The same number as Appointment_Date minus the booking date. Lead\n"
    "# days come from the dates only, so that this file and one without\n"
    "# the column (or with a stale copy of it) give the same features.\n"
    "column Days_Between_Scheduling_and_Appointment ignore\n"
    "column Scholarship    binary label=\"welfare programme\"\n"
    "column Hypertension   binary label=\"hypertension\"\n"
    "column Diabetes       binary label=\"diabetes\"\n"
    "column Alcoholism     binary label=\"alcoholism\"\n"
    "column Disability     binary label=\"disability\"\n"
    "column Hospital_Area  categorical label=\"hospital area\"\n"
    "column Specialty      categorical label=\"specialty\"\n"
    "column Facility_Type  categorical label=\"facility type\"\n"
    "column Type_of_Care   categorical label=\"type of care\"\n"
    "column Social_Status  categorical label=\"social status\"\n"
    "column Weather_Conditions categorical label=\"weather\"\n"
    "column Gender         categorical label=\"gender\"\n"
    "column Distance_km    numeric min=0 label=\"distance (km)\"\n"
    "column Previously_Treated binary label=\"treated here before\"\n"
    "column Age            numeric integer min=0 max=115 label=\"age\"\n"
    "column SMS_Received   binary label=\"SMS reminder received\"\n"
    "column Consultations_Last_12_Months numeric integer min=0\n"
    "       label=\"consultations in the last 12 months\"\n"
    "column Waiting_Time_Minutes numeric min=0\n"
    "       label=\"waiting time (minutes)\"\n"
    "column Hospital_Rating numeric integer min=1 max=5\n"
    "       label=\"hospital rating\"\n"
    "column Average_Fee    numeric min=0 label=\"average fee\"\n"
    "# 1 means the appointment was cancelled.\n"
    "column Appointment_Status target positive=1 negative=0\n"
    "       label=\"cancelled\"\n";

static const char *const builtin_names[] = {"kaggle-noshow", "doctolib",
                                            NULL};
static const char *const builtin_texts[] = {kaggle_text, doctolib_text};

static const char *const role_names[] = {
    "ignore",     "target",          "appointment_id", "patient_id",
    "booked_at",  "appointment_date", "appointment_time", "binary",
    "numeric",    "categorical",
};

#define NROLES (sizeof(role_names) / sizeof(role_names[0]))
#define ROLE_LIST                                                         \
    "ignore, target, appointment_id, patient_id, booked_at, "              \
    "appointment_date, appointment_time, binary, numeric, categorical"
#define KEY_LIST                                                          \
    "required=, integer, min=, max=, missing=, impute=, positive=, "       \
    "negative=, label="

struct token {
    char text[TOKEN_MAX];
    size_t eq;      /* position of an unquoted '=', or TOKEN_MAX */
};

struct parser {
    const char *origin;
    long line;
    struct schema *s;
    size_t cap;
    long *col_line;         /* [cap] line of each column statement */
    bool *has_impute;       /* [cap] */
    struct ns_error *err;
};

const char *schema_role_name(enum schema_role role)
{
    if ((size_t)role < NROLES)
        return role_names[role];
    return "unknown";
}

const char *const *schema_builtin_names(void)
{
    return builtin_names;
}

void schema_free(struct schema *s)
{
    if (s == NULL)
        return;
    free(s->cols);
    free(s->text);
    free(s);
}

static enum ns_err perr(struct parser *ps, const char *fmt, ...)
    NS_PRINTF(2, 3);

static enum ns_err perr(struct parser *ps, const char *fmt, ...)
{
    char msg[900];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return ns_error_set(ps->err, NS_ERR_PARSE, "%s:%ld: %s", ps->origin,
                        ps->line, msg);
}

/* Reads one token at s[*at..n): a run of non-blank bytes where a pair of
 * double quotes protects blanks, and \" or \\ inside quotes escape. */
static enum ns_err read_token(struct parser *ps, const char *s, size_t n,
                              size_t *at, struct token *t)
{
    size_t i = *at, len = 0;
    bool quoted = false;

    t->eq = TOKEN_MAX;
    while (i < n && (quoted || (s[i] != ' ' && s[i] != '\t'))) {
        char c = s[i++];

        if (c == '"') {
            quoted = !quoted;
            continue;
        }
        if (quoted && c == '\\' && i < n && (s[i] == '"' || s[i] == '\\'))
            c = s[i++];
        else if (!quoted && c == '=' && t->eq == TOKEN_MAX)
            t->eq = len;
        if (len + 1 >= TOKEN_MAX)
            return perr(ps, "token starting '%.20s' is longer than %d "
                        "bytes; expected a shorter name or value",
                        s + *at, TOKEN_MAX - 1);
        t->text[len++] = c;
    }
    t->text[len] = '\0';
    if (quoted)
        return perr(ps, "unterminated quote in '%.*s'; expected a closing "
                    "'\"'", (int)(i - *at), s + *at);
    *at = i;
    return NS_OK;
}

/* Splits a line into tokens; a '#' at a token start begins a comment. */
static enum ns_err tokenize(struct parser *ps, const char *s, size_t n,
                            struct token *toks, size_t *ntok)
{
    size_t at = 0;
    enum ns_err rc;

    *ntok = 0;
    for (;;) {
        while (at < n && (s[at] == ' ' || s[at] == '\t' || s[at] == '\r'))
            at++;
        if (at == n || s[at] == '#')
            return NS_OK;
        if (*ntok == MAX_TOKENS)
            return perr(ps, "more than %d words on one line; expected one "
                        "column per line", MAX_TOKENS);
        rc = read_token(ps, s, n, &at, &toks[*ntok]);
        if (rc != NS_OK)
            return rc;
        (*ntok)++;
    }
}

static bool parse_number(const char *s, double *out)
{
    char *end;

    errno = 0;
    *out = strtod(s, &end);
    return *s != '\0' && *end == '\0' && errno == 0 && isfinite(*out);
}

static bool parse_yes_no(const char *s, bool *out)
{
    if (strcmp(s, "yes") == 0 || strcmp(s, "true") == 0) {
        *out = true;
        return true;
    }
    if (strcmp(s, "no") == 0 || strcmp(s, "false") == 0) {
        *out = false;
        return true;
    }
    return false;
}

static bool copy_name(char dst[SCHEMA_NAME_MAX], const char *src)
{
    size_t n = strlen(src);

    if (n >= SCHEMA_NAME_MAX)
        return false;
    memcpy(dst, src, n + 1);
    return true;
}

/* Splits "A,B" into spellings; empty spellings are refused. */
static enum ns_err set_spellings(struct parser *ps, const char *key,
                                 const char *v,
                                 char list[][SCHEMA_NAME_MAX], size_t *n)
{
    *n = 0;
    for (;;) {
        const char *comma = strchr(v, ',');
        size_t len = comma ? (size_t)(comma - v) : strlen(v);

        if (len == 0 || len >= SCHEMA_NAME_MAX)
            return perr(ps, "%s= has an empty or over-long spelling; "
                        "expected comma-separated values of 1 to %d bytes",
                        key, SCHEMA_NAME_MAX - 1);
        if (*n == SCHEMA_MAX_SPELLINGS)
            return perr(ps, "%s= has more than %d spellings", key,
                        SCHEMA_MAX_SPELLINGS);
        memcpy(list[*n], v, len);
        list[(*n)++][len] = '\0';
        if (comma == NULL)
            return NS_OK;
        v = comma + 1;
    }
}

static bool is_numeric_role(enum schema_role r)
{
    return r == ROLE_NUMERIC || r == ROLE_BINARY;
}

static enum ns_err set_missing(struct parser *ps, struct schema_column *c,
                               const char *v)
{
    if (strcmp(v, "drop") == 0)
        c->missing = MISSING_DROP;
    else if (strcmp(v, "impute") == 0)
        c->missing = MISSING_IMPUTE;
    else if (strcmp(v, "keep") == 0)
        c->missing = MISSING_KEEP;
    else
        return perr(ps, "missing=%s for column '%s'; expected drop, impute "
                    "or keep", v, c->name);
    return NS_OK;
}

static enum ns_err set_bound(struct parser *ps, struct schema_column *c,
                             const char *key, const char *v, double *dst)
{
    if (c->role != ROLE_NUMERIC)
        return perr(ps, "%s= on column '%s' of role %s; expected it only "
                    "on numeric columns", key, c->name,
                    schema_role_name(c->role));
    if (!parse_number(v, dst))
        return perr(ps, "%s=%s for column '%s' is not a number; expected "
                    "e.g. %s=0", key, v, c->name, key);
    return NS_OK;
}

static enum ns_err set_impute(struct parser *ps, size_t ci, const char *v)
{
    struct schema_column *c = &ps->s->cols[ci];

    if (!is_numeric_role(c->role) && c->role != ROLE_CATEGORICAL)
        return perr(ps, "impute= on column '%s' of role %s; expected it "
                    "only on binary, numeric or categorical columns",
                    c->name, schema_role_name(c->role));
    if (is_numeric_role(c->role) && !parse_number(v, &c->impute_num))
        return perr(ps, "impute=%s for column '%s' is not a number; "
                    "expected a number", v, c->name);
    if (!copy_name(c->impute_text, v))
        return perr(ps, "impute= value for column '%s' is longer than %d "
                    "bytes", c->name, SCHEMA_NAME_MAX - 1);
    ps->has_impute[ci] = true;
    return NS_OK;
}

static enum ns_err set_target_key(struct parser *ps, struct schema_column *c,
                                  const char *key, const char *v)
{
    bool pos = strcmp(key, "positive") == 0;

    if (c->role != ROLE_TARGET)
        return perr(ps, "%s= on column '%s' of role %s; expected it only "
                    "on the target column", key, c->name,
                    schema_role_name(c->role));
    if (pos)
        return set_spellings(ps, key, v, c->positive, &c->npositive);
    return set_spellings(ps, key, v, c->negative, &c->nnegative);
}

static enum ns_err set_flag(struct parser *ps, struct schema_column *c,
                            const char *key, const char *v)
{
    bool yes;

    if (!parse_yes_no(v, &yes))
        return perr(ps, "%s=%s for column '%s'; expected yes or no", key, v,
                    c->name);
    if (strcmp(key, "required") == 0) {
        c->required = yes;
        return NS_OK;
    }
    if (c->role != ROLE_NUMERIC)
        return perr(ps, "integer on column '%s' of role %s; expected it "
                    "only on numeric columns", c->name,
                    schema_role_name(c->role));
    c->integer = yes;
    return NS_OK;
}

/* Applies one option word ("integer" or key=value) to column ci. */
static enum ns_err apply_option(struct parser *ps, size_t ci,
                                struct token *t)
{
    struct schema_column *c = &ps->s->cols[ci];
    const char *key = t->text, *v;

    if (t->eq == TOKEN_MAX) {
        if (strcmp(t->text, "integer") == 0)
            return set_flag(ps, c, "integer", "yes");
        return perr(ps, "unknown option '%s' for column '%s'; expected one "
                    "of " KEY_LIST, t->text, c->name);
    }
    t->text[t->eq] = '\0';
    v = t->text + t->eq + 1;
    if (strcmp(key, "required") == 0 || strcmp(key, "integer") == 0)
        return set_flag(ps, c, key, v);
    if (strcmp(key, "min") == 0)
        return set_bound(ps, c, key, v, &c->min);
    if (strcmp(key, "max") == 0)
        return set_bound(ps, c, key, v, &c->max);
    if (strcmp(key, "missing") == 0)
        return set_missing(ps, c, v);
    if (strcmp(key, "impute") == 0)
        return set_impute(ps, ci, v);
    if (strcmp(key, "positive") == 0 || strcmp(key, "negative") == 0)
        return set_target_key(ps, c, key, v);
    if (strcmp(key, "label") == 0) {
        if (v[0] == '\0' || !copy_name(c->label, v))
            return perr(ps, "label for column '%s' is empty or longer than "
                        "%d bytes", c->name, SCHEMA_NAME_MAX - 1);
        return NS_OK;
    }
    return perr(ps, "unknown option '%s=' for column '%s'; expected one of "
                KEY_LIST, key, c->name);
}

static enum ns_err grow(struct parser *ps)
{
    size_t cap = ps->cap ? ps->cap * 2 : 16;
    struct schema_column *cols;
    long *lines;
    bool *imp;

    if (ps->s->ncols == SCHEMA_MAX_COLUMNS)
        return perr(ps, "more than %d columns; expected at most %d",
                    SCHEMA_MAX_COLUMNS, SCHEMA_MAX_COLUMNS);
    if (cap > SCHEMA_MAX_COLUMNS)
        cap = SCHEMA_MAX_COLUMNS;
    cols = realloc(ps->s->cols, cap * sizeof(*cols));
    if (cols)
        ps->s->cols = cols;
    lines = realloc(ps->col_line, cap * sizeof(*lines));
    if (lines)
        ps->col_line = lines;
    imp = realloc(ps->has_impute, cap * sizeof(*imp));
    if (imp)
        ps->has_impute = imp;
    if (cols == NULL || lines == NULL || imp == NULL)
        return ns_error_set(ps->err, NS_ERR_NOMEM, "%s: out of memory",
                            ps->origin);
    ps->cap = cap;
    return NS_OK;
}

static int find_role(const char *name)
{
    for (size_t i = 0; i < NROLES; i++) {
        if (strcmp(role_names[i], name) == 0)
            return (int)i;
    }
    return -1;
}

/* "column NAME ROLE options..." */
static enum ns_err add_column(struct parser *ps, struct token *toks,
                              size_t ntok)
{
    struct schema_column *c;
    int role;
    enum ns_err rc;

    if (ntok < 3)
        return perr(ps, "'column' needs a name and a role; expected "
                    "'column NAME ROLE key=value...'");
    role = find_role(toks[2].text);
    if (role < 0)
        return perr(ps, "unknown role '%s' for column '%s'; expected one "
                    "of " ROLE_LIST, toks[2].text, toks[1].text);
    if (toks[1].text[0] == '\0' || strlen(toks[1].text) >= SCHEMA_NAME_MAX)
        return perr(ps, "column name '%s' is empty or longer than %d "
                    "bytes", toks[1].text, SCHEMA_NAME_MAX - 1);
    if (schema_find_name(ps->s, toks[1].text) >= 0)
        return perr(ps, "column '%s' is declared twice; expected each "
                    "column once", toks[1].text);
    if (ps->s->ncols == ps->cap && (rc = grow(ps)) != NS_OK)
        return rc;
    c = &ps->s->cols[ps->s->ncols];
    memset(c, 0, sizeof(*c));
    copy_name(c->name, toks[1].text);
    copy_name(c->label, toks[1].text);
    c->role = (enum schema_role)role;
    c->required = role != ROLE_TARGET && role != ROLE_IGNORE;
    c->min = NAN;
    c->max = NAN;
    c->missing = MISSING_DROP;
    ps->col_line[ps->s->ncols] = ps->line;
    ps->has_impute[ps->s->ncols] = false;
    ps->s->ncols++;
    for (size_t i = 3; i < ntok; i++) {
        rc = apply_option(ps, ps->s->ncols - 1, &toks[i]);
        if (rc != NS_OK)
            return rc;
    }
    return NS_OK;
}

static enum ns_err parse_line(struct parser *ps, const char *s, size_t n)
{
    struct token toks[MAX_TOKENS];
    size_t ntok;
    bool indented = n > 0 && (s[0] == ' ' || s[0] == '\t');
    enum ns_err rc = tokenize(ps, s, n, toks, &ntok);

    if (rc != NS_OK || ntok == 0)
        return rc;
    if (ps->s->name[0] == '\0') {
        if (strcmp(toks[0].text, "schema") != 0 || ntok != 2 || indented)
            return perr(ps, "'%s' before the schema name; expected the "
                        "first line to be 'schema NAME'", toks[0].text);
        if (toks[1].text[0] == '\0' || !copy_name(ps->s->name, toks[1].text))
            return perr(ps, "schema name '%s' is empty or longer than %d "
                        "bytes", toks[1].text, SCHEMA_NAME_MAX - 1);
        return NS_OK;
    }
    if (indented) {
        if (ps->s->ncols == 0)
            return perr(ps, "indented line '%s' continues no column; "
                        "expected a 'column' line before it", toks[0].text);
        for (size_t i = 0; i < ntok; i++) {
            rc = apply_option(ps, ps->s->ncols - 1, &toks[i]);
            if (rc != NS_OK)
                return rc;
        }
        return NS_OK;
    }
    if (strcmp(toks[0].text, "column") == 0)
        return add_column(ps, toks, ntok);
    if (strcmp(toks[0].text, "schema") == 0)
        return perr(ps, "a second 'schema' line; expected one per file");
    return perr(ps, "unknown statement '%s'; expected 'column NAME ROLE "
                "key=value...' or a '#' comment", toks[0].text);
}

static bool unique_role(enum schema_role r)
{
    return r != ROLE_IGNORE && r != ROLE_BINARY && r != ROLE_NUMERIC &&
           r != ROLE_CATEGORICAL;
}

/* Checks that need the whole column: spellings, bounds, imputation. */
static enum ns_err check_column(struct parser *ps, size_t i)
{
    const struct schema_column *c = &ps->s->cols[i];

    ps->line = ps->col_line[i];
    if (c->role == ROLE_TARGET && (c->npositive == 0 || c->nnegative == 0))
        return perr(ps, "target column '%s' needs both positive= and "
                    "negative= spellings, e.g. positive=Yes negative=No",
                    c->name);
    if (!isnan(c->min) && !isnan(c->max) && c->min > c->max)
        return perr(ps, "column '%s' has min=%g above max=%g; expected "
                    "min <= max", c->name, c->min, c->max);
    if (c->missing == MISSING_IMPUTE && !ps->has_impute[i])
        return perr(ps, "column '%s' has missing=impute but no impute= "
                    "value; expected e.g. impute=0", c->name);
    if (c->role == ROLE_NUMERIC && ps->has_impute[i] &&
        ((!isnan(c->min) && c->impute_num < c->min) ||
         (!isnan(c->max) && c->impute_num > c->max)))
        return perr(ps, "column '%s' imputes %g, outside its min..max; "
                    "expected a value within the range", c->name,
                    c->impute_num);
    for (size_t j = 0; j < i; j++) {
        if (unique_role(c->role) && ps->s->cols[j].role == c->role)
            return perr(ps, "column '%s' has role %s, already given to "
                        "'%s'; expected one column per role", c->name,
                        schema_role_name(c->role), ps->s->cols[j].name);
    }
    return NS_OK;
}

static enum ns_err parse_all(struct parser *ps, const char *text, size_t len)
{
    size_t at = 0;
    enum ns_err rc;

    while (at < len) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (text + at)) : len - at;

        ps->line++;
        if (memchr(text + at, '\0', n) != NULL)
            return perr(ps, "NUL byte in the schema text; expected text");
        rc = parse_line(ps, text + at, n);
        if (rc != NS_OK)
            return rc;
        at += n + (nl ? 1 : 0);
    }
    if (ps->s->name[0] == '\0' || ps->s->ncols == 0)
        return perr(ps, "%s; expected 'schema NAME' and at least one "
                    "'column NAME ROLE' line", ps->s->name[0] ?
                    "no column" : "no 'schema NAME' line");
    for (size_t i = 0; i < ps->s->ncols; i++) {
        rc = check_column(ps, i);
        if (rc != NS_OK)
            return rc;
    }
    return NS_OK;
}

enum ns_err schema_parse(const char *text, size_t len, const char *origin,
                         struct schema **out, struct ns_error *err)
{
    struct parser ps = {0};
    enum ns_err rc;

    *out = NULL;
    ps.origin = origin ? origin : "schema";
    ps.err = err;
    ps.s = calloc(1, sizeof(*ps.s));
    if (ps.s == NULL || (ps.s->text = malloc(len + 1)) == NULL) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory",
                          ps.origin);
        goto out;
    }
    memcpy(ps.s->text, text, len);
    ps.s->text[len] = '\0';
    rc = parse_all(&ps, text, len);
    if (rc == NS_OK) {
        *out = ps.s;
        ps.s = NULL;
    }
out:
    schema_free(ps.s);
    free(ps.col_line);
    free(ps.has_impute);
    return rc;
}

enum ns_err schema_load_file(const char *path, struct schema **out,
                             struct ns_error *err)
{
    struct ns_buf b = NS_BUF_INIT;
    char chunk[4096];
    FILE *f = NULL;
    enum ns_err rc = NS_OK;
    size_t n;
    int e;

    *out = NULL;
    f = fopen(path, "rb");
    if (f == NULL) {
        e = errno;
        return ns_error_set(err, NS_ERR_IO, "%s: cannot open: %s", path,
                            strerror(e));
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b.len + n > SCHEMA_FILE_MAX) {
            rc = ns_error_set(err, NS_ERR_TOO_LARGE, "%s: larger than %u "
                              "bytes; expected a small schema file", path,
                              SCHEMA_FILE_MAX);
            goto out;
        }
        if (ns_buf_append(&b, chunk, n) != NS_OK) {
            rc = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", path);
            goto out;
        }
    }
    if (ferror(f)) {
        e = errno;
        rc = ns_error_set(err, NS_ERR_IO, "%s: read failed: %s", path,
                          strerror(e));
        goto out;
    }
    rc = schema_parse(b.data ? b.data : "", b.len, path, out, err);
out:
    fclose(f);
    ns_buf_free(&b);
    return rc;
}

enum ns_err schema_builtin(const char *name, struct schema **out,
                           struct ns_error *err)
{
    *out = NULL;
    for (size_t i = 0; builtin_names[i]; i++) {
        if (strcmp(builtin_names[i], name) == 0)
            return schema_parse(builtin_texts[i], strlen(builtin_texts[i]),
                                builtin_names[i], out, err);
    }
    return ns_error_set(err, NS_ERR_NOT_FOUND, "no built-in schema '%s'; "
                        "expected kaggle-noshow or doctolib", name);
}

enum ns_err schema_from_spec(const char *spec, struct schema **out,
                             struct ns_error *err)
{
    for (size_t i = 0; builtin_names[i]; i++) {
        if (strcmp(builtin_names[i], spec) == 0)
            return schema_builtin(spec, out, err);
    }
    return schema_load_file(spec, out, err);
}

int schema_find_role(const struct schema *s, enum schema_role role)
{
    for (size_t i = 0; i < s->ncols; i++) {
        if (s->cols[i].role == role)
            return (int)i;
    }
    return -1;
}

int schema_find_name(const struct schema *s, const char *name)
{
    for (size_t i = 0; i < s->ncols; i++) {
        if (strcmp(s->cols[i].name, name) == 0)
            return (int)i;
    }
    return -1;
}

static int header_find(const struct csv_row *h, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < h->nfields; i++) {
        if (h->fields[i].len == n && memcmp(h->fields[i].ptr, name, n) == 0)
            return (int)i;
    }
    return -1;
}

static enum ns_err check_duplicates(const struct csv_row *h,
                                    const char *where, struct ns_error *err)
{
    for (size_t i = 0; i < h->nfields; i++) {
        for (size_t j = i + 1; j < h->nfields; j++) {
            if (h->fields[i].len != h->fields[j].len ||
                memcmp(h->fields[i].ptr, h->fields[j].ptr,
                       h->fields[i].len) != 0)
                continue;
            return ns_error_set(err, NS_ERR_INVALID,
                                "%s%s%ld:%zu: column '%.*s' appears twice "
                                "in the header (fields %zu and %zu); "
                                "expected unique column names",
                                where ? where : "line ", where ? ":" : "",
                                h->line, j + 1, (int)h->fields[j].len,
                                h->fields[j].ptr, i + 1, j + 1);
        }
    }
    return NS_OK;
}

/* A message assembled piece by piece; what does not fit is cut. */
struct msg {
    char s[1024];
    size_t len;
};

static void msg_add(struct msg *m, const char *fmt, ...) NS_PRINTF(2, 3);

static void msg_add(struct msg *m, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (m->len + 1 >= sizeof(m->s))
        return;
    va_start(ap, fmt);
    n = vsnprintf(m->s + m->len, sizeof(m->s) - m->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        m->len += (size_t)n;
    if (m->len >= sizeof(m->s))
        m->len = sizeof(m->s) - 1;
}

/* Lists are cut short past this many bytes so that every part of a
 * message fits. */
#define LIST_MAX 250

/* Appends "'a', 'b'" for the header fields. */
static void list_header(struct msg *b, const struct csv_row *h)
{
    size_t start = b->len;

    for (size_t i = 0; i < h->nfields; i++) {
        if (b->len - start > LIST_MAX) {
            msg_add(b, ", ... (%zu in all)", h->nfields);
            return;
        }
        msg_add(b, "%s'%.*s'", i ? ", " : "",
                            (int)h->fields[i].len, h->fields[i].ptr);
    }
}

/* Appends the required columns of s missing from h; returns how many. */
static size_t list_missing(struct msg *b, const struct schema *s,
                           const struct csv_row *h)
{
    size_t n = 0, shown = 0, start = b ? b->len : 0;

    for (size_t i = 0; i < s->ncols; i++) {
        if (!s->cols[i].required || header_find(h, s->cols[i].name) >= 0)
            continue;
        if (b && b->len - start <= LIST_MAX) {
            msg_add(b, "%s'%s'", n ? ", " : "", s->cols[i].name);
            shown++;
        }
        n++;
    }
    if (b && shown < n)
        msg_add(b, ", ... (%zu in all)", n);
    return n;
}

static size_t count_present(const struct schema *s, const struct csv_row *h)
{
    size_t n = 0;

    for (size_t i = 0; i < s->ncols; i++)
        n += header_find(h, s->cols[i].name) >= 0;
    return n;
}

static enum ns_err detect_failed(struct schema **all, size_t nall,
                                 const struct csv_row *h,
                                 struct ns_error *err)
{
    struct msg b = {{0}, 0};

    msg_add(&b, "line %ld: no built-in schema fits the header; "
                        "columns found: ", h->line);
    list_header(&b, h);
    for (size_t i = 0; i < nall; i++) {
        msg_add(&b, "; %s lacks ", all[i]->name);
        list_missing(&b, all[i], h);
    }
    msg_add(&b, "; expected a header with a built-in schema's "
                      "columns, or --schema FILE");
    return ns_error_set(err, NS_ERR_INVALID, "%s", b.s);
}

enum ns_err schema_detect(const struct csv_row *header, struct schema **out,
                          struct ns_error *err)
{
    struct schema *all[sizeof(builtin_texts) / sizeof(builtin_texts[0])];
    size_t nall = 0, best = 0, best_present = 0;
    bool found = false;
    enum ns_err rc;

    *out = NULL;
    rc = check_duplicates(header, NULL, err);
    if (rc != NS_OK)
        return rc;
    for (; builtin_names[nall]; nall++) {
        rc = schema_builtin(builtin_names[nall], &all[nall], err);
        if (rc != NS_OK)
            goto out;
        if (list_missing(NULL, all[nall], header) == 0 &&
            (!found || count_present(all[nall], header) > best_present)) {
            found = true;
            best = nall;
            best_present = count_present(all[nall], header);
        }
    }
    if (!found) {
        rc = detect_failed(all, nall, header, err);
        goto out;
    }
    *out = all[best];
    all[best] = NULL;
out:
    for (size_t i = 0; i < nall; i++)
        schema_free(all[i]);
    return rc;
}

enum ns_err schema_bind(const struct schema *s, const struct csv_row *header,
                        const char *file, struct schema_binding **out,
                        struct ns_error *err)
{
    struct schema_binding *b = NULL;
    struct msg msg = {{0}, 0};
    enum ns_err rc;

    *out = NULL;
    file = file ? file : "input";
    rc = check_duplicates(header, file, err);
    if (rc != NS_OK)
        return rc;
    if (list_missing(NULL, s, header) > 0) {
        msg_add(&msg, "%s:%ld: missing required column(s) ",
                            file, header->line);
        list_missing(&msg, s, header);
        msg_add(&msg, " of schema %s; columns found: ",
                            s->name);
        list_header(&msg, header);
        return ns_error_set(err, NS_ERR_INVALID, "%s", msg.s);
    }
    b = calloc(1, sizeof(*b));
    if (b == NULL ||
        (b->field_of_col = calloc(s->ncols ? s->ncols : 1,
                                  sizeof(int))) == NULL) {
        free(b);
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", file);
    }
    b->nfields = header->nfields;
    for (size_t i = 0; i < s->ncols; i++)
        b->field_of_col[i] = header_find(header, s->cols[i].name);
    *out = b;
    return NS_OK;
}

void schema_binding_free(struct schema_binding *b)
{
    if (b == NULL)
        return;
    free(b->field_of_col);
    free(b);
}
