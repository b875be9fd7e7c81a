/* A running service for the API tests: a temporary directory, the
 * database (a SQLite file in that directory, or the MariaDB URL a test
 * group was given), a tag unique to the run, the service on 127.0.0.1,
 * port 0, and a second store handle for set-up. Header-only, like
 * client.h, so that each test executable has its own copy. */
#ifndef NS_TEST_FIXTURE_H
#define NS_TEST_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "server/api.h"
#include "server/auth.h"
#include "store/store.h"
#include "util/log.h"
#include "util/timeutil.h"

struct server_fx {
    char dir[64];
    char url[512];
    char tag[32];               /* unique per run: MariaDB keeps rows */
    struct api *api;
    struct store *store;        /* a second handle, for set-up only */
    unsigned port;
};

/* Quiets the log, makes s->dir from templ (ending in XXXXXX), the tag
 * tag_prefix<pid><time> and s->url: url when not NULL, else a SQLite
 * file in s->dir; sets the pseudonym key the service needs. Returns 0,
 * or -1 with a message on stderr. */
static inline int server_fx_prepare(struct server_fx *s, const char *templ,
                                    const char *tag_prefix,
                                    const char *url)
{
    ns_log_threshold = NS_LOG_ERROR;
    snprintf(s->dir, sizeof(s->dir), "%s", templ);
    if (mkdtemp(s->dir) == NULL) {
        perror(templ);
        return -1;
    }
    snprintf(s->tag, sizeof(s->tag), "%s%ld%lld", tag_prefix,
             (long)getpid(), (long long)(ns_now_ms() % 100000000));
    if (url)
        snprintf(s->url, sizeof(s->url), "%s", url);
    else
        snprintf(s->url, sizeof(s->url), "sqlite:%s/db", s->dir);
    setenv("NOSHOW_PSEUDONYM_KEY", "test-pseudonym-key-0123456789", 1);
    return 0;
}

/* Starts the service with cfg over s->url (cfg->db_url is set here)
 * and opens the second store handle. Returns 0, or -1 with a message. */
static inline int server_fx_start(struct server_fx *s,
                                  struct api_config *cfg)
{
    struct ns_error err;

    cfg->db_url = s->url;
    if (api_start(cfg, &s->api, &err) != NS_OK
        || store_open(s->url, &s->store, &err) != NS_OK) {
        fprintf(stderr, "start: %s\n", err.msg);
        return -1;
    }
    s->port = api_port(s->api);
    return 0;
}

/* Adds a new key of role: header (100 bytes) gets its Authorization
 * line and key (64 bytes, may be NULL) the key itself. Returns 0, or
 * -1 with a message. */
static inline int server_fx_key(struct server_fx *s, enum store_role role,
                                char *key, char *header)
{
    char own[64], hash[AUTH_HEX_LEN];
    struct ns_error err;
    int64_t id;

    if (key == NULL)
        key = own;
    if (auth_key_generate(key, 64, &err) || auth_key_hash(key, hash, &err)
        || store_key_add(s->store, hash, role, "test", ns_now_ms(), &id,
                         &err)) {
        fprintf(stderr, "key: %s\n", err.msg);
        return -1;
    }
    snprintf(header, 100, "Authorization: Bearer %s", key);
    return 0;
}

/* Stops the service, closes the store handle and removes s->dir.
 * Returns 0, or -1 when the directory could not be removed. */
static inline int server_fx_stop(struct server_fx *s)
{
    char cmd[128];

    api_stop(s->api, 2000);
    store_close(s->store);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A cmocka teardown for a test's fixture that was calloc'd and holds a
 * struct server_fx as its first member: stops it and frees it all. */
static inline int server_fx_teardown(void **state)
{
    struct server_fx *s = *state;
    int rc = server_fx_stop(s);

    free(s);
    return rc;
}

#endif
