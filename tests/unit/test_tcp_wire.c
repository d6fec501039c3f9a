/* test_tcp_wire.c - TCP header and options (tcp_wire.c): Linux's exact
 * option bytes, real segments from the reference capture (checksums
 * included), a round trip of every option layout, Linux's rules for
 * malformed options, and fuzzing of truncated and random headers on
 * exact-size buffers (so ASan sees any read past the end). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "csum.h"
#include "event.h"
#include "err.h"
#include "pkt.h"
#include "rand.h"
#include "tcp_wire.h"
#include "wire.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static const uint32_t C_ADDR = IP(10, 99, 0, 1), S_ADDR = IP(10, 99, 0, 2);

/* handshake_close.pcap frame 3, the client's SYN: TCP header only
 * (tshark -x, bytes 0x22..0x49). */
static const uint8_t frame3_syn[40] = {
    0xde, 0xb2, 0x13, 0x89, 0x2e, 0x3e, 0x0a, 0x6b, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
    0xfa, 0xf0, 0xc1, 0x69, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
    0x8f, 0x5a, 0xbc, 0x9a, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
};
/* Frame 4, the server's SYN-ACK. */
static const uint8_t frame4_synack[40] = {
    0x13, 0x89, 0xde, 0xb2, 0xf4, 0x0d, 0x5a, 0x43, 0x2e, 0x3e, 0x0a, 0x6c, 0xa0, 0x12,
    0xfe, 0x88, 0x8f, 0x37, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
    0xba, 0xf0, 0x25, 0x47, 0x8f, 0x5a, 0xbc, 0x9a, 0x01, 0x03, 0x03, 0x0a,
};
/* Frame 6, the client's 100-byte request (payload 00 01 02 ... 63). */
static const uint8_t frame6_hdr[32] = {
    0xde, 0xb2, 0x13, 0x89, 0x2e, 0x3e, 0x0a, 0x6c, 0xf4, 0x0d, 0x5a, 0x44, 0x80, 0x18,
    0x00, 0x3f, 0x20, 0x17, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x8f, 0x5a, 0xbc, 0x9a,
    0xba, 0xf0, 0x25, 0x47,
};

static ln_ip_info ipinfo(uint32_t src, uint32_t dst)
{
    ln_ip_info ip;
    memset(&ip, 0, sizeof ip);
    ip.src = src;
    ip.dst = dst;
    ip.proto = LN_IPPROTO_TCP;
    ip.ttl = 64;
    return ip;
}

/* Build h over `payload` bytes of pattern data; returns the packet with
 * data at the TCP header. */
/* A segment as it leaves: the checksum offloaded (pkt.h), then finished
 * as anything that looks at the bytes finishes it. */
static ln_pkt *build(ln_pktpool *pool, const ln_tcp_hdr *h, uint32_t payload)
{
    ln_pkt *p = ln_pkt_alloc(pool, payload);
    for (uint32_t i = 0; i < payload; i++) p->data[i] = (uint8_t)i;
    CHECK_EQ(ln_tcp_push_hdr(p, h), 0);
    CHECK(p->l4_csum_ok && p->csum_len == p->len && p->csum_field == LN_TCPH_CSUM &&
          p->buf + p->csum_start == p->data);
    ln_pkt_finish(p);
    CHECK_EQ(p->csum_len, 0);
    return p;
}

/* The reference capture's client -> server header: addresses and ports,
 * no options; the caller fills in the rest. */
static ln_tcp_hdr client_hdr(void)
{
    ln_tcp_hdr h = { .saddr = C_ADDR, .daddr = S_ADDR, .sport = 57010, .dport = 5001, .ws = -1 };
    return h;
}

static ln_tcp_hdr syn_hdr(void)
{
    ln_tcp_hdr h = client_hdr();
    h.seq = 775817835;
    h.flags = LN_TCP_SYN;
    h.wnd = 64240;
    h.syn_opts = true;
    h.mss = 1460;
    h.sack_perm = true;
    h.ws = 10;
    h.ts = true;
    h.tsval = 2405088410u;
    h.tsecr = 0;
    return h;
}

