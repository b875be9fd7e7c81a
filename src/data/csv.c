/* Streaming CSV reader on libcsv, and the writer. Input is read in 64 KiB
 * chunks; each chunk is cut at line feeds and the pieces go to libcsv one
 * by one, so the physical line of every byte is known. Completed records
 * wait in a small queue that csv_reader_next() drains. */
#include "data/csv.h"

#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

#define CHUNK_SIZE (64u * 1024u)

/* libcsv keeps its state in the public struct; 0 means no row has begun
 * (only line breaks were seen since the last record ended). */
#define LIBCSV_ROW_NOT_BEGUN 0

/* One record: its fields stored back to back, each followed by a NUL. */
struct rec {
    struct ns_buf bytes;
    size_t *lens;
    size_t nfields, capf;
    long line;
    bool plain;         /* read by quick_line(): no field needs quotes */
};

struct csv_reader {
    char *name;
    FILE *f;
    bool own_f;
    const char *mem;        /* borrowed input in memory mode */
    size_t mem_len, mem_pos;
    char *buf;              /* the chunk read from f */
    const char *chunk;      /* current chunk: buf or a view of mem */
    size_t chunk_len, chunk_pos;
    bool eof, finished, started;
    struct csv_parser p;
    bool p_init;
    char sep;
    bool explicit_sep;
    size_t max_record;
    long line;              /* physical line of the piece being parsed */
    long rec_start;         /* line where the record being built began */
    size_t rec_fed;         /* bytes given to libcsv for that record */
    struct rec build;
    struct rec *q;          /* completed records, q[qhead..qcount) */
    size_t qhead, qcount, qcap;
    struct rec cur;         /* the record handed out last */
    struct csv_field *out;
    size_t outcap;
    struct csv_row row;
    long nrecords;
    enum ns_err status;     /* sticky: once failed, always failed */
    struct ns_error saved;
};

static void rec_free(struct rec *r)
{
    ns_buf_free(&r->bytes);
    free(r->lens);
    memset(r, 0, sizeof(*r));
}

/* Records the length of the next field of r, whose bytes are already in
 * r->bytes. */
static bool rec_note_field(struct rec *r, size_t len)
{
    if (r->nfields == r->capf) {
        size_t capf = r->capf ? r->capf * 2 : 16;
        size_t *l = realloc(r->lens, capf * sizeof(*l));

        if (l == NULL)
            return false;
        r->lens = l;
        r->capf = capf;
    }
    r->lens[r->nfields++] = len;
    return true;
}

static bool rec_add(struct rec *r, const char *s, size_t len)
{
    /* Each field keeps its own NUL inside the buffer. Checking the room
     * here saves a call per field, which shows on a large file. */
    if (r->bytes.len + len + 2 > r->bytes.cap &&
        ns_buf_reserve(&r->bytes, len + 1) != NS_OK)
        return false;
    if (len > 0)
        memcpy(r->bytes.data + r->bytes.len, s, len);
    r->bytes.data[r->bytes.len + len] = '\0';
    r->bytes.len += len + 1;
    return rec_note_field(r, len);
}

static enum ns_err fail(struct csv_reader *r, enum ns_err code,
                        const char *fmt, ...) NS_PRINTF(3, 4);

static enum ns_err fail(struct csv_reader *r, enum ns_err code,
                        const char *fmt, ...)
{
    va_list ap;

    if (r->status != NS_OK)
        return r->status;
    r->status = code;
    r->saved.code = code;
    r->saved.field[0] = '\0';
    va_start(ap, fmt);
    vsnprintf(r->saved.msg, sizeof(r->saved.msg), fmt, ap);
    va_end(ap);
    return code;
}

/* Index of the first byte that starts an invalid UTF-8 sequence (or is a
 * NUL, which would cut the NUL-terminated field short), or len. */
