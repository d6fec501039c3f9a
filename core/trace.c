/* trace.c - formatting and routing the debug trace (trace.h). */
#include "trace.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "net.h"

static const char *const names[LN_TR__COUNT] = {
#define LN_TR_NAME(name, word) word,
    LN_TRACE_SUBSYSTEMS(LN_TR_NAME)
#undef LN_TR_NAME
};

const char *ln_trace_name(ln_trace_sub sub)
{
    return (unsigned)sub < LN_TR__COUNT ? names[sub] : "?";
}

void ln_trace_emit(ln_net *net, ln_trace_sub sub, const char *who, const char *fmt, ...)
{
    char line[512];
    ln_time t = ln_net_now(net);
    int n = snprintf(line, sizeof line, "trace %llu.%09llu %s %s: ",
                     (unsigned long long)(t / LN_SEC), (unsigned long long)(t % LN_SEC),
                     who ? who : "-", ln_trace_name(sub));
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof line) vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    if (net->trace_fn) net->trace_fn(line, net->trace_arg);
    else fprintf(stderr, "%s\n", line);
}

int ln_trace_parse(const char *list, uint32_t *mask, char *err, size_t errlen)
{
    uint32_t m = 0;
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ", ");
        if (len == 3 && strncmp(p, "all", 3) == 0) {
            m = (1u << LN_TR__COUNT) - 1;
        } else if (len) {
            int found = -1;
            for (int i = 0; i < LN_TR__COUNT; i++)
                if (strlen(names[i]) == len && strncmp(p, names[i], len) == 0) found = i;
            if (found < 0) {
                char known[128] = "";
                for (int i = 0; i < LN_TR__COUNT; i++) {
                    strncat(known, names[i], sizeof known - strlen(known) - 1);
                    strncat(known, ", ", sizeof known - strlen(known) - 1);
                }
                snprintf(err, errlen, "trace subsystem \"%.*s\" unknown (known: %sall)", (int)len, p, known);
                return LN_EINVAL;
            }
            m |= 1u << found;
        }
        p += len;
        while (*p == ',' || *p == ' ') p++;
    }
    *mask = m;
    return 0;
}
