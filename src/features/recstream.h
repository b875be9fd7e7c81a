/* Cleaned rows written to an unnamed temporary file in pass 1 and read
 * back in pass 2, so that pass 2 computes features without parsing and
 * checking the CSV again. A row keeps only what features read: its
 * id, label, instants, numeric values (as the floats features are) and
 * category codes (features/catcount.h); about 140 bytes for a doctolib
 * row. */
#ifndef NS_RECSTREAM_H
#define NS_RECSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "data/record.h"
#include "data/schema.h"
#include "features/catcount.h"
#include "util/buf.h"
#include "util/err.h"

struct recstream;

/* Rows of schema s (borrowed: it must outlive the stream). Caller frees
 * *out with recstream_free(). */
NS_MUST_CHECK enum ns_err recstream_new(const struct schema *s,
                                        struct recstream **out,
                                        struct ns_error *err);

/* Appends rec, row number ordinal of the file, with its codes from
 * catcount_add_coded(). NS_ERR_IO (disk full), NS_ERR_TOO_LARGE for an
 * appointment id over 64 KiB or a row number past 2^32. */
NS_MUST_CHECK enum ns_err recstream_put(struct recstream *w, size_t ordinal,
                                        const struct record *rec,
                                        const uint32_t *codes,
                                        struct ns_error *err);

/* Ends writing; reading starts again from the first row. */
NS_MUST_CHECK enum ns_err recstream_rewind(struct recstream *w,
                                           struct ns_error *err);

/* Appends the next row's bytes to b and sets *ordinal; *at is where they
 * start in b. NS_DONE after the last row. */
NS_MUST_CHECK enum ns_err recstream_next(struct recstream *w,
                                         struct ns_buf *b, size_t *at,
                                         size_t *ordinal,
                                         struct ns_error *err);

/* Fills rec (of the stream's schema) from the bytes recstream_next()
 * gave: its strings point into them (the id) or into cc (category
 * values, which must be the counter whose codes were put). The patient
 * is not kept: rec->patient is "*" when the row had one, else "".
 * codes (may be NULL) receives the row's category codes as they were
 * put. Several threads may decode at once. */
void recstream_decode(const struct recstream *w, const char *bytes,
                      const struct catcount *cc, struct record *rec,
                      uint32_t *codes);

void recstream_free(struct recstream *w);

#endif
