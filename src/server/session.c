/* Cookie sessions for the web app: sealing, the /session routes and the
 * cookie path of authorisation (see session.h). */
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server/session.h"
#include "util/timeutil.h"

#define NONCE_LEN 12
#define TAG_LEN 16
#define PLAIN_MAX (24 + SESSION_KEY_MAX)
#define RAW_MAX (NONCE_LEN + PLAIN_MAX + TAG_LEN)

/* The Set-Cookie line must fit one response header, whatever the key. */
_Static_assert(sizeof(SESSION_COOKIE "=; Path=/; Max-Age=4294967295; "
                      "HttpOnly; SameSite=Strict; Secure") - 1
                   + 4 * ((RAW_MAX + 2) / 3)
               < sizeof(((struct http_header *)0)->value),
               "a session cookie may not fit its response header");
_Static_assert(4 * ((RAW_MAX + 2) / 3) < SESSION_COOKIE_MAX,
               "SESSION_COOKIE_MAX cannot hold a sealed cookie");

struct session_keeper {
    unsigned char enc_key[32];
    unsigned char csrf_key[32];
    unsigned ttl_s;
    bool secure;
    http_auth_fn auth;
    void *app;
};

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding; out must hold 4 * ceil(n / 3) + 1 bytes. */
static void b64url_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;

        if (i + 1 < n)
            v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = b64chars[(v >> 18) & 63];
        out[o++] = b64chars[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = b64chars[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = b64chars[v & 63];
    }
    out[o] = '\0';
}

/* Decodes base64url without padding; -1 on a bad character, length or
 * an output larger than cap. */
static long b64url_decode(const char *in, unsigned char *out, size_t cap)
{
    size_t n = strlen(in);
    size_t o = 0;
    unsigned v = 0;
    int bits = 0;

    if (n % 4 == 1)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *p = memchr(b64chars, in[i], 64);

        if (p == NULL)
            return -1;
        v = (v << 6) | (unsigned)(p - b64chars);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap)
                return -1;
            out[o++] = (unsigned char)(v >> bits);
        }
    }
    return (long)o;
}

static void derive(const unsigned char *secret, size_t n, const char *label,
                   unsigned char out[32])
{
    unsigned len = 32;

    HMAC(EVP_sha256(), secret, (int)n, (const unsigned char *)label,
         strlen(label), out, &len);
}

enum ns_err session_keeper_new(const struct session_config *c,
                               struct session_keeper **out,
                               struct ns_error *err)
{
    struct session_keeper *k = calloc(1, sizeof(*k));
    unsigned char root[32];
    const unsigned char *secret = root;
    size_t n = sizeof(root);

    *out = NULL;
    if (k == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "session keeper: out of "
                            "memory");
    if (c->secret != NULL && c->secret[0] != '\0') {
        secret = (const unsigned char *)c->secret;
        n = strlen(c->secret);
    } else if (RAND_bytes(root, sizeof(root)) != 1) {
        free(k);
        return ns_error_set(err, NS_ERR_LIB, "session secret: RAND_bytes "
                            "failed: %s",
                            ERR_error_string(ERR_get_error(), NULL));
    }
    derive(secret, n, "noshow session cookie v1", k->enc_key);
    derive(secret, n, "noshow session csrf v1", k->csrf_key);
    OPENSSL_cleanse(root, sizeof(root));
    k->ttl_s = c->ttl_s ? c->ttl_s : SESSION_DEFAULT_TTL_S;
    k->secure = c->secure_cookie;
    k->auth = c->auth;
    k->app = c->app;
    *out = k;
    return NS_OK;
}

void session_keeper_free(struct session_keeper *k)
{
    if (k == NULL)
        return;
    OPENSSL_cleanse(k, sizeof(*k));
    free(k);
}

/* AES-256-GCM over in; enc selects the direction. For decryption the tag
 * is checked, and a mismatch returns -1 like any other failure. */
static int gcm(const struct session_keeper *k, int enc,
               const unsigned char *nonce, const unsigned char *in,
               int n, unsigned char *out, unsigned char *tag)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0;
    int fin = 0;
    int ok;

    if (ctx == NULL)
        return -1;
    ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, k->enc_key, nonce,
                           enc) == 1
         && EVP_CipherUpdate(ctx, out, &len, in, n) == 1;
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag)
             == 1;
    ok = ok && EVP_CipherFinal_ex(ctx, out + len, &fin) == 1;
    if (ok && enc)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag)
             == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? len + fin : -1;
}