static size_t utf8_check(const unsigned char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        unsigned char c = s[i];
        unsigned char lo = 0x80, hi = 0xBF;
        size_t n;

        if (c >= 0x01 && c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            n = 1;
        else if (c >= 0xE0 && c <= 0xEF)
            n = 2;
        else if (c >= 0xF0 && c <= 0xF4)
            n = 3;
        else
            return i;
        /* Overlong forms, surrogates and code points past U+10FFFF. */
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
        else if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
        if (i + n >= len)
            return i;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return i;
        for (size_t k = 2; k <= n; k++) {
            if (s[i + k] < 0x80 || s[i + k] > 0xBF)
                return i;
        }
        i += n + 1;
    }
    return len;
}

/* The physical line of byte at of a field that ends on line r->line. */
static long line_of_byte(const struct csv_reader *r, const char *s,
                         size_t len, size_t at)
{
    long line = r->line;

    for (size_t i = at; i < len; i++) {
        if (s[i] == '\n')
            line--;
    }
    return line;
}

static void on_field(void *s, size_t len, void *data)
{
    struct csv_reader *r = data;
    const char *f = s ? s : "";
    size_t bad;

    if (r->status != NS_OK)
        return;
    if (r->build.nfields == 0)
        r->build.line = r->rec_start;
    if (r->build.bytes.len + len + 1 > r->max_record) {
        fail(r, NS_ERR_TOO_LARGE,
             "%s:%ld:1: record longer than %zu bytes (unterminated quote?)",
             r->name, r->build.line, r->max_record);
        return;
    }
    bad = utf8_check((const unsigned char *)f, len);
    if (bad < len) {
        unsigned char c = (unsigned char)f[bad];

        fail(r, NS_ERR_PARSE,
             "%s:%ld:%zu: invalid UTF-8 byte 0x%02X at byte %zu of the "
             "field; expected UTF-8 text (save the file as UTF-8)",
             r->name, line_of_byte(r, f, len, bad), r->build.nfields + 1,
             c, bad + 1);
        return;
    }
    if (!rec_add(&r->build, f, len))
        fail(r, NS_ERR_NOMEM, "%s:%ld: out of memory reading a record",
             r->name, r->build.line);
}

static void on_record(int c, void *data)
{
    struct csv_reader *r = data;
    struct rec tmp;

    (void)c;
    if (r->status != NS_OK)
        return;
    if (r->qcount == r->qcap) {
        size_t cap = r->qcap ? r->qcap * 2 : 4;
        struct rec *q = realloc(r->q, cap * sizeof(*q));

        if (q == NULL) {
            fail(r, NS_ERR_NOMEM, "%s:%ld: out of memory queueing a record",
                 r->name, r->build.line);
            return;
        }
        memset(q + r->qcap, 0, (cap - r->qcap) * sizeof(*q));
        r->q = q;
        r->qcap = cap;
    }
    /* Swap, so the queue slot's old buffers are reused for the next. */
    tmp = r->q[r->qcount];
    r->q[r->qcount++] = r->build;
    r->build = tmp;
    r->q[r->qcount - 1].plain = false;
    ns_buf_reset(&r->build.bytes);
    r->build.nfields = 0;
    r->rec_fed = 0;
}

/* Counts ',' and ';' outside quotes on the first non-blank line of the
 * chunk. */
static char detect_sep(const char *s, size_t n)
{
    size_t commas = 0, semis = 0, i = 0;
    bool quoted = false;

    while (i < n && (s[i] == '\n' || s[i] == '\r'))
        i++;
    for (; i < n; i++) {
        if (s[i] == '"')
            quoted = !quoted;
        else if (!quoted && (s[i] == '\n' || s[i] == '\r'))
            break;
        else if (!quoted && s[i] == ',')
            commas++;
        else if (!quoted && s[i] == ';')
            semis++;
    }
    return semis > commas ? ';' : ',';
}

/* RFC 4180 keeps spaces; libcsv would trim them without this. */
static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static enum ns_err reader_new(const char *name, const struct csv_opts *opts,
                              struct csv_reader **out, struct ns_error *err)
{
    struct csv_reader *r = calloc(1, sizeof(*r));