/* Linux's SYN, byte for byte: options 02 04 05 b4 04 02 08 0a <tsval>
 * <tsecr> 01 03 03 0a, and the whole header with its checksum. */
static void test_linux_syn(ln_pktpool *pool)
{
    ln_tcp_hdr h = syn_hdr();
    CHECK_EQ(ln_tcp_opt_len(&h), 20);
    ln_pkt *p = build(pool, &h, 0);
    CHECK_EQ(p->len, 40);
    const uint8_t opts[20] = { 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x8f, 0x5a,
                               0xbc, 0x9a, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a };
    CHECK(memcmp(p->data + 20, opts, 20) == 0);
    CHECK(memcmp(p->data, frame3_syn, 40) == 0);
    CHECK_EQ(ln_get16(p->data + LN_TCPH_CSUM), 0xc169);
    ln_pkt_free(p);

    /* The SYN-ACK (frame 4) mirrors it. */
    h.saddr = S_ADDR;
    h.daddr = C_ADDR;
    h.sport = 5001;
    h.dport = 57010;
    h.seq = 4094515779u;
    h.ack = 775817836;
    h.flags = LN_TCP_SYN | LN_TCP_ACK;
    h.wnd = 65160;
    h.tsval = 3136300359u;
    h.tsecr = 2405088410u;
    p = build(pool, &h, 0);
    CHECK(p->len == 40 && memcmp(p->data, frame4_synack, 40) == 0);
    ln_pkt_free(p);
}

/* A data segment (frame 6): NOP, NOP, TS, PSH|ACK, 100 bytes; built and
 * parsed back. */
static void test_linux_data(ln_pktpool *pool)
{
    ln_tcp_hdr h = client_hdr();
    h.seq = 775817836;
    h.ack = 4094515780u;
    h.flags = LN_TCP_PSH | LN_TCP_ACK;
    h.wnd = 63;
    h.ts = true;
    h.tsval = 2405088410u;
    h.tsecr = 3136300359u;
    ln_pkt *p = build(pool, &h, 100);
    CHECK_EQ(p->len, 132);
    CHECK(memcmp(p->data, frame6_hdr, 32) == 0);
    CHECK_EQ(ln_get16(p->data + LN_TCPH_CSUM), 0x2017);

    ln_ip_info ip = ipinfo(C_ADDR, S_ADDR);
    ln_tcp_seg seg;
    uint8_t *hdr = p->data;
    CHECK_EQ(ln_tcp_parse(p, &ip, &seg), 0);
    CHECK(seg.pkt == p && p->data == hdr + 32);
    CHECK_EQ(p->len, 100);
    CHECK(p->data[0] == 0 && p->data[99] == 99);
    CHECK_EQ(seg.sport, 57010);
    CHECK_EQ(seg.dport, 5001);
    CHECK_U64(seg.seq, 775817836u);
    CHECK_U64(seg.ack, 4094515780u);
    CHECK_EQ(seg.flags, LN_TCP_PSH | LN_TCP_ACK);
    CHECK_EQ(seg.wnd, 63);
    CHECK_EQ(seg.len, 100);
    CHECK_EQ(seg.seg_len, 100);
    CHECK_EQ(seg.hlen, 32);
    CHECK(seg.has_ts && seg.tsval == 2405088410u && seg.tsecr == 3136300359u);
    CHECK(!seg.has_mss && !seg.has_ws && !seg.sack_perm && seg.n_sack == 0);
    CHECK_U64(seg.saddr, C_ADDR);
    CHECK_EQ(seg.ttl, 64);
    ln_pkt_free(p);

    /* One flipped payload bit: BAD_CSUM.  (What changes a segment's bytes
     * after its checksum clears l4_csum_ok, as corruption on a link does.) */
    p = build(pool, &h, 100);
    p->data[80] ^= 0x10;
    p->l4_csum_ok = 0;
    CHECK_EQ(ln_tcp_parse(p, &ip, &seg), LN_DROP_BAD_CSUM);
    ln_pkt_free(p);
    /* The right segment against the wrong pseudo header: BAD_CSUM. */
    p = build(pool, &h, 100);
    p->l4_csum_ok = 0;                  /* as if it came from another host */
    ip.dst = IP(10, 99, 0, 3);
    CHECK_EQ(ln_tcp_parse(p, &ip, &seg), LN_DROP_BAD_CSUM);
    ln_pkt_free(p);
}

