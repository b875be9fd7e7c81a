#include "server/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "util/timeutil.h"

#define CACHE_SLOTS 64

/* LIMITATION: a server keeps a key it has seen valid for up to
 * AUTH_CACHE_TTL_MS, so a revocation reaches it within 10 seconds, not at
 * once. The cache spares the store one lookup per request. Immediate
 * revocation needs a revocation event the servers subscribe to, or a
 * cache that asks the store for revocations newer than its last check. */

struct cache_entry {
    char hash[AUTH_HEX_LEN];
    enum http_role role;
    int64_t key_id;
    int64_t expires_ms;
};

struct auth {
    struct store *store;
    pthread_mutex_t lock;
    struct cache_entry cache[CACHE_SLOTS];
};

static enum ns_err fill_random(unsigned char *p, size_t n,
                               struct ns_error *err)
{
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);

        if (got < 0) {
            int e = errno;

            if (e == EINTR)
                continue;
            return ns_error_set(err, NS_ERR_IO, "getrandom: %s",
                                strerror(e));
        }
        p += got;
        n -= (size_t)got;
    }
    return NS_OK;
}

static void base64url(const unsigned char *in, size_t n, char *out)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                              "qrstuvwxyz0123456789-_";
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;

    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = abc[(acc >> bits) & 63];
        }
    }
    if (bits > 0)
        out[o++] = abc[(acc << (6 - bits)) & 63];
    out[o] = '\0';
}

enum ns_err auth_key_generate(char *out, size_t outsz, struct ns_error *err)
{
    unsigned char raw[32];
    enum ns_err rc;

    if (outsz < AUTH_KEY_LEN + 1)
        return ns_error_set(err, NS_ERR_INVALID, "key buffer of %zu bytes "
                            "is too small; expected %d", outsz,
                            AUTH_KEY_LEN + 1);
    rc = fill_random(raw, sizeof(raw), err);
    if (rc != NS_OK)
        return rc;
    memcpy(out, "ns_", 3);
    base64url(raw, sizeof(raw), out + 3);
    return NS_OK;
}

static void to_hex(const unsigned char *md, size_t n, char *hex)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[2 * n] = '\0';
}

enum ns_err auth_key_hash(const char *key, char hex[AUTH_HEX_LEN],
                          struct ns_error *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    if (!EVP_Digest(key, strlen(key), md, &n, EVP_sha256(), NULL)
        || n != 32)
        return ns_error_set(err, NS_ERR_LIB, "EVP_Digest(SHA-256) failed");
    to_hex(md, n, hex);
    return NS_OK;
}

enum http_role auth_role_of(enum store_role r)
{
    switch (r) {
    case STORE_ROLE_READER:
        return HTTP_ROLE_READER;
    case STORE_ROLE_CLINIC:
        return HTTP_ROLE_CLINIC;
    case STORE_ROLE_ADMIN:
        return HTTP_ROLE_ADMIN;
    }
    return HTTP_ROLE_READER;
}

struct auth *auth_new(struct store *s)
{
    struct auth *a = calloc(1, sizeof(*a));

    if (a == NULL)
        return NULL;
    a->store = s;
    pthread_mutex_init(&a->lock, NULL);
    return a;
}

void auth_free(struct auth *a)
{
    if (a == NULL)
        return;
    pthread_mutex_destroy(&a->lock);
    /* The cache holds key hashes only, but wipe them all the same. */
    memset(a->cache, 0, sizeof(a->cache));
    free(a);
}

/* The hash is uniform, so two of its hex digits pick a slot. */
static size_t slot_of(const char *hash)
{
    return ((unsigned char)hash[0] * 16u + (unsigned char)hash[1])
           % CACHE_SLOTS;
}

static bool cache_get(struct auth *a, const char *hash, int64_t now,
                      enum http_role *role, int64_t *key_id)
{
    struct cache_entry *e = &a->cache[slot_of(hash)];
    bool hit = false;

    pthread_mutex_lock(&a->lock);
    if (e->expires_ms > now && strcmp(e->hash, hash) == 0) {
        *role = e->role;
        *key_id = e->key_id;
        hit = true;
    }
    pthread_mutex_unlock(&a->lock);
    return hit;
}

static void cache_put(struct auth *a, const char *hash, int64_t now,
                      enum http_role role, int64_t key_id)
{
    struct cache_entry *e = &a->cache[slot_of(hash)];

    pthread_mutex_lock(&a->lock);
    memcpy(e->hash, hash, AUTH_HEX_LEN);
    e->role = role;
    e->key_id = key_id;
    e->expires_ms = now + AUTH_CACHE_TTL_MS;
    pthread_mutex_unlock(&a->lock);
}

enum ns_err auth_check(struct auth *a, const char *key,
                       enum http_role *role, int64_t *key_id,
                       struct ns_error *err)
{
    char hash[AUTH_HEX_LEN];
    struct store_key k;
    int64_t now = ns_now_ms();
    enum ns_err rc;

    rc = auth_key_hash(key, hash, err);
    if (rc != NS_OK)
        return rc;
    if (cache_get(a, hash, now, role, key_id))
        return NS_OK;
    rc = store_key_lookup(a->store, hash, &k, err);
    if (rc == NS_ERR_NOT_FOUND)
        return ns_error_set(err, NS_ERR_AUTH, "unknown or revoked key");
    if (rc != NS_OK)
        return rc;
    *role = auth_role_of(k.role);
    *key_id = k.id;
    cache_put(a, hash, now, *role, *key_id);
    return NS_OK;
}
