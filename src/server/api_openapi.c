/* The OpenAPI 3.1 document, generated from the route table itself so it
 * cannot miss a route, with the record's properties taken from the loaded
 * model's schema. */
#include <stdio.h>
#include <string.h>

#include "server/api_int.h"

static const char *const role_names[] = {"public", "reader", "clinic",
                                         "admin"};

/* Success status and what the body holds, per route. */
static const struct {
    const char *method;
    const char *pattern;
    const char *status;
    const char *what;
    const char *request;        /* component name of the body, or NULL */
} answers[] = {
    {"POST", "/appointments", "201", "The stored booking and its score",
     "Record"},
    {"GET", "/appointments", "200", "{items, next_cursor}", NULL},
    {"GET", "/appointments/{id}", "200", "The appointment with events "
     "and notifications: [{outbox_id, state: pending|delivering|"
     "delivered|failed, attempts, next_attempt_at, last_error, "
     "updated_at}]", NULL},
    {"PUT", "/appointments/{id}/outcome", "200", "{id, status, "
     "outcome_at, repeat}", "Outcome"},
    {"POST", "/appointments/{id}/notify", "202", "{id, status, outbox_id, "
     "delivery}", "Notice"},
    {"POST", "/appointments/{id}/confirm", "200", "{id, status: "
     "confirmed, repeat}", NULL},
    {"POST", "/predict", "200", "A Score, or a list of them for a list",
     "Record"},
    {"POST", "/v2/models/noshow/infer", "200", "Outputs probability, "
     "band, label", "InferRequest"},
    {"GET", "/models", "200", "{serving, models: [{version, status, "
     "created, parent, metrics, fingerprint}]}", NULL},
    {"POST", "/models/{id}/promote", "200", "{status, model_version}",
     NULL},
    {"POST", "/models/rollback", "200", "{status, model_version}", NULL},
    {"GET", "/monitoring", "200", "{model_version, drift: {rows, "
     "features: [{name, psi, warning}]}, performance: {versions: "
     "[{model_version, rows, roc_auc, brier, observed_rate, "
     "predicted_rate, weeks}]}}", NULL},
    {"GET", "/actions", "200", "{date, capacity, listed_before, "
     "threshold, costs, control_share, skipped_recent_contact, items: "
     "[{id, risk, gain, group: act|control, recorded_now, status, "
     "delivery}]}: rows listed before first, then new ones by gain",
     NULL},
    {"GET", "/overbooking", "200", "{date, slots, risk, booked, unscored, "
     "advice: {extra, overflow_before, overflow_after, idle_before, "
     "idle_after, show_distribution_before, show_distribution_after, "
     "...} or null when nothing is booked}", NULL},
    {"GET", "/actions/effect", "200", "{acted, control: {appointments, "
     "noshows, noshow_rate}, difference, ci95: [low, high]}", NULL},
};

/* Query parameters of the decision routes. */
static const struct {
    const char *pattern;
    const char *name;
    const char *type;
    int required;
    const char *description;
} query_params[] = {
    {"/actions", "date", "string", 1, "appointment day, YYYY-MM-DD"},
    {"/actions", "capacity", "integer", 1, "calls staff can make, 0-1000"},
    {"/actions", "specialty", "string", 0, "only this specialty"},
    {"/actions", "threshold", "number", 0, "least no-show probability "
     "(default: break-even of the configured costs)"},
    {"/overbooking", "date", "string", 1, "session day, YYYY-MM-DD"},
    {"/overbooking", "specialty", "string", 0, "the session's specialty"},
    {"/overbooking", "slots", "integer", 1, "slots in the session, 1-1000"},
    {"/overbooking", "risk", "number", 1, "accepted chance of more "
     "patients than slots, in (0, 1)"},
};

static void add_query_params(json_t *op, const char *pattern)
{
    json_t *list = NULL;

    for (size_t i = 0; i < sizeof(query_params) / sizeof(query_params[0]);
         i++) {
        if (strcmp(query_params[i].pattern, pattern) != 0)
            continue;
        if (list == NULL)
            list = json_array();
        json_array_append_new(list, json_pack(
            "{s:s, s:s, s:b, s:s, s:{s:s}}", "name", query_params[i].name,
            "in", "query", "required", query_params[i].required,
            "description", query_params[i].description, "schema", "type",
            query_params[i].type));
    }
    if (list != NULL)
        json_object_set_new(op, "parameters", list);
}

static json_t *problem_schema(void)
{
    return json_pack(
        "{s:s, s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s},"
        " s:{s:s, s:{s:s, s:{s:{s:s}, s:{}, s:{s:s}}}}}}",
        "type", "object", "properties", "type", "type", "string", "title",
        "type", "string", "status", "type", "integer", "detail", "type",
        "string", "instance", "type", "string", "errors", "type", "array",
        "items", "type", "object", "properties", "field", "type", "string",
        "value", "expected", "type", "string");
}

