/* test_csum.c - the Internet checksum (RFC 1071) and its incremental
 * update (RFC 1624): known vectors, odd lengths, a real IPv4 header, and
 * random headers where the incremental update must equal recomputation. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "csum.h"
#include "rand.h"
#include "wire.h"

/* RFC 1071 section 3 numerical example. */
static void test_rfc1071_example(void)
{
    const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
    uint32_t s = ln_csum_partial(b, sizeof b, 0);
    CHECK_EQ(ln_csum_fold(s), (uint16_t)~0xddf2);
    CHECK_EQ(ln_csum(b, sizeof b), 0x220d);
    /* Split anywhere on an even boundary: the sum is associative. */
    uint32_t s2 = ln_csum_partial(b + 4, 4, ln_csum_partial(b, 4, 0));
    CHECK_EQ(ln_csum_fold(s2), 0x220d);
}

static void test_odd_lengths(void)
{
    /* An odd trailing byte counts as the high byte of a zero-padded word. */
    const uint8_t one[] = { 0xab };
    CHECK_EQ(ln_csum(one, 1), (uint16_t)~0xab00);
    const uint8_t three[] = { 0x12, 0x34, 0x56 };
    CHECK_EQ(ln_csum(three, 3), (uint16_t)~(0x1234 + 0x5600));
    /* Padding with an explicit zero gives the same result. */
    const uint8_t four[] = { 0x12, 0x34, 0x56, 0x00 };
    CHECK_EQ(ln_csum(three, 3), ln_csum(four, 4));
    CHECK_EQ(ln_csum(NULL, 0), 0xffff);
    /* Carries: 0xffff + 0x0001 folds to 0x0001. */
    const uint8_t carry[] = { 0xff, 0xff, 0x00, 0x01 };
    CHECK_EQ(ln_csum(carry, 4), (uint16_t)~0x0001);
}

/* A real IPv4 header (192.168.0.1 -> 192.168.0.199, UDP, DF, TTL 64)
 * whose checksum is 0xb861: 4500 0073 0000 4000 4011 b861 c0a8 0001
 * c0a8 00c7. */
static void test_real_header(void)
{
    uint8_t h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                      0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
    CHECK_EQ(ln_csum(h, 20), 0xb861);
    ln_put16(h + 10, 0xb861);
    CHECK_EQ(ln_csum(h, 20), 0);      /* a valid header sums to all ones */
}

static void test_pseudo(void)
{
    /* Pseudo-header + UDP header, checked against a manual sum. */
    uint32_t src = 0xc0a80001, dst = 0xc0a800c7;
    uint8_t udp[8] = { 0x04, 0x00, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00 };
    uint32_t manual = 0xc0a8 + 0x0001 + 0xc0a8 + 0x00c7 + 17 + 8 + 0x0400 + 0x0035 + 0x0008;
    uint16_t c = ln_csum_fold(ln_csum_partial(udp, 8, ln_csum_pseudo(src, dst, 17, 8)));
    CHECK_EQ(c, ln_csum_fold(manual));
    ln_put16(udp + 6, c);
    CHECK_EQ(ln_csum_fold(ln_csum_partial(udp, 8, ln_csum_pseudo(src, dst, 17, 8))), 0);
}

/* RFC 1624: updating one 16-bit word incrementally equals recomputing,
 * including the TTL/protocol word a router changes. */
static void test_incremental(void)
{
    ln_rng r;
    ln_rng_seed(&r, 42);
    int mismatches = 0;
    for (int i = 0; i < 20000; i++) {
        uint8_t h[20];
        for (int k = 0; k < 20; k++) h[k] = (uint8_t)ln_rng_next(&r);
        h[0] = 0x45;
        ln_put16(h + 10, 0);
        ln_put16(h + 10, ln_csum(h, 20));
        int word = (int)ln_rng_below(&r, 10);
        if (word == 5) word = 4;                 /* not the checksum itself */
        uint16_t old = ln_get16(h + 2 * word);
        uint16_t nw = (i % 3 == 0) ? (uint16_t)(old - 0x100)   /* TTL-- */
                                   : (uint16_t)ln_rng_next(&r);
        ln_put16(h + 2 * word, nw);
        uint16_t inc = ln_csum_update16(ln_get16(h + 10), old, nw);
        ln_put16(h + 10, 0);
        uint16_t full = ln_csum(h, 20);
        /* Exact equality: both forms land in 0x0000..0xfffe for any
         * header that is not all zeros (RFC 1624 section 3). */
        if (inc != full) mismatches++;
        ln_put16(h + 10, inc);
        if (ln_csum(h, 20) != 0) mismatches++;
    }
    CHECK_EQ(mismatches, 0);
    /* The RFC 1624 section 4 example: HC 0xdd2f, m 0x5555 -> 0x3285
     * gives 0x0000 (RFC 1141's formula wrongly gives 0xffff). */
    CHECK_EQ(ln_csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
}

/* The wide loops against the definition: 16-bit big-endian words summed
 * with end-around carry, for every length up to 300 at every alignment,
 * with random bytes and with all ones (the most carries), and for a
 * 64 KiB buffer of 0xff (a lane's carries at their most). */
static uint16_t reference(const uint8_t *p, size_t len, uint32_t start)
{
    uint64_t acc = start;
    for (size_t i = 0; i + 1 < len; i += 2) acc += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1) acc += (uint32_t)p[len - 1] << 8;
    while (acc >> 16) acc = (acc & 0xffffu) + (acc >> 16);
    return (uint16_t)~acc;
}

static void test_wide(void)
{
    static uint8_t buf[65536 + 16];
    ln_rng r;
    ln_rng_derive(&r, 7, "csum");
    int bad = 0;
    for (int fill = 0; fill < 2; fill++) {
        for (size_t i = 0; i < sizeof buf; i++) buf[i] = fill ? 0xff : (uint8_t)ln_rng_next(&r);
        for (size_t off = 0; off < 16; off++)
            for (size_t len = 0; len <= 300; len++)
                bad += ln_csum_fold(ln_csum_partial(buf + off, len, 0)) != reference(buf + off, len, 0);
        bad += ln_csum_fold(ln_csum_partial(buf + 3, 65535, 0x1234)) != reference(buf + 3, 65535, 0x1234);
        bad += ln_csum_fold(ln_csum_partial(buf, 65536, 0)) != reference(buf, 65536, 0);
    }
    CHECK_EQ(bad, 0);
}

/* The IPv4 header sum by words agrees with the general one, for every
 * header length, including sums that fold through 0xffff. */
static void test_iphdr(void)
{
    uint8_t h[60];
    uint32_t x = 12345;
    for (int round = 0; round < 2000; round++) {
        for (uint32_t i = 0; i < sizeof h; i++) {
            x = x * 1103515245u + 12345u;
            h[i] = round % 3 == 0 ? 0xff : (uint8_t)(x >> 16);
        }
        for (uint32_t hlen = 20; hlen <= 60; hlen += 4) {
            CHECK_EQ(ln_csum_iphdr(h, hlen), ln_csum(h, hlen));
            uint8_t c[60];
            memcpy(c, h, hlen);
            c[10] = c[11] = 0;
            uint16_t s = ln_csum_iphdr(c, hlen);
            c[10] = (uint8_t)(s >> 8);
            c[11] = (uint8_t)s;
            CHECK_EQ(ln_csum_iphdr(c, hlen), 0);
        }
    }
}

int main(void)
{
    test_wide();
    test_rfc1071_example();
    test_odd_lengths();
    test_real_header();
    test_pseudo();
    test_incremental();
    test_iphdr();
    return check_report("test_csum");
}
