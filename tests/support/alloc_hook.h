/* Allocation failure injection for one test binary: once armed, malloc,
 * calloc and realloc succeed alloc_hook_left more times, then fail once
 * (and alloc_hook_failed says so). alloc_hook_live counts the blocks not
 * yet freed, so a test can see a failure path leak. Include this header
 * from exactly one test file. AddressSanitizer brings its own allocator,
 * so sanitizer builds leave the hook out (ALLOC_HOOK stays undefined). */
#ifndef NS_TEST_ALLOC_HOOK_H
#define NS_TEST_ALLOC_HOOK_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#ifndef __SANITIZE_ADDRESS__
#define ALLOC_HOOK 1
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

static long alloc_hook_left = -1;   /* successes left; -1: never fail */
static bool alloc_hook_failed;
static long alloc_hook_live;        /* blocks allocated and not freed */

static bool alloc_hook_ok(void)
{
    if (alloc_hook_left < 0)
        return true;
    if (alloc_hook_left == 0) {
        alloc_hook_failed = true;
        alloc_hook_left = -1;
        errno = ENOMEM;     /* as the C library's own allocator does */
        return false;
    }
    alloc_hook_left--;
    return true;
}

static void *alloc_hook_count(void *p)
{
    alloc_hook_live += p != NULL;
    return p;
}

void *malloc(size_t n)
{
    return alloc_hook_ok() ? alloc_hook_count(__libc_malloc(n)) : NULL;
}

void *calloc(size_t n, size_t size)
{
    return alloc_hook_ok() ? alloc_hook_count(__libc_calloc(n, size))
                           : NULL;
}

void *realloc(void *p, size_t n)
{
    void *q;

    if (!alloc_hook_ok())
        return NULL;
    q = __libc_realloc(p, n);
    if (p == NULL)
        alloc_hook_count(q);
    return q;
}

void free(void *p)
{
    alloc_hook_live -= p != NULL;
    __libc_free(p);
}
#endif

#endif
