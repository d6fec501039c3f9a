/* crc64.c - CRC-64/XZ (see crc64.h): eight tables of 256 entries
 * ("slicing by 8", eight bytes a step) everywhere, and on x86-64 with
 * PCLMULQDQ four 16-byte lanes folded 64 bytes a step, which is what
 * h:sink's digest of every received byte costs.
 *
 * Notation.  The CRC is reflected: bit j of a 64-bit value stands for
 * x^(63-j), and the first byte of the stream holds the highest powers.
 * Multiplying such a value by x is a right shift, and the bit that falls
 * off (x^64) comes back as the polynomial's low terms, REV below.
 *
 * Folding (after Gopal et al., "Fast CRC computation for generic
 * polynomials using PCLMULQDQ", Intel, 2009): a 16-byte lane A whose last
 * bit has degree D is the sum of its low half a_lo * x^(D+64) and its high
 * half a_hi * x^D (each a 64-bit value read as above).  A carry-less
 * product of two such values lands one bit short of the 128-bit layout
 * (bit k holds x^(126-k), not x^(127-k)), so moving A forward by F bits,
 * to the lane whose first bit has degree D-1-F+128, takes
 *   clmul(a_lo, x^(F+63) mod P) ^ clmul(a_hi, x^(F-1) mod P),
 * a value congruent to A, to be XORed with the data of that lane.  F is
 * 512 for four lanes side by side and 128 to merge them.  The last lane V
 * is reduced as data: the register after it is the table CRC of V's 16
 * bytes from 0. */
#include <string.h>

#include "crc64.h"

/* x^64 mod P, reflected: the ECMA-182 polynomial 0x42F0E1EBA9EA3693 with
 * its bits reversed. */
#define REV 0xC96C5795D7870F42u

static uint64_t table[8][256];
static unsigned char pattern[4096];           /* i % 256: 16 periods */
static uint64_t k128[2], k512[2];             /* folding constants: lo, hi */
static int ready;

/* x^n mod P, reflected. */
static uint64_t xpow(unsigned n)
{
    uint64_t v = (uint64_t)1 << 63;           /* x^0 */
    while (n--) v = (v & 1) ? (v >> 1) ^ REV : v >> 1;
    return v;
}

static void init(void)
{
    for (unsigned b = 0; b < 256; b++) {
        uint64_t c = b;
        for (int i = 0; i < 8; i++) c = (c & 1) ? (c >> 1) ^ REV : c >> 1;
        table[0][b] = c;
    }
    for (unsigned b = 0; b < 256; b++)
        for (int k = 1; k < 8; k++) table[k][b] = (table[k - 1][b] >> 8) ^ table[0][table[k - 1][b] & 0xff];
    for (unsigned i = 0; i < sizeof pattern; i++) pattern[i] = (unsigned char)i;
    k128[0] = xpow(128 + 63);
    k128[1] = xpow(128 - 1);
    k512[0] = xpow(512 + 63);
    k512[1] = xpow(512 - 1);
    ready = 1;
}

static uint64_t load64(const unsigned char *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

/* The register (not inverted) after len more bytes. */
static uint64_t by_table(uint64_t c, const unsigned char *p, size_t len)
{
    for (; len >= 8; p += 8, len -= 8) {
        c ^= load64(p);
        c = table[7][c & 0xff] ^ table[6][(c >> 8) & 0xff] ^ table[5][(c >> 16) & 0xff] ^
            table[4][(c >> 24) & 0xff] ^ table[3][(c >> 32) & 0xff] ^ table[2][(c >> 40) & 0xff] ^
            table[1][(c >> 48) & 0xff] ^ table[0][c >> 56];
    }
    while (len--) c = (c >> 8) ^ table[0][(c ^ *p++) & 0xff];
    return c;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_CLMUL 1
#include <immintrin.h>

__attribute__((target("pclmul,sse2")))
static __m128i fold(__m128i a, __m128i k)
{
    return _mm_xor_si128(_mm_clmulepi64_si128(a, k, 0x00), _mm_clmulepi64_si128(a, k, 0x11));
}

/* The register after len >= 64 more bytes; the rest by table. */
__attribute__((target("pclmul,sse2")))
static uint64_t by_clmul(uint64_t c, const unsigned char *p, size_t len)
{
    const __m128i K512 = _mm_set_epi64x((long long)k512[1], (long long)k512[0]);
    const __m128i K128 = _mm_set_epi64x((long long)k128[1], (long long)k128[0]);
    __m128i x0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_set_epi64x(0, (long long)c));
    __m128i x1 = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i x2 = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i x3 = _mm_loadu_si128((const __m128i *)(p + 48));
    p += 64;
    len -= 64;
    for (; len >= 64; p += 64, len -= 64) {
        x0 = _mm_xor_si128(fold(x0, K512), _mm_loadu_si128((const __m128i *)p));
        x1 = _mm_xor_si128(fold(x1, K512), _mm_loadu_si128((const __m128i *)(p + 16)));
        x2 = _mm_xor_si128(fold(x2, K512), _mm_loadu_si128((const __m128i *)(p + 32)));
        x3 = _mm_xor_si128(fold(x3, K512), _mm_loadu_si128((const __m128i *)(p + 48)));
    }
    x1 = _mm_xor_si128(x1, fold(x0, K128));
    x2 = _mm_xor_si128(x2, fold(x1, K128));
    x3 = _mm_xor_si128(x3, fold(x2, K128));
    for (; len >= 16; p += 16, len -= 16)
        x3 = _mm_xor_si128(fold(x3, K128), _mm_loadu_si128((const __m128i *)p));
    unsigned char v[16];
    _mm_storeu_si128((__m128i *)v, x3);
    return by_table(by_table(0, v, 16), p, len);
}

static int have_clmul(void)
{
    static int known = -1;
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("pclmul") != 0;
    }
    return known;
}
#endif