/* The exact option bytes of the other layouts Linux's tcp_options_write
 * produces. */
static void test_layout_bytes(ln_pktpool *pool)
{
    static const struct {
        const char *name;
        uint16_t mss;
        bool sack_perm, ts;
        int8_t ws;
        uint8_t n_sack;
        bool syn;
        uint32_t len;
        uint8_t bytes[40];
    } cases[] = {
        { "syn no ts", 1460, true, false, 7, 0, true, 12,
          { 2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7 } },
        { "syn ts no sack", 1460, false, true, 7, 0, true, 20,
          { 2, 4, 0x05, 0xb4, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 3, 3, 7 } },
        { "syn sack+ts no ws", 1460, true, true, -1, 0, true, 16,
          { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2 } },
        { "syn sack no ts no ws", 1460, true, false, -1, 0, true, 8,
          { 2, 4, 0x05, 0xb4, 1, 1, 4, 2 } },
        { "syn mss ws", 1460, false, false, 7, 0, true, 8,
          { 2, 4, 0x05, 0xb4, 1, 3, 3, 7 } },
        { "syn mss only", 1460, false, false, -1, 0, true, 4, { 2, 4, 0x05, 0xb4 } },
        { "syn nothing", 0, false, false, -1, 0, true, 0, { 0 } },
        { "ack ts", 0, false, true, -1, 0, false, 12,
          { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2 } },
        { "ack ts sack 2", 0, false, true, -1, 2, false, 32,
          { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 5, 18,
            0, 0, 0x10, 0, 0, 0, 0x20, 0, 0, 0, 0x30, 0, 0, 0, 0x40, 0 } },
        { "ack sack 1 no ts", 0, false, false, -1, 1, false, 12,
          { 1, 1, 5, 10, 0, 0, 0x10, 0, 0, 0, 0x20, 0 } },
        /* 4 blocks after TS do not fit: Linux sends 3 (40 bytes). */
        { "ack ts sack 4->3", 0, false, true, -1, 4, false, 40,
          { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 5, 26,
            0, 0, 0x10, 0, 0, 0, 0x20, 0, 0, 0, 0x30, 0, 0, 0, 0x40, 0,
            0, 0, 0x50, 0, 0, 0, 0x60, 0 } },
        { "ack sack 4 no ts", 0, false, false, -1, 4, false, 36,
          { 1, 1, 5, 34, 0, 0, 0x10, 0, 0, 0, 0x20, 0, 0, 0, 0x30, 0, 0, 0, 0x40, 0,
            0, 0, 0x50, 0, 0, 0, 0x60, 0, 0, 0, 0x70, 0, 0, 0, 0x80, 0 } },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ln_tcp_hdr h = { .saddr = C_ADDR, .daddr = S_ADDR, .sport = 1, .dport = 2,
                         .flags = cases[i].syn ? LN_TCP_SYN : LN_TCP_ACK,
                         .syn_opts = cases[i].syn, .mss = cases[i].mss,
                         .sack_perm = cases[i].sack_perm, .ws = cases[i].ws, .ts = cases[i].ts,
                         .tsval = 1, .tsecr = 2, .n_sack = cases[i].n_sack };
        for (int k = 0; k < 4; k++) {
            h.sack[k].start = (uint32_t)(0x1000 + 0x2000 * k);
            h.sack[k].end = (uint32_t)(0x2000 + 0x2000 * k);
        }
        CHECK_EQ(ln_tcp_opt_len(&h), cases[i].len);
        ln_pkt *p = build(pool, &h, 0);
        CHECK_EQ(p->len, 20 + cases[i].len);
        CHECK_EQ(p->data[LN_TCPH_OFF] >> 4, (20 + cases[i].len) / 4);
        if (memcmp(p->data + 20, cases[i].bytes, cases[i].len) != 0) {
            fprintf(stderr, "layout %s differs\n", cases[i].name);
            CHECK(0);
        }
        ln_pkt_free(p);
    }
}

