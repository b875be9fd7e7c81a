/* A small made-up appointments file in the kaggle-noshow layout, written
 * from a seeded generator so model tests need no large fixture: no-shows
 * grow with lead time, fall with SMS reminders, and repeat for a few
 * "unreliable" patients, over 2016-04-29 to 2016-05-31. */
#ifndef NS_TEST_SYNTH_H
#define NS_TEST_SYNTH_H

#include <stdint.h>
#include <stdio.h>

#include "util/timeutil.h"

static inline uint64_t synth_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline double synth_unif(uint64_t *s)
{
    return (double)(synth_next(s) >> 11) / 9007199254740992.0;
}

static const char *const synth_hoods[] = {"CENTRO", "PRAIA", "JARDIM",
                                          "MARIA ORTIZ", "ITARARE"};

/* Writes n rows to path. label_mode: 0 realistic, 1 every row "No",
 * 2 every label misspelt. Returns 0 on success. */
static inline int synth_write(const char *path, int n, uint64_t seed,
                              int label_mode)
{
    FILE *f = fopen(path, "w");
    int32_t first = ns_days_from_civil(2016, 4, 29);
    uint64_t s = seed;

    if (f == NULL)
        return -1;
    fputs("PatientId,AppointmentID,Gender,ScheduledDay,AppointmentDay,"
          "Age,Neighbourhood,Scholarship,Hipertension,Diabetes,"
          "Alcoholism,Handcap,SMS_received,No-show\n", f);
    for (int i = 0; i < n; i++) {
        int patient = 100 + (int)(synth_next(&s) % 160);
        int32_t appt = first + (int32_t)(synth_next(&s) % 33);
        int lead = (int)(synth_next(&s) % 12);
        int32_t booked = appt - lead < first - 20 ? appt : appt - lead;
        int sms = lead > 2 && synth_next(&s) % 2;
        int age = (int)(synth_next(&s) % 90);
        double p = 0.04 + 0.035 * lead - 0.08 * sms +
                   (patient % 7 == 0 ? 0.35 : 0.0);
        int y = synth_unif(&s) < p;
        char b[11], a[11];
        const char *lab = y ? "Yes" : "No";

        ns_format_date(booked, b);
        ns_format_date(appt, a);
        if (label_mode == 1)
            lab = "No";
        else if (label_mode == 2)
            lab = y ? "yes!" : "nope";
        fprintf(f, "%d,%d,%s,%sT%02d:%02d:00Z,%sT00:00:00Z,%d,%s,0,%d,0,"
                "0,0,%d,%s\n", patient, 5000000 + i,
                synth_next(&s) % 2 ? "F" : "M", b,
                7 + (int)(synth_next(&s) % 10), (int)(synth_next(&s) % 60),
                a, age, synth_hoods[synth_next(&s) % 5], age > 60, sms, lab);
    }
    return fclose(f) == 0 ? 0 : -1;
}

#endif
