/* Cleaning of raw values into typed records, the drop report, exact
 * duplicate detection and the rejects writer. */
#include "data/clean.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/outfile.h"
#include "util/timeutil.h"

/* Bad values are quoted in messages up to this many bytes. */
#define SHOW_MAX 60
#define NUM_TEXT_MAX 64

static const char *const reason_keys[CLEAN_NREASONS] = {
    "ok",           "duplicate",     "field_count", "missing",
    "bad_value",    "out_of_range",  "negative_lead", "bad_label",
};

const char *clean_reason_key(enum clean_reason r)
{
    if ((unsigned)r < CLEAN_NREASONS)
        return reason_keys[r];
    return "unknown";
}

/* A value with the blanks around it removed. */
struct val {
    const char *p;
    size_t n;
};

static struct val trim(const struct csv_field *f)
{
    struct val v = {f->ptr, f->len};

    while (v.n > 0 && (*v.p == ' ' || *v.p == '\t')) {
        v.p++;
        v.n--;
    }
    while (v.n > 0 && (v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\t'))
        v.n--;
    return v;
}

static int show_len(struct val v)
{
    return (int)(v.n > SHOW_MAX ? SHOW_MAX : v.n);
}

static const char *show_more(struct val v)
{
    return v.n > SHOW_MAX ? "..." : "";
}

static enum ns_err bad(struct ns_error *err, enum clean_reason *reason,
                       enum clean_reason why,
                       const struct schema_column *c, struct val v,
                       const char *what, const char *expected)
{
    *reason = why;
    return ns_error_field(err, NS_ERR_INVALID, c->name,
                          "column '%s': value '%.*s%s' %s; expected %s",
                          c->name, show_len(v), v.p, show_more(v), what,
                          expected);
}

/* "an integer from 0 to 115", "a number of at least 0", ... */
static void describe_range(const struct schema_column *c, char *out,
                           size_t n)
{
    const char *kind = c->integer ? "an integer" : "a number";

    if (!isnan(c->min) && !isnan(c->max))
        snprintf(out, n, "%s from %g to %g", kind, c->min, c->max);
    else if (!isnan(c->min))
        snprintf(out, n, "%s of at least %g", kind, c->min);
    else if (!isnan(c->max))
        snprintf(out, n, "%s of at most %g", kind, c->max);
    else
        snprintf(out, n, "%s", kind);
}

/* Exact powers of ten: every one up to 1e22 is a double. */
static const double pow10_exact[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* The common plain decimal ("42", "-3.75", ".5") without strtod: with at
 * most 15 digits the digits form an exact integer m below 2^53, and
 * m / 10^k is one correctly rounded division of two exact doubles,
 * hence the very double strtod returns. False for anything else (an
 * exponent, a decimal comma, more digits), which strtod then reads. */
static bool parse_plain_decimal(struct val v, double *out)
{
    const char *p = v.p, *end = v.p + v.n;
    bool neg = false, dot = false;
    uint64_t m = 0;
    size_t digits = 0, frac = 0;

    if (p < end && (*p == '-' || *p == '+'))
        neg = *p++ == '-';
    for (; p < end; p++) {
        if (*p >= '0' && *p <= '9') {
            m = m * 10 + (uint64_t)(*p - '0');
            digits++;
            frac += dot;
        } else if (*p == '.' && !dot) {
            dot = true;
        } else {
            return false;
        }
    }
    if (digits == 0 || digits > 15)
        return false;
    *out = (double)m / pow10_exact[frac];
    if (neg)
        *out = -*out;
    return true;
}

/* strtod on a bounded copy, accepting one decimal comma ("3,5") as the
 * files written with ';' separators use, and refusing hex, inf and nan. */
static bool parse_num(struct val v, double *out)
{
    char tmp[NUM_TEXT_MAX];
    char *end;
    bool dot;

    if (v.n == 0 || v.n >= sizeof(tmp))
        return false;
    if (parse_plain_decimal(v, out))
        return true;
    dot = memchr(v.p, '.', v.n) != NULL;
    for (size_t i = 0; i < v.n; i++) {
        char c = v.p[i];

        if (c == ',' && !dot) {
            c = '.';
            dot = true;
        } else if (!(c >= '0' && c <= '9') && c != '.' && c != '-' &&
                   c != '+' && c != 'e' && c != 'E') {
            return false;
        }
        tmp[i] = c;
    }
    tmp[v.n] = '\0';
    errno = 0;
    *out = strtod(tmp, &end);
    return *end == '\0' && errno == 0 && isfinite(*out);
}

static bool word_is(struct val v, const char *w)
{
    return strlen(w) == v.n && strncasecmp(v.p, w, v.n) == 0;
}

static enum ns_err clean_binary(const struct schema_column *c, struct val v,
                                double *out, enum clean_reason *reason,
                                struct ns_error *err)
{
    /* Nearly every file writes 0 and 1: answer those without the
     * case-folding compares. */
    if (v.n == 1 && (v.p[0] == '0' || v.p[0] == '1')) {
        *out = v.p[0] == '1';
        return NS_OK;
    }
    if (word_is(v, "1") || word_is(v, "yes") || word_is(v, "true")) {
        *out = 1;
        return NS_OK;
    }
    if (word_is(v, "0") || word_is(v, "no") || word_is(v, "false")) {
        *out = 0;
        return NS_OK;
    }
    return bad(err, reason, CLEAN_BAD_VALUE, c, v, "is not binary",
               "0 or 1 (also yes/no, true/false)");
}

static enum ns_err clean_numeric(const struct schema_column *c,
                                 struct val v, double *out,
                                 enum clean_reason *reason,
                                 struct ns_error *err)
{
    enum clean_reason why = CLEAN_BAD_VALUE;
    const char *what;
    char range[128];
    double x;

    if (!parse_num(v, &x))
        what = "is not a number";
    else if (c->integer && x != floor(x))
        what = "is not an integer";
    else if ((!isnan(c->min) && x < c->min) ||
             (!isnan(c->max) && x > c->max)) {
        what = "is out of range";
        why = CLEAN_OUT_OF_RANGE;
    } else {
        *out = x;
        return NS_OK;
    }
    /* Formatting the range is slow; only failures need it. */
    describe_range(c, range, sizeof(range));
    return bad(err, reason, why, c, v, what, range);
}

static bool in_list(struct val v, const char list[][SCHEMA_NAME_MAX],
                    size_t n, bool fold)
{
    for (size_t i = 0; i < n; i++) {
        if (strlen(list[i]) != v.n)
            continue;
        if (fold ? strncasecmp(v.p, list[i], v.n) == 0
                 : memcmp(v.p, list[i], v.n) == 0)
            return true;
    }
    return false;
}

/* Exact spellings first, then the same ignoring case. */
static enum ns_err clean_target(const struct schema_column *c, struct val v,
                                int *label, enum clean_reason *reason,
                                struct ns_error *err)
{
    char expected[160];

    for (int fold = 0; fold < 2; fold++) {
        if (in_list(v, c->positive, c->npositive, fold)) {
            *label = 1;
            return NS_OK;
        }
        if (in_list(v, c->negative, c->nnegative, fold)) {
            *label = 0;
            return NS_OK;
        }
    }
    snprintf(expected, sizeof(expected), "%s (positive) or %s (negative)",
             c->positive[0], c->negative[0]);
    return bad(err, reason, CLEAN_BAD_LABEL, c, v, "is not a known outcome",
               expected);
}

static enum ns_err clean_dates(const struct schema_column *c, struct val v,
                               struct record *r, bool time_column,
                               enum clean_reason *reason,
                               struct ns_error *err)
{
    int64_t t;

    if (c->role == ROLE_BOOKED_AT) {
        if (ns_parse_datetime(v.p, v.n, &r->booked_at) != NS_OK)
            return bad(err, reason, CLEAN_BAD_VALUE, c, v,
                       "is not a date-time", "YYYY-MM-DD[THH:MM[:SS]][Z] "
                       "or DD/MM/YYYY [HH:MM[:SS]]");
        return NS_OK;
    }
    if (c->role == ROLE_APPT_TIME) {
        if (ns_parse_time_of_day(v.p, v.n, &r->appt_time) != NS_OK)
            return bad(err, reason, CLEAN_BAD_VALUE, c, v,
                       "is not a time of day", "HH:MM or HH:MM:SS");
        return NS_OK;
    }
    /* One parse for both the day and the time of day (ns_parse_date()
     * would parse it again): this runs for every row of a file. */
    if (ns_parse_datetime(v.p, v.n, &t) != NS_OK)
        return bad(err, reason, CLEAN_BAD_VALUE, c, v, "is not a date",
                   "YYYY-MM-DD or DD/MM/YYYY");
    r->appt_day = ns_day_of(t);
    /* LIMITATION: an appointment date-time at exactly midnight is read
     * as a date without a time of day, because exports such as the
     * Kaggle file write every date as T00:00:00Z. A real midnight
     * appointment therefore loses its time of day (appt_time stays -1).
     * Telling them apart needs a schema option saying whether the time
     * part is meaningful. */
    if (!time_column && ns_second_of_day(t) != 0)
        r->appt_time = ns_second_of_day(t);
    return NS_OK;
}

/* An empty value: the column's missing policy decides. */
static enum ns_err clean_missing(const struct schema_column *c, size_t i,
                                 bool need_label, struct record *r,
                                 enum clean_reason *reason,
                                 struct ns_error *err)
{
    struct val none = {"", 0};

    if (c->role == ROLE_TARGET) {
        if (need_label)
            return bad(err, reason, CLEAN_MISSING, c, none, "is empty",
                       "an outcome for training");
        return NS_OK;
    }
    if (c->missing == MISSING_KEEP)
        return NS_OK;
    if (c->missing == MISSING_DROP)
        return bad(err, reason, CLEAN_MISSING, c, none, "is empty",
                   "a value (the schema drops rows missing it)");
    if (c->role == ROLE_CATEGORICAL)
        r->text[i] = c->impute_text;
    else
        r->num[i] = c->impute_num;
    return NS_OK;
}

/* v is the trimmed value, raw the field as read. */
static enum ns_err clean_one(const struct schema *s, size_t i, struct val v,
                             const char *raw, bool time_column,
                             struct record *r,
                             enum clean_reason *reason,
                             struct ns_error *err)
{
    const struct schema_column *c = &s->cols[i];

    switch (c->role) {
    case ROLE_IGNORE:
        return NS_OK;
    case ROLE_TARGET:
        return clean_target(c, v, &r->label, reason, err);
    /* LIMITATION: identifiers and categories keep the blanks around
     * them ("F " and "F" are two categories), because r borrows the
     * reader's NUL-terminated bytes and a trimmed end is not
     * terminated. Trimming needs the values copied into storage the
     * record owns. */
    case ROLE_APPT_ID:
        r->appt_id = raw;
        return NS_OK;
    case ROLE_PATIENT_ID:
        r->patient = raw;
        return NS_OK;
    case ROLE_BOOKED_AT:
    case ROLE_APPT_DATE:
    case ROLE_APPT_TIME:
        return clean_dates(c, v, r, time_column, reason, err);
    case ROLE_BINARY:
        return clean_binary(c, v, &r->num[i], reason, err);
    case ROLE_NUMERIC:
        return clean_numeric(c, v, &r->num[i], reason, err);
    case ROLE_CATEGORICAL:
        r->text[i] = raw;
        return NS_OK;
    }
    return NS_OK;
}

static enum ns_err check_lead(const struct schema *s, const struct record *r,
                              enum clean_reason *reason,
                              struct ns_error *err)
{
    int ai = schema_find_role(s, ROLE_APPT_DATE);
    int bi = schema_find_role(s, ROLE_BOOKED_AT);
    char appt[11], booked[11];

    if (ai < 0 || bi < 0 || r->appt_day == NS_DAY_NONE ||
        r->booked_at == NS_TIME_NONE ||
        r->appt_day >= ns_day_of(r->booked_at))
        return NS_OK;
    ns_format_date(r->appt_day, appt);
    ns_format_date(ns_day_of(r->booked_at), booked);
    *reason = CLEAN_NEGATIVE_LEAD;
    return ns_error_field(err, NS_ERR_INVALID, s->cols[ai].name,
                          "column '%s': appointment day %s is before the "
                          "booking day %s (column '%s'); expected an "
                          "appointment on or after the day it was booked",
                          s->cols[ai].name, appt, booked, s->cols[bi].name);
}

enum ns_err clean_values(const struct schema *s,
                         const struct csv_field *vals, bool need_label,
                         struct record *r, enum clean_reason *reason,
                         struct ns_error *err)
{
    int ti = schema_find_role(s, ROLE_APPT_TIME);
    bool time_column = ti >= 0 && vals[ti].ptr != NULL;
    const struct val none = {"", 0};
    enum ns_err rc;

    record_reset(r);
    *reason = CLEAN_OK;
    for (size_t i = 0; i < s->ncols; i++) {
        const struct schema_column *c = &s->cols[i];
        struct val v;

        if (vals[i].ptr == NULL) {
            if (c->role == ROLE_TARGET && need_label)
                return bad(err, reason, CLEAN_MISSING, c, none,
                           "is absent from the input",
                           "an outcome for training");
            continue;
        }
        v = trim(&vals[i]);
        if (v.n == 0)
            rc = clean_missing(c, i, need_label, r, reason, err);
        else
            rc = clean_one(s, i, v, vals[i].ptr, time_column, r, reason,
                           err);
        if (rc != NS_OK)
            return rc;
    }
    return check_lead(s, r, reason, err);
}

enum ns_err clean_csv_row(const struct schema *s,
                          const struct schema_binding *b, const char *file,
                          const struct csv_row *row, bool need_label,
                          struct record *r, enum clean_reason *reason,
                          struct ns_error *err)
{
    struct csv_field vals[SCHEMA_MAX_COLUMNS];
    enum ns_err rc;
    int ci;

    if (row->nfields != b->nfields) {
        record_reset(r);
        r->line = row->line;
        *reason = CLEAN_FIELD_COUNT;
        return ns_error_set(err, NS_ERR_INVALID,
                            "%s:%ld:%zu: row has %zu fields; expected %zu "
                            "as in the header", file, row->line,
                            (row->nfields < b->nfields ? row->nfields
                                                       : b->nfields) + 1,
                            row->nfields, b->nfields);
    }
    for (size_t i = 0; i < s->ncols && i < SCHEMA_MAX_COLUMNS; i++) {
        int f = b->field_of_col[i];

        vals[i].ptr = f >= 0 ? row->fields[f].ptr : NULL;
        vals[i].len = f >= 0 ? row->fields[f].len : 0;
    }
    rc = clean_values(s, vals, need_label, r, reason, err);
    r->line = row->line;
    if (rc == NS_OK)
        return NS_OK;
    ci = err ? schema_find_name(s, err->field) : -1;
    ns_error_prefix(err, "%s:%ld:%d", file, row->line,
                    ci >= 0 && b->field_of_col[ci] >= 0
                        ? b->field_of_col[ci] + 1 : 1);
    return rc;
}

void clean_report_add(struct clean_report *rep, enum clean_reason reason)
{
    rep->rows_read++;
    if (reason == CLEAN_OK)
        rep->rows_kept++;
    else if ((unsigned)reason < CLEAN_NREASONS)
        rep->dropped[reason]++;
}

void clean_report_print(const struct clean_report *rep, FILE *f)
{
    fprintf(f, "kept %zu of %zu rows; dropped:", rep->rows_kept,
            rep->rows_read);
    for (int i = 1; i < CLEAN_NREASONS; i++)
        fprintf(f, " %s=%zu", reason_keys[i], rep->dropped[i]);
    fputc('\n', f);
}

/* === Duplicates: a set of 128-bit row fingerprints === */

struct clean_dedup {
    struct clean_fp *slots;
    size_t cap, count;  /* cap is a power of two */
};

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* Two independent lanes over the bytes, folding 8 bytes at a time; the
 * last partial word carries its length so trailing zeros count. */
static void fold(struct clean_fp *h, uint64_t w)
{
    /* One multiply per lane per word; mix() finishes the whole row. */
    h->a = (h->a ^ w) * 0x9e3779b97f4a7c15ULL;
    h->a ^= h->a >> 29;
    h->b = (h->b + w) * 0xc2b2ae3d27d4eb4fULL;
    h->b ^= h->b >> 31;
}

/* The r = n % 8 last bytes of p[0..n) in the low bytes of a word, as a
 * copy into a zeroed word gives them on a little-endian machine. A
 * copy of variable length goes through memory and stalls the load
 * after it, once per field of every row; a whole-word read of the end
 * shifted down does not. */
static uint64_t tail_word(const char *p, size_t n, size_t r)
{
    uint64_t w = 0;

    if (r == 0)
        return 0;
    if (n >= 8) {
        memcpy(&w, p + n - 8, 8);
        return w >> (8 * (8 - r));
    }
    for (size_t k = 0; k < r; k++)
        w |= (uint64_t)(unsigned char)p[n - r + k] << (8 * k);
    return w;
}

static void hash_bytes(struct clean_fp *h, const char *p, size_t n)
{
    uint64_t w = 0;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        memcpy(&w, p + i, 8);
        fold(h, w);
    }
    fold(h, tail_word(p, n, n - i) ^ ((uint64_t)(n - i) << 59));
}

static struct clean_fp row_fingerprint(const struct csv_row *row)
{
    struct clean_fp h = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};

    for (size_t i = 0; i < row->nfields; i++) {
        /* The length acts as separator, so "a,bc" and "ab,c" differ. */
        fold(&h, row->fields[i].len);
        hash_bytes(&h, row->fields[i].ptr, row->fields[i].len);
    }
    h.a = mix(h.a ^ row->nfields);
    h.b = mix(h.b + row->nfields);
    if (h.a == 0 && h.b == 0)
        h.b = 1;
    return h;
}

struct clean_fp clean_row_fp(const struct csv_row *row)
{
    return row_fingerprint(row);
}

struct clean_fp clean_text_fp(const char *p, size_t len)
{
    struct clean_fp h = {0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL};

