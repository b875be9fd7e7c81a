/* libFuzzer target for the schema language: any text must parse or give
 * an error located at "fuzz:LINE:", never crash; a schema that parses is
 * then bound to a header of its own names and used to clean a row made
 * of the input's bytes. Build: make fuzz. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/clean.h"
#include "data/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void use(const struct schema *s, const char *text, size_t size)
{
    struct csv_field names[SCHEMA_MAX_COLUMNS], vals[SCHEMA_MAX_COLUMNS];
    struct csv_row h = {1, s->ncols, names};
    struct schema_binding *b = NULL;
    struct record *r = record_new(s);
    enum clean_reason why;
    struct ns_error err;

    for (size_t i = 0; i < s->ncols; i++) {
        size_t at = size ? (i * 7) % size : 0;
        size_t n = size - at < 12 ? size - at : 12;
        const char *nul = memchr(text + at, '\0', n);

        names[i].ptr = s->cols[i].name;
        names[i].len = strlen(s->cols[i].name);
        vals[i].ptr = text + at;
        vals[i].len = nul ? (size_t)(nul - (text + at)) : n;
    }
    if (schema_bind(s, &h, "fuzz", &b, &err) != NS_OK)
        abort();
    if (r != NULL)
        (void)!clean_values(s, vals, size % 2, r, &why, &err);
    record_free(r);
    schema_binding_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct schema *s = NULL;
    struct ns_error err;
    char *text = malloc(size + 1);

    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (schema_parse(text, size, "fuzz", &s, &err) == NS_OK)
        use(s, text, size);
    else if (strncmp(err.msg, "fuzz:", 5) != 0)
        abort();
    schema_free(s);
    free(text);
    return 0;
}