    *out = NULL;
    if (r == NULL || (r->name = strdup(name)) == NULL) {
        free(r);
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", name);
    }
    if (opts && opts->sep != 0 && opts->sep != ',' && opts->sep != ';') {
        free(r->name);
        free(r);
        return ns_error_set(err, NS_ERR_INVALID,
                            "%s: separator '%c' is not supported; expected "
                            "',' or ';'", name, opts->sep);
    }
    r->sep = opts ? opts->sep : 0;
    r->explicit_sep = r->sep != 0;
    r->max_record = opts && opts->max_record ? opts->max_record
                                             : CSV_DEFAULT_MAX_RECORD;
    r->line = 1;
    if (csv_init(&r->p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)
        != 0) {
        free(r->name);
        free(r);
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", name);
    }
    r->p_init = true;
    csv_set_space_func(&r->p, no_space);
    /* libcsv grows its field buffer by this step (128 bytes by default),
     * which makes a megabyte-long field cost thousands of copies. */
    csv_set_blk_size(&r->p, CHUNK_SIZE);
    *out = r;
    return NS_OK;
}

enum ns_err csv_reader_open(const char *path, const struct csv_opts *opts,
                            struct csv_reader **out, struct ns_error *err)
{
    struct csv_reader *r = NULL;
    enum ns_err rc;
    int e;

    rc = reader_new(path, opts, &r, err);
    if (rc != NS_OK)
        return rc;
    r->buf = malloc(CHUNK_SIZE);
    if (r->buf == NULL) {
        csv_reader_close(r);
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", path);
    }
    if (strcmp(path, "-") == 0) {
        r->f = stdin;
    } else {
        r->f = fopen(path, "rb");
        r->own_f = true;
    }
    if (r->f == NULL) {
        e = errno;
        csv_reader_close(r);
        return ns_error_set(err, NS_ERR_IO, "%s: cannot open: %s", path,
                            strerror(e));
    }
    *out = r;
    return NS_OK;
}

enum ns_err csv_reader_open_file(FILE *f, const char *name,
                                 const struct csv_opts *opts,
                                 struct csv_reader **out,
                                 struct ns_error *err)
{
    struct csv_reader *r = NULL;
    enum ns_err rc;

    rc = reader_new(name, opts, &r, err);
    if (rc != NS_OK)
        return rc;
    r->buf = malloc(CHUNK_SIZE);
    if (r->buf == NULL) {
        csv_reader_close(r);
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", name);
    }
    r->f = f;
    *out = r;
    return NS_OK;
}

enum ns_err csv_reader_open_mem(const char *data, size_t len,
                                const char *name,
                                const struct csv_opts *opts,
                                struct csv_reader **out,
                                struct ns_error *err)
{
    struct csv_reader *r = NULL;
    enum ns_err rc;

    rc = reader_new(name ? name : "(memory)", opts, &r, err);
    if (rc != NS_OK)
        return rc;
    r->mem = data ? data : "";
    r->mem_len = data ? len : 0;
    *out = r;
    return NS_OK;
}

/* Loads the next chunk; false at the end of the input or on error. */
static bool next_chunk(struct csv_reader *r)
{
    size_t n;
    int e;

    if (r->f == NULL) {
        n = r->mem_len - r->mem_pos;
        if (n > CHUNK_SIZE)
            n = CHUNK_SIZE;
        r->chunk = r->mem + r->mem_pos;
        r->mem_pos += n;
    } else {
        n = fread(r->buf, 1, CHUNK_SIZE, r->f);
        if (n == 0 && ferror(r->f)) {
            e = errno;
            fail(r, NS_ERR_IO, "%s:%ld: read failed: %s", r->name, r->line,
                 strerror(e));
            return false;
        }
        r->chunk = r->buf;
    }
    r->chunk_len = n;
    r->chunk_pos = 0;
    if (n > 0 && !r->started) {
        r->started = true;
        if (n >= 3 && memcmp(r->chunk, "\xEF\xBB\xBF", 3) == 0)
            r->chunk_pos = 3;
        if (r->sep == 0)
            r->sep = detect_sep(r->chunk + r->chunk_pos, n - r->chunk_pos);
        csv_set_delim(&r->p, (unsigned char)r->sep);
    }
    return n > 0;
}

