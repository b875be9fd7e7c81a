/* Static files of the web app, below one directory and nowhere else. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/server_int.h"

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".htm", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".ico", "image/x-icon"},
    {".webp", "image/webp"},
    {".woff", "font/woff"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
    {".wasm", "application/wasm"},
};

const char *http_content_type(const char *name)
{
    const char *dot = strrchr(name, '.');

    if (dot == NULL || strchr(dot, '/'))
        return "application/octet-stream";
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcasecmp(dot, types[i].ext) == 0)
            return types[i].type;
    }
    return "application/octet-stream";
}

/* Refuses "..", "." segments, backslashes and control bytes outright, so
 * the later prefix check only has symlinks left to catch. */
static bool safe_path(const char *path)
{
    const char *seg = path;

    if (path[0] != '/')
        return false;
    for (const char *p = path; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == '\\')
            return false;
    }
    while (*seg) {
        size_t n;

        seg += strspn(seg, "/");
        n = strcspn(seg, "/");
        if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.'
                                          && seg[1] == '.'))
            return false;
        seg += n;
    }
    return true;
}

/* Resolves web_dir + path (plus index.html for directories) and checks the
 * real path stays below the real web_dir. */
static bool resolve_file(const char *web_dir, const char *path,
                         char *real, struct stat *st)
{
    char root[PATH_MAX];
    char joined[PATH_MAX + 16];
    size_t rn;
    int n;

    if (realpath(web_dir, root) == NULL)
        return false;
    n = snprintf(joined, sizeof(joined), "%s%s", root, path);
    if (n < 0 || (size_t)n >= sizeof(joined) - 11)
        return false;
    if (stat(joined, st) == 0 && S_ISDIR(st->st_mode)) {
        size_t len = strlen(joined);

        snprintf(joined + len, sizeof(joined) - len, "%sindex.html",
                 len && joined[len - 1] == '/' ? "" : "/");
    }
    if (realpath(joined, real) == NULL)
        return false;
    rn = strlen(root);
    if (strncmp(real, root, rn) != 0 || (real[rn] != '/'
                                         && real[rn] != '\0'))
        return false;
    return stat(real, st) == 0 && S_ISREG(st->st_mode);
}

void http_static_serve(const struct http_req *req, const char *web_dir,
                       struct http_resp *resp)
{
    char real[PATH_MAX];
    struct stat st;
    int fd;

    if (!safe_path(req->path) || !resolve_file(web_dir, req->path, real,
                                               &st)) {
        http_problem(req, resp, 404, "no route or file for this path; "
                     "GET /openapi.json lists the routes", NULL);
        return;
    }
    fd = open(real, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        http_problem(req, resp, 404, "the file cannot be read", NULL);
        return;
    }
    resp->status = 200;
    resp->content_type = http_content_type(real);
    resp->fd = fd;
    resp->len = (size_t)st.st_size;
    http_resp_header(resp, "Cache-Control", "no-cache");
    http_resp_header(resp, "X-Content-Type-Options", "nosniff");
}
