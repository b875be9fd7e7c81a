/* A generated table on the kaggle-like hand schema with a known signal:
 * the no-show chance rises with lead time and neighbourhood "B" and
 * falls with an SMS reminder. Seeded, so every run sees the same rows. */
#ifndef NS_TEST_GEN_TABLE_H
#define NS_TEST_GEN_TABLE_H

#include <math.h>

#include "data/table.h"
#include "model/split.h"
#include "support/hand_schema.h"

static const char *const gen_hoods[4] = {"A", "B", "C", "D"};

/* Appends n rows of npatients patients to t (made on the hand kaggle
 * schema). Returns 0, or -1 when out of memory. */
static inline int gen_table_fill(struct table *t, size_t n,
                                 size_t npatients, uint64_t seed)
{
    struct split_rng rng;
    struct record *r = record_new(t->schema);
    int64_t start = hand_instant("2016-04-01T00:00:00Z");
    char patient[32];
    int rc = 0;

    if (r == NULL)
        return -1;
    split_rng_seed(&rng, seed);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int day = (int)split_rng_below(&rng, 40);
        int lead = (int)split_rng_below(&rng, 30);
        int hood = (int)split_rng_below(&rng, 4);
        int sms = split_rng_uniform(&rng) < 0.4;
        double z = -1.6 + 0.08 * lead - 1.0 * sms + (hood == 1 ? 1.2 : 0);

        snprintf(patient, sizeof(patient), "p%d",
                 (int)split_rng_below(&rng, npatients));
        hand_row(r, patient, NULL, NULL,
                 (double)split_rng_below(&rng, 90),
                 split_rng_uniform(&rng) < 0.6 ? "F" : "M",
                 gen_hoods[hood],
                 split_rng_uniform(&rng) < 1 / (1 + exp(-z)));
        r->booked_at = start + day * 86400 +
                       (int64_t)split_rng_below(&rng, 10) * 3600 + 28800;
        r->appt_day = (int32_t)(start / 86400 + day + lead);
        r->num[HC_SMS] = sms;
        r->line = (long)i + 2;
        if (table_append(t, r) != NS_OK)
            rc = -1;
    }
    record_free(r);
    return rc;
}

#endif
