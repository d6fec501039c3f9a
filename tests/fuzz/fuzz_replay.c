/* fuzz_replay.c - runs a libFuzzer entry point without libFuzzer: over the
 * files named on the command line (a corpus, a crash to reproduce), or,
 * with none, over inputs it makes itself, deterministically: every prefix
 * of a few well-formed frames, then random byte flips, truncations and
 * length-field rewrites of them (a fixed seed, so a failure reproduces).
 * ctest runs it under the sanitizer build; libFuzzer goes further when
 * clang is there (cmake -DLUNET_FUZZ=ON). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (uint32_t)rng;
}

/* Seeds: byte 0 picks the starting layer (bit 0: IP), the rest is the packet. */
static const uint8_t syn[] = {
    0, 0x02,0,0,0,0,2, 0x02,0,0,0,0,1, 0x08,0x00,
    0x45,0x00,0x00,0x2c, 0x00,0x01,0x40,0x00, 0x40,0x06,0x00,0x00, 10,0,0,1, 10,0,0,2,
    0x9c,0x40,0x00,0x50, 0,0,0x03,0xe8, 0,0,0,0, 0x60,0x02,0xfa,0xf0, 0,0,0,0,
    0x02,0x04,0x05,0xb4,
};
static const uint8_t ack_sack[] = {
    1, 0x45,0x00,0x00,0x3c, 0,0,0,0, 0x40,0x06,0,0, 10,0,0,2, 10,0,0,1,
    0x00,0x50,0x9c,0x40, 0,0,0,1, 0,0,0x03,0xe9, 0xa0,0x10,0x01,0xf5, 0,0,0,0,
    0x01,0x01,0x05,0x0a, 0,0,0,100, 0,0,0,200, 0x01,0x01,0x08,0x0a,
};
static const uint8_t arp[] = {
    0, 0xff,0xff,0xff,0xff,0xff,0xff, 0x02,0,0,0,0,1, 0x08,0x06,
    0,1, 0x08,0, 6, 4, 0,1, 0x02,0,0,0,0,1, 10,0,0,1, 0,0,0,0,0,0, 10,0,0,2,
};
static const uint8_t icmp_err[] = {
    1, 0x45,0,0,0x38, 0,0,0,0, 0x40,0x01,0,0, 10,0,0,254, 10,0,0,1,
    3,4,0,0, 0,0,0x05,0x78,
    0x45,0,0x05,0xdc, 0,1,0x40,0, 0x40,0x11,0,0, 10,0,0,1, 10,0,0,2,
    0x13,0x89,0x00,0x35, 0x05,0xc8,0,0,
};
static const uint8_t udp_frag[] = {
    1, 0x46,0,0,0x24, 0,9,0x20,0, 0x40,0x11,0,0, 10,0,0,1, 10,0,0,2, 0x94,4,0,0,
    0x13,0x89,0x00,0x35, 0,8,0,0, 'x','y','z','w',
};
/* IGMPv3 general query to 224.0.0.1 with Router Alert, 1 s to answer. */
static const uint8_t igmp_query[] = {
    1, 0x46,0xc0,0x00,0x24, 0,0,0x40,0, 0x01,0x02,0,0, 10,0,0,1, 224,0,0,1, 0x94,4,0,0,
    0x11,10,0,0, 0,0,0,0, 0x02,125,0,0,
};
/* The same query for one group, sent to it, as RFC 3376 4.1.12 has it. */
static const uint8_t igmp_gquery[] = {
    1, 0x46,0xc0,0x00,0x24, 0,1,0x40,0, 0x01,0x02,0,0, 10,0,0,1, 239,1,2,3, 0x94,4,0,0,
    0x11,10,0,0, 239,1,2,3, 0x02,125,0,0,
};
static const uint8_t udp_group[] = {
    1, 0x45,0,0,0x24, 0,2,0,0, 0x01,0x11,0,0, 10,0,0,1, 239,1,2,3,
    0x13,0x89,0x00,0x35, 0,16,0,0, 'm','u','l','t','i','c','a','s',
};
static const struct { const uint8_t *p; size_t n; } seeds[] = {
    {syn, sizeof syn}, {ack_sack, sizeof ack_sack}, {arp, sizeof arp},
    {icmp_err, sizeof icmp_err}, {udp_frag, sizeof udp_frag},
    {igmp_query, sizeof igmp_query}, {igmp_gquery, sizeof igmp_gquery},
    {udp_group, sizeof udp_group},
};

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return 1; }
    static uint8_t buf[1 << 17];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, n);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        int bad = 0;
        for (int i = 1; i < argc; i++) bad |= run_file(argv[i]);
        return bad;
    }
    long runs = 0;
    uint8_t buf[256];
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        for (size_t n = 0; n <= seeds[s].n; n++, runs++) LLVMFuzzerTestOneInput(seeds[s].p, n);
        for (int i = 0; i < 4000; i++, runs++) {
            size_t n = seeds[s].n;
            memcpy(buf, seeds[s].p, n);
            int edits = 1 + (int)(rnd() % 4);
            for (int e = 0; e < edits; e++) {
                size_t at = 1 + rnd() % (n - 1);
                switch (rnd() % 4) {
                case 0: buf[at] ^= (uint8_t)(1u << (rnd() % 8)); break;
                case 1: buf[at] = (uint8_t)rnd(); break;
                case 2: buf[at] = (uint8_t)(rnd() % 2 ? 0 : 0xff); break;  /* length-like extremes */
                case 3: if (n + 8 <= sizeof buf) { memset(buf + n, (int)rnd(), 8); n += 8; } break;
                }
            }
            if (rnd() % 4 == 0) n = 1 + rnd() % n;
            LLVMFuzzerTestOneInput(buf, n);
        }
    }
    printf("fuzz_replay: %ld inputs, no crash\n", runs);
    return 0;
}