uint64_t lnl_crc64(uint64_t crc, const void *buf, size_t len)
{
    if (!ready) init();
    uint64_t c = ~crc;
#ifdef HAVE_CLMUL
    /* Below 64 bytes there is not one full step of four lanes. */
    if (len >= 64 && have_clmul()) return ~by_clmul(c, buf, len);
#endif
    return ~by_table(c, buf, len);
}

uint64_t lnl_crc64_pattern(uint64_t crc, uint64_t n)
{
    if (!ready) init();
    /* Every piece starts at a multiple of 256, where the pattern does, so
     * all whole buffers are the same bytes: past a few, their digest is
     * built by doubling, in O(log n) (a script checks a 200 MB transfer
     * with lunet.hash(200e6) in microseconds, not a tenth of a second). */
    if (n >= 16 * sizeof pattern) {
        uint64_t blocks = n / sizeof pattern, run = 0;
        uint64_t b = lnl_crc64(0, pattern, sizeof pattern), blen = sizeof pattern;
        for (uint64_t k = blocks; k; k >>= 1) {
            if (k & 1) run = lnl_crc64_combine(run, b, blen);
            if (k > 1) b = lnl_crc64_combine(b, b, blen);
            blen *= 2;
        }
        crc = lnl_crc64_combine(crc, run, blocks * sizeof pattern);
        n -= blocks * sizeof pattern;
    }
    while (n > 0) {
        size_t k = n < sizeof pattern ? (size_t)n : sizeof pattern;
        crc = lnl_crc64(crc, pattern, k);
        n -= k;
    }
    return crc;
}

uint64_t lnl_crc64_pattern_from(uint64_t crc, uint8_t first, uint64_t n)
{
    if (!ready) init();
    uint64_t head = (256u - first) & 255u;          /* up to the next period */
    if (head > n) head = n;
    crc = lnl_crc64(crc, pattern + first, (size_t)head);
    return lnl_crc64_pattern(crc, n - head);
}

/* a * b mod P, reflected (bit 63 of a is x^0). */
static uint64_t mulmod(uint64_t a, uint64_t b)
{
    uint64_t p = 0;
    for (uint64_t m = (uint64_t)1 << 63; m; m >>= 1) {
        if (a & m) p ^= b;
        b = (b & 1) ? (b >> 1) ^ REV : b >> 1;
    }
    return p;
}

uint64_t lnl_crc64_combine(uint64_t crc1, uint64_t crc2, uint64_t len2)
{
    /* The register after A, moved over len2 zero bytes, is crc1 times
     * x^(8 len2); the all-ones init and xorout of A's end and B's start
     * cancel (the same reasoning as zlib's crc32_combine). */
    uint64_t sq = xpow(8);                    /* x^(8 * 2^i), i = 0, 1, ... */
    uint64_t f = (uint64_t)1 << 63;           /* x^0 */
    for (; len2; len2 >>= 1) {
        if (len2 & 1) f = mulmod(f, sq);
        sq = mulmod(sq, sq);
    }
    return mulmod(crc1, f) ^ crc2;
}
