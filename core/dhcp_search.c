/* dhcp_search.c - the domain search list of DHCP option 119 (RFC 3397):
 * DNS names in wire form (RFC 1035 3.1) one after the other, compressed
 * with pointers whose offsets count from the start of the option's data,
 * after its instances are joined (RFC 3396).  ln_dhcp_parse (dhcp.c)
 * reads it through ln_dhcp_search_decode, ln_dhcp_build writes it through
 * ln_dhcp_search_encode; the contract is in dhcp.h.
 *
 * The data comes from any host of the network, so names are bounded as
 * dns_wire.c bounds them: 255 wire bytes, labels of at most 63, pointers
 * only backwards (so a chain of them ends).  A search domain is a host
 * name's suffix, so labels are printable ASCII without '.', '\' or space:
 * anything else is refused, as dhclient refuses a "bogus" search list
 * rather than hand resolv.conf a name it cannot hold. */
#include <stdbool.h>
#include <string.h>

#include "dhcp.h"

static bool label_byte_ok(uint8_t c) { return c > 0x20 && c < 0x7f && c != '.' && c != '\\'; }

/* One name at *pos: its text in out (LN_DHCP_NAME_TEXT bytes), *pos moved
 * past its bytes in place.  0, or -1 with *why. */
static int read_name(const uint8_t *p, size_t n, size_t *pos, char *out, const char **why)
{
    size_t at = *pos, lim = at, wire = 0, t = 0, end = 0;
    bool jumped = false;
    for (;;) {
        if (at >= n) { *why = "name runs past the end of the option"; return -1; }
        uint8_t c = p[at];
        if ((c & 0xC0) == 0xC0) {
            if (at + 1 >= n) { *why = "compression pointer cut short"; return -1; }
            size_t to = (size_t)(c & 0x3F) << 8 | p[at + 1];
            if (!jumped) end = at + 2;
            jumped = true;
            /* RFC 3397 2: a pointer refers to a prior occurrence */
            if (to >= lim) { *why = "compression pointer does not point backwards"; return -1; }
            lim = at = to;
            continue;
        }
        if (c & 0xC0) { *why = "reserved label type"; return -1; }
        wire += 1 + (size_t)c;
        if (wire > 255) { *why = "name longer than 255 bytes"; return -1; }
        if (c == 0) { at++; break; }
        if (n - at - 1 < c) { *why = "label runs past the end of the option"; return -1; }
        for (size_t k = 1; k <= c; k++)
            if (!label_byte_ok(p[at + k])) { *why = "label byte not allowed in a domain"; return -1; }
        if (t) out[t++] = '.';
        memcpy(out + t, p + at + 1, c);
        t += c;
        at += 1 + (size_t)c;
    }
    if (t == 0) { *why = "the root is not a search domain"; return -1; }
    out[t] = '\0';
    *pos = jumped ? end : at;
    return 0;
}

int ln_dhcp_search_decode(const uint8_t *p, size_t n, char (*out)[LN_DHCP_NAME_TEXT], int max,
                          const char **why)
{
    char scratch[LN_DHCP_NAME_TEXT];
    size_t pos = 0;
    int count = 0;
    if (n == 0) { *why = "empty"; return -1; }
    while (pos < n) {
        char *dst = count < max ? out[count] : scratch;
        if (read_name(p, n, &pos, dst, why) < 0) return -1;
        count++;
    }
    return count;
}

int ln_dhcp_name_check(const char *text)
{
    size_t len = strlen(text), lab = 0;
    if (len == 0 || len > LN_DHCP_NAME_TEXT - 1) return -1;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || text[i] == '.') {
            if (lab == 0 || lab > 63) return -1;
            lab = 0;
        } else if (!label_byte_ok((uint8_t)text[i])) {
            return -1;
        } else {
            lab++;
        }
    }
    return (int)len + 2;               /* the length bytes and the root */
}

/* RFC 1035 4.1.4 as RFC 3397 asks: each name's longest suffix already
 * written becomes a pointer to it.  Suffixes are compared as text, byte
 * for byte, against those written in place before: RFC 4343 would let
 * case differ, but then "Lab" could come back as "lab" (the fuzz target
 * found that), and names go to the client as the server was given them. */
int ln_dhcp_search_encode(const char (*names)[LN_DHCP_NAME_TEXT], int count, uint8_t *out,
                          size_t cap)
{
    struct suffix { const char *text; uint16_t off; } seen[LN_DHCP_MAX_SEARCH * 128];
    int nseen = 0;
    size_t len = 0;
    for (int i = 0; i < count; i++) {
        if (ln_dhcp_name_check(names[i]) < 0) return -1;
        const char *s = names[i];
        for (;;) {
            int hit = -1;
            for (int j = 0; j < nseen && hit < 0; j++)
                if (strcmp(seen[j].text, s) == 0) hit = j;
            if (hit >= 0) {
                if (cap - len < 2) return -1;
                out[len++] = (uint8_t)(0xC0 | seen[hit].off >> 8);
                out[len++] = (uint8_t)seen[hit].off;
                break;
            }
            const char *dot = strchr(s, '.');
            size_t lab = dot ? (size_t)(dot - s) : strlen(s);
            if (len < 0x4000 && nseen < (int)(sizeof seen / sizeof seen[0]))
                seen[nseen++] = (struct suffix){s, (uint16_t)len};
            if (cap - len < 1 + lab) return -1;
            out[len++] = (uint8_t)lab;
            memcpy(out + len, s, lab);
            len += lab;
            if (!dot) {
                if (cap - len < 1) return -1;
                out[len++] = 0;
                break;
            }
            s = dot + 1;
        }
    }
    return (int)len;
}
