#include "util/hmap.h"

#include <stdlib.h>
#include <string.h>

/* Keys of up to SHORT_KEY bytes live in the slot itself, so a lookup
 * touches one cache line instead of chasing a pointer to the key: with
 * hundreds of thousands of patients, that second miss was a tenth of
 * the time of ingesting a file. Longer keys are allocated. */
#define SHORT_KEY 15

struct slot {
    uint64_t value;
    uint32_t hash;      /* low bits of the key's hash (enough to place
                           it in any table that fits in memory) */
    uint32_t len;       /* key length + 1; 0 marks an empty slot */
    union {
        char in[SHORT_KEY + 1];
        char *out;
    } key;
};

struct ns_hmap {
    struct slot *slots;
    size_t cap;         /* power of two */
    size_t count;
};

static const char *slot_key(const struct slot *s)
{
    return s->len <= SHORT_KEY + 1 ? s->key.in : s->key.out;
}

uint64_t ns_hash64(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ULL;

    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

struct ns_hmap *ns_hmap_new(size_t expected)
{
    struct ns_hmap *m = calloc(1, sizeof(*m));
    size_t cap = 16;

    if (m == NULL)
        return NULL;
    while (cap < expected * 2)
        cap *= 2;
    m->slots = calloc(cap, sizeof(*m->slots));
    if (m->slots == NULL) {
        free(m);
        return NULL;
    }
    m->cap = cap;
    return m;
}

void ns_hmap_free(struct ns_hmap *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].len > SHORT_KEY + 1)
            free(m->slots[i].key.out);
    }
    free(m->slots);
    free(m);
}

static struct slot *find(const struct ns_hmap *m, const char *key,
                         size_t len, uint32_t h)
{
    size_t i = h & (m->cap - 1);

    for (;;) {
        struct slot *s = &m->slots[i];

        if (s->len == 0)
            return s;
        if (s->hash == h && s->len == len + 1 &&
            memcmp(slot_key(s), key, len) == 0)
            return s;
        i = (i + 1) & (m->cap - 1);
    }
}

static enum ns_err grow(struct ns_hmap *m)
{
    struct slot *old = m->slots;
    size_t old_cap = m->cap;
    struct slot *fresh = calloc(old_cap * 2, sizeof(*fresh));

    if (fresh == NULL)
        return NS_ERR_NOMEM;
    m->slots = fresh;
    m->cap = old_cap * 2;
    for (size_t i = 0; i < old_cap; i++) {
        const struct slot *s = &old[i];

        /* Keys are distinct: the first empty slot in the probe is it. */
        if (s->len != 0) {
            size_t at = s->hash & (m->cap - 1);

            while (fresh[at].len != 0)
                at = (at + 1) & (m->cap - 1);
            fresh[at] = *s;
        }
    }
    free(old);
    return NS_OK;
}

enum ns_err ns_hmap_put(struct ns_hmap *m, const char *key, size_t len,
                        uint64_t value)
{
    uint32_t h = (uint32_t)ns_hash64(key, len);
    struct slot *s;

    if (len >= UINT32_MAX - 1)
        return NS_ERR_TOO_LARGE;
    if ((m->count + 1) * 4 > m->cap * 3 && grow(m) != NS_OK)
        return NS_ERR_NOMEM;
    s = find(m, key, len, h);
    if (s->len == 0) {
        char *dst = s->key.in;

        if (len > SHORT_KEY) {
            dst = malloc(len + 1);
            if (dst == NULL)
                return NS_ERR_NOMEM;
            s->key.out = dst;
        }
        memcpy(dst, key, len);
        dst[len] = '\0';
        s->len = (uint32_t)len + 1;
        s->hash = h;
        m->count++;
    }
    s->value = value;
    return NS_OK;
}

bool ns_hmap_get(const struct ns_hmap *m, const char *key, size_t len,
                 uint64_t *value)
{
    const struct slot *s;

    if (len >= UINT32_MAX - 1)
        return false;
    s = find(m, key, len, (uint32_t)ns_hash64(key, len));
    if (s->len == 0)
        return false;
    if (value)
        *value = s->value;
    return true;
}

size_t ns_hmap_count(const struct ns_hmap *m)
{
    return m->count;
}

bool ns_hmap_next(const struct ns_hmap *m, size_t *pos, const char **key,
                  size_t *len, uint64_t *value)
{
    while (*pos < m->cap) {
        const struct slot *s = &m->slots[(*pos)++];

        if (s->len != 0) {
            *key = slot_key(s);
            *len = s->len - 1;
            *value = s->value;
            return true;
        }
    }
    return false;
}
