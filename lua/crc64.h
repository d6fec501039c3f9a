/* crc64.h - the stream digest of lunet.hash, h:sink and TcpSocket:drain:
 * CRC-64/XZ (the ECMA-182 polynomial, reflected, init and xorout all
 * ones; "123456789" gives 0x995dc9bbdf1939fa), as xz and Go's hash/crc64
 * with the ECMA table compute it.
 *
 * Like zlib's crc32(), a call continues from the previous result, so a
 * stream can be digested chunk by chunk with any split, and 0 is the
 * digest of nothing.  Why a CRC: it is a fold over the bytes with a 64-bit
 * state (what lunet.hash(data, h) needs) and linear, so it can take 64
 * bytes a step with carry-less multiplies instead of one multiply per byte
 * (FNV-1a before it), and it catches what a transfer gets wrong.  The
 * polynomial is (x+1)^2 times three irreducible factors of degree 15 and
 * one of degree 17, so x has order 2 * 32767 * 131071 modulo it: every odd
 * number of flipped bits, any burst of up to 64, any two flipped bits less
 * than 1 GB apart, and any two different bytes swapped less than 4 GB apart
 * change the digest. */
#ifndef LNL_CRC64_H
#define LNL_CRC64_H

#include <stddef.h>
#include <stdint.h>

/* The digest of the len bytes at buf after the bytes whose digest is crc. */
uint64_t lnl_crc64(uint64_t crc, const void *buf, size_t len);

/* The same for n bytes of the stack's generated pattern (byte i of the
 * stream is i % 256, what TcpSocket:send(n) queues), from stream offset 0. */
uint64_t lnl_crc64_pattern(uint64_t crc, uint64_t n);
/* ... and from any offset: the first byte's value is `first`. */
uint64_t lnl_crc64_pattern_from(uint64_t crc, uint8_t first, uint64_t n);

/* The digest of A followed by B from crc1 = digest(A), crc2 = digest(B)
 * and B's length (as zlib's crc32_combine). */
uint64_t lnl_crc64_combine(uint64_t crc1, uint64_t crc2, uint64_t len2);

#endif
