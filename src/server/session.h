/* Browser sessions for the staff web app. POST /session exchanges an API
 * key for an HttpOnly, SameSite=Strict cookie and a CSRF token; requests
 * that carry the cookie instead of a bearer key are authorised through
 * the same key check, and those that change something must echo the token
 * in an X-CSRF-Token header. The server keeps no session state: the
 * cookie holds the key sealed with AES-256-GCM, so replicas sharing the
 * secret accept each other's cookies, and every request goes through the
 * key check, so a revoked key ends its sessions as soon as that check
 * sees the revocation. */
#ifndef NS_SESSION_H
#define NS_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/http.h"
#include "util/err.h"

#define SESSION_COOKIE "noshow_session"
#define SESSION_CSRF_HEADER "X-CSRF-Token"
#define SESSION_DEFAULT_TTL_S (8 * 3600)
/* Longest API key a session can hold: the cookie must fit one header. */
#define SESSION_KEY_MAX 80
/* Sealed cookie value, base64url, with its NUL. */
#define SESSION_COOKIE_MAX 192
/* CSRF token: 64 hex digits and the NUL. */
#define SESSION_CSRF_LEN 65

struct session_config {
    /* Secret from which the cookie and CSRF keys derive; borrowed for the
     * call. NULL or empty: 32 random bytes, so sessions end with the
     * process and replicas do not share them. */
    const char *secret;
    unsigned ttl_s;             /* 0: SESSION_DEFAULT_TTL_S */
    bool secure_cookie;         /* add "Secure" (behind TLS) */
    http_auth_fn auth;          /* the key check of the bearer path */
    void *app;                  /* passed to auth */
};

struct session_keeper;

/* Derives the keys. NS_ERR_LIB when the random source fails. Caller
 * frees with session_keeper_free(). */
NS_MUST_CHECK enum ns_err session_keeper_new(const struct session_config *c,
                                             struct session_keeper **out,
                                             struct ns_error *err);

void session_keeper_free(struct session_keeper *k);

/* Serves GET, POST and DELETE /session; body is the raw request body
 * (may be NULL). Returns false, leaving resp alone, for any other path.
 *   POST {"api_key": K}: 200 {role, csrf_token, expires_at} and the
 *     cookie; 401 for an unknown key, 400/415/422 for a bad body.
 *   GET: the same answer for a valid cookie (a reloaded page needs its
 *     token again), else 401.
 *   DELETE: 204 and an expired cookie. */
bool session_route(struct session_keeper *k, struct http_req *req,
                   const char *body, size_t len, struct http_resp *resp);

enum session_auth {
    SESSION_NONE = 0,           /* no cookie: the bearer check decides */
    SESSION_OK,                 /* req->role is set and suffices */
    SESSION_REFUSED             /* resp holds a 401, 403 or 503 */
};

/* Authorises req by its session cookie for a route needing role need.
 * A request with a method other than GET or HEAD must carry the CSRF
 * token of its cookie, else 403. */
enum session_auth session_authorise(struct session_keeper *k,
                                    struct http_req *req,
                                    enum http_role need,
                                    struct http_resp *resp);

/* The parts, exposed for tests. session_seal writes the cookie value for
 * key valid until expires (epoch seconds); session_open checks one and
 * recovers the key (NS_ERR_AUTH when forged, damaged or expired at now);
 * session_csrf computes the token bound to a cookie value. */
NS_MUST_CHECK enum ns_err session_seal(const struct session_keeper *k,
                                       const char *key, int64_t expires,
                                       char out[SESSION_COOKIE_MAX],
                                       struct ns_error *err);
NS_MUST_CHECK enum ns_err session_open(const struct session_keeper *k,
                                       const char *cookie, int64_t now,
                                       char key[SESSION_KEY_MAX + 1],
                                       int64_t *expires,
                                       struct ns_error *err);
void session_csrf(const struct session_keeper *k, const char *cookie,
                  char out[SESSION_CSRF_LEN]);

#endif
