/* seq.h - TCP sequence numbers (RFC 9293 3.4): 32-bit, compared modulo 2^32.
 *
 * Every comparison of sequence numbers goes through these functions: a raw
 * `a < b` on two sequence numbers is a bug that shows up only after the
 * space wraps, which a 4 GiB transfer or a random ISN near 2^32 makes
 * happen. */
#ifndef LN_SEQ_H
#define LN_SEQ_H

#include <stdbool.h>
#include <stdint.h>

typedef uint32_t ln_seq;

static inline int32_t ln_seq_diff(ln_seq a, ln_seq b) { return (int32_t)(a - b); }
static inline bool ln_seq_lt(ln_seq a, ln_seq b) { return ln_seq_diff(a, b) < 0; }
static inline bool ln_seq_le(ln_seq a, ln_seq b) { return ln_seq_diff(a, b) <= 0; }
static inline bool ln_seq_gt(ln_seq a, ln_seq b) { return ln_seq_diff(a, b) > 0; }
static inline bool ln_seq_ge(ln_seq a, ln_seq b) { return ln_seq_diff(a, b) >= 0; }
static inline ln_seq ln_seq_max(ln_seq a, ln_seq b) { return ln_seq_gt(a, b) ? a : b; }
static inline ln_seq ln_seq_min(ln_seq a, ln_seq b) { return ln_seq_lt(a, b) ? a : b; }
/* lo <= x < hi, modulo 2^32 */
static inline bool ln_seq_in(ln_seq x, ln_seq lo, ln_seq hi)
{
    return ln_seq_le(lo, x) && ln_seq_lt(x, hi);
}

#endif
