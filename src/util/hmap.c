#include "util/hmap.h"

#include <stdlib.h>
#include <string.h>

struct slot {
    char *key;          /* NULL for an empty slot */
    size_t len;
    uint64_t hash;
    uint64_t value;
};

struct ns_hmap {
    struct slot *slots;
    size_t cap;         /* power of two */
    size_t count;
};

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
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    free(m);
}

static struct slot *find(const struct ns_hmap *m, const char *key,
                         size_t len, uint64_t h)
{
    size_t i = h & (m->cap - 1);

    for (;;) {
        struct slot *s = &m->slots[i];

        if (s->key == NULL)
            return s;
        if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0)
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
        if (old[i].key != NULL)
            *find(m, old[i].key, old[i].len, old[i].hash) = old[i];
    }
    free(old);
    return NS_OK;
}

enum ns_err ns_hmap_put(struct ns_hmap *m, const char *key, size_t len,
                        uint64_t value)
{
    uint64_t h = ns_hash64(key, len);
    struct slot *s;

    if ((m->count + 1) * 4 > m->cap * 3 && grow(m) != NS_OK)
        return NS_ERR_NOMEM;
    s = find(m, key, len, h);
    if (s->key == NULL) {
        s->key = malloc(len + 1);
        if (s->key == NULL)
            return NS_ERR_NOMEM;
        memcpy(s->key, key, len);
        s->key[len] = '\0';
        s->len = len;
        s->hash = h;
        m->count++;
    }
    s->value = value;
    return NS_OK;
}

bool ns_hmap_get(const struct ns_hmap *m, const char *key, size_t len,
                 uint64_t *value)
{
    const struct slot *s = find(m, key, len, ns_hash64(key, len));

    if (s->key == NULL)
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

        if (s->key != NULL) {
            *key = s->key;
            *len = s->len;
            *value = s->value;
            return true;
        }
    }
    return false;
}