/* Every combination of options survives build -> parse. */
static void test_round_trip(ln_pktpool *pool)
{
    ln_ip_info ip = ipinfo(S_ADDR, C_ADDR);
    for (int syn = 0; syn < 2; syn++)
    for (int mss = 0; mss < 2; mss++)
    for (int sp = 0; sp < 2; sp++)
    for (int ts = 0; ts < 2; ts++)
    for (int ws = -1; ws <= 14; ws += 5)
    for (int ns = 0; ns <= 4; ns++) {
        if (syn && ns) continue;
        ln_tcp_hdr h = { .saddr = S_ADDR, .daddr = C_ADDR, .sport = 5001, .dport = 40000,
                         .seq = 0xfffffff0u, .ack = 0x12345678u,
                         .flags = (uint8_t)(LN_TCP_ACK | (syn ? LN_TCP_SYN : LN_TCP_PSH)),
                         .wnd = 502, .syn_opts = syn, .mss = mss ? 1448 : 0, .sack_perm = sp,
                         .ws = (int8_t)ws, .ts = ts, .tsval = 0xdeadbeefu, .tsecr = 0x01020304u,
                         .n_sack = (uint8_t)ns };
        for (int k = 0; k < 4; k++) {
            h.sack[k].start = 0xfffff000u + 3000u * (uint32_t)k;   /* across the wrap */
            h.sack[k].end = h.sack[k].start + 1448;
        }
        uint32_t payload = syn ? 0 : 37;
        ln_pkt *p = build(pool, &h, payload);
        uint32_t olen = ln_tcp_opt_len(&h);
        CHECK(olen % 4 == 0 && olen <= LN_TCP_MAXOPT);
        CHECK_EQ(p->len, 20 + olen + payload);
        ln_tcp_seg seg;
        CHECK_EQ(ln_tcp_parse(p, &ip, &seg), 0);
        CHECK_EQ(seg.hlen, 20 + olen);
        CHECK_EQ(seg.len, payload);
        CHECK_EQ(seg.seg_len, payload + (uint32_t)syn);
        CHECK_U64(seg.seq, h.seq);
        CHECK_U64(seg.ack, h.ack);
        CHECK_EQ(seg.wnd, 502);
        CHECK_EQ(seg.flags, h.flags);
        CHECK_EQ(seg.has_mss, syn && mss);
        if (seg.has_mss) CHECK_EQ(seg.mss, 1448);
        CHECK_EQ(seg.sack_perm, syn && sp);
        CHECK_EQ(seg.has_ws, syn && ws >= 0);
        if (seg.has_ws) CHECK_EQ(seg.ws, ws);
        CHECK_EQ(seg.has_ts, ts);
        if (ts) CHECK(seg.tsval == 0xdeadbeefu && seg.tsecr == 0x01020304u);
        int fit = ts ? 3 : 4;
        CHECK_EQ(seg.n_sack, ns < fit ? ns : fit);
        for (int k = 0; k < seg.n_sack; k++)
            CHECK(seg.sack[k].start == h.sack[k].start && seg.sack[k].end == h.sack[k].end);
        ln_pkt_free(p);
    }
}

/* A raw header with options, its checksum made valid. */
static ln_pkt *raw(ln_pktpool *pool, uint8_t flags, const uint8_t *opts, uint32_t olen,
                   const ln_ip_info *ip)
{
    ln_pkt *p = ln_pkt_alloc(pool, 20 + olen);
    uint8_t *t = p->data;
    memset(t, 0, 20);
    ln_put16(t, 1234);
    ln_put16(t + 2, 80);
    ln_put32(t + 4, 1000);
    t[LN_TCPH_OFF] = (uint8_t)((20 + olen) / 4 << 4);
    t[LN_TCPH_FLAGS] = flags;
    ln_put16(t + LN_TCPH_WND, 1000);
    if (olen) memcpy(t + 20, opts, olen);
    uint32_t s = ln_csum_partial(t, p->len, ln_csum_pseudo(ip->src, ip->dst, LN_IPPROTO_TCP,
                                                           (uint16_t)p->len));
    ln_put16(t + LN_TCPH_CSUM, ln_csum_fold(s));
    return p;
}

/* The options a parse found, for comparing with what it should find
 * (mss, ws, tsval/tsecr and sack[0] count only where present). */
