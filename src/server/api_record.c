/* JSON object -> raw column texts -> clean_values -> typed record, so a
 * record sent to the API takes the same cleaning path as a CSV row. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/clean.h"
#include "server/api_int.h"
#include "util/timeutil.h"

void api_column_expected(const struct schema_column *c, char *buf, size_t n)
{
    char range[96] = "";

    if (!isnan(c->min) && !isnan(c->max))
        snprintf(range, sizeof(range), " from %g to %g", c->min, c->max);
    else if (!isnan(c->min))
        snprintf(range, sizeof(range), " of at least %g", c->min);
    else if (!isnan(c->max))
        snprintf(range, sizeof(range), " of at most %g", c->max);
    switch (c->role) {
    case ROLE_NUMERIC:
        snprintf(buf, n, "%s%s", c->integer ? "an integer" : "a number",
                 range);
        break;
    case ROLE_BINARY:
        snprintf(buf, n, "0 or 1 (or true/false)");
        break;
    case ROLE_CATEGORICAL:
        snprintf(buf, n, "a string (a category)");
        break;
    case ROLE_BOOKED_AT:
        snprintf(buf, n, "a date-time such as 2016-04-29T18:38:08Z");
        break;
    case ROLE_APPT_DATE:
        snprintf(buf, n, "a date such as 2016-04-29");
        break;
    case ROLE_APPT_TIME:
        snprintf(buf, n, "a time of day HH:MM");
        break;
    case ROLE_PATIENT_ID:
    case ROLE_APPT_ID:
        snprintf(buf, n, "an identifier (string or integer)");
        break;
    case ROLE_TARGET:
    case ROLE_IGNORE:
        snprintf(buf, n, "a string or a number");
        break;
    }
}

static enum ns_err add_error(json_t *errors, const char *prefix,
                             const char *field, const json_t *value,
                             const char *expected, struct ns_error *err)
{
    char name[256];
    json_t *e;

    snprintf(name, sizeof(name), "%s%s", prefix, field);
    e = http_error_entry(name, value ? json_deep_copy(value) : NULL,
                         expected);
    if (e == NULL || json_array_append_new(errors, e))
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    return NS_OK;
}

/* The text clean_values reads for one JSON value. NS_ERR_INVALID for a
 * type the column cannot take. */
static enum ns_err value_text(const struct schema_column *c,
                              const json_t *v, char **out)
{
    char num[64];

    *out = NULL;
    switch (json_typeof(v)) {
    case JSON_NULL:
        /* An empty value, as an empty CSV cell: the column's missing
         * policy decides. */
        *out = strdup("");
        return *out ? NS_OK : NS_ERR_NOMEM;
    case JSON_STRING:
        *out = strdup(json_string_value(v));
        return *out ? NS_OK : NS_ERR_NOMEM;
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
        break;
    case JSON_REAL:
        snprintf(num, sizeof(num), "%.17g", json_real_value(v));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        if (c->role != ROLE_BINARY && c->role != ROLE_TARGET)
            return NS_ERR_INVALID;
        snprintf(num, sizeof(num), "%d", json_is_true(v) ? 1 : 0);
        break;
    default:
        return NS_ERR_INVALID;
    }
    *out = strdup(num);
    return *out ? NS_OK : NS_ERR_NOMEM;
}

static enum ns_err check_unknown(const struct schema *s, const json_t *obj,
                                 const char *prefix, json_t *errors,
                                 struct ns_error *err)
{
    const char *key;
    json_t *v;
    char expected[160];

    snprintf(expected, sizeof(expected), "a column of the schema '%s' "
             "(GET /model lists them)", s->name);
    json_object_foreach((json_t *)obj, key, v) {
        if (schema_find_name(s, key) >= 0)
            continue;
        if (add_error(errors, prefix, key, v, expected, err) != NS_OK)
            return NS_ERR_NOMEM;
    }
    return NS_OK;
}

static enum ns_err collect_values(const struct schema *s, const json_t *obj,
                                  const char *prefix, struct api_rec *r,
                                  json_t *errors, struct ns_error *err)
{
    char expected[160];

    for (size_t i = 0; i < s->ncols; i++) {
        const struct schema_column *c = &s->cols[i];
        const json_t *v = json_object_get(obj, c->name);
        enum ns_err rc;

        if (v == NULL) {
            /* As a CSV header without a required column: refused. An
             * optional one stays "not in the input". */
            if (!c->required)
                continue;
            api_column_expected(c, expected + 10, sizeof(expected) - 10);
            memcpy(expected, "required: ", 10);
            if (add_error(errors, prefix, c->name, NULL, expected, err))
                return NS_ERR_NOMEM;
            continue;
        }
        rc = value_text(c, v, &r->texts[i]);
        if (rc == NS_ERR_NOMEM)
            return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
        if (rc != NS_OK) {
            api_column_expected(c, expected, sizeof(expected));
            if (add_error(errors, prefix, c->name, v, expected, err))
                return NS_ERR_NOMEM;
            continue;
        }
        r->vals[i].ptr = r->texts[i];
        r->vals[i].len = strlen(r->texts[i]);
    }
    return NS_OK;
}

