/* A small libcurl client for the API tests: one call sends a request and
 * keeps the status, the body and a few response headers. Header-only so
 * that each test executable has its own copy. */
#ifndef NS_TEST_CLIENT_H
#define NS_TEST_CLIENT_H

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct reply {
    long status;
    char *body;         /* malloc'd, NUL-terminated */
    size_t len;
    char ctype[128];
    char allow[128];
    char www_auth[128];
    char retry_after[32];
    char set_cookie[256];
};

static size_t reply_body_cb(char *p, size_t sz, size_t n, void *ud)
{
    struct reply *r = ud;
    char *nb = realloc(r->body, r->len + sz * n + 1);

    if (nb == NULL)
        return 0;
    r->body = nb;
    memcpy(r->body + r->len, p, sz * n);
    r->len += sz * n;
    r->body[r->len] = '\0';
    return sz * n;
}

static void copy_header(char *dst, size_t dsz, const char *v, size_t n)
{
    while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n'))
        n--;
    if (n >= dsz)
        n = dsz - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static size_t reply_header_cb(char *p, size_t sz, size_t n, void *ud)
{
    struct reply *r = ud;
    size_t len = sz * n;
    static const struct {
        const char *name;
        size_t off;
        size_t size;
    } keep[] = {
        {"content-type:", offsetof(struct reply, ctype), 128},
        {"allow:", offsetof(struct reply, allow), 128},
        {"www-authenticate:", offsetof(struct reply, www_auth), 128},
        {"retry-after:", offsetof(struct reply, retry_after), 32},
        {"set-cookie:", offsetof(struct reply, set_cookie), 256},
    };

    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        size_t k = strlen(keep[i].name);

        if (len > k && strncasecmp(p, keep[i].name, k) == 0) {
            const char *v = p + k;
            size_t vn = len - k;

            while (vn > 0 && *v == ' ') {
                v++;
                vn--;
            }
            copy_header((char *)r + keep[i].off, keep[i].size, v, vn);
        }
    }
    return len;
}

static void reply_free(struct reply *r)
{
    free(r->body);
    memset(r, 0, sizeof(*r));
}

/* Sends method url with body (may be NULL) and extra headers (a
 * NULL-terminated list, may be NULL); ca_file (may be NULL) names the
 * certificate an https URL is checked against. Returns the curl result. */
static CURLcode http_call_url(const char *url, const char *ca_file,
                              const char *method, const char *body,
                              size_t len, const char *const *headers,
                              struct reply *r)
{
    CURL *c = curl_easy_init();
    struct curl_slist *hl = NULL;
    CURLcode rc;

    memset(r, 0, sizeof(*r));
    if (c == NULL)
        return CURLE_FAILED_INIT;
    for (size_t i = 0; headers && headers[i]; i++)
        hl = curl_slist_append(hl, headers[i]);
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, reply_body_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, reply_header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    if (r->body == NULL)
        r->body = calloc(1, 1);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    return rc;
}

/* http_call_url to path on 127.0.0.1:port over plain HTTP. */
static CURLcode http_call(unsigned port, const char *method,
                          const char *path, const char *body, size_t len,
                          const char *const *headers, struct reply *r)
{
    char url[512];

    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
    return http_call_url(url, NULL, method, body, len, headers, r);
}

#endif
