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

uint32_t ln_csum_partial(const void *data, size_t len, uint32_t sum)
{
    const uint8_t *p = data;
    /* A 64-bit accumulator cannot overflow for any buffer we handle (2^48
     * words), so folding happens once at the end (RFC 1071 section 4.1
     * defers carries the same way). */
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