enum ns_err session_seal(const struct session_keeper *k, const char *key,
                         int64_t expires, char out[SESSION_COOKIE_MAX],
                         struct ns_error *err)
{
    unsigned char raw[RAW_MAX];
    char plain[PLAIN_MAX];
    int n;
    int c;

    if (strlen(key) > SESSION_KEY_MAX)
        return ns_error_field(err, NS_ERR_INVALID, "api_key", "api_key: "
                              "%zu characters, expected at most %d",
                              strlen(key), SESSION_KEY_MAX);
    n = snprintf(plain, sizeof(plain), "%lld\n%s", (long long)expires, key);
    if (RAND_bytes(raw, NONCE_LEN) != 1) {
        OPENSSL_cleanse(plain, sizeof(plain));
        return ns_error_set(err, NS_ERR_LIB, "session nonce: RAND_bytes "
                            "failed: %s",
                            ERR_error_string(ERR_get_error(), NULL));
    }
    c = gcm(k, 1, raw, (unsigned char *)plain, n, raw + NONCE_LEN,
            raw + NONCE_LEN + n);
    OPENSSL_cleanse(plain, sizeof(plain));
    if (c != n)
        return ns_error_set(err, NS_ERR_LIB, "session cookie: AES-GCM "
                            "encryption failed: %s",
                            ERR_error_string(ERR_get_error(), NULL));
    b64url_encode(raw, (size_t)(NONCE_LEN + n + TAG_LEN), out);
    return NS_OK;
}

enum ns_err session_open(const struct session_keeper *k, const char *cookie,
                         int64_t now, char key[SESSION_KEY_MAX + 1],
                         int64_t *expires, struct ns_error *err)
{
    unsigned char raw[RAW_MAX];
    char plain[PLAIN_MAX + 1];
    long n = strlen(cookie) < SESSION_COOKIE_MAX
             ? b64url_decode(cookie, raw, sizeof(raw)) : -1;
    int p;
    char *nl;
    char *end;
    long long exp;

    if (n < NONCE_LEN + TAG_LEN + 3)
        return ns_error_set(err, NS_ERR_AUTH, "session cookie: malformed "
                            "value");
    p = gcm(k, 0, raw, raw + NONCE_LEN, (int)(n - NONCE_LEN - TAG_LEN),
            (unsigned char *)plain, raw + n - TAG_LEN);
    if (p < 0)
        return ns_error_set(err, NS_ERR_AUTH, "session cookie: not sealed "
                            "by this service (forged, damaged, or the "
                            "secret changed)");
    plain[p] = '\0';
    nl = strchr(plain, '\n');
    exp = strtoll(plain, &end, 10);
    if (nl == NULL || end != nl || strlen(nl + 1) > SESSION_KEY_MAX) {
        OPENSSL_cleanse(plain, sizeof(plain));
        return ns_error_set(err, NS_ERR_AUTH, "session cookie: bad "
                            "content");
    }
    if (exp <= now) {
        OPENSSL_cleanse(plain, sizeof(plain));
        return ns_error_set(err, NS_ERR_AUTH, "session cookie: expired "
                            "at %lld, now %lld", exp, (long long)now);
    }
    memcpy(key, nl + 1, strlen(nl + 1) + 1);
    OPENSSL_cleanse(plain, sizeof(plain));
    if (expires)
        *expires = exp;
    return NS_OK;
}