static void finish(struct csv_reader *r)
{
    bool open_row = r->p.pstate != LIBCSV_ROW_NOT_BEGUN;

    r->finished = true;
    if (csv_fini(&r->p, on_field, on_record, r) != 0 && open_row)
        fail(r, NS_ERR_PARSE,
             "%s:%ld:%zu: unterminated quoted field: the record starting "
             "on line %ld reaches the end of the file; expected a closing "
             "quote", r->name, r->rec_start, r->build.nfields + 1,
             r->rec_start);
}

/* Word-at-a-time scanning: a 64-bit word holds 8 bytes of the line. */
#define ONES 0x0101010101010101ULL
#define LOW7 0x7F7F7F7F7F7F7F7FULL

static uint64_t load8(const char *p)
{
    uint64_t w;

    memcpy(&w, p, 8);
    return w;
}

/* 0x80 in exactly the bytes of w that are zero (no false positives, so
 * several matches in one word can be walked). */
static uint64_t zero_bytes(uint64_t w)
{
    return ~(((w & LOW7) + LOW7) | w | LOW7);
}

/* Bytes equal to c. */
static uint64_t bytes_equal(uint64_t w, unsigned char c)
{
    return zero_bytes(w ^ (ONES * c));
}

/* True when s[0..n) holds no quote, no CR, no NUL and is valid UTF-8:
 * the conditions of quick_line(). Plain ASCII goes 8 bytes at a step;
 * from the first word that needs a closer look, the byte checks run. */
static bool quick_ok(const char *s, size_t n)
{
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        uint64_t w = load8(s + i);

        if ((bytes_equal(w, '"') | bytes_equal(w, '\r') | zero_bytes(w) |
             (w & ~LOW7)) != 0)
            break;
    }
    s += i;
    n -= i;
    return memchr(s, '"', n) == NULL && memchr(s, '\r', n) == NULL &&
           utf8_check((const unsigned char *)s, n) == n;
}

/* Splits the n bytes copied into r->build at separators, which become
 * the fields' NULs. Fields are short (a few bytes), so separators are
 * found 8 bytes at a time rather than by a call per field. */
static bool split_fields(struct csv_reader *r, size_t n)
{
    char *p = r->build.bytes.data;
    size_t i = 0, start = 0;

    for (; i + 8 <= n; i += 8) {
        uint64_t m = bytes_equal(load8(p + i), (unsigned char)r->sep);

        while (m != 0) {
            size_t at = i + (size_t)__builtin_ctzll(m) / 8;

            if (!rec_note_field(&r->build, at - start))
                return false;
            p[at] = '\0';
            start = at + 1;
            m &= m - 1;
        }
    }
    for (; i < n; i++) {
        if (p[i] != r->sep)
            continue;
        if (!rec_note_field(&r->build, i - start))
            return false;
        p[i] = '\0';
        start = i + 1;
    }
    return rec_note_field(&r->build, n - start);
}

/* Queues the line s[0..n) (its line feed excluded) as one record without
 * libcsv, when that gives the same result: a record starts here, the
 * line holds no quote and no carriage return other than a final one,
 * is valid UTF-8 and within the size limit. Returns false otherwise,
 * and the caller hands the line to libcsv, which also words any error.
 * One copy of the line replaces libcsv's per-byte callbacks and the
 * per-field copies, the bulk of the reading time on a large file. */