typedef struct opts_seen {
    bool has_mss, has_ws, sack_perm, has_ts;
    uint16_t mss;
    uint8_t ws;
    uint32_t tsval, tsecr;
    uint8_t n_sack;
    ln_tcp_sackblk sack0;
} opts_seen;

static bool opts_equal(const opts_seen *want, const ln_tcp_seg *seg)
{
    return seg->has_mss == want->has_mss && (!want->has_mss || seg->mss == want->mss) &&
           seg->has_ws == want->has_ws && (!want->has_ws || seg->ws == want->ws) &&
           seg->sack_perm == want->sack_perm && seg->has_ts == want->has_ts &&
           (!want->has_ts || (seg->tsval == want->tsval && seg->tsecr == want->tsecr)) &&
           seg->n_sack == want->n_sack &&
           (!want->n_sack || (seg->sack[0].start == want->sack0.start &&
                              seg->sack[0].end == want->sack0.end));
}

/* Linux's tcp_parse_options: what it ignores, what ends the parse, and
 * that a bad option never drops the segment. */
static void test_option_rules(ln_pktpool *pool)
{
    static const struct {
        const char *why;
        uint8_t flags;
        uint8_t opts[24];
        uint32_t olen;
        opts_seen want;
    } cases[] = {
        { "a silly length (< 2) ends the parse: MSS kept, TS after it not read", LN_TCP_SYN,
          { 2, 4, 0x05, 0xb4, 3, 0, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0 }, 20,
          { .has_mss = true, .mss = 1460 } },
        { "a length past the end ends it too (\"don't parse partial options\")", LN_TCP_SYN,
          { 1, 1, 4, 2, 8, 12, 0, 0, 0, 1, 0, 0 }, 12, { .sack_perm = true } },
        { "a kind byte with no room for its length: stop, no read past it", LN_TCP_SYN,
          { 1, 1, 1, 2 }, 4, { 0 } },
        { "known kinds of the wrong size and unknown kinds are skipped by their length; "
          "parsing goes on to the TS", LN_TCP_SYN,
          { 2, 5, 0x05, 0xb4, 0, 30, 4, 9, 9, 8, 10, 0, 0, 0, 7, 0, 0, 0, 8, 0 }, 20,
          { .has_ts = true, .tsval = 7, .tsecr = 8 } },
        { "EOL ends the list even if more follows", LN_TCP_SYN,
          { 0, 0, 2, 4, 0x05, 0xb4, 0, 0 }, 8, { 0 } },
        { "SYN-only options on a non-SYN are ignored; TS is not", LN_TCP_ACK,
          { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 3, 0, 0, 0, 4, 1, 3, 3, 7 }, 20,
          { .has_ts = true, .tsval = 3, .tsecr = 4 } },
        { "MSS 0 is ignored; WS above 14 reads as 14 (RFC 7323 2.3)", LN_TCP_SYN,
          { 2, 4, 0, 0, 1, 3, 3, 20 }, 8, { .has_ws = true, .ws = 14 } },
        { "SACK: a length that is not 2 + 8n is skipped; a good one is read", LN_TCP_ACK,
          { 5, 11, 0, 0, 0, 1, 0, 0, 0, 2, 9, 1, 1, 5, 10, 0, 0, 0, 5, 0, 0, 0, 6, 0 /* EOL pad */ }, 24,
          { .n_sack = 1, .sack0 = { 5, 6 } } },
    };
    ln_ip_info ip = ipinfo(C_ADDR, S_ADDR);
    ln_tcp_seg seg;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ln_pkt *p = raw(pool, cases[i].flags, cases[i].opts, cases[i].olen, &ip);
        CHECK_EQ(ln_tcp_parse(p, &ip, &seg), 0);
        bool ok = opts_equal(&cases[i].want, &seg);
        if (!ok) fprintf(stderr, "option rule not followed: %s\n", cases[i].why);
        CHECK(ok);
        ln_pkt_free(p);
    }

    /* SYN and FIN count in SEG.LEN. */
    ln_pkt *p = raw(pool, LN_TCP_SYN | LN_TCP_FIN, NULL, 0, &ip);
    CHECK_EQ(ln_tcp_parse(p, &ip, &seg), 0);
    CHECK_EQ(seg.seg_len, 2);
    ln_pkt_free(p);
}

