/* Schemas and records built by hand for unit tests, so that table,
 * encoder, history and pipeline tests need no CSV or schema parsing. */
#ifndef NS_TEST_HAND_SCHEMA_H
#define NS_TEST_HAND_SCHEMA_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/record.h"
#include "data/schema.h"
#include "util/timeutil.h"

struct hand_col {
    const char *name;
    const char *label;      /* NULL: none */
    enum schema_role role;
};

/* Kaggle-like columns, in file order. */
enum {
    HC_PATIENT, HC_APPT_ID, HC_GENDER, HC_BOOKED, HC_DAY, HC_AGE,
    HC_HOOD, HC_SMS, HC_TARGET, HC_NCOLS
};

static const struct hand_col hand_kaggle_cols[HC_NCOLS] = {
    {"PatientId", NULL, ROLE_PATIENT_ID},
    {"AppointmentID", NULL, ROLE_APPT_ID},
    {"Gender", "gender", ROLE_CATEGORICAL},
    {"ScheduledDay", NULL, ROLE_BOOKED_AT},
    {"AppointmentDay", NULL, ROLE_APPT_DATE},
    {"Age", "age", ROLE_NUMERIC},
    {"Neighbourhood", "neighbourhood", ROLE_CATEGORICAL},
    {"SMS_received", "SMS reminder", ROLE_BINARY},
    {"No-show", NULL, ROLE_TARGET},
};

/* Caller frees with hand_schema_free(); NULL when out of memory. */
static inline struct schema *hand_schema(const struct hand_col *cols,
                                         size_t n)
{
    struct schema *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return NULL;
    s->cols = calloc(n, sizeof(*s->cols));
    if (s->cols == NULL) {
        free(s);
        return NULL;
    }
    snprintf(s->name, sizeof(s->name), "hand-made");
    s->ncols = n;
    for (size_t c = 0; c < n; c++) {
        struct schema_column *sc = &s->cols[c];

        snprintf(sc->name, sizeof(sc->name), "%s", cols[c].name);
        snprintf(sc->label, sizeof(sc->label), "%s",
                 cols[c].label ? cols[c].label : "");
        sc->role = cols[c].role;
        sc->min = NAN;
        sc->max = NAN;
    }
    return s;
}

static inline void hand_schema_free(struct schema *s)
{
    if (s == NULL)
        return;
    free(s->cols);
    free(s->text);
    free(s);
}

static inline int64_t hand_instant(const char *text)
{
    int64_t t = NS_TIME_NONE;

    if (ns_parse_datetime(text, strlen(text), &t) != NS_OK)
        abort();
    return t;
}

static inline int32_t hand_day(const char *text)
{
    int32_t d = NS_DAY_NONE;

    if (ns_parse_date(text, strlen(text), &d) != NS_OK)
        abort();
    return d;
}

/* Fills r (from record_new on the kaggle-like schema) with one
 * appointment; NULL texts and NAN numbers are missing values. */
static inline void hand_row(struct record *r, const char *patient,
                            const char *booked, const char *day, double age,
                            const char *gender, const char *hood, int label)
{
    record_reset(r);
    r->patient = patient ? patient : "";
    r->booked_at = booked ? hand_instant(booked) : NS_TIME_NONE;
    r->appt_day = day ? hand_day(day) : NS_DAY_NONE;
    r->num[HC_AGE] = age;
    r->num[HC_SMS] = 0;
    r->text[HC_GENDER] = gender;
    r->text[HC_HOOD] = hood;
    r->label = label;
}

#endif
