/* Bookings per second into the store, as the service writes them: one
 * transaction per booking with its row (23 feature columns), two events
 * and an idempotency row.
 * Built and run by bench/store_book.sh; by hand:
 *   build/store_book sqlite:/tmp/bench.db THREADS SECONDS */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

#define N_FEATURES 23

static const char *const names[N_FEATURES] = {
    "scholarship", "hypertension", "diabetes", "alcoholism", "disability",
    "days_between", "hospital_area", "specialty", "facility_type",
    "distance_km", "type_of_care", "previously_treated", "age",
    "social_status", "sms_received", "weather_conditions",
    "appointment_time", "gender", "consultations_last_12_months",
    "waiting_time_minutes", "hospital_rating", "average_fee",
    "number_days",
};

struct worker {
    struct store *s;
    int id;
    double until;
    long done;
    enum ns_err rc;
    struct ns_error err;
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static enum ns_err respond(void *ctx, int64_t id, char **json, int *status,
                           struct ns_error *err)
{
    char buf[96];

    (void)ctx;
    (void)err;
    snprintf(buf, sizeof(buf), "{\"id\":%lld,\"probability\":0.31}",
             (long long)id);
    *json = strdup(buf);
    *status = 201;
    return *json ? NS_OK : NS_ERR_NOMEM;
}

static void *run(void *arg)
{
    static const struct store_event_in ev[] = {
        {"booked", "bench", NULL},
        {"scored", "bench", "{\"risk\":0.31,\"model\":\"m1\"}"},
    };
    struct worker *w = arg;
    struct store_value vals[N_FEATURES];
    char key[48], patient[32];

    for (int i = 0; i < N_FEATURES; i++) {
        vals[i].type = i == 6 || i == 17 ? STORE_COL_TEXT : STORE_COL_REAL;
        vals[i].num = i;
        vals[i].text = "text";
    }
    while (now_s() < w->until) {
        struct store_appt_new a = {
            .patient_ref = patient, .booked_at = 1700000000 + w->done,
            .appt_day = 19700, .appt_time = 36000, .specialty = "eye",
            .risk = 0.31, .band = "medium", .model_version = "m1",
            .reasons_json = "[{\"feature\":\"lead_days\",\"shap\":0.4}]",
            .input_json = "{\"age\":40,\"gender\":\"F\"}",
            .n_features = N_FEATURES, .feature_names = names,
            .feature_values = vals, .events = ev, .n_events = 2,
            .now_ms = 1700000000000LL,
        };
        struct store_idem k = {key, "hash"};
        struct store_book_result r;

        snprintf(key, sizeof(key), "%d-w%d-%ld", (int)getpid(), w->id,
                 w->done);
        snprintf(patient, sizeof(patient), "p%ld", w->done % 5000);
        w->rc = store_book(w->s, &a, &k, respond, NULL, &r, &w->err);
        store_book_result_free(&r);
        if (w->rc != NS_OK)
            return NULL;
        w->done++;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    enum store_col_type types[N_FEATURES];
    struct worker w[8];
    pthread_t t[8];
    struct store *s = NULL;
    struct ns_error err = {0};
    long threads, secs, total = 0;
    double t0;
    char *end;

    if (argc != 4)
        return fprintf(stderr, "usage: store_book URL THREADS SECONDS\n"), 2;
    errno = 0;
    threads = strtol(argv[2], &end, 10);
    secs = strtol(argv[3], &end, 10);
    if (errno || threads < 1 || threads > 8 || secs < 1 || secs > 60)
        return fprintf(stderr, "threads 1..8, seconds 1..60\n"), 2;
    for (int i = 0; i < N_FEATURES; i++)
        types[i] = i == 6 || i == 17 ? STORE_COL_TEXT : STORE_COL_REAL;
    if (store_open(argv[1], &s, &err) != NS_OK ||
        store_ensure_schema_columns(s, names, types, N_FEATURES, &err)
            != NS_OK)
        return fprintf(stderr, "store_book: %s\n", err.msg), 1;
    t0 = now_s();
    for (long i = 0; i < threads; i++) {
        w[i] = (struct worker){.s = s, .id = (int)i,
                               .until = t0 + (double)secs};
        pthread_create(&t[i], NULL, run, &w[i]);
    }
    for (long i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        if (w[i].rc != NS_OK)
            fprintf(stderr, "store_book: worker %ld: %s\n", i,
                    w[i].err.msg);
        total += w[i].done;
    }
    printf("threads=%ld bookings=%ld seconds=%.2f bookings_per_s=%.0f\n",
           threads, total, now_s() - t0, (double)total / (now_s() - t0));
    store_close(s);
    return 0;
}