    fold(&h, len);
    hash_bytes(&h, p, len);
    h.a = mix(h.a);
    h.b = mix(h.b);
    return h;
}

struct clean_dedup *clean_dedup_new(void)
{
    struct clean_dedup *d = calloc(1, sizeof(*d));

    if (d == NULL)
        return NULL;
    d->cap = 1024;
    d->slots = calloc(d->cap, sizeof(*d->slots));
    if (d->slots == NULL) {
        free(d);
        return NULL;
    }
    return d;
}

/* Finds the slot of h: where it is, or the empty slot where it belongs. */
static struct clean_fp *slot_of(struct clean_fp *slots, size_t cap,
                                struct clean_fp h)
{
    size_t i = h.a & (cap - 1);

    while (slots[i].a != 0 || slots[i].b != 0) {
        if (slots[i].a == h.a && slots[i].b == h.b)
            return &slots[i];
        i = (i + 1) & (cap - 1);
    }
    return &slots[i];
}

static enum ns_err dedup_grow(struct clean_dedup *d)
{
    size_t cap = d->cap * 2;
    struct clean_fp *slots = calloc(cap, sizeof(*slots));

    if (slots == NULL)
        return NS_ERR_NOMEM;
    for (size_t i = 0; i < d->cap; i++) {
        if (d->slots[i].a != 0 || d->slots[i].b != 0)
            *slot_of(slots, cap, d->slots[i]) = d->slots[i];
    }
    free(d->slots);
    d->slots = slots;
    d->cap = cap;
    return NS_OK;
}

static enum ns_err dedup_add(struct clean_dedup *d, struct clean_fp h,
                             bool *dup)
{
    struct clean_fp *slot;

    /* Up to three quarters full: probes stay within a cache line or
     * two, and the table (the largest per-row memory of a clean run)
     * doubles less often than at half full. */
    if ((d->count + 1) * 4 > d->cap * 3 && dedup_grow(d) != NS_OK)
        return NS_ERR_NOMEM;
    slot = slot_of(d->slots, d->cap, h);
    *dup = slot->a != 0 || slot->b != 0;
    if (!*dup) {
        *slot = h;
        d->count++;
    }
    return NS_OK;
}

enum ns_err clean_dedup_check(struct clean_dedup *d,
                              const struct csv_row *row, bool *dup)
{
    return dedup_add(d, row_fingerprint(row), dup);
}

void clean_dedup_free(struct clean_dedup *d)
{
    if (d == NULL)
        return;
    free(d->slots);
    free(d);
}

/* === Rejects file === */

struct clean_rejects {
    struct ns_outfile out;
    FILE *f;        /* out.f */
    char sep;
    size_t width;   /* header fields */
};

enum ns_err clean_rejects_open(const char *path, const struct csv_row *header,
                               char sep, struct clean_rejects **out,
                               struct ns_error *err)
{
    static const struct csv_field extra[] = {
        {"reject_line", 11}, {"reject_reason", 13}, {"reject_detail", 13},
    };
    struct clean_rejects *rj = calloc(1, sizeof(*rj));
    int e;