/* Header checks: the drop reason for each. */
static void test_bad_headers(ln_pktpool *pool)
{
    ln_ip_info ip = ipinfo(C_ADDR, S_ADDR);
    ln_tcp_seg seg;
    ln_pkt *p = raw(pool, LN_TCP_ACK, NULL, 0, &ip);
    p->len = 19;
    CHECK_EQ(ln_tcp_parse(p, &ip, &seg), LN_DROP_TRUNCATED);
    ln_pkt_free(p);

    for (int off = 0; off < 5; off++) {
        p = raw(pool, LN_TCP_ACK, NULL, 0, &ip);
        p->data[LN_TCPH_OFF] = (uint8_t)(off << 4);
        CHECK_EQ(ln_tcp_parse(p, &ip, &seg), LN_DROP_MALFORMED);
        ln_pkt_free(p);
    }
    /* Data offset 6 on a 20-byte segment: the header is cut short. */
    p = raw(pool, LN_TCP_ACK, NULL, 0, &ip);
    p->data[LN_TCPH_OFF] = 6 << 4;
    CHECK_EQ(ln_tcp_parse(p, &ip, &seg), LN_DROP_TRUNCATED);
    ln_pkt_free(p);
    /* Data offset 15 (60 bytes) with 60 bytes present: fine. */
    uint8_t nops[40];
    memset(nops, 1, sizeof nops);
    p = raw(pool, LN_TCP_ACK, nops, 40, &ip);
    CHECK_EQ(ln_tcp_parse(p, &ip, &seg), 0);
    CHECK_EQ(seg.hlen, 60);
    CHECK_EQ(p->len, 0);
    ln_pkt_free(p);
}

/* Every length 0..80 of random bytes, half of them with a plausible data
 * offset and a valid checksum so the option parser runs, on buffers of
 * exactly that length. */
static void test_fuzz(void)
{
    ln_rng rng;
    ln_rng_seed(&rng, 42);
    ln_ip_info ip = ipinfo(C_ADDR, S_ADDR);
    int parsed = 0;
    for (int iter = 0; iter < 20000; iter++) {
        uint32_t len = (uint32_t)(iter % 81);
        uint8_t *buf = malloc(len ? len : 1);
        for (uint32_t i = 0; i < len; i++) buf[i] = (uint8_t)ln_rng_next(&rng);
        if (len >= 20 && (iter & 1)) {
            uint32_t maxoff = len / 4 < 15 ? len / 4 : 15;
            buf[LN_TCPH_OFF] = (uint8_t)((5 + ln_rng_below(&rng, maxoff - 4)) << 4);
            /* Options drawn from the interesting kinds and lengths. */
            for (uint32_t i = 20; i < len; i++) {
                if (ln_rng_chance(&rng, 0.3)) buf[i] = (uint8_t)ln_rng_below(&rng, 9);
                else if (ln_rng_chance(&rng, 0.3)) buf[i] = (uint8_t)ln_rng_below(&rng, 42);
            }
            buf[LN_TCPH_CSUM] = buf[LN_TCPH_CSUM + 1] = 0;
            uint32_t s = ln_csum_partial(buf, len, ln_csum_pseudo(ip.src, ip.dst, LN_IPPROTO_TCP,
                                                                  (uint16_t)len));
            ln_put16(buf + LN_TCPH_CSUM, ln_csum_fold(s));
        }
        ln_pkt p;
        memset(&p, 0, sizeof p);
        p.buf = p.data = buf;
        p.len = p.cap = len;
        ln_tcp_seg seg;
        int r = ln_tcp_parse(&p, &ip, &seg);
        if (r == 0) {
            parsed++;
            CHECK(seg.hlen >= 20 && seg.hlen <= 60 && seg.hlen <= len);
            CHECK(p.len == len - seg.hlen && p.data == buf + seg.hlen);
            CHECK(seg.n_sack <= 4 && seg.ws <= 14);
            CHECK(!seg.has_mss || seg.mss != 0);
        } else {
            CHECK(r == LN_DROP_TRUNCATED || r == LN_DROP_MALFORMED || r == LN_DROP_BAD_CSUM);
            CHECK(p.data == buf && p.len == len);
        }
        free(buf);
    }
    CHECK(parsed > 5000);
}

