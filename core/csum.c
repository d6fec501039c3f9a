/* csum.c - the Internet checksum (RFC 1071) and its incremental update
 * (RFC 1624).
 *
 * Used by every layer that builds or checks a header: ln_ip_input and
 * ln_ip_output (IPv4 header), icmp.c (ICMP message), the transports
 * (pseudo-header + segment), and the forwarding path, which patches the
 * header checksum after decrementing TTL instead of recomputing it.
 *
 * Words are read as big-endian byte pairs, so the sum is the same on any
 * host and is stored back with ln_put16. */
#include "csum.h"

#include <string.h>

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && defined(__ORDER_BIG_ENDIAN__) && \
    (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ || __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
/* RFC 1071 2(B), byte-order independence: summing the buffer as native
 * words gives the big-endian sum with its two bytes swapped once folded to
 * 16 bits.  So sum 8 bytes per step (every segment sent or received is
 * checksummed, which makes this the hottest loop of a bulk transfer), fold,
 * and swap back on a little-endian host. */
uint32_t ln_csum_partial(const void *data, size_t len, uint32_t sum)
{
    const uint8_t *p = data;
    /* 32 bytes a step into a 128-bit sum (the compiler's add-with-carry):
     * two instructions per 8 bytes, and the end-around carries folded in
     * once at the end (RFC 1071 2(C), deferred carries).  Each step adds
     * under 2^66: no overflow below 2^62 steps. */
    unsigned __int128 wide = 0;
    while (len >= 32) {
        uint64_t w[4];
        memcpy(w, p, 32);
        wide += (unsigned __int128)w[0] + w[1];
        wide += (unsigned __int128)w[2] + w[3];
        p += 32;
        len -= 32;
    }
    /* Fold 128 -> 64 -> 32 bits: the one's complement sum of the 16-bit
     * words is the same at every width. */
    uint64_t lo = (uint64_t)wide, hi = (uint64_t)(wide >> 64);
    uint64_t s64 = lo + hi;
    s64 += s64 < lo;                            /* end-around carry */
    uint64_t acc = (s64 & 0xffffffffu) + (s64 >> 32);
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        acc += (w & 0xffffffffu) + (w >> 32);
        p += 8;
        len -= 8;
    }
    if (len >= 4) {
        uint32_t w;
        memcpy(&w, p, 4);
        acc += w;
        p += 4;
        len -= 4;
    }
    if (len >= 2) {
        uint16_t w;
        memcpy(&w, p, 2);
        acc += w;
        p += 2;
        len -= 2;
    }
    if (len) {
        /* RFC 1071 4.1: an odd trailing byte is padded with a zero byte
         * after it in memory. */
        uint8_t last[2] = { p[0], 0 };
        uint16_t w;
        memcpy(&w, last, 2);
        acc += w;
    }
    while (acc >> 16) acc = (acc & 0xffffu) + (acc >> 16);
    uint32_t folded = (uint32_t)acc;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    folded = ((folded & 0xffu) << 8) | (folded >> 8);
#endif
    uint64_t total = (uint64_t)sum + folded;
    return (uint32_t)((total & 0xffffffffu) + (total >> 32));
}
#else
uint32_t ln_csum_partial(const void *data, size_t len, uint32_t sum)
{
    const uint8_t *p = data;
    uint64_t acc = sum;
    while (len >= 2) {
        acc += (uint32_t)(p[0] << 8 | p[1]);
        p += 2;
        len -= 2;
    }
    /* RFC 1071 4.1: an odd trailing byte is padded with a zero low byte. */
    if (len) acc += (uint32_t)p[0] << 8;
    while (acc >> 32) acc = (acc & 0xffffffffu) + (acc >> 32);
    return (uint32_t)acc;
}
#endif

uint16_t ln_csum_fold(uint32_t sum)
{
    while (sum >> 16) sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}

uint32_t ln_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
    uint64_t s = (uint64_t)(src >> 16) + (src & 0xffffu) + (dst >> 16) + (dst & 0xffffu) +
                 proto + len;
    while (s >> 32) s = (s & 0xffffffffu) + (s >> 32);
    return (uint32_t)s;
}

uint16_t ln_csum_update16(uint16_t csum, uint16_t old, uint16_t new_)
{
    /* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m').  Unlike RFC 1141's
     * formula it gives exactly what recomputing would, including the
     * 0x0000 / 0xffff corner case of RFC 1624 section 4. */
    uint32_t s = (uint16_t)~csum + (uint32_t)(uint16_t)~old + new_;
    while (s >> 16) s = (s & 0xffffu) + (s >> 16);
    return (uint16_t)~s;
}
