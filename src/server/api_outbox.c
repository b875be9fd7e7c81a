/* The notification outbox worker: one thread claims due jobs from the
 * store and POSTs each payload to the webhook with libcurl; a failure
 * goes back to the store with exponential backoff (2 s, 4 s, ... capped
 * at 5 minutes) until OUTBOX_MAX_ATTEMPTS. Claims are atomic in the store,
 * so several replicas may each run a worker. Without a webhook URL a job
 * is closed at once as failed with last_error "no webhook configured". */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/api_int.h"
#include "server/worker.h"
#include "util/log.h"
#include "util/timeutil.h"

#define OUTBOX_MAX_ATTEMPTS 8
#define OUTBOX_STALE_MS (5 * 60 * 1000)
#define OUTBOX_BACKOFF_MAX_MS (5 * 60 * 1000)
#define OUTBOX_HTTP_TIMEOUT_S 5L

struct api_outbox {
    struct api *a;
    struct worker w;
    unsigned long claims;
};

static size_t discard(char *p, size_t sz, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return sz * n;
}

/* One POST; NS_OK on a 2xx answer, else the reason in err. */
static enum ns_err deliver(const char *url, const char *payload,
                           struct ns_error *err)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    long status = 0;
    CURLcode cc;
    enum ns_err rc = NS_OK;

    if (c == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "curl_easy_init failed");
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, OUTBOX_HTTP_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (cc != CURLE_OK)
        rc = ns_error_set(err, NS_ERR_IO, "webhook: %s",
                          curl_easy_strerror(cc));
    else if (status < 200 || status > 299)
        rc = ns_error_set(err, NS_ERR_IO, "webhook answered HTTP %ld",
                          status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return rc;
}

static int64_t backoff_ms(int attempts)
{
    int64_t ms = 1000;

    for (int i = 0; i < attempts && ms < OUTBOX_BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms < OUTBOX_BACKOFF_MAX_MS ? ms : OUTBOX_BACKOFF_MAX_MS;
}

/* Handles one due job; false when none was due or the store failed. */
static bool run_one(struct api_outbox *o)
{
    struct api *a = o->a;
    struct store_outbox_job job = {0};
    struct ns_error err;
    char token[96];
    enum ns_err rc;
    int64_t now = ns_now_ms();

    ns_error_clear(&err);
    snprintf(token, sizeof(token), "%ld:%lu", (long)getpid(), ++o->claims);
    rc = store_outbox_claim(a->store, token, now, OUTBOX_STALE_MS, &job,
                            &err);
    if (rc != NS_OK) {
        if (rc != NS_DONE)
            ns_log_warn("outbox", "claim failed: %s", err.msg);
        return false;
    }
    if (a->cfg.webhook_url == NULL) {
        ns_log_info("outbox", "job=%lld not delivered: no webhook "
                    "configured", (long long)job.id);
        rc = store_outbox_retry(a->store, job.id, token,
                                "no webhook configured", now, now, 1,
                                &err);
    } else if (deliver(a->cfg.webhook_url, job.payload_json, &err)
               == NS_OK) {
        ns_log_info("outbox", "job=%lld delivered attempts=%d",
                    (long long)job.id, job.attempts);
        rc = store_outbox_done(a->store, job.id, token, ns_now_ms(), &err);
    } else {
        ns_log_warn("outbox", "job=%lld attempt=%d failed: %s",
                    (long long)job.id, job.attempts, err.msg);
        rc = store_outbox_retry(a->store, job.id, token, err.msg,
                                ns_now_ms(),
                                ns_now_ms() + backoff_ms(job.attempts),
                                OUTBOX_MAX_ATTEMPTS, &err);
    }
    if (rc != NS_OK)
        ns_log_warn("outbox", "job=%lld state not saved: %s",
                    (long long)job.id, err.msg);
    store_outbox_job_free(&job);
    return rc == NS_OK;
}

/* Delivers every due job, then sleeps until the next poll or a kick. */
static void outbox_step(void *arg)
{
    struct api_outbox *o = arg;

    while (run_one(o) && !worker_stopping(&o->w))
        ;
}

enum ns_err api_outbox_start(struct api *a, struct api_outbox **out,
                             struct ns_error *err)
{
    struct api_outbox *o = calloc(1, sizeof(*o));
    enum ns_err rc;

    *out = NULL;
    if (o == NULL)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    o->a = a;
    rc = worker_start(&o->w, "outbox", a->cfg.outbox_poll_ms
                                           ? a->cfg.outbox_poll_ms : 1000,
                      outbox_step, o, err);
    if (rc != NS_OK) {
        free(o);
        return rc;
    }
    *out = o;
    return NS_OK;
}

void api_outbox_kick(struct api_outbox *o)
{
    if (o != NULL)
        worker_kick(&o->w);
}

void api_outbox_stop(struct api_outbox *o)
{
    if (o == NULL)
        return;
    worker_stop(&o->w);
    free(o);
}