static bool quick_line(struct csv_reader *r, const char *s, size_t n)
{
    if (r->p.pstate != LIBCSV_ROW_NOT_BEGUN)
        return false;
    if (n > 0 && s[n - 1] == '\r')
        n--;
    if (n + 1 > r->max_record || !quick_ok(s, n))
        return false;
    if (n == 0)
        return true;            /* a blank line, skipped as libcsv does */
    r->build.line = r->line;
    r->build.nfields = 0;
    ns_buf_reset(&r->build.bytes);
    if (ns_buf_reserve(&r->build.bytes, n + 1) != NS_OK) {
        fail(r, NS_ERR_NOMEM, "%s:%ld: out of memory reading a record",
             r->name, r->line);
        return true;
    }
    memcpy(r->build.bytes.data, s, n);
    r->build.bytes.data[n] = '\0';
    r->build.bytes.len = n + 1;
    if (!split_fields(r, n)) {
        fail(r, NS_ERR_NOMEM, "%s:%ld: out of memory reading a record",
             r->name, r->line);
        return true;
    }
    on_record('\n', r);
    if (r->status == NS_OK)
        r->q[r->qcount - 1].plain = true;
    return true;
}

/* Gives libcsv the rest of the current line of the chunk.
 *
 * LIMITATION: lines are counted at line feeds only. A file whose lines
 * end with a bare carriage return is parsed correctly, but all of its
 * records report the same line number. Counting CRs as line ends too
 * needs the pieces cut at CR as well, with care for CRLF pairs split
 * across chunks. */
static void feed_piece(struct csv_reader *r)
{
    const char *s = r->chunk + r->chunk_pos;
    size_t avail = r->chunk_len - r->chunk_pos;
    const char *nl = memchr(s, '\n', avail);
    size_t n = nl ? (size_t)(nl - s) + 1 : avail;
    size_t used;

    if (nl && quick_line(r, s, n - 1)) {
        r->chunk_pos += n;
        r->line++;
        return;
    }
    if (r->p.pstate == LIBCSV_ROW_NOT_BEGUN) {
        r->rec_start = r->line;
        r->rec_fed = 0;
    }
    used = csv_parse(&r->p, s, n, on_field, on_record, r);
    if (r->status != NS_OK)
        return;
    if (used != n && csv_error(&r->p) != CSV_EPARSE) {
        fail(r, NS_ERR_NOMEM, "%s:%ld: out of memory parsing a field "
             "(libcsv: %s)", r->name, r->line,
             csv_strerror(csv_error(&r->p)));
        return;
    }
    if (used != n) {
        fail(r, NS_ERR_PARSE,
             "%s:%ld:%zu: malformed field (libcsv: %s): a quote inside an "
             "unquoted field, or text after a closing quote; expected the "
             "separator '%c' or a line end after a quoted field, and \"\" "
             "for a quote inside one", r->name, r->line,
             r->build.nfields + 1, csv_strerror(csv_error(&r->p)), r->sep);
        return;
    }
    r->chunk_pos += n;
    if (nl)
        r->line++;
    if (r->p.pstate != LIBCSV_ROW_NOT_BEGUN) {
        r->rec_fed += n;
        if (r->rec_fed > r->max_record)
            fail(r, NS_ERR_TOO_LARGE,
                 "%s:%ld:1: record longer than %zu bytes (unterminated "
                 "quote?)", r->name, r->rec_start, r->max_record);
    }
}

/* Parses until at least one record is queued, or the input ends. */
static void fill(struct csv_reader *r)
{
    r->qhead = 0;
    r->qcount = 0;
    while (r->qcount == 0 && r->status == NS_OK && !r->finished) {
        if (r->chunk_pos == r->chunk_len) {
            if (r->eof || !next_chunk(r)) {
                r->eof = true;
                if (r->status == NS_OK)
                    finish(r);
                continue;
            }
        }
        feed_piece(r);
    }
}

static enum ns_err check_header(struct csv_reader *r)
{
    const struct csv_field *f = &r->row.fields[0];
    char other = r->sep == ',' ? ';' : ',';

    if (!r->explicit_sep || r->row.nfields != 1 ||
        memchr(f->ptr, other, f->len) == NULL)
        return NS_OK;
    return fail(r, NS_ERR_PARSE,
                "%s:%ld:1: the header is a single field containing '%c' "
                "although the separator is '%c'; expected several columns: "
                "try --sep '%c'", r->name, r->row.line, other, r->sep,
                other);
}

