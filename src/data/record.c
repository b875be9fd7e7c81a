#include "data/record.h"

#include <math.h>
#include <stdlib.h>

#include "util/timeutil.h"

struct record *record_new(const struct schema *s)
{
    struct record *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return NULL;
    r->ncols = s->ncols;
    r->num = calloc(s->ncols ? s->ncols : 1, sizeof(*r->num));
    r->text = calloc(s->ncols ? s->ncols : 1, sizeof(*r->text));
    if (r->num == NULL || r->text == NULL) {
        record_free(r);
        return NULL;
    }
    record_reset(r);
    return r;
}

void record_reset(struct record *r)
{
    r->line = 0;
    r->appt_id = "";
    r->patient = "";
    r->booked_at = NS_TIME_NONE;
    r->appt_day = NS_DAY_NONE;
    r->appt_time = -1;
    r->label = -1;
    for (size_t i = 0; i < r->ncols; i++) {
        r->num[i] = NAN;
        r->text[i] = NULL;
    }
}

void record_free(struct record *r)
{
    if (r == NULL)
        return;
    free(r->num);
    free(r->text);
    free(r);
}
