/* rand.c - xoshiro256** (Blackman and Vigna), seeded through splitmix64 as
 * its authors recommend, and a label hash for deriving streams. */
#include "rand.h"

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void ln_rng_seed(ln_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

void ln_rng_derive(ln_rng *r, uint64_t seed, const char *label)
{
    unsigned long n = 0;
    while (label[n]) n++;
    ln_rng_seed(r, ln_hash64(label, n, seed));
}

uint64_t ln_rng_next(ln_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double ln_rng_double(ln_rng *r)
{
    return (double)(ln_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t ln_rng_below(ln_rng *r, uint64_t n)
{
    if (n == 0) return 0;
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = ln_rng_next(r); while (x >= limit);
    return x % n;
}
