#include "server/ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>

/* LIMITATION: buckets live in a fixed table indexed by key id, so two
 * keys whose ids share a slot (ids equal modulo RATELIMIT_SLOTS) share
 * one bucket while both are busy. It matters only past 1024 keys in use
 * at once; the shared key then gets a lower rate, never a higher one. A
 * hash map that grows with the keys seen would give each its own. */

struct bucket {
    int64_t key;
    double tokens;
    int64_t at_ms;              /* when tokens was last brought up to date */
};

struct ratelimit {
    double rate;
    double burst;
    pthread_mutex_t lock;
    struct bucket b[RATELIMIT_SLOTS];
};

struct ratelimit *ratelimit_new(double rate, double burst)
{
    struct ratelimit *rl;

    if (!(rate > 0) || !(burst >= 1))
        return NULL;
    rl = calloc(1, sizeof(*rl));
    if (rl == NULL)
        return NULL;
    rl->rate = rate;
    rl->burst = burst;
    pthread_mutex_init(&rl->lock, NULL);
    for (size_t i = 0; i < RATELIMIT_SLOTS; i++)
        rl->b[i].key = -1;
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (rl == NULL)
        return;
    pthread_mutex_destroy(&rl->lock);
    free(rl);
}

bool ratelimit_take(struct ratelimit *rl, int64_t key, int64_t now_ms,
                    unsigned *retry_after_s)
{
    struct bucket *b = &rl->b[(uint64_t)key % RATELIMIT_SLOTS];
    bool ok;

    pthread_mutex_lock(&rl->lock);
    if (b->key == -1) {
        b->tokens = rl->burst;
        b->at_ms = now_ms;
    }
    /* A key that takes over a slot in use inherits its tokens: resetting
     * them would let two keys that share the slot refill each other. */
    b->key = key;
    if (now_ms > b->at_ms) {
        b->tokens += (double)(now_ms - b->at_ms) * rl->rate / 1000.0;
        if (b->tokens > rl->burst)
            b->tokens = rl->burst;
        b->at_ms = now_ms;
    }
    ok = b->tokens >= 1.0;
    if (ok) {
        b->tokens -= 1.0;
    } else {
        double wait_s = (1.0 - b->tokens) / rl->rate;

        *retry_after_s = (unsigned)ceil(wait_s);
        if (*retry_after_s < 1)
            *retry_after_s = 1;
    }
    pthread_mutex_unlock(&rl->lock);
    return ok;
}
