/* addr.c - IPv4 and MAC addresses as people write them: formatting for
 * messages, traces and the Lua API, and the parsers for what scripts and
 * the command line give. */
#include "addr.h"

#include <stdio.h>
#include <string.h>

#include "err.h"

char *ln_ip_fmt(uint32_t a, char *buf)
{
    snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
    return buf;
}

char *ln_mac_fmt(const uint8_t m[6], char *buf)
{
    snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return buf;
}

bool ln_mac_parse(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char tail;
    if (strlen(s) != 17 ||
        sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
        return false;
    for (int i = 0; i < 6; i++) mac[i] = (uint8_t)v[i];
    return true;
}

int ln_ip_parse(const char *s, uint32_t *addr, uint8_t *plen, char *err, size_t errlen)
{
    const char *p = s;
    uint32_t a = 0;
    for (int i = 0; i < 4; i++) {
        if (*p < '0' || *p > '9') {
            snprintf(err, errlen, "address \"%s\": expected a dotted quad like 10.0.0.1%s", s,
                     plen ? " or 10.0.0.1/24" : "");
            return LN_EINVAL;
        }
        unsigned v = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9') {
            v = v * 10 + (unsigned)(*p++ - '0');
            if (++digits > 3) break;
        }
        if (digits > 3 || v > 255) {
            snprintf(err, errlen, "address \"%s\": octet %u out of range (0..255)", s, v);
            return LN_EINVAL;
        }
        a = a << 8 | v;
        if (i < 3) {
            if (*p != '.') {
                snprintf(err, errlen, "address \"%s\": expected 4 octets separated by dots", s);
                return LN_EINVAL;
            }
            p++;
        }
    }
    uint8_t len = LN_NO_ADDR;
    if (*p == '/' && plen) {
        p++;
        unsigned v = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9' && digits < 3) {
            v = v * 10 + (unsigned)(*p++ - '0');
            digits++;
        }
        if (digits > 0 && *p && !(*p >= '0' && *p <= '9')) {
            /* "10.0.0.1/24/5", "10.0.0.1/24x": a length, then junk */
            snprintf(err, errlen, "address \"%s\": malformed: unexpected \"%s\" after the prefix "
                     "length (use a.b.c.d/len)", s, p);
            return LN_EINVAL;
        }
        if (digits == 0 || v > 32 || *p) {
            snprintf(err, errlen, "address \"%s\": prefix length must be 0..32", s);
            return LN_EINVAL;
        }
        len = (uint8_t)v;
    }
    if (*p) {
        snprintf(err, errlen, "address \"%s\": malformed: unexpected \"%s\" after the address "
                 "(use a.b.c.d%s)", s, p, plen ? " or a.b.c.d/len" : "");
        return LN_EINVAL;
    }
    *addr = a;
    if (plen) *plen = len;
    return 0;
}
