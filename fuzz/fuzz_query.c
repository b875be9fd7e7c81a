/* libFuzzer target for query strings: GET /appointments (status,
 * min_risk, from, to, specialty, limit and the opaque cursor), GET
 * /actions (date, capacity, specialty, threshold), GET /overbooking
 * (date, specialty, slots, risk) and the {id} segment of GET
 * /appointments/{id}. The first byte picks one: odd, the {id}; even,
 * (byte / 2) % 3 picks the list, the action list or the overbooking
 * advice. The rest is the string. Bytes that cannot appear in a URL are
 * percent-encoded; '&', '=', '%' and '+' stay raw so that the fuzzer
 * shapes the pairs itself. Any input gets 200, 400, 404 or 422, never a
 * 500 or a crash. Build: make fuzz; run: scripts/fuzz.sh query. */
#include <stdint.h>

#include "fuzz_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t encode(const uint8_t *data, size_t size, char *out,
                     size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    for (size_t i = 0; i < size && o + 4 < cap; i++) {
        uint8_t c = data[i];

        if (c > 0x20 && c < 0x7f && c != '#' && c != '"' && c != '\\'
            && c != '<' && c != '>' && c != '`' && c != '{' && c != '}'
            && c != '|' && c != '^') {
            out[o++] = (char)c;
            continue;
        }
        out[o++] = '%';
        out[o++] = hex[c >> 4];
        out[o++] = hex[c & 15];
    }
    out[o] = '\0';
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const lists[] = {"/appointments", "/actions",
                                        "/overbooking"};
    char path[4096];
    char enc[3900];
    long status;

    if (size == 0)
        return 0;
    fuzz_http_setup();
    encode(data + 1, size - 1, enc, sizeof(enc));
    if (data[0] & 1)
        snprintf(path, sizeof(path), "/appointments/%s", enc);
    else
        snprintf(path, sizeof(path), "%s?%s", lists[(data[0] >> 1) % 3],
                 enc);
    status = fuzz_http_send("GET", path, NULL, 0);
    if (status != 0 && status != 200 && status != 404 && status != 422
        && status != 400) {
        fprintf(stderr, "fuzz: GET %s answered %ld\n", path, status);
        abort();
    }
    return 0;
}
