/* The service's abuse guards: per-key rate limits and TLS. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/api_int.h"
#include "server/ratelimit.h"
#include "util/log.h"

#define PEM_MAX (256 * 1024)

/* Reads a whole PEM file into a new string (caller frees). */
static enum ns_err read_pem(const char *path, const char *what, char **out,
                            struct ns_error *err)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t n;
    enum ns_err rc = NS_OK;

    *out = NULL;
    if (f == NULL) {
        int e = errno;

        return ns_error_set(err, NS_ERR_IO, "%s '%s': %s", what, path,
                            strerror(e));
    }
    text = malloc(PEM_MAX + 1);
    if (text == NULL) {
        rc = ns_error_set(err, NS_ERR_NOMEM, "out of memory");
        goto out;
    }
    n = fread(text, 1, PEM_MAX + 1, f);
    if (n == 0 || n > PEM_MAX || strstr(text, "-----BEGIN ") == NULL) {
        text[n > PEM_MAX ? PEM_MAX : n] = '\0';
        rc = ns_error_set(err, NS_ERR_INVALID, "%s '%s' is not a PEM file "
                          "(%zu bytes); expected '-----BEGIN ...' text of "
                          "at most %d bytes", what, path, n, PEM_MAX);
        goto out;
    }
    text[n] = '\0';
    *out = text;
    text = NULL;
out:
    free(text);
    fclose(f);
    return rc;
}

static enum ns_err setup_tls(struct api *a, struct http_config *hc,
                             struct ns_error *err)
{
    const char *cert = a->cfg.tls_cert_file;
    const char *key = a->cfg.tls_key_file;
    enum ns_err rc;

    if (cert == NULL && key == NULL)
        return NS_OK;
    if (cert == NULL || key == NULL)
        return ns_error_set(err, NS_ERR_INVALID, "TLS needs both "
                            "--tls-cert and --tls-key; only %s was given",
                            cert ? "--tls-cert" : "--tls-key");
    rc = read_pem(cert, "--tls-cert", &a->tls_cert, err);
    if (rc == NS_OK)
        rc = read_pem(key, "--tls-key", &a->tls_key, err);
    if (rc != NS_OK)
        return rc;
    hc->tls_cert_pem = a->tls_cert;
    hc->tls_key_pem = a->tls_key;
    return NS_OK;
}

enum ns_err api_guard_setup(struct api *a, struct http_config *hc,
                            struct ns_error *err)
{
    double rate = a->cfg.rate_limit;
    double burst = a->cfg.rate_burst > 0 ? a->cfg.rate_burst : 2 * rate;

    if (rate == 0 && a->cfg.rate_burst > 0)
        return ns_error_set(err, NS_ERR_INVALID, "a rate burst of %g "
                            "without a rate limit; expected --rate-limit "
                            "with --rate-burst", a->cfg.rate_burst);
    if (rate < 0 || (rate > 0 && burst < 1))
        return ns_error_set(err, NS_ERR_INVALID, "rate limit %g/s with "
                            "burst %g; expected a rate > 0 and a burst of "
                            "at least 1", rate, burst);
    if (rate > 0) {
        a->ratelimit = ratelimit_new(rate, burst);
        if (a->ratelimit == NULL)
            return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
        hc->ratelimit = a->ratelimit;
        ns_log_info("api", "rate limit per key rate=%g/s burst=%g", rate,
                    burst);
    }
    return setup_tls(a, hc, err);
}

void api_guard_free(struct api *a)
{
    ratelimit_free(a->ratelimit);
    a->ratelimit = NULL;
    free(a->tls_cert);
    if (a->tls_key) {
        /* The private key should not linger in freed memory. */
        explicit_bzero(a->tls_key, strlen(a->tls_key));
        free(a->tls_key);
    }
    a->tls_cert = NULL;
    a->tls_key = NULL;
}
