/* Helpers shared by the files of src/server/ only. */
#ifndef NS_SERVER_INT_H
#define NS_SERVER_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "server/http.h"

/* Serves a file below web_dir for a decoded request path: "/" means
 * index.html, a directory its index.html. Paths with ".." segments,
 * control bytes or symlinks leaving web_dir are refused with 404. Sets
 * resp to the file (fd owned by resp; libmicrohttpd leaves the body out
 * for HEAD) or to a problem. */
void http_static_serve(const struct http_req *req, const char *web_dir,
                       struct http_resp *resp);

/* The Content-Type of a file name by its extension. Static string. */
const char *http_content_type(const char *name);

/* Matches a path against a pattern; copies a {id} segment into id. */
bool http_path_match(const char *pattern, const char *path, char *id,
                     size_t idsize);

#endif
