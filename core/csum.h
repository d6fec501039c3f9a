/* csum.h - the Internet checksum (RFC 1071), with incremental update
 * (RFC 1624) for routers that decrement TTL. */
#ifndef LN_CSUM_H
#define LN_CSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define LN_CSUM_IPHDR_MIN 20u    /* the fixed header: summed unrolled */

/* Partial one's-complement sum of `len` bytes added to `sum` (not folded).
 * Bytes are taken in network order, so the result is host-order-free. */
uint32_t ln_csum_partial(const void *data, size_t len, uint32_t sum);
/* Fold a partial sum and complement it: the value to store in a header. */
uint16_t ln_csum_fold(uint32_t sum);
/* Checksum of a buffer, ready to store (network order bytes). */
static inline uint16_t ln_csum(const void *data, size_t len)
{
    return ln_csum_fold(ln_csum_partial(data, len, 0));
}
/* The checksum of an IPv4 header (hlen a multiple of 4, as IHL makes it),
 * ready to store; 0 when checking a header with its checksum in place.
 * Linux's ip_fast_csum: whole 32-bit words, no loop set-up, since every
 * hop sums one (RFC 1071 2(C): 2^16 - 1 divides 2^32 - 1). */
static inline uint16_t ln_csum_iphdr(const uint8_t *h, uint32_t hlen)
{
    /* Native words (RFC 1071 2(B): the sum of byte-swapped words is the
     * byte-swapped sum), one swap at the end. */
    uint64_t acc = 0;
    uint32_t w;
    for (uint32_t i = 0; i < LN_CSUM_IPHDR_MIN; i += 4) {
        memcpy(&w, h + i, 4);
        acc += w;
    }
    for (uint32_t i = LN_CSUM_IPHDR_MIN; i < hlen; i += 4) {
        memcpy(&w, h + i, 4);
        acc += w;
    }
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffffu) + (acc >> 16);
    acc = (acc & 0xffffu) + (acc >> 16);
    acc = (acc & 0xffffu) + (acc >> 16);
    uint16_t sum = (uint16_t)acc;
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_BIG_ENDIAN__
    sum = (uint16_t)(sum << 8 | sum >> 8);
#endif
    return (uint16_t)~sum;
}
/* Partial sum of the IPv4 pseudo-header (addresses in host order). */
uint32_t ln_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);
/* RFC 1624 eqn. 3: new checksum after a 16-bit field changes old -> new.
 * All three values as read from / written to the wire (big-endian). */
uint16_t ln_csum_update16(uint16_t csum, uint16_t old, uint16_t new_);

#endif
