/* Request rate limits per API key: one token bucket per key, refilled at
 * a steady rate up to a burst. A fixed table of buckets keeps memory
 * bounded whatever the number of keys. Thread-safe. */
#ifndef NS_RATELIMIT_H
#define NS_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define RATELIMIT_SLOTS 1024

struct ratelimit;

/* rate: tokens per second (> 0); burst: the bucket's size (>= 1). NULL
 * when out of memory. Caller frees with ratelimit_free(). */
struct ratelimit *ratelimit_new(double rate, double burst);
void ratelimit_free(struct ratelimit *rl);

/* Takes one token from key's bucket at now_ms (a monotonic clock).
 * true: the request may go on. false: the bucket is empty, and
 * *retry_after_s (at least 1) says when a token will be there. */
bool ratelimit_take(struct ratelimit *rl, int64_t key, int64_t now_ms,
                    unsigned *retry_after_s);

#endif
