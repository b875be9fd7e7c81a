/* libFuzzer target for the JSON request decoding of the service: any
 * bytes either fail to parse as JSON or, checked against the built-in
 * schemas, give a typed record or NS_ERR_INVALID with at least one
 * {"field", "value", "expected"} entry naming a field; never a crash.
 * Build: make fuzz. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/api_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct schema *schemas[2];

static void check(const struct schema *s, const json_t *obj)
{
    struct api_rec r;
    json_t *errors = NULL;
    struct ns_error err;
    enum ns_err rc;

    rc = api_rec_parse(s, obj, "[0].", &r, &errors, &err);
    if (rc == NS_ERR_INVALID) {
        const json_t *e = json_array_get(errors, 0);

        if (!json_is_string(json_object_get(e, "field"))
            || json_object_get(e, "value") == NULL)
            abort();
    } else if (rc != NS_OK && rc != NS_ERR_NOMEM) {
        abort();
    }
    json_decref(errors);
    api_rec_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *obj;

    if (schemas[0] == NULL
        && (schema_builtin("kaggle-noshow", &schemas[0], NULL) != NS_OK
            || schema_builtin("doctolib", &schemas[1], NULL) != NS_OK))
        abort();
    obj = json_loadb((const char *)data, size,
                     JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
    if (obj == NULL)
        return 0;
    check(schemas[0], obj);
    check(schemas[1], obj);
    json_decref(obj);
    return 0;
}
