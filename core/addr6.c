/* addr6.c - IPv6 addresses as people write them: the canonical text form
 * of RFC 5952 for messages, traces and the Lua API, and the parser for
 * what scripts give (RFC 4291 2.2, with an optional "/len"). */
#include "addr.h"

#include <stdio.h>
#include <string.h>

#include "err.h"

char *ln_ip6_fmt(const ln_in6 *a, char *buf)
{
    uint16_t g[8];
    for (int i = 0; i < 8; i++) g[i] = (uint16_t)(a->b[2 * i] << 8 | a->b[2 * i + 1]);
    /* RFC 5952 4.2: the longest run of zero groups (two or more; the
     * first on a tie) becomes "::". */
    int best = -1, best_len = 1;
    for (int i = 0; i < 8;) {
        if (g[i]) { i++; continue; }
        int j = i;
        while (j < 8 && !g[j]) j++;
        if (j - i > best_len) { best = i; best_len = j - i; }
        i = j;
    }
    char *p = buf;
    /* RFC 5952 5: an IPv4-mapped address ends in dotted decimal. */
    bool mapped = ln_in6_is_v4mapped(a);
    int end = mapped ? 6 : 8;
    if (mapped) { best = 0; best_len = 5; }
    for (int i = 0; i < end; i++) {
        if (i == best) {
            *p++ = ':';
            if (i == 0) *p++ = ':';
            i += best_len - 1;
            continue;
        }
        p += sprintf(p, "%x", g[i]);
        if (i < end - 1 || mapped) *p++ = ':';
    }
    if (mapped) p += sprintf(p, "%u.%u.%u.%u", a->b[12], a->b[13], a->b[14], a->b[15]);
    *p = '\0';
    return buf;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool ln_ip6_looks(const char *s)
{
    return strchr(s, ':') != NULL;
}

int ln_ip6_parse(const char *s, ln_in6 *out, uint8_t *plen, char *err, size_t errlen)
{
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    uint16_t g[8];
    int n = 0, gap = -1;
    const char *p = s, *end = s + alen;
    if (alen == 0) goto bad;
    if (p[0] == ':') {
        if (alen < 2 || p[1] != ':') goto bad;
        gap = 0;
        p += 2;
    }
    while (p < end) {
        /* A dotted quad may end the address (RFC 4291 2.2 form 3). */
        const char *q = p;
        while (q < end && *q != ':' && *q != '.') q++;
        if (q < end && *q == '.') {
            if (n > 6) goto bad;
            char v4[16];
            size_t l = (size_t)(end - p);
            if (l >= sizeof v4) goto bad;
            memcpy(v4, p, l);
            v4[l] = '\0';
            uint32_t a4;
            char e4[96];
            if (ln_ip_parse(v4, &a4, NULL, e4, sizeof e4) != 0) goto bad;
            g[n++] = (uint16_t)(a4 >> 16);
            g[n++] = (uint16_t)a4;
            p = end;
            break;
        }
        int digits = 0;
        unsigned v = 0;
        while (p < end && hexval(*p) >= 0) {
            v = v * 16 + (unsigned)hexval(*p++);
            if (++digits > 4) goto bad;
        }
        if (!digits || n == 8) goto bad;
        g[n++] = (uint16_t)v;
        if (p == end) break;
        if (*p != ':') goto bad;
        p++;
        if (p < end && *p == ':') {
            if (gap >= 0) goto bad;              /* "::" twice */
            gap = n;
            p++;
        } else if (p == end) {
            goto bad;                             /* trailing single ':' */
        }
    }
    if (gap < 0 ? n != 8 : n > 7) goto bad;
    ln_in6 a;
    memset(&a, 0, sizeof a);
    int fill = gap < 0 ? 0 : 8 - n;
    for (int i = 0, k = 0; i < 8; i++) {
        uint16_t v;
        if (gap >= 0 && i >= gap && i < gap + fill) v = 0;
        else v = g[k++];
        a.b[2 * i] = (uint8_t)(v >> 8);
        a.b[2 * i + 1] = (uint8_t)v;
    }
    uint8_t len = LN_NO_ADDR;
    if (slash) {
        if (!plen) {
            snprintf(err, errlen, "address \"%s\": a prefix length is not allowed here", s);
            return LN_EINVAL;
        }
        const char *d = slash + 1;
        unsigned v = 0;
        int digits = 0;
        while (*d >= '0' && *d <= '9' && digits < 4) { v = v * 10 + (unsigned)(*d++ - '0'); digits++; }
        if (!digits || *d || v > 128) {
            snprintf(err, errlen, "address \"%s\": prefix length must be 0..128", s);
            return LN_EINVAL;
        }
        len = (uint8_t)v;
    }
    *out = a;
    if (plen) *plen = len;
    return 0;
bad:
    snprintf(err, errlen, "address \"%s\": not an IPv6 address (use hex groups separated by "
             "colons, one \"::\" at most, like 2001:db8::1%s)", s, plen ? " or 2001:db8::1/64" : "");
    return LN_EINVAL;
}
