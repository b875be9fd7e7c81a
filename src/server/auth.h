/* API keys and patient pseudonyms. Keys are "ns_" + 43 base64url
 * characters (32 random bytes); the store keeps only their SHA-256 hex,
 * and a short-lived cache in front of it spares the store one lookup per
 * request. Patient references are replaced by HMAC-SHA256(key, id) in hex,
 * with a key kept outside the database. Nothing here logs a key. */
#ifndef NS_AUTH_H
#define NS_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "server/http.h"
#include "store/store.h"
#include "util/err.h"

#define AUTH_KEY_LEN 46         /* "ns_" + 43 characters */
#define AUTH_HEX_LEN 65         /* 64 hex digits and the NUL */
#define AUTH_PSEUDO_KEY_MAX 64
#define AUTH_CACHE_TTL_MS 10000

/* A new random key (getrandom()) into out[AUTH_KEY_LEN + 1]. */
NS_MUST_CHECK enum ns_err auth_key_generate(char *out, size_t outsz,
                                            struct ns_error *err);

/* SHA-256 of key in lower-case hex. */
NS_MUST_CHECK enum ns_err auth_key_hash(const char *key,
                                        char hex[AUTH_HEX_LEN],
                                        struct ns_error *err);

enum http_role auth_role_of(enum store_role r);

/* Key checks against the store with a cache of recent answers. */
struct auth;

/* store is borrowed and must outlive a. Caller frees with auth_free().
 * NULL when out of memory. */
struct auth *auth_new(struct store *s);
void auth_free(struct auth *a);

/* Sets *role and *key_id for a valid key; NS_ERR_AUTH for an unknown or
 * revoked one (a revocation takes up to AUTH_CACHE_TTL_MS to reach a
 * server that saw the key before), NS_ERR_UNAVAILABLE when the store is
 * down. */
NS_MUST_CHECK enum ns_err auth_check(struct auth *a, const char *key,
                                     enum http_role *role, int64_t *key_id,
                                     struct ns_error *err);

/* The pseudonymisation key. */
struct auth_pseudo {
    unsigned char key[AUTH_PSEUDO_KEY_MAX];
    size_t len;
};

/* Chooses the key: NOSHOW_PSEUDONYM_KEY (at least 16 bytes) when set;
 * else key_file when not NULL; else, for "sqlite:PATH", the file
 * PATH.pseudonym-key beside the database, created with mode 0600 and 32
 * random bytes on first start; for "sqlite::memory:" a random key for
 * this process only. A MySQL URL without a key or key file is
 * NS_ERR_INVALID, since a key stored in the database would defeat it. */
NS_MUST_CHECK enum ns_err auth_pseudo_load(const char *db_url,
                                           const char *key_file,
                                           struct auth_pseudo *out,
                                           struct ns_error *err);

/* HMAC-SHA256(key, id) in lower-case hex. */
NS_MUST_CHECK enum ns_err auth_pseudonymise(const struct auth_pseudo *p,
                                            const char *id,
                                            char hex[AUTH_HEX_LEN],
                                            struct ns_error *err);

#endif