void session_csrf(const struct session_keeper *k, const char *cookie,
                  char out[SESSION_CSRF_LEN])
{
    unsigned char mac[32];
    unsigned len = sizeof(mac);

    HMAC(EVP_sha256(), k->csrf_key, sizeof(k->csrf_key),
         (const unsigned char *)cookie, strlen(cookie), mac, &len);
    for (size_t i = 0; i < sizeof(mac); i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

static const char *role_name(enum http_role r)
{
    static const char *const names[] = {"public", "reader", "clinic",
                                        "admin"};

    return (unsigned)r < 4 ? names[r] : "unknown";
}

static const char *cookie_of(const struct http_req *req)
{
    return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND,
                                       SESSION_COOKIE);
}

static void set_cookie(const struct session_keeper *k,
                       struct http_resp *resp, const char *value,
                       unsigned max_age)
{
    http_resp_header(resp, MHD_HTTP_HEADER_SET_COOKIE,
                     "%s=%s; Path=/; Max-Age=%u; HttpOnly; "
                     "SameSite=Strict%s", SESSION_COOKIE, value, max_age,
                     k->secure ? "; Secure" : "");
}

/* 200 {role, csrf_token, expires_at}, never cached. */
static void answer_session(const struct session_keeper *k,
                           struct http_resp *resp, const char *cookie,
                           enum http_role role, int64_t expires)
{
    char csrf[SESSION_CSRF_LEN];
    char at[21];

    session_csrf(k, cookie, csrf);
    ns_format_datetime(expires, at);
    http_resp_json(resp, 200, json_pack("{s:s, s:s, s:s}", "role",
                                        role_name(role), "csrf_token", csrf,
                                        "expires_at", at));
    http_resp_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}

/* Runs the bearer path's key check; false when resp holds the refusal. */
static bool check_key(const struct session_keeper *k, struct http_req *req,
                      const char *key, enum http_role *role,
                      int64_t *key_id, struct http_resp *resp)
{
    struct ns_error err;
    enum ns_err rc;

    ns_error_clear(&err);
    rc = k->auth(k->app, key, role, key_id, &err);
    if (rc == NS_ERR_AUTH) {
        http_problem(req, resp, 401, "the API key is unknown or revoked",
                     NULL);
        return false;
    }
    if (rc != NS_OK) {
        http_problem_err(req, resp, &err, NULL, NULL);
        return false;
    }
    return true;
}

/* The api_key of a POST /session body, or NULL with resp set. */
static const char *body_key(struct http_req *req, const char *body,
                            size_t len, json_t **doc, struct http_resp *resp)
{
    const char *ct = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
                                                 "Content-Type");
    json_error_t jerr;
    const char *name;
    json_t *v;
    char detail[300];

    if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0) {
        http_problem(req, resp, 415, "the body must be JSON, sent with "
                     "'Content-Type: application/json'", NULL);
        return NULL;
    }
    *doc = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (*doc == NULL) {
        snprintf(detail, sizeof(detail), "the body is not valid JSON: "
                 "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        http_problem(req, resp, 400, detail, NULL);
        return NULL;
    }
    json_object_foreach(*doc, name, v) {
        if (strcmp(name, "api_key") != 0) {
            http_problem(req, resp, 422, "unknown field in the body",
                         json_pack("[o]", http_error_entry(name, NULL,
                                   "only the field api_key")));
            return NULL;
        }
    }
    v = json_object_get(*doc, "api_key");
    if (!json_is_string(v) || json_string_length(v) == 0
        || json_string_length(v) > SESSION_KEY_MAX) {
        snprintf(detail, sizeof(detail), "a non-empty string of at most %d "
                 "characters", SESSION_KEY_MAX);
        http_problem(req, resp, 422, "api_key is missing or not a key",
                     json_pack("[o]", http_error_entry("api_key", NULL,
                                                       detail)));
        return NULL;
    }
    return json_string_value(v);
}

/* LIMITATION: POST /session does not slow down repeated wrong keys. A
 * client may try keys as fast as the service answers; the keys' length
 * (not their check) is what protects them. A fix needs a per-address
 * failure counter with a growing delay, shared by replicas through the
 * store. */
static void post_session(struct session_keeper *k, struct http_req *req,
                         const char *body, size_t len,
                         struct http_resp *resp)
{
    char cookie[SESSION_COOKIE_MAX];
    struct ns_error err;
    json_t *doc = NULL;
    enum http_role role;
    int64_t key_id;
    const char *key = body_key(req, body, len, &doc, resp);
    int64_t expires = (int64_t)time(NULL) + k->ttl_s;

    if (key == NULL || !check_key(k, req, key, &role, &key_id, resp))
        goto out;
    if (role < HTTP_ROLE_READER) {
        http_problem(req, resp, 403, "this key has no role", NULL);
        goto out;
    }
    if (session_seal(k, key, expires, cookie, &err) != NS_OK) {
        http_problem_err(req, resp, &err, NULL, NULL);
        goto out;
    }
    answer_session(k, resp, cookie, role, expires);
    set_cookie(k, resp, cookie, k->ttl_s);
out:
    json_decref(doc);
}

