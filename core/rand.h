/* rand.h - deterministic pseudo-random numbers (xoshiro256**).
 *
 * Every consumer of randomness (a link direction, a host) owns its own
 * stream, derived from the network seed and a stable label such as
 * "link:h1.eth0-r1.eth0:ab".  Streams derived from labels do not depend on
 * creation order, so adding a host does not change another link's loss
 * pattern. */
#ifndef LN_RAND_H
#define LN_RAND_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ln_rng { uint64_t s[4]; } ln_rng;

void ln_rng_seed(ln_rng *r, uint64_t seed);
/* An independent stream for `label` under `seed`. */
void ln_rng_derive(ln_rng *r, uint64_t seed, const char *label);
uint64_t ln_rng_next(ln_rng *r);
/* Uniform in [0, 1) with 53 bits of precision. */
double ln_rng_double(ln_rng *r);
/* Uniform in [0, n); 0 when n == 0.  Unbiased (rejection sampling). */
uint64_t ln_rng_below(ln_rng *r, uint64_t n);
/* True with probability p; never draws when p <= 0 or p >= 1, so a knob
 * left at 0 does not perturb the stream.  Inline: a link asks three times
 * a frame, nearly always of a knob at 0. */
static inline bool ln_rng_chance(ln_rng *r, double p)
{
    if (p <= 0) return false;
    if (p >= 1) return true;
    return ln_rng_double(r) < p;
}
/* 64-bit hash used for labels and keyed hashes (not cryptographic):
 * FNV-1a over the bytes, then splitmix64's finaliser for avalanche.
 * Inline, so that the fixed sizes of the keys TCP hashes (a connection's
 * ISN, its TS offset and port search, five a connection) unroll. */
static inline uint64_t ln_hash64(const void *data, unsigned long len, uint64_t key)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ull ^ key;
#pragma GCC unroll 16
    for (unsigned long i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    uint64_t z = h + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#endif