static json_t *record_schema(const struct api *a)
{
    struct api_model *m = api_model_acquire((struct api *)a);
    json_t *props = json_object();
    const struct schema *s;
    char expected[160];

    if (m == NULL || props == NULL) {
        api_model_release(m);
        return json_pack("{s:s, s:s, s:o}", "type", "object",
                         "description", "the columns of the loaded "
                         "model's schema (no model is loaded)",
                         "properties", props ? props : json_object());
    }
    s = bundle_schema(m->bundle);
    for (size_t i = 0; i < s->ncols; i++) {
        const struct schema_column *c = &s->cols[i];

        if (c->role == ROLE_TARGET)
            continue;
        api_column_expected(c, expected, sizeof(expected));
        json_object_set_new(props, c->name,
                            json_pack("{s:[s,s,s], s:s}", "type", "string",
                                      "number", "integer", "description",
                                      expected));
    }
    api_model_release(m);
    return json_pack("{s:s, s:b, s:o}", "type", "object",
                     "additionalProperties", 0, "properties", props);
}

static json_t *operation(const struct http_route *rt)
{
    json_t *op = json_pack("{s:s, s:s, s:{}}", "summary",
                           rt->summary ? rt->summary : "", "x-role",
                           role_names[rt->role], "responses");
    json_t *responses = json_object_get(op, "responses");
    static const char *const errs[] = {"400", "401", "403", "404", "409",
                                       "413", "415", "422", "503"};

    json_object_set_new(op, "security", rt->role == HTTP_ROLE_PUBLIC
                                            ? json_array()
                                            : json_pack("[{s:[]}]",
                                                        "bearer"));
    for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
        if (strcmp(answers[i].method, rt->method)
            || strcmp(answers[i].pattern, rt->pattern))
            continue;
        json_object_set_new(responses, answers[i].status,
                            json_pack("{s:s}", "description",
                                      answers[i].what));
        if (answers[i].request)
            json_object_set_new(op, "requestBody", json_pack(
                "{s:{s:{s:{s:s+}}}}", "content", "application/json",
                "schema", "$ref", "#/components/schemas/",
                answers[i].request));
    }
    if (json_object_size(responses) == 0)
        json_object_set_new(responses, "200",
                            json_pack("{s:s}", "description", "OK"));
    for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
        json_object_set_new(responses, errs[i], json_pack(
            "{s:s, s:{s:{s:{s:s}}}}", "description", "problem",
            "content", "application/problem+json", "schema", "$ref",
            "#/components/schemas/Problem"));
    /* {id} is an appointment number, or a model version's name. */
    if (strstr(rt->pattern, "{id}"))
        json_object_set_new(op, "parameters", json_pack(
            "[{s:s, s:s, s:b, s:{s:s}}]", "name", "id", "in", "path",
            "required", 1, "schema", "type",
            strncmp(rt->pattern, "/models/", 8) == 0 ? "string"
                                                     : "integer"));
    add_query_params(op, rt->pattern);
    return op;
}

static json_t *paths(void)
{
    json_t *p = json_object();
    char method[8];

    for (size_t i = 0; p && i < api_nroutes; i++) {
        const struct http_route *rt = &api_routes[i];
        json_t *item = json_object_get(p, rt->pattern);
        size_t k;

        if (item == NULL) {
            item = json_object();
            json_object_set_new(p, rt->pattern, item);
        }
        for (k = 0; rt->method[k] && k < sizeof(method) - 1; k++)
            method[k] = (char)(rt->method[k] | 0x20);
        method[k] = '\0';
        json_object_set_new(item, method, operation(rt));
    }
    return p;
}

json_t *api_openapi(const struct api *a)
{
    return json_pack(
        "{s:s, s:{s:s, s:s, s:s}, s:o, s:{s:{s:{s:s, s:s, s:s}},"
        " s:{s:o, s:o, s:{s:s, s:[s], s:{s:{s:[s,s,s]}, s:{s:s}}},"
        " s:{s:s, s:{s:{s:s}}}, s:{s:s, s:[s], s:{s:{s:s}}}}}}",
        "openapi", "3.1.0", "info", "title", "noshow",
        "version", "1", "description",
        "Predicts missed medical appointments. Keys are sent as "
        "'Authorization: Bearer <key>'; roles reader < clinic < admin, "
        "each route's x-role names the least one. /healthz, /readyz, "
        "/v2/health/*, /metrics and /openapi.json need no key. Errors "
        "are application/problem+json (RFC 9457).",
        "paths", paths(), "components", "securitySchemes", "bearer",
        "type", "http", "scheme", "bearer", "description",
        "an API key from 'noshow keys add'", "schemas", "Problem",
        problem_schema(), "Record", record_schema(a), "Outcome", "type",
        "object", "required", "outcome", "properties", "outcome",
        "enum", "honored", "cancelled", "no_show", "at", "type", "string",
        "Notice", "type", "object", "properties", "message", "type",
        "string", "InferRequest", "type", "object", "required", "inputs",
        "properties", "inputs", "type", "array");
}
