/* in6.h - the IPv6 address type and the predicates every IPv6 layer asks
 * (RFC 4291).
 *
 * An address is 16 bytes in network order inside a struct, so it is
 * assigned and passed like a value and never confused with a raw buffer.
 * The type lives on its own, apart from the IP layer, so that sockets,
 * routes and events can hold one without knowing about IPv6 input. */
#ifndef LN_IN6_H
#define LN_IN6_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef struct ln_in6 { uint8_t b[16]; } ln_in6;

#define LN_IN6_FMTLEN 46          /* INET6_ADDRSTRLEN */

static inline bool ln_in6_eq(const ln_in6 *a, const ln_in6 *b) { return memcmp(a->b, b->b, 16) == 0; }
static inline bool ln_in6_is_unspec(const ln_in6 *a)
{
    static const ln_in6 z;
    return ln_in6_eq(a, &z);
}
static inline bool ln_in6_is_loopback(const ln_in6 *a)
{
    static const ln_in6 lo = {{0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1}};
    return ln_in6_eq(a, &lo);
}
static inline bool ln_in6_is_mcast(const ln_in6 *a) { return a->b[0] == 0xff; }
/* fe80::/10 */
static inline bool ln_in6_is_linklocal(const ln_in6 *a) { return a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80; }
/* Multicast scope (RFC 4291 2.7): 1 interface-local, 2 link-local, ... */
static inline uint8_t ln_in6_mc_scope(const ln_in6 *a) { return a->b[1] & 0x0f; }
/* An IPv4-mapped address, ::ffff:a.b.c.d (RFC 4291 2.5.5.2). */
static inline bool ln_in6_is_v4mapped(const ln_in6 *a)
{
    static const uint8_t p[12] = {0,0,0,0,0,0,0,0,0,0,0xff,0xff};
    return memcmp(a->b, p, 12) == 0;
}

/* True when the first plen bits of a and b agree. */
static inline bool ln_in6_prefix_eq(const ln_in6 *a, const ln_in6 *b, uint8_t plen)
{
    uint8_t full = plen / 8, rest = plen % 8;
    if (memcmp(a->b, b->b, full) != 0) return false;
    if (!rest) return true;
    uint8_t m = (uint8_t)(0xff << (8 - rest));
    return (a->b[full] & m) == (b->b[full] & m);
}
/* Clear everything past the first plen bits. */
static inline void ln_in6_mask(ln_in6 *a, uint8_t plen)
{
    for (int i = 0; i < 16; i++) {
        int bits = (int)plen - 8 * i;
        if (bits >= 8) continue;
        a->b[i] &= bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
    }
}
/* Bits a and b share from the left (RFC 6724 CommonPrefixLen). */
static inline uint8_t ln_in6_common(const ln_in6 *a, const ln_in6 *b)
{
    uint8_t n = 0;
    for (int i = 0; i < 16; i++) {
        uint8_t x = a->b[i] ^ b->b[i];
        if (!x) { n += 8; continue; }
        while (!(x & 0x80)) { n++; x = (uint8_t)(x << 1); }
        return n;
    }
    return n;
}

/* Well-known groups (RFC 4291 2.7.1). */
static inline ln_in6 ln_in6_all_nodes(void) { return (ln_in6){{0xff,2,0,0,0,0,0,0,0,0,0,0,0,0,0,1}}; }
static inline ln_in6 ln_in6_all_routers(void) { return (ln_in6){{0xff,2,0,0,0,0,0,0,0,0,0,0,0,0,0,2}}; }
/* Solicited-node group of an address: ff02::1:ff00:0/104 and the
 * address's low 24 bits (RFC 4291 2.7.1). */
static inline ln_in6 ln_in6_solicited(const ln_in6 *a)
{
    ln_in6 s = {{0xff,2,0,0,0,0,0,0,0,0,0,1,0xff,0,0,0}};
    s.b[13] = a->b[13]; s.b[14] = a->b[14]; s.b[15] = a->b[15];
    return s;
}
/* Ethernet group address of an IPv6 multicast group: 33:33 and the low
 * 32 bits (RFC 2464 7). */
static inline void ln_in6_mc_mac(const ln_in6 *g, uint8_t mac[6])
{
    mac[0] = 0x33; mac[1] = 0x33;
    memcpy(mac + 2, g->b + 12, 4);
}
/* Interface identifier from a MAC by modified EUI-64 (RFC 4291 2.5.1 and
 * appendix A; Linux addr_gen_mode 0): the MAC split by ff:fe, with the
 * universal/local bit inverted.  Writes bytes 8..15 of a. */
static inline void ln_in6_set_eui64(ln_in6 *a, const uint8_t mac[6])
{
    a->b[8] = mac[0] ^ 0x02; a->b[9] = mac[1]; a->b[10] = mac[2];
    a->b[11] = 0xff; a->b[12] = 0xfe;
    a->b[13] = mac[3]; a->b[14] = mac[4]; a->b[15] = mac[5];
}

#endif
