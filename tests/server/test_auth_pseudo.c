/* Patient pseudonyms: the keyed hash is HMAC-SHA256 exactly, checked
 * against RFC 4231 and against OpenSSL's own HMAC() for keys of every
 * length the service accepts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "server/auth.h"

/* RFC 4231, test case 2: a short key and a short message. */
static void test_pseudonym_matches_rfc4231_case_2(void **state)
{
    struct auth_pseudo p = {.len = 4};
    char hex[AUTH_HEX_LEN];
    struct ns_error err;

    (void)state;
    memcpy(p.key, "Jefe", 4);
    assert_int_equal(auth_pseudonymise(&p, "what do ya want for nothing?",
                                       hex, &err), NS_OK);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c7"
                             "5a003f089d2739839dec58b964ec3843");
}

/* Keys of 16 to 64 bytes (the accepted range) and an empty, a long and
 * a non-ASCII id give what OpenSSL's HMAC() gives. */
static void test_pseudonym_matches_openssl_hmac(void **state)
{
    static const char *const ids[] = {"", "29872499824296",
        "paciente-\xc3\xa7\xc3\xa3o-0000000000000000000000000000000000000"
        "000000000000000000000000000000000000000000000000000000000000"};
    struct auth_pseudo p;
    char hex[AUTH_HEX_LEN];
    char want[AUTH_HEX_LEN];
    struct ns_error err;

    (void)state;
    for (size_t len = 16; len <= AUTH_PSEUDO_KEY_MAX; len += 16) {
        p.len = len;
        for (size_t i = 0; i < len; i++)
            p.key[i] = (unsigned char)(i * 37 + len);
        for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
            unsigned char md[EVP_MAX_MD_SIZE];
            unsigned int n = 0;

            assert_non_null(HMAC(EVP_sha256(), p.key, (int)len,
                                 (const unsigned char *)ids[k],
                                 strlen(ids[k]), md, &n));
            assert_int_equal(n, 32);
            for (unsigned int i = 0; i < n; i++)
                snprintf(want + 2 * i, 3, "%02x", md[i]);
            assert_int_equal(auth_pseudonymise(&p, ids[k], hex, &err),
                             NS_OK);
            assert_string_equal(hex, want);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pseudonym_matches_rfc4231_case_2),
        cmocka_unit_test(test_pseudonym_matches_openssl_hmac),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