/* No headroom: LN_ENOBUFS, the packet untouched. */
static void test_push_errors(ln_pktpool *pool)
{
    ln_tcp_hdr h = syn_hdr();
    ln_pkt *p = ln_pkt_alloc(pool, 10);
    p->data = p->buf + 30;
    p->len = 10;
    CHECK_EQ(ln_tcp_push_hdr(p, &h), LN_ENOBUFS);
    CHECK(p->data == p->buf + 30 && p->len == 10);
    ln_pkt_free(p);
    /* No ACK flag: the ACK field is zero whatever h->ack says. */
    h.ack = 12345;
    p = build(pool, &h, 0);
    CHECK_EQ(ln_get32(p->data + LN_TCPH_ACK), 0);
    ln_pkt_free(p);
}

/* Checksum offload (pkt.h): what is finished later, wherever, is what the
 * eager sum gives; a trusted segment is parsed unfinished; a clone with
 * other headroom finishes its own bytes. */
static void test_offload(ln_pktpool *pool)
{
    ln_tcp_hdr h = client_hdr();
    h.flags = LN_TCP_PSH | LN_TCP_ACK;
    h.seq = 775817836u;
    h.ack = 4094515780u;
    h.wnd = 63;
    for (uint32_t payload = 0; payload < 1500; payload += 373) {
        ln_pkt *p = ln_pkt_alloc(pool, payload);
        for (uint32_t i = 0; i < payload; i++) p->data[i] = (uint8_t)(i * 7 + payload);
        CHECK_EQ(ln_tcp_push_hdr(p, &h), 0);
        CHECK(p->csum_len == p->len);
        /* The eager sum: field zero, pseudo header as the seed. */
        uint8_t eager[2000];
        memcpy(eager, p->data, p->len);
        ln_put16(eager + LN_TCPH_CSUM, 0);
        uint16_t want = ln_csum_fold(ln_csum_partial(
            eager, p->len, ln_csum_pseudo(C_ADDR, S_ADDR, LN_IPPROTO_TCP, (uint16_t)p->len)));

        ln_pkt *c = ln_pkt_clone(p);
        CHECK(c && c->csum_len == p->len);
        CHECK(ln_pkt_push(c, 14) && ln_pkt_pull(c, 14));   /* moving data is no matter */
        ln_pkt_finish(c);
        CHECK_EQ(ln_get16(c->data + LN_TCPH_CSUM), want);
        ln_pkt_finish(c);                             /* twice: the same */
        CHECK_EQ(ln_get16(c->data + LN_TCPH_CSUM), want);

        /* Trusted: parsed unfinished, still pending after. */
        ln_ip_info ip = ipinfo(C_ADDR, S_ADDR);
        ln_tcp_seg seg;
        CHECK_EQ(ln_tcp_parse(p, &ip, &seg), 0);
        CHECK(p->csum_len != 0);
        ln_pkt_free(p);

        /* Not trusted (it came from elsewhere): finished, then checked. */
        p = ln_pkt_alloc(pool, payload);
        for (uint32_t i = 0; i < payload; i++) p->data[i] = (uint8_t)(i * 7 + payload);
        CHECK_EQ(ln_tcp_push_hdr(p, &h), 0);
        p->l4_csum_ok = 0;
        CHECK_EQ(ln_tcp_parse(p, &ip, &seg), 0);
        CHECK_EQ(p->csum_len, 0);
        ln_pkt_free(p);
        ln_pkt_free(c);
    }
}

int main(void)
{
    ln_pktpool *pool = ln_pktpool_new();
    test_linux_syn(pool);
    test_linux_data(pool);
    test_layout_bytes(pool);
    test_round_trip(pool);
    test_option_rules(pool);
    test_bad_headers(pool);
    test_fuzz();
    test_push_errors(pool);
    test_offload(pool);
    CHECK_EQ(ln_pktpool_in_use(pool), 0);
    ln_pktpool_free(pool);
    return check_report("test_tcp_wire");
}
