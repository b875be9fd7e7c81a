/* Fixed-size records appended to numbered buckets in bounded memory.
 * Each bucket buffers a few KiB; a full buffer goes to one unnamed
 * temporary file shared by all buckets. A bucket is later read back
 * whole, in the order its records were added. This lets a command group
 * a stream larger than memory (by patient, by row number) one bucket at
 * a time, with memory set by the buffers and the largest bucket instead
 * of by the stream. */
#ifndef NS_SPILL_H
#define NS_SPILL_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

struct ns_spill;

/* nbuckets and recsize at least 1. Every bucket gets a buffer of about
 * bufbytes (at least one record), allocated when first used. The
 * temporary file is made in $TMPDIR (else /tmp) when the first buffer
 * fills, and is gone once the process ends. Caller frees *out with
 * ns_spill_free(). */
NS_MUST_CHECK enum ns_err ns_spill_new(size_t nbuckets, size_t recsize,
                                       size_t bufbytes,
                                       struct ns_spill **out,
                                       struct ns_error *err);

/* Copies recsize bytes from rec to the end of the bucket. NS_ERR_IO
 * (disk full, say) or NS_ERR_NOMEM, with the reason in err. */
NS_MUST_CHECK enum ns_err ns_spill_add(struct ns_spill *s, size_t bucket,
                                       const void *rec,
                                       struct ns_error *err);

/* Records added to the bucket since it was last loaded. */
size_t ns_spill_count(const struct ns_spill *s, size_t bucket);

/* Reads the bucket back into to (replacing what it held) and empties
 * the bucket: to->data then holds its *n records in the order they were
 * added. Threads may load different buckets at once, as long as none
 * adds meanwhile. */
NS_MUST_CHECK enum ns_err ns_spill_load(struct ns_spill *s, size_t bucket,
                                        struct ns_buf *to, size_t *n,
                                        struct ns_error *err);

/* Bytes written to the temporary file so far (0: all in memory). */
uint64_t ns_spill_disk_bytes(const struct ns_spill *s);

void ns_spill_free(struct ns_spill *s);

#endif
