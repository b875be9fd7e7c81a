/* Patient pseudonyms: the key's origin and the keyed hash. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/auth.h"
#include "util/log.h"

#define MIN_KEY 16
#define SHA256_BLOCK 64
#define SHA256_LEN 32

_Static_assert(AUTH_PSEUDO_KEY_MAX <= SHA256_BLOCK,
               "pseudonym keys fit one SHA-256 block");

static enum ns_err read_key_file(const char *path, struct auth_pseudo *out,
                                 struct ns_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    ssize_t n;
    int e;

    if (fd < 0) {
        e = errno;
        return ns_error_set(err, NS_ERR_IO, "pseudonym key file '%s': %s",
                            path, strerror(e));
    }
    if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0)
        ns_log_warn("auth", "pseudonym key file is readable by others "
                    "mode=%03o; expected 0600", st.st_mode & 0777);
    n = read(fd, out->key, sizeof(out->key));
    e = errno;
    close(fd);
    if (n < 0)
        return ns_error_set(err, NS_ERR_IO, "pseudonym key file '%s': %s",
                            path, strerror(e));
    if (n < MIN_KEY)
        return ns_error_set(err, NS_ERR_INVALID, "pseudonym key file '%s' "
                            "holds %zd bytes; expected at least %d", path,
                            n, MIN_KEY);
    out->len = (size_t)n;
    return NS_OK;
}

/* Creates path with 32 random bytes, mode 0600, failing if it exists so
 * that two servers starting at once never overwrite each other's key. */
static enum ns_err create_key_file(const char *path, struct ns_error *err)
{
    unsigned char key[32];
    int fd;
    ssize_t n;
    int e;

    if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
        e = errno;
        return ns_error_set(err, NS_ERR_IO, "getrandom: %s", strerror(e));
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        e = errno;
        if (e == EEXIST)
            return NS_OK;
        return ns_error_set(err, NS_ERR_IO, "cannot create pseudonym key "
                            "file '%s': %s", path, strerror(e));
    }
    n = write(fd, key, sizeof(key));
    e = errno;
    if (n != (ssize_t)sizeof(key) || fsync(fd) != 0) {
        close(fd);
        unlink(path);
        return ns_error_set(err, NS_ERR_IO, "cannot write pseudonym key "
                            "file '%s': %s", path, strerror(e));
    }
    close(fd);
    ns_log_info("auth", "created pseudonym key file beside the database");
    return NS_OK;
}

enum ns_err auth_pseudo_load(const char *db_url, const char *key_file,
                             struct auth_pseudo *out,
                             struct ns_error *err)
{
    const char *env = getenv("NOSHOW_PSEUDONYM_KEY");
    char path[4096];
    enum ns_err rc;

    memset(out, 0, sizeof(*out));
    if (env && *env) {
        out->len = strlen(env);
        if (out->len < MIN_KEY || out->len > sizeof(out->key))
            return ns_error_set(err, NS_ERR_INVALID, "NOSHOW_PSEUDONYM_KEY "
                                "has %zu bytes; expected %d to %zu",
                                out->len, MIN_KEY, sizeof(out->key));
        memcpy(out->key, env, out->len);
        return NS_OK;
    }
    if (key_file)
        return read_key_file(key_file, out, err);
    if (strcmp(db_url, "sqlite::memory:") == 0) {
        out->len = 32;
        if (getrandom(out->key, out->len, 0) != 32)
            return ns_error_set(err, NS_ERR_IO, "getrandom failed");
        ns_log_warn("auth", "in-memory database: patient pseudonyms use a "
                    "key that lives only as long as this process");
        return NS_OK;
    }
    if (strncmp(db_url, "sqlite:", 7) != 0)
        return ns_error_set(err, NS_ERR_INVALID, "no pseudonymisation key "
                            "for a MySQL database; expected "
                            "NOSHOW_PSEUDONYM_KEY or --pseudonym-key-file "
                            "(the key must not live in the database)");
    snprintf(path, sizeof(path), "%s.pseudonym-key", db_url + 7);
    rc = create_key_file(path, err);
    if (rc != NS_OK)
        return rc;
    return read_key_file(path, out, err);
}

/* SHA-256 fetched once: HMAC() looks up the MAC and the digest by name
 * on every call, which was 4% of a POST /predict under load. */
static EVP_MD *sha256;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void fetch_sha256(void)
{
    sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* H(pad XOR key || a || b) into md[32]. */
static bool pad_hash(EVP_MD_CTX *ctx, const unsigned char *key,
                     size_t len, unsigned char pad, const void *a,
                     size_t alen, unsigned char *md)
{
    unsigned char block[SHA256_BLOCK];
    unsigned int n = 0;

    memset(block, pad, sizeof(block));
    for (size_t i = 0; i < len; i++)
        block[i] ^= key[i];
    return EVP_DigestInit_ex2(ctx, sha256, NULL) == 1
           && EVP_DigestUpdate(ctx, block, sizeof(block)) == 1
           && EVP_DigestUpdate(ctx, a, alen) == 1
           && EVP_DigestFinal_ex(ctx, md, &n) == 1 && n == SHA256_LEN;
}

enum ns_err auth_pseudonymise(const struct auth_pseudo *p, const char *id,
                              char hex[AUTH_HEX_LEN], struct ns_error *err)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char inner[SHA256_LEN];
    unsigned char md[SHA256_LEN];
    EVP_MD_CTX *ctx;
    bool ok;

    /* HMAC (RFC 2104) by hand over the fetched digest; keys are at most
     * AUTH_PSEUDO_KEY_MAX (64) bytes, SHA-256's block, so none needs
     * hashing first. */
    pthread_once(&sha256_once, fetch_sha256);
    ctx = sha256 ? EVP_MD_CTX_new() : NULL;
    ok = ctx && p->len <= SHA256_BLOCK
         && pad_hash(ctx, p->key, p->len, 0x36, id, strlen(id), inner)
         && pad_hash(ctx, p->key, p->len, 0x5c, inner, sizeof(inner), md);
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return ns_error_set(err, NS_ERR_LIB, "HMAC-SHA256 failed");
    for (unsigned int i = 0; i < SHA256_LEN; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[2 * SHA256_LEN] = '\0';
    return NS_OK;
}