enum ns_err csv_reader_next(struct csv_reader *r, const struct csv_row **row,
                            struct ns_error *err)
{
    struct rec tmp;
    size_t off = 0;

    *row = NULL;
    if (r->status == NS_OK && r->qhead == r->qcount)
        fill(r);
    if (r->status != NS_OK) {
        if (err)
            *err = r->saved;
        return r->status;
    }
    if (r->qhead == r->qcount)
        return NS_DONE;
    tmp = r->cur;
    r->cur = r->q[r->qhead];
    r->q[r->qhead++] = tmp;
    if (r->cur.nfields > r->outcap) {
        struct csv_field *o = realloc(r->out, r->cur.nfields * sizeof(*o));

        if (o == NULL) {
            fail(r, NS_ERR_NOMEM, "%s:%ld: out of memory", r->name,
                 r->cur.line);
            if (err)
                *err = r->saved;
            return r->status;
        }
        r->out = o;
        r->outcap = r->cur.nfields;
    }
    for (size_t i = 0; i < r->cur.nfields; i++) {
        r->out[i].ptr = r->cur.bytes.data + off;
        r->out[i].len = r->cur.lens[i];
        off += r->cur.lens[i] + 1;
    }
    r->row.line = r->cur.line;
    r->row.nfields = r->cur.nfields;
    r->row.fields = r->out;
    r->row.plain = r->cur.plain;
    if (r->nrecords++ == 0 && check_header(r) != NS_OK) {
        if (err)
            *err = r->saved;
        return r->status;
    }
    *row = &r->row;
    return NS_OK;
}

char csv_reader_sep(const struct csv_reader *r)
{
    return r->sep ? r->sep : ',';
}

const char *csv_reader_name(const struct csv_reader *r)
{
    return r->name;
}

void csv_reader_close(struct csv_reader *r)
{
    if (r == NULL)
        return;
    if (r->own_f && r->f)
        fclose(r->f);
    if (r->p_init)
        csv_free(&r->p);
    for (size_t i = 0; i < r->qcap; i++)
        rec_free(&r->q[i]);
    free(r->q);
    rec_free(&r->build);
    rec_free(&r->cur);
    free(r->out);
    free(r->buf);
    free(r->name);
    free(r);
}

enum ns_err csv_write_field(FILE *f, char sep, const char *s, size_t len)
{
    bool quote = false;

    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] == sep || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote) {
        if (len > 0 && fwrite(s, 1, len, f) != len)
            return NS_ERR_IO;
        return NS_OK;
    }
    if (putc('"', f) == EOF)
        return NS_ERR_IO;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"' && putc('"', f) == EOF)
            return NS_ERR_IO;
        if (putc(s[i], f) == EOF)
            return NS_ERR_IO;
    }
    return putc('"', f) == EOF ? NS_ERR_IO : NS_OK;
}

enum ns_err csv_put_field(struct ns_buf *b, char sep, const char *s,
                          size_t len)
{
    bool quote = false;
    enum ns_err rc;

    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] == sep || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote)
        return ns_buf_append(b, s, len);
    rc = ns_buf_append(b, "\"", 1);
    for (size_t i = 0; i < len && rc == NS_OK; i++) {
        if (s[i] == '"')
            rc = ns_buf_append(b, "\"", 1);
        if (rc == NS_OK)
            rc = ns_buf_append(b, s + i, 1);
    }
    return rc == NS_OK ? ns_buf_append(b, "\"", 1) : rc;
}

enum ns_err csv_write_row(FILE *f, char sep, const struct csv_field *fields,
                          size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && putc(sep, f) == EOF)
            return NS_ERR_IO;
        if (csv_write_field(f, sep, fields[i].ptr, fields[i].len) != NS_OK)
            return NS_ERR_IO;
    }
    return putc('\n', f) == EOF ? NS_ERR_IO : NS_OK;
}
