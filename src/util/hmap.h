/* String-keyed hash map with 64-bit values (open addressing, linear
 * probing). Keys are copied into the map; values are plain integers, so
 * callers store indexes into their own arrays. Not thread-safe. */
#ifndef NS_HMAP_H
#define NS_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct ns_hmap;

/* Caller frees with ns_hmap_free(). Returns NULL when out of memory. */
struct ns_hmap *ns_hmap_new(size_t expected);
void ns_hmap_free(struct ns_hmap *m);

/* Inserts or overwrites. */
NS_MUST_CHECK enum ns_err ns_hmap_put(struct ns_hmap *m, const char *key,
                                      size_t len, uint64_t value);

/* Returns true and sets *value when key is present. */
bool ns_hmap_get(const struct ns_hmap *m, const char *key, size_t len,
                 uint64_t *value);

size_t ns_hmap_count(const struct ns_hmap *m);

/* Iteration: *pos starts at 0; returns false when done. The key pointer is
 * borrowed: valid until the next put or free. */
bool ns_hmap_next(const struct ns_hmap *m, size_t *pos, const char **key,
                  size_t *len, uint64_t *value);

/* 64-bit FNV-1a, exposed for callers that fingerprint short strings. */
uint64_t ns_hash64(const void *data, size_t len);

#endif
