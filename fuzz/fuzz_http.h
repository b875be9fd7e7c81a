/* The service in the fuzzing process: the first input starts it on an
 * in-memory SQLite database with the seed bundle of fuzz/corpus/bundle
 * (or the file NOSHOW_FUZZ_BUNDLE names), a clinic key and one booked
 * appointment (id 1); every input then goes through the real HTTP path
 * (libmicrohttpd, routing, authorisation, JSON parsing, the handler) on
 * one kept-alive connection. An answer must be a status the API
 * documents; a 500 or a dropped connection aborts, so libFuzzer keeps
 * the input. Header-only: each target has its own copy. */
#ifndef NS_FUZZ_HTTP_H
#define NS_FUZZ_HTTP_H

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/api_int.h"
#include "server/auth.h"
#include "util/log.h"
#include "util/timeutil.h"

#define FUZZ_BUNDLE "fuzz/corpus/bundle/tiny.json"

static struct api *fuzz_api;
static CURL *fuzz_curl;
static char fuzz_auth[128];

static size_t fuzz_discard(char *p, size_t sz, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return sz * n;
}

static void fuzz_die(const char *what, const struct ns_error *err)
{
    fprintf(stderr, "fuzz: %s: %s\n", what, err ? err->msg : "failed");
    abort();
}

/* Sends one request; returns the status, aborting on a 500 or on a
 * transport failure (the server dropped the connection or died). */
static long fuzz_http_send(const char *method, const char *path,
                           const char *body, size_t len)
{
    struct curl_slist *hl = NULL;
    char url[4200];
    long status = 0;
    CURLcode rc;

    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", api_port(fuzz_api),
             path);
    hl = curl_slist_append(hl, fuzz_auth);
    hl = curl_slist_append(hl, "Content-Type: application/json");
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(fuzz_curl, CURLOPT_URL, url);
    curl_easy_setopt(fuzz_curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(fuzz_curl, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(fuzz_curl, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(fuzz_curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)(body ? len : 0));
    rc = curl_easy_perform(fuzz_curl);
    curl_easy_getinfo(fuzz_curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hl);
    if (rc == CURLE_URL_MALFORMAT)
        return 0;
    if (rc != CURLE_OK || (status >= 500 && status != 503)) {
        fprintf(stderr, "fuzz: %s %s answered %ld (%s)\n", method, path,
                status, curl_easy_strerror(rc));
        abort();
    }
    return status;
}

static void fuzz_add_key(void)
{
    char key[64], hash[AUTH_HEX_LEN];
    struct ns_error err;
    int64_t id;

    if (auth_key_generate(key, sizeof(key), &err) != NS_OK
        || auth_key_hash(key, hash, &err) != NS_OK
        || store_key_add(fuzz_api->store, hash, STORE_ROLE_CLINIC, "fuzz",
                         ns_now_ms(), &id, &err) != NS_OK)
        fuzz_die("adding a key", &err);
    snprintf(fuzz_auth, sizeof(fuzz_auth), "Authorization: Bearer %s", key);
}

static const char fuzz_booking[] =
    "{\"PatientId\":\"29872499824296\",\"AppointmentID\":\"5642903\","
    "\"Gender\":\"F\",\"ScheduledDay\":\"2016-04-29T18:38:08Z\","
    "\"AppointmentDay\":\"2016-04-29T00:00:00Z\",\"Age\":62,"
    "\"Neighbourhood\":\"JARDIM DA PENHA\",\"Scholarship\":0,"
    "\"Hipertension\":1,\"Diabetes\":0,\"Alcoholism\":0,\"Handcap\":0,"
    "\"SMS_received\":0}";

/* Starts the service once per process. */
static void fuzz_http_setup(void)
{
    struct api_config cfg = {0};
    const char *bundle = getenv("NOSHOW_FUZZ_BUNDLE");
    struct ns_error err;

    if (fuzz_api)
        return;
    ns_log_threshold = NS_LOG_ERROR;
    cfg.db_url = "sqlite::memory:";
    cfg.model_path = bundle ? bundle : FUZZ_BUNDLE;
    cfg.threads = 1;
    cfg.body_limit = 64 * 1024;
    if (api_start(&cfg, &fuzz_api, &err) != NS_OK)
        fuzz_die("starting the service", &err);
    fuzz_curl = curl_easy_init();
    if (fuzz_curl == NULL)
        fuzz_die("curl_easy_init", NULL);
    curl_easy_setopt(fuzz_curl, CURLOPT_WRITEFUNCTION, fuzz_discard);
    curl_easy_setopt(fuzz_curl, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(fuzz_curl, CURLOPT_NOSIGNAL, 1L);
    fuzz_add_key();
    if (fuzz_http_send("POST", "/appointments", fuzz_booking,
                       strlen(fuzz_booking)) != 201)
        fuzz_die("booking the fixture appointment", NULL);
}

#endif