static enum ns_err first_error(const json_t *errors, struct ns_error *err)
{
    const json_t *e = json_array_get(errors, 0);
    const char *field = json_string_value(json_object_get(e, "field"));
    const char *exp = json_string_value(json_object_get(e, "expected"));
    const json_t *v = json_object_get(e, "value");
    char *text = v && !json_is_null(v)
                     ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT)
                     : NULL;
    size_t n = json_array_size(errors);
    enum ns_err rc;

    rc = ns_error_field(err, NS_ERR_INVALID, field ? field : "",
                        "field '%s': %s%.60s%s; expected %s%s",
                        field ? field : "", text ? "value " : "",
                        text ? text : "missing or null",
                        text && strlen(text) > 60 ? "..." : "",
                        exp ? exp : "another value",
                        n > 1 ? " (and more in 'errors')" : "");
    free(text);
    return rc;
}

/* An appointment day before its booking day: the generic "a date"
 * would not say what is wrong, so name both fields and both days, in
 * the expected text and in the message. */
static void lead_error(const struct schema *s, const struct record *rec,
                       const char *prefix, char *expected, size_t n,
                       struct ns_error *err)
{
    const char *appt = s->cols[schema_find_role(s, ROLE_APPT_DATE)].name;
    const char *booked = s->cols[schema_find_role(s, ROLE_BOOKED_AT)].name;
    char aday[11], bday[11];

    ns_format_date(rec->appt_day, aday);
    ns_format_date(ns_day_of(rec->booked_at), bday);
    snprintf(expected, n, "a day on or after the booking day %s of "
             "'%s%s'", bday, prefix, booked);
    ns_error_field(err, NS_ERR_INVALID, appt,
                   "field '%s%s': the appointment day %s is before the "
                   "booking day %s of field '%s%s'; expected an "
                   "appointment on or after the day it was booked",
                   prefix, appt, aday, bday, prefix, booked);
}

enum ns_err api_rec_parse(const struct schema *s, const json_t *obj,
                          const char *prefix, struct api_rec *r,
                          json_t **errors, struct ns_error *err)
{
    enum clean_reason reason = CLEAN_OK;
    enum ns_err rc;
    char expected[160];
    int col;

    memset(r, 0, sizeof(*r));
    r->ncols = s->ncols;
    *errors = json_array();
    r->vals = calloc(s->ncols, sizeof(*r->vals));
    r->texts = calloc(s->ncols, sizeof(*r->texts));
    r->rec = record_new(s);
    if (*errors == NULL || !r->vals || !r->texts || !r->rec)
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    if (!json_is_object(obj)) {
        if (add_error(*errors, "", prefix[0] ? prefix : "(body)", obj,
                      "a JSON object whose members are the schema's "
                      "columns", err))
            return NS_ERR_NOMEM;
        return first_error(*errors, err);
    }
    if (check_unknown(s, obj, prefix, *errors, err) != NS_OK
        || collect_values(s, obj, prefix, r, *errors, err) != NS_OK)
        return NS_ERR_NOMEM;
    if (json_array_size(*errors) > 0)
        return first_error(*errors, err);
    rc = clean_values(s, r->vals, false, r->rec, &reason, err);
    if (rc == NS_OK) {
        json_decref(*errors);
        *errors = NULL;
        return NS_OK;
    }
    if (rc == NS_ERR_NOMEM)
        return rc;
    col = schema_find_name(s, err->field);
    if (reason == CLEAN_NEGATIVE_LEAD)
        lead_error(s, r->rec, prefix, expected, sizeof(expected), err);
    else if (col >= 0)
        api_column_expected(&s->cols[col], expected, sizeof(expected));
    if (add_error(*errors, prefix, err->field,
                  col >= 0 ? json_object_get(obj, err->field) : NULL,
                  col >= 0 ? expected : NULL, err))
        return NS_ERR_NOMEM;
    return NS_ERR_INVALID;
}

void api_rec_free(struct api_rec *r)
{
    for (size_t i = 0; r->texts && i < r->ncols; i++)
        free(r->texts[i]);
    free(r->texts);
    free(r->vals);
    record_free(r->rec);
    memset(r, 0, sizeof(*r));
}