static void get_session(struct session_keeper *k, struct http_req *req,
                        struct http_resp *resp)
{
    const char *cookie = cookie_of(req);
    char key[SESSION_KEY_MAX + 1];
    int64_t expires;
    int64_t key_id;
    enum http_role role;

    if (cookie == NULL) {
        http_problem(req, resp, 401, "no session: POST /session with an "
                     "api_key to open one", NULL);
        return;
    }
    if (session_open(k, cookie, (int64_t)time(NULL), key, &expires, NULL)
        != NS_OK) {
        http_problem(req, resp, 401, "the session has expired or is not "
                     "valid; log in again", NULL);
        set_cookie(k, resp, "", 0);
        return;
    }
    if (check_key(k, req, key, &role, &key_id, resp))
        answer_session(k, resp, cookie, role, expires);
    OPENSSL_cleanse(key, sizeof(key));
}

/* LIMITATION: /session is served before the route table, so its requests
 * are counted under the "unmatched" route in /metrics and are absent from
 * /openapi.json. A fix needs the HTTP core to accept routes with their
 * own context, so that these three can sit in the table. */
bool session_route(struct session_keeper *k, struct http_req *req,
                   const char *body, size_t len, struct http_resp *resp)
{
    if (strcmp(req->path, "/session") != 0)
        return false;
    req->pattern = "/session";
    if (strcmp(req->method, "POST") == 0) {
        post_session(k, req, body, len, resp);
    } else if (strcmp(req->method, "GET") == 0) {
        get_session(k, req, resp);
    } else if (strcmp(req->method, "DELETE") == 0) {
        /* Logging out needs no token: SameSite=Strict already keeps
         * other sites from sending the cookie, and the worst a forged
         * logout does is ask the user to log in again. */
        http_resp_text(resp, 204, NULL, "", 0);
        set_cookie(k, resp, "", 0);
    } else {
        http_problem(req, resp, 405, "/session accepts GET, POST and "
                     "DELETE", NULL);
        http_resp_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, POST, DELETE");
    }
    return true;
}

static bool safe_method(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
}

/* A mutating request must echo the token bound to its cookie. */
static bool csrf_ok(const struct session_keeper *k,
                    const struct http_req *req, const char *cookie)
{
    const char *sent = MHD_lookup_connection_value(req->conn,
                                                   MHD_HEADER_KIND,
                                                   SESSION_CSRF_HEADER);
    char want[SESSION_CSRF_LEN];

    if (sent == NULL || strlen(sent) != SESSION_CSRF_LEN - 1)
        return false;
    session_csrf(k, cookie, want);
    return CRYPTO_memcmp(sent, want, SESSION_CSRF_LEN - 1) == 0;
}

enum session_auth session_authorise(struct session_keeper *k,
                                    struct http_req *req,
                                    enum http_role need,
                                    struct http_resp *resp)
{
    const char *cookie = cookie_of(req);
    char key[SESSION_KEY_MAX + 1];
    enum http_role role;
    int64_t key_id = 0;
    char detail[160];
    bool ok;

    if (cookie == NULL)
        return SESSION_NONE;
    if (session_open(k, cookie, (int64_t)time(NULL), key, NULL, NULL)
        != NS_OK) {
        http_problem(req, resp, 401, "the session has expired or is not "
                     "valid; log in again", NULL);
        set_cookie(k, resp, "", 0);
        return SESSION_REFUSED;
    }
    if (!safe_method(req->method) && !csrf_ok(k, req, cookie)) {
        OPENSSL_cleanse(key, sizeof(key));
        http_problem(req, resp, 403, "a request made with the session "
                     "cookie must send its CSRF token in the "
                     SESSION_CSRF_HEADER " header", NULL);
        return SESSION_REFUSED;
    }
    ok = check_key(k, req, key, &role, &key_id, resp);
    OPENSSL_cleanse(key, sizeof(key));
    if (!ok)
        return SESSION_REFUSED;
    if (role < need) {
        snprintf(detail, sizeof(detail), "this route needs the role '%s' "
                 "or higher; the session has the role '%s'",
                 role_name(need), role_name(role));
        http_problem(req, resp, 403, detail, NULL);
        return SESSION_REFUSED;
    }
    req->role = role;
    req->key_id = key_id;
    return SESSION_OK;
}
