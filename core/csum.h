/* csum.h - the Internet checksum (RFC 1071), with incremental update
 * (RFC 1624) for routers that decrement TTL. */
#ifndef LN_CSUM_H
#define LN_CSUM_H

#include <stddef.h>
#include <stdint.h>

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
/* Partial sum of the IPv4 pseudo-header (addresses in host order). */
uint32_t ln_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);
/* RFC 1624 eqn. 3: new checksum after a 16-bit field changes old -> new.
 * All three values as read from / written to the wire (big-endian). */
uint16_t ln_csum_update16(uint16_t csum, uint16_t old, uint16_t new_);

#endif
