/* DELETE /patients/{ref}: the right to erasure. The client names the
 * patient by the id it knows; the server hashes it with the pseudonym
 * key, as at booking, and erases what the store holds under that
 * pseudonym. */
#include <stdio.h>
#include <string.h>

#include "server/api_int.h"
#include "util/log.h"
#include "util/timeutil.h"

static const char *actor_of(const struct http_req *req, char *buf,
                            size_t n)
{
    snprintf(buf, n, "key:%lld", (long long)req->key_id);
    return buf;
}

void api_h_patient_erase(struct http_req *req, struct http_resp *resp)
{
    struct api *a = req->app;
    char ref[AUTH_HEX_LEN];
    char actor[32];
    struct ns_error err;
    int64_t n = 0;

    ns_error_clear(&err);
    if (auth_pseudonymise(&a->pseudo, req->id, ref, &err) != NS_OK
        || store_erase_patient(a->store, ref, actor_of(req, actor,
                                                       sizeof(actor)),
                               ns_now_ms(), &n, &err) != NS_OK) {
        /* The detail must not echo the patient id back into logs. */
        err.field[0] = '\0';
        http_problem_err(req, resp, &err, NULL, NULL);
        return;
    }
    /* Counts only: the log never names the patient. */
    ns_log_info("api", "patient erased appointments=%lld key=%lld",
                (long long)n, (long long)req->key_id);
    http_resp_json(resp, 200, json_pack("{s:s, s:I}", "status", "erased",
                                        "appointments", (json_int_t)n));
}
