/* libFuzzer target for the sign-in body of POST /session (the web app's
 * login, served before the route table): any bytes, sent as the JSON
 * body, get a documented answer (200, 400, 401, 413, 415 or 422), never
 * a 500 or a crash. Build: make fuzz; run: scripts/fuzz.sh req_session. */
#include <stdint.h>

#include "fuzz_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long status;

    fuzz_http_setup();
    status = fuzz_http_send("POST", "/session", (const char *)data, size);
    if (status != 0 && status != 200 && status != 400 && status != 401
        && status != 413 && status != 415 && status != 422) {
        fprintf(stderr, "fuzz: POST /session answered %ld\n", status);
        abort();
    }
    return 0;
}