    *out = NULL;
    if (rj == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", path);
    rj->sep = sep ? sep : ',';
    rj->width = header->nfields;
    if (ns_outfile_open(&rj->out, path, err) != NS_OK) {
        free(rj);
        return NS_ERR_IO;
    }
    rj->f = rj->out.f;
    for (size_t i = 0; i < header->nfields; i++) {
        if (csv_write_field(rj->f, rj->sep, header->fields[i].ptr,
                            header->fields[i].len) != NS_OK ||
            putc(rj->sep, rj->f) == EOF)
            break;
    }
    if (csv_write_row(rj->f, rj->sep, extra, 3) != NS_OK) {
        e = errno;
        (void)clean_rejects_close(rj, false);
        return ns_error_set(err, NS_ERR_IO, "%s: write failed: %s", path,
                            strerror(e));
    }
    *out = rj;
    return NS_OK;
}

enum ns_err clean_rejects_write(struct clean_rejects *rj,
                                const struct csv_row *row,
                                enum clean_reason reason, const char *detail)
{
    char line[32];
    struct csv_field tail[3];
    size_t n = row->nfields < rj->width ? row->nfields : rj->width;

    /* LIMITATION: a row with more fields than the header is written with
     * only the header's width of fields, so the reject columns stay
     * aligned; the extra fields are lost from the rejects file (the
     * detail still says how many there were). Keeping them needs extra
     * unnamed columns in the rejects header. */
    for (size_t i = 0; i < rj->width; i++) {
        const struct csv_field *f = i < n ? &row->fields[i] : NULL;

        if (f && csv_write_field(rj->f, rj->sep, f->ptr, f->len) != NS_OK)
            return NS_ERR_IO;
        if (putc(rj->sep, rj->f) == EOF)
            return NS_ERR_IO;
    }
    snprintf(line, sizeof(line), "%ld", row->line);
    tail[0].ptr = line;
    tail[0].len = strlen(line);
    tail[1].ptr = clean_reason_key(reason);
    tail[1].len = strlen(tail[1].ptr);
    tail[2].ptr = detail ? detail : "";
    tail[2].len = strlen(tail[2].ptr);
    return csv_write_row(rj->f, rj->sep, tail, 3);
}

enum ns_err clean_rejects_close(struct clean_rejects *rj, bool keep)
{
    struct ns_error ignored;
    enum ns_err rc = NS_OK;

    if (rj == NULL)
        return NS_OK;
    if (keep)
        rc = ns_outfile_commit(&rj->out, &ignored);
    else
        ns_outfile_abort(&rj->out);
    free(rj);
    return rc;
}
