/* fatal.c - the one way core/ stops the process: a broken invariant or an
 * allocation that has no way to fail gracefully.  It says what happened
 * before aborting, so a user's report carries more than "Aborted". */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void ln_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("lunet: internal error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (please report it with the script that ran)\n", stderr);
    va_end(ap);
    abort();
}
