/* libFuzzer target for the tensors of POST /v2/models/noshow/infer:
 * any bytes, sent as the JSON body, get a documented answer (2xx, 400,
 * 404, 409, 413, 415, 422 or 503), never a 500 or a crash. Build: make
 * fuzz; run: scripts/fuzz.sh req_infer. */
#include <stdint.h>

#include "fuzz_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_http_setup();
    fuzz_http_send("POST", "/v2/models/noshow/infer", (const char *)data, size);
    return 0;
}
