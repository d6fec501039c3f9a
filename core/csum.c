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
    /* RFC 1071 2(C), deferred carries: sum wider words and fold the
     * end-around carries in once at the end.  2^16 - 1 divides 2^32 - 1,
     * so a one's complement sum of 32-bit words folds to that of the
     * 16-bit words. */
    uint64_t acc = 0;
#if defined(__GNUC__) && !defined(LUNET_CSUM_SCALAR)
    /* 16-byte vectors (GCC's and clang's vector types: SSE2 on x86-64,
     * NEON on arm64) of 32-bit lanes, each taking the low and the high
     * native 16-bit word of its 32 bits into two sums: five instructions
     * per 16 bytes, no carries to track.  A step adds under 2^17 to a
     * lane, so the lanes are emptied every 32 KiB. */
    typedef uint32_t v4 __attribute__((vector_size(16)));
    const v4 low16 = {0xffff, 0xffff, 0xffff, 0xffff};
    size_t blocks = len / 32;
    len %= 32;
    while (blocks) {
        size_t k = blocks < 1024 ? blocks : 1024;
        blocks -= k;
        v4 vl = {0, 0, 0, 0}, vh = {0, 0, 0, 0};
        for (const uint8_t *end = p + 32 * k; p < end; p += 32) {
            v4 a, b;
            memcpy(&a, p, 16);
            memcpy(&b, p + 16, 16);
            vl += a & low16;
            vh += a >> 16;
            vl += b & low16;
            vh += b >> 16;
        }
        v4 t = vl + vh;                          /* each lane under 2^28: no wrap */
        acc += (uint64_t)t[0] + t[1] + t[2] + t[3];
    }
#endif
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
