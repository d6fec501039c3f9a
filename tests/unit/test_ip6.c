/* test_ip6.c - IPv6 at the network layer: address text, the routing
 * table, input checks with their drop reasons and counters, extension
 * headers (RFC 8200 4, RFC 5095), reassembly (RFC 5722, RFC 6946), and
 * random datagrams that must never crash or leak.
 *
 * a (2001:db8::1) <--- wire ---> b (2001:db8::2), DAD off so both
 * addresses are usable at once; datagrams are handed to a's port as if
 * b had sent them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "csum.h"
#include "err.h"
#include "ip6.h"
#include "route6.h"
#include "world.h"

static ln_in6 A6(const char *s)
{
    ln_in6 a;
    char err[160];
    CHECK(ln_ip6_parse(s, &a, NULL, err, sizeof err) == 0);
    return a;
}

/* ---- address text ---------------------------------------------------- */

static void roundtrip(const char *in, const char *want)
{
    ln_in6 a;
    char err[200], out[LN_IN6_FMTLEN];
    int rc = ln_ip6_parse(in, &a, NULL, err, sizeof err);
    CHECK_EQ(rc, 0);
    if (rc == 0) CHECK_STR(ln_ip6_fmt(&a, out), want);
}

static void test_text(void)
{
    roundtrip("2001:db8::1", "2001:db8::1");
    roundtrip("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
    roundtrip("::", "::");
    roundtrip("::1", "::1");
    roundtrip("fe80::", "fe80::");
    /* RFC 5952 4.2.2: one zero group is not "::"; 4.2.3: the first of
     * two equal runs */
    roundtrip("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1");
    roundtrip("2001:0:0:1:0:0:0:1", "2001:0:0:1::1");
    roundtrip("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
    roundtrip("::ffff:10.0.0.1", "::ffff:10.0.0.1");
    roundtrip("64:ff9b::192.0.2.33", "64:ff9b::c000:221");
    static const char *const bad[] = {
        "", ":", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "g::1", "1:2:3:4:5:6:7",
        "::1:", "1.2.3.4", "::256.1.1.1", "2001:db8::1%eth0",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ln_in6 a;
        char err[200];
        CHECK(ln_ip6_parse(bad[i], &a, NULL, err, sizeof err) != 0);
    }
    ln_in6 a;
    uint8_t plen;
    char err[200];
    CHECK_EQ(ln_ip6_parse("2001:db8::/48", &a, &plen, err, sizeof err), 0);
    CHECK_EQ(plen, 48);
    CHECK(ln_ip6_parse("2001:db8::/129", &a, &plen, err, sizeof err) != 0);
    CHECK(strstr(err, "0..128") != NULL);
    CHECK(ln_ip6_parse("2001:db8::/64", &a, NULL, err, sizeof err) != 0);
    /* EUI-64 (RFC 4291 appendix A): the U/L bit flips */
    ln_in6 ll = {{0xfe, 0x80}};
    const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
    ln_in6_set_eui64(&ll, mac);
    char out[LN_IN6_FMTLEN];
    CHECK_STR(ln_ip6_fmt(&ll, out), "fe80::ff:fe00:1");
    ln_in6 sn = ln_in6_solicited(&ll);
    CHECK_STR(ln_ip6_fmt(&sn, out), "ff02::1:ff00:1");
}

static void test_routes(void)
{
    ln_rt6table t;
    ln_rt6table_init(&t);
    ln_iface x = {.up = true}, y = {.up = true};
    ln_route6 def = { .prefix = A6("::"), .plen = 0, .has_gw = true, .gateway = A6("fe80::1"),
                      .iface = &x, .expires = LN_NEVER };
    ln_route6 p48 = { .prefix = A6("2001:db8:1::"), .plen = 48, .iface = &y, .expires = LN_NEVER };
    ln_route6 p64 = { .prefix = A6("2001:db8:1:2::"), .plen = 64, .iface = &x, .expires = 10 };
    CHECK_EQ(ln_route6_add(&t, &def), 0);
    CHECK_EQ(ln_route6_add(&t, &p48), 0);
    CHECK_EQ(ln_route6_add(&t, &p64), 0);
    CHECK_EQ(ln_route6_add(&t, &p64), LN_EEXIST);
    ln_in6 d = A6("2001:db8:1:2::5");
    CHECK(ln_route6_lookup(&t, &d, 0) == &t.v[0]);
    CHECK_EQ(ln_route6_lookup(&t, &d, 0)->plen, 64);
    /* expired: the /48 */
    CHECK_EQ(ln_route6_lookup(&t, &d, 10)->plen, 48);
    /* its interface down: the default */
    y.up = false;
    CHECK_EQ(ln_route6_lookup(&t, &d, 10)->plen, 0);
    ln_in6 p = A6("2001:db8:1::");
    CHECK_EQ(ln_route6_del(&t, &p, 48, NULL), 1);
    CHECK_EQ(t.n, 2);
    ln_rt6table_destroy(&t);
}

/* ---- input ----------------------------------------------------------- */

static world *hosts6(void)
{
    static const world_cfg c = { .seed = 5, .name = {"a", "b"} };
    world *w = world_new(&c);
    w->a->cfg.ip6_dad_transmits = 0;
    w->b->cfg.ip6_dad_transmits = 0;
    w->a->cfg.ip6_rtr_solicits = 0;
    w->b->cfg.ip6_rtr_solicits = 0;
    ln_in6 x = A6("2001:db8::1"), y = A6("2001:db8::2");
    CHECK_EQ(ln_ip6_addr_add(w->ia, &x, 64, LN_IP6A_STATIC, LN_NEVER), 0);
    CHECK_EQ(ln_ip6_addr_add(w->ib, &y, 64, LN_IP6A_STATIC, LN_NEVER), 0);
    return w;
}

/* An Ethernet frame from b to a carrying an IPv6 header and `len` bytes
 * of payload; returns the frame length. */
static uint32_t frame6(const world *w, uint8_t *f, uint8_t nxt, uint8_t hlim, const uint8_t *pl,
                       uint32_t len, const char *dst)
{
    memcpy(f, w->ia->mac, 6);
    memcpy(f + 6, w->ib->mac, 6);
    ln_put16(f + 12, LN_ETHERTYPE_IPV6);
    uint8_t *h = f + 14;
    memset(h, 0, 40);
    h[0] = 0x60;
    ln_put16(h + 4, (uint16_t)len);
    h[6] = nxt;
    h[7] = hlim;
    ln_in6 s = A6("2001:db8::2"), d = A6(dst ? dst : "2001:db8::1");
    memcpy(h + 8, s.b, 16);
    memcpy(h + 24, d.b, 16);
    memcpy(h + 40, pl, len);
    uint32_t n = 54 + len;
    if (n < 60) {
        memset(f + n, 0, 60 - n);
        n = 60;
    }
    return n;
}

/* An ICMPv6 message checksummed for b -> a, at off within the payload. */
static void icmp6_csum(uint8_t *m, uint32_t len, const char *dst)
{
    ln_in6 s = A6("2001:db8::2"), d = A6(dst ? dst : "2001:db8::1");
    ln_put16(m + 2, 0);
    ln_put16(m + 2, ln_csum_fold(ln_csum_partial(m, len, ln_ip6_pseudo(&s, &d, len, 58))));
}

static void rx(world *w, const uint8_t *b, uint32_t len)
{
    ln_pkt *p = ln_net_pkt(w->net, len);
    CHECK(p != NULL);
    if (!p) return;
    memcpy(p->data, b, len);
    w->ia->port.rx(&w->ia->port, p);
    world_run_for(w, 50 * LN_MSEC);
}

static uint64_t drops_a(const world *w, ln_drop_reason r) { return world_node_drops(w, w->a, WORLD_ANY, r); }
static int icmp6_out_a(const world *w, int type, int code) { return world_node_icmp_out(w, w->a, type << 8 | code); }

/* An echo request body (8-byte header + 8 bytes) at m. */
static uint32_t echo(uint8_t *m, uint16_t seq)
{
    memset(m, 0, 16);
    m[0] = 128;
    ln_put16(m + 4, 0x77);
    ln_put16(m + 6, seq);
    return 16;
}

static void test_header_checks(void)
{
    world *w = hosts6();
    uint8_t f[2048], pl[1600];
    uint32_t n;
    /* shorter than the header */
    n = frame6(w, f, 59, 64, pl, 0, NULL);
    rx(w, f, 14 + 30);
    CHECK_U64(drops_a(w, LN_DROP_TRUNCATED), 1);
    CHECK_U64(w->a->mib[LN_MIB_Ip6InHdrErrors], 1);
    /* version 5 */
    n = frame6(w, f, 59, 64, pl, 0, NULL);
    f[14] = 0x50;
    rx(w, f, n);
    CHECK_U64(drops_a(w, LN_DROP_MALFORMED), 1);
    /* a payload length past the frame */
    n = frame6(w, f, 59, 64, pl, 8, NULL);
    ln_put16(f + 18, 200);
    rx(w, f, n);
    CHECK_U64(w->a->mib[LN_MIB_Ip6InTruncatedPkts], 1);
    CHECK_U64(drops_a(w, LN_DROP_TRUNCATED), 2);
    /* a multicast source */
    n = frame6(w, f, 59, 64, pl, 0, NULL);
    f[22] = 0xff;
    rx(w, f, n);
    CHECK_U64(drops_a(w, LN_DROP_MARTIAN), 1);
    /* an echo request with a bad checksum, then a good one */
    uint32_t m = echo(pl, 1);
    icmp6_csum(pl, m, NULL);
    pl[10] ^= 1;
    n = frame6(w, f, 58, 64, pl, m, NULL);
    rx(w, f, n);
    CHECK_U64(w->a->mib[LN_MIB_Icmp6InCsumErrors], 1);
    CHECK_U64(drops_a(w, LN_DROP_BAD_CSUM), 1);
    pl[10] ^= 1;
    n = frame6(w, f, 58, 64, pl, m, NULL);
    rx(w, f, n);
    CHECK_EQ(icmp6_out_a(w, 129, 0), 1);
    /* not for us, not a router */
    n = frame6(w, f, 58, 64, pl, m, "2001:db8::99");
    rx(w, f, n);
    CHECK_U64(w->a->mib[LN_MIB_Ip6InAddrErrors], 1);
    CHECK_U64(drops_a(w, LN_DROP_OTHER_HOST), 1);
    /* an unknown next header: parameter problem code 1 at byte 6 */
    n = frame6(w, f, 200, 64, pl, 8, NULL);
    rx(w, f, n);
    CHECK_U64(drops_a(w, LN_DROP_UNKNOWN_PROTO), 1);
    CHECK_U64(w->a->mib[LN_MIB_Ip6InUnknownProtos], 1);
    CHECK_EQ(icmp6_out_a(w, 4, 1), 1);
    const world_frame *last = world_last_frame(w, &w->ia->port, LN_ETHERTYPE_IPV6);
    CHECK(last && last->b[54] == 4 && ln_get32(last->b + 58) == 6);
    /* ... to all-nodes: dropped the same, but no error about a multicast
     * datagram (RFC 4443 2.4 (e.2)) */
    n = frame6(w, f, 200, 64, pl, 8, "ff02::1");
    rx(w, f, n);
    CHECK_U64(drops_a(w, LN_DROP_UNKNOWN_PROTO), 2);
    CHECK_EQ(icmp6_out_a(w, 4, 1), 1);
    /* an NS with hop limit 254 (RFC 4861 7.1.1) */
    memset(pl, 0, 32);
    pl[0] = 135;
    ln_in6 t = A6("2001:db8::1");
    memcpy(pl + 8, t.b, 16);
    icmp6_csum(pl, 24, NULL);
    n = frame6(w, f, 58, 254, pl, 24, NULL);
    rx(w, f, n);
    CHECK_U64(drops_a(w, LN_DROP_ND_INVALID), 1);
    /* ... and one with an option of length 0 */
    pl[24] = 1;
    pl[25] = 0;
    icmp6_csum(pl, 32, NULL);
    n = frame6(w, f, 58, 255, pl, 32, NULL);
    rx(w, f, n);
    CHECK_U64(drops_a(w, LN_DROP_ND_INVALID), 2);
    world_free(w);
}

static void test_ext_headers(void)
{
    world *w = hosts6();
    uint8_t f[2048], pl[1600];
    uint32_t n, m;
    /* hop-by-hop with PadN, then the echo: answered */
    memset(pl, 0, 8);
    pl[0] = 58;
    pl[2] = 1;
    pl[3] = 4;
    m = echo(pl + 8, 1);
    icmp6_csum(pl + 8, m, NULL);
    n = frame6(w, f, 0, 64, pl, 8 + m, NULL);
    rx(w, f, n);
    CHECK_EQ(icmp6_out_a(w, 129, 0), 1);
    /* an option running past its header */
    pl[3] = 9;
    n = frame6(w, f, 0, 64, pl, 8 + m, NULL);
    rx(w, f, n);
    CHECK_U64(drops_a(w, LN_DROP_EXTHDR), 1);
    CHECK_EQ(icmp6_out_a(w, 4, 0), 1);
    /* an unknown option whose type's top two bits are 10: discard and
     * report (RFC 8200 4.2) */
    pl[2] = 0x85;
    pl[3] = 4;
    n = frame6(w, f, 0, 64, pl, 8 + m, NULL);
    rx(w, f, n);
    CHECK_U64(drops_a(w, LN_DROP_EXTHDR), 2);
    CHECK_EQ(icmp6_out_a(w, 4, 2), 1);
    /* ... top bits 01: discard silently */
    pl[2] = 0x45;
    n = frame6(w, f, 0, 64, pl, 8 + m, NULL);
    rx(w, f, n);
    CHECK_U64(drops_a(w, LN_DROP_EXTHDR), 3);
    CHECK_EQ(icmp6_out_a(w, 4, 2), 1);
    /* a hop-by-hop header that is not first: code 1 */
    memset(pl, 0, 16);
    pl[0] = 0;                /* dst opts -> hop-by-hop */
    pl[8] = 58;
    m = echo(pl + 16, 2);
    icmp6_csum(pl + 16, m, NULL);
    n = frame6(w, f, 60, 64, pl, 16 + m, NULL);
    rx(w, f, n);
    CHECK_EQ(icmp6_out_a(w, 4, 1), 1);
    /* routing header type 0 with segments left: refused (RFC 5095) and
     * reported at its type field (offset 42) */
    memset(pl, 0, 24);
    pl[0] = 58;
    pl[1] = 2;
    pl[2] = 0;
    pl[3] = 1;
    m = echo(pl + 24, 3);
    icmp6_csum(pl + 24, m, NULL);
    n = frame6(w, f, 43, 64, pl, 24 + m, NULL);
    rx(w, f, n);
    CHECK_U64(drops_a(w, LN_DROP_RH0), 1);
    CHECK_EQ(icmp6_out_a(w, 4, 0), 2);
    const world_frame *last = world_last_frame(w, &w->ia->port, LN_ETHERTYPE_IPV6);
    CHECK(last && ln_get32(last->b + 58) == 42);
    /* ... with segments left 0: ignored, the echo answered */
    pl[3] = 0;
    n = frame6(w, f, 43, 64, pl, 24 + m, NULL);
    rx(w, f, n);
    CHECK_EQ(icmp6_out_a(w, 129, 0), 2);
    /* a routing header cut short */
    n = frame6(w, f, 43, 64, pl, 16, NULL);
    rx(w, f, n);
    CHECK_U64(drops_a(w, LN_DROP_TRUNCATED), 1);
    world_free(w);
}

/* A fragment of a 16 + 2 x 504-byte echo request (id 9): offset, M flag,
 * and the payload slice from `msg`. */
static uint32_t frag(world *w, uint8_t *f, const uint8_t *msg, uint32_t off, uint32_t len, bool more,
                     uint32_t id)
{
    uint8_t pl[2048];
    pl[0] = 58;
    pl[1] = 0;
    ln_put16(pl + 2, (uint16_t)(off | (more ? 1 : 0)));
    ln_put32(pl + 4, id);
    memcpy(pl + 8, msg + off, len);
    return frame6(w, f, 44, 64, pl, 8 + len, NULL);
}

static void test_fragments(void)
{
    world *w = hosts6();
    uint8_t f[2048], msg[1024];
    memset(msg, 0xab, sizeof msg);
    uint32_t m = echo(msg, 7) + 1000;
    icmp6_csum(msg, m, NULL);
    uint32_t n;
    /* out of order, then complete: answered */
    n = frag(w, f, msg, 512, m - 512, false, 1);
    rx(w, f, n);
    n = frag(w, f, msg, 0, 512, true, 1);
    rx(w, f, n);
    CHECK_U64(w->a->mib[LN_MIB_Ip6ReasmOKs], 1);
    CHECK_EQ(icmp6_out_a(w, 129, 0), 1);
    /* RFC 5722: an overlap discards the datagram, fragments queued too */
    n = frag(w, f, msg, 0, 512, true, 2);
    rx(w, f, n);
    n = frag(w, f, msg, 504, m - 504, false, 2);
    rx(w, f, n);
    CHECK_U64(drops_a(w, LN_DROP_REASM_OVERLAP), 2);
    CHECK_EQ(ln_reasm6_pending(w->a), 0);
    CHECK_EQ(icmp6_out_a(w, 129, 0), 1);
    /* an exact duplicate drops itself only */
    n = frag(w, f, msg, 0, 512, true, 3);
    rx(w, f, n);
    rx(w, f, n);
    CHECK_U64(drops_a(w, LN_DROP_REASM_DUP), 1);
    n = frag(w, f, msg, 512, m - 512, false, 3);
    rx(w, f, n);
    CHECK_EQ(icmp6_out_a(w, 129, 0), 2);
    /* a non-last fragment not a multiple of 8: parameter problem at the
     * payload length (offset 4) */
    n = frag(w, f, msg, 0, 500, true, 4);
    rx(w, f, n);
    CHECK_U64(drops_a(w, LN_DROP_REASM_INVALID), 1);
    const world_frame *last = world_last_frame(w, &w->ia->port, LN_ETHERTYPE_IPV6);
    CHECK(last && last->b[54] == 4 && ln_get32(last->b + 58) == 4);
    /* an atomic fragment (offset 0, M 0) is processed alone (RFC 6946) */
    uint8_t small[16];
    uint32_t sm = echo(small, 8);
    icmp6_csum(small, sm, NULL);
    n = frag(w, f, small, 0, sm, false, 5);
    rx(w, f, n);
    CHECK_EQ(icmp6_out_a(w, 129, 0), 3);
    CHECK_EQ(ln_reasm6_pending(w->a), 0);
    /* the first fragment alone: after 60 s, time exceeded code 1 */
    n = frag(w, f, msg, 0, 512, true, 6);
    rx(w, f, n);
    CHECK_EQ(ln_reasm6_pending(w->a), 1);
    world_run_for(w, 61 * LN_SEC);
    CHECK_EQ(ln_reasm6_pending(w->a), 0);
    CHECK_U64(w->a->mib[LN_MIB_Ip6ReasmTimeout], 1);
    CHECK_EQ(icmp6_out_a(w, 3, 1), 1);
    world_free(w);
}

/* Random datagrams with a valid IPv6 header shape: whatever the bytes,
 * no crash, no leak (world_free), every one accounted for. */
static void test_random(void)
{
    world *w = hosts6();
    uint8_t f[2048], pl[600];
    ln_rng r;
    ln_rng_derive(&r, 9, "ip6-random");
    static const uint8_t nh[] = {0, 43, 44, 58, 60, 59, 17, 6, 200};
    for (int i = 0; i < 4000; i++) {
        uint32_t len = (uint32_t)ln_rng_below(&r, sizeof pl);
        for (uint32_t k = 0; k < len; k++) pl[k] = (uint8_t)ln_rng_next(&r);
        /* plausible extension header lengths now and then */
        if (len > 2 && ln_rng_below(&r, 2)) pl[1] = (uint8_t)ln_rng_below(&r, 3);
        if (len > 0 && ln_rng_below(&r, 2)) pl[0] = nh[ln_rng_below(&r, sizeof nh)];
        uint32_t n = frame6(w, f, nh[ln_rng_below(&r, sizeof nh)], (uint8_t)ln_rng_next(&r), pl, len, NULL);
        if (ln_rng_below(&r, 8) == 0) n = 14 + (uint32_t)ln_rng_below(&r, n - 14);
        rx(w, f, n);
    }
    CHECK(w->a->mib[LN_MIB_Ip6InReceives] > 3000);
    world_free(w);
}

int main(void)
{
    test_text();
    test_routes();
    test_header_checks();
    test_ext_headers();
    test_fragments();
    test_random();
    return check_report("test_ip6");
}
