/* test_malformed.c - bad input never crashes the stack, never leaks, and is
 * always dropped with a reason and counted.
 *
 * Frames are handed straight to an interface's port rx, as a link would:
 * every length from 0 to 100 with random contents (addressed to us or not,
 * typed IPv4 or ARP or not), thousands of random IPv4 datagrams with valid
 * header checksums (so they go deeper), and one targeted case per header
 * check with the exact reason and counter Linux would bump. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "eth.h"
#include "icmp.h"
#include "ip.h"
#include "world.h"

static const uint8_t peer_mac[6] = { 0x02, 0xaa, 0, 0, 0, 1 };

/* h is a, 10.0.0.1; replies to injected frames go to "the peer" b without
 * ARP traffic. */
static const world_cfg hosts = { .seed = 3, .name = { "h", "peer" },
                                 .addr = { IP(10, 0, 0, 1), IP(10, 0, 0, 2) }, .static_arp = true };

/* Drops at h or on its wire: the peer's own (replies nobody waits for
 * there) are not what these tests are about. */
static uint64_t drops_at_h(const world *w, int reason) { return w->drops[reason] - w->b->drops[reason]; }

static uint64_t all_drops_at_h(const world *w)
{
    uint64_t n = w->n_drops;
    for (int r = 0; r < LN_DROP__COUNT; r++) n -= w->b->drops[r];
    return n;
}

/* IPv4 frames h put on the wire, and the latest of them. */
static int tx_ip(const world *w) { return world_frames(w, &w->ia->port, LN_ETHERTYPE_IPV4, NULL, 0); }

static const uint8_t *last_tx(const world *w)
{
    static const uint8_t none[64];
    const world_frame *f = world_last_frame(w, &w->ia->port, LN_ETHERTYPE_IPV4);
    return f ? f->b : none;
}

/* Hand `len` bytes to h's port as a received frame; run the clock briefly
 * so that anything scheduled (loopback, replies) happens too. */
static void rx(world *w, const uint8_t *b, uint32_t len)
{
    ln_pkt *p = ln_net_pkt(w->net, len);
    CHECK(p != NULL);
    if (!p) return;
    if (len) memcpy(p->data, b, len);
    w->ia->port.rx(&w->ia->port, p);
    ln_sim_run_until(&w->net->sim, ln_net_now(w->net) + LN_MSEC);
}

/* An Ethernet frame to h carrying `ip` (iplen octets), padded to 60. */
static void rx_ip(world *w, const uint8_t *dst_mac, const uint8_t *ip, uint32_t iplen)
{
    uint8_t f[2048];
    uint32_t len = 14 + iplen;
    memcpy(f, dst_mac, 6);
    memcpy(f + 6, peer_mac, 6);
    ln_put16(f + 12, LN_ETHERTYPE_IPV4);
    memcpy(f + 14, ip, iplen);
    /* Padding that is not zero: it must be trimmed, not interpreted. */
    while (len < 60) f[len++] = 0xaa;
    rx(w, f, len);
}

/* A 20-octet header in front of `plen` payload octets (in place). */
static void ip_hdr(uint8_t *h, uint8_t proto, uint32_t src, uint32_t dst, uint32_t plen)
{
    memset(h, 0, 20);
    h[0] = 0x45;
    ln_put16(h + LN_IP_LEN, (uint16_t)(20 + plen));
    ln_put16(h + LN_IP_ID, 0x1234);
    h[LN_IP_TTL] = 64;
    h[LN_IP_PROTO] = proto;
    ln_put32(h + LN_IP_SRC, src);
    ln_put32(h + LN_IP_DST, dst);
    ln_put16(h + LN_IP_CSUM, ln_csum(h, 20));
}

static void refresh_csum(uint8_t *h)
{
    uint32_t hl = (uint32_t)(h[0] & 15) * 4;
    ln_put16(h + LN_IP_CSUM, 0);
    ln_put16(h + LN_IP_CSUM, ln_csum(h, hl));
}

#define EXPECT_DROP(w, reason, stmt) do {                          \
        uint64_t before_ = drops_at_h((w), reason);                \
        uint64_t all_ = all_drops_at_h(w);                         \
        stmt;                                                      \
        CHECK_U64(drops_at_h((w), reason) - before_, 1);           \
        CHECK_U64(all_drops_at_h(w) - all_, 1);                    \
    } while (0)

/* ---- sweeps -------------------------------------------------------------------- */

static void test_every_length(void)
{
    world *w = world_new(&hosts);
    ln_rng r;
    ln_rng_seed(&r, 2024);
    uint8_t b[128];
    uint64_t injected = 0;
    /* Five families per length: random everything; to our MAC as IPv4;
     * to our MAC as ARP; broadcast as IPv4; to our MAC, any type. */
    for (int fam = 0; fam < 5; fam++) {
        for (uint32_t len = 0; len <= 100; len++) {
            for (int rep = 0; rep < 5; rep++) {
                for (uint32_t i = 0; i < len; i++) b[i] = (uint8_t)ln_rng_next(&r);
                if (fam > 0 && len >= 6) memcpy(b, fam == 3 ? ln_eth_broadcast : w->ia->mac, 6);
                if (fam > 0 && fam < 4 && len >= 14)
                    ln_put16(b + 12, fam == 2 ? LN_ETHERTYPE_ARP : LN_ETHERTYPE_IPV4);
                uint64_t d0 = all_drops_at_h(w);
                rx(w, b, len);
                injected++;
                /* Every frame ends up dropped (nothing random is valid). */
                CHECK(all_drops_at_h(w) > d0);
            }
        }
    }
    CHECK(all_drops_at_h(w) >= injected);
    CHECK(w->a->drops[LN_DROP_TRUNCATED] > 0);
    CHECK(w->a->drops[LN_DROP_OTHER_HOST] > 0);
    CHECK(w->a->drops[LN_DROP_MALFORMED] > 0);
    CHECK(w->a->drops[LN_DROP_UNKNOWN_ETHERTYPE] > 0);
    CHECK(w->a->mib[LN_MIB_EthInErrors] == 14 * 5 * 5);   /* lengths 0..13 */
    CHECK(w->a->mib[LN_MIB_IpInHdrErrors] > 0);
    CHECK(w->a->mib[LN_MIB_ArpInErrors] > 0);
    world_free(w);
}

/* Random datagrams whose header checksum is right, addressed to us, so
 * the deeper layers (reassembly, ICMP, protocol dispatch) see garbage. */
static void test_random_valid_headers(void)
{
    world *w = world_new(&hosts);
    ln_rng r;
    ln_rng_seed(&r, 77);
    uint8_t ip[1500];
    for (int k = 0; k < 5000; k++) {
        uint32_t len = 20 + (uint32_t)ln_rng_below(&r, 600);
        for (uint32_t i = 0; i < len; i++) ip[i] = (uint8_t)ln_rng_next(&r);
        uint32_t ihl = 5 + (uint32_t)ln_rng_below(&r, 11);
        if (ihl * 4 > len) ihl = 5;
        ip[0] = (uint8_t)(0x40 | ihl);
        /* Mostly consistent lengths, sometimes not. */
        uint32_t tot = ln_rng_chance(&r, 0.8) ? len : (uint32_t)ln_rng_below(&r, 2000);
        ln_put16(ip + LN_IP_LEN, (uint16_t)tot);
        ln_put32(ip + LN_IP_SRC, IP(10, 0, 0, 2));
        ln_put32(ip + LN_IP_DST, ln_rng_chance(&r, 0.7) ? IP(10, 0, 0, 1) : (uint32_t)ln_rng_next(&r));
        /* Fragments half the time, with any offset. */
        if (ln_rng_chance(&r, 0.5)) ln_put16(ip + LN_IP_FRAG, (uint16_t)ln_rng_next(&r) & 0x3fff);
        else ln_put16(ip + LN_IP_FRAG, 0);
        if (ln_rng_chance(&r, 0.4)) ip[LN_IP_PROTO] = LN_IPPROTO_ICMP;
        if (ip[LN_IP_PROTO] == LN_IPPROTO_ICMP && len > ihl * 4 + 8 && ln_rng_chance(&r, 0.5)) {
            /* A valid ICMP checksum so types and quotes get parsed. */
            uint8_t *ic = ip + ihl * 4;
            uint32_t il = (tot < len ? tot : len) - ihl * 4;
            if (tot >= ihl * 4 && tot <= len) {
                ic[0] = (uint8_t)ln_rng_below(&r, 20);
                ln_put16(ic + 2, 0);
                ln_put16(ic + 2, ln_csum(ic, il));
            }
        }
        refresh_csum(ip);
        rx_ip(w, ln_rng_chance(&r, 0.9) ? w->ia->mac : ln_eth_broadcast, ip, len);
    }
    /* Let every reassembly queue time out; then nothing may be left. */
    ln_sim_run_until(&w->net->sim, ln_net_now(w->net) + 31 * LN_SEC);
    CHECK_EQ(ln_reasm_pending(w->a), 0);
    CHECK(w->a->mib[LN_MIB_IpInReceives] == 5000);
    /* The sweep reached the deeper layers, not just the header checks. */
    CHECK(w->a->mib[LN_MIB_IpReasmReqds] > 0);
    CHECK(w->a->mib[LN_MIB_IpReasmTimeout] > 0);
    CHECK(w->a->mib[LN_MIB_IcmpInMsgs] > 0);
    CHECK(w->a->mib[LN_MIB_IpInUnknownProtos] > 0);
    CHECK(drops_at_h(w, LN_DROP_REASM_INVALID) + drops_at_h(w, LN_DROP_REASM_OVERLAP) > 0);
    world_free(w);
}

/* ---- one case per check ----------------------------------------------------------- */

static void test_ethernet(void)
{
    world *w = world_new(&hosts);
    uint8_t f[60] = { 0 };
    EXPECT_DROP(w, LN_DROP_TRUNCATED, rx(w, f, 13));
    CHECK_U64(w->a->mib[LN_MIB_EthInErrors], 1);
    CHECK_U64(w->ia->st.rx_errors, 1);
    /* Another host's MAC: filtered, counted, not in rx_packets. */
    memcpy(f, peer_mac, 6);
    ln_put16(f + 12, LN_ETHERTYPE_IPV4);
    EXPECT_DROP(w, LN_DROP_OTHER_HOST, rx(w, f, 60));
    CHECK_U64(w->a->mib[LN_MIB_EthInOtherHost], 1);
    CHECK_U64(w->ia->st.rx_packets, 0);
    /* ... unless promiscuous: received, then dropped by the stack. */
    w->ia->promisc = true;
    EXPECT_DROP(w, LN_DROP_OTHER_HOST, rx(w, f, 60));
    CHECK_U64(w->ia->st.rx_packets, 1);
    w->ia->promisc = false;
    /* A multicast MAC we never joined (224.0.0.2, all routers: 224.0.0.1
     * would pass, every host is in it). */
    const uint8_t mc[6] = { 0x01, 0x00, 0x5e, 0, 0, 2 };
    memcpy(f, mc, 6);
    EXPECT_DROP(w, LN_DROP_OTHER_HOST, rx(w, f, 60));
    /* IPv6, and an 802.3 length field. */
    memcpy(f, w->ia->mac, 6);
    ln_put16(f + 12, 0x86dd);
    EXPECT_DROP(w, LN_DROP_UNKNOWN_ETHERTYPE, rx(w, f, 60));
    ln_put16(f + 12, 46);
    EXPECT_DROP(w, LN_DROP_UNKNOWN_ETHERTYPE, rx(w, f, 60));
    CHECK_U64(w->a->mib[LN_MIB_EthInUnknownType], 2);
    /* Interface down. */
    ln_iface_set_up(w->ia, false);
    EXPECT_DROP(w, LN_DROP_IFACE_DOWN, rx(w, f, 60));
    CHECK_U64(w->ia->st.rx_dropped, 1);
    world_free(w);
}

static void test_ipv4_header(void)
{
    world *w = world_new(&hosts);
    ln_node *h = w->a;
    const uint8_t *me = w->ia->mac;
    uint8_t ip[100] = { 0 };
    uint32_t src = IP(10, 0, 0, 2), dst = IP(10, 0, 0, 1);

    /* Shorter than a header: only possible for a runt frame. */
    uint8_t f[40];
    memcpy(f, me, 6);
    memcpy(f + 6, peer_mac, 6);
    ln_put16(f + 12, LN_ETHERTYPE_IPV4);
    memset(f + 14, 0x45, sizeof f - 14);
    EXPECT_DROP(w, LN_DROP_TRUNCATED, rx(w, f, 14 + 19));
    CHECK_U64(h->mib[LN_MIB_IpInHdrErrors], 1);
    /* Version 6 in an IPv4 frame. */
    ip_hdr(ip, 253, src, dst, 8);
    ip[0] = 0x65;
    refresh_csum(ip);
    EXPECT_DROP(w, LN_DROP_MALFORMED, rx_ip(w, me, ip, 28));
    /* IHL 4. */
    ip_hdr(ip, 253, src, dst, 8);
    ip[0] = 0x44;
    EXPECT_DROP(w, LN_DROP_MALFORMED, rx_ip(w, me, ip, 28));
    CHECK_U64(h->mib[LN_MIB_IpInHdrErrors], 3);
    /* IHL 15 (60 octets) in a 40-octet runt. */
    memcpy(f + 14, ip, 20);
    f[14] = 0x4f;
    EXPECT_DROP(w, LN_DROP_TRUNCATED, rx(w, f, 40));
    CHECK_U64(h->mib[LN_MIB_IpInHdrErrors], 4);
    /* Bad header checksum. */
    ip_hdr(ip, 253, src, dst, 8);
    ip[LN_IP_CSUM] ^= 0x01;
    EXPECT_DROP(w, LN_DROP_BAD_CSUM, rx_ip(w, me, ip, 28));
    CHECK_U64(h->mib[LN_MIB_IpExtInCsumErrors], 1);
    CHECK_U64(h->mib[LN_MIB_IpInHdrErrors], 5);
    /* Total length beyond the frame. */
    ip_hdr(ip, 253, src, dst, 8);
    ln_put16(ip + LN_IP_LEN, 1000);
    refresh_csum(ip);
    EXPECT_DROP(w, LN_DROP_TRUNCATED, rx_ip(w, me, ip, 28));
    CHECK_U64(h->mib[LN_MIB_IpExtInTruncatedPkts], 1);
    /* Total length shorter than the header. */
    ln_put16(ip + LN_IP_LEN, 19);
    refresh_csum(ip);
    EXPECT_DROP(w, LN_DROP_MALFORMED, rx_ip(w, me, ip, 28));
    CHECK_U64(h->mib[LN_MIB_IpInHdrErrors], 6);
    /* Martians: loopback source, our own address as source, zero source. */
    ip_hdr(ip, 253, IP(127, 0, 0, 1), dst, 8);
    EXPECT_DROP(w, LN_DROP_MALFORMED, rx_ip(w, me, ip, 28));
    ip_hdr(ip, 253, dst, dst, 8);
    EXPECT_DROP(w, LN_DROP_MALFORMED, rx_ip(w, me, ip, 28));
    ip_hdr(ip, 253, 0, dst, 8);
    EXPECT_DROP(w, LN_DROP_MALFORMED, rx_ip(w, me, ip, 28));
    /* Not for us, and h is not a router. */
    ip_hdr(ip, 253, src, IP(10, 0, 0, 3), 8);
    EXPECT_DROP(w, LN_DROP_OTHER_HOST, rx_ip(w, me, ip, 28));
    CHECK_U64(h->mib[LN_MIB_IpInAddrErrors], 1);

    /* Unknown protocol: dropped, and "protocol unreachable" goes back. */
    uint64_t tx0 = tx_ip(w);
    ip_hdr(ip, 253, src, dst, 8);
    EXPECT_DROP(w, LN_DROP_UNKNOWN_PROTO, rx_ip(w, me, ip, 28));
    CHECK_U64(h->mib[LN_MIB_IpInUnknownProtos], 1);
    CHECK_U64(tx_ip(w), tx0 + 1);
    CHECK_EQ(last_tx(w)[14 + 20], LN_ICMP_UNREACH);
    CHECK_EQ(last_tx(w)[14 + 21], LN_ICMP_UNREACH_PROTO);
    /* The quote is the datagram without the Ethernet padding: 28 octets. */
    CHECK_EQ(ln_get16(last_tx(w) + 14 + LN_IP_LEN), 20 + 8 + 28);
    /* ... but not for a datagram sent to a broadcast address. */
    ip_hdr(ip, 253, src, IP(10, 0, 0, 255), 8);
    EXPECT_DROP(w, LN_DROP_UNKNOWN_PROTO, rx_ip(w, ln_eth_broadcast, ip, 28));
    CHECK_U64(tx_ip(w), tx0 + 1);

    /* UDP with no socket: a short or badly checksummed datagram is
     * dropped quietly, a good one gets "port unreachable" (Linux). */
    uint8_t *u = ip + 20;
    ip_hdr(ip, LN_IPPROTO_UDP, src, dst, 8);
    memset(u, 0, 8);
    ln_put16(u, 5000);
    ln_put16(u + 2, 53);
    ln_put16(u + 4, 9);                                       /* > what is there */
    EXPECT_DROP(w, LN_DROP_MALFORMED, rx_ip(w, me, ip, 28));
    ln_put16(u + 4, 8);
    ln_put16(u + 6, 0x1111);
    EXPECT_DROP(w, LN_DROP_BAD_CSUM, rx_ip(w, me, ip, 28));
    CHECK_U64(tx_ip(w), tx0 + 1);
    ln_put16(u + 6, 0);                                       /* no checksum */
    EXPECT_DROP(w, LN_DROP_NO_LISTENER, rx_ip(w, me, ip, 28));
    CHECK_U64(tx_ip(w), tx0 + 2);
    CHECK_EQ(last_tx(w)[14 + 20], LN_ICMP_UNREACH);
    CHECK_EQ(last_tx(w)[14 + 21], LN_ICMP_UNREACH_PORT);
    ln_put16(u + 6, ln_csum_fold(ln_csum_partial(u, 8, ln_csum_pseudo(src, dst, 17, 8))));
    EXPECT_DROP(w, LN_DROP_NO_LISTENER, rx_ip(w, me, ip, 28));
    CHECK_U64(tx_ip(w), tx0 + 3);
    CHECK_U64(h->mib[LN_MIB_IpInUnknownProtos], 2);   /* the two proto 253 ones */
    tx0 = tx_ip(w);

    /* A valid echo in a padded frame: padding is trimmed, so the ICMP
     * checksum holds and the reply is exactly as long as the request. */
    ip_hdr(ip, LN_IPPROTO_ICMP, src, dst, 8);
    uint8_t *ic = ip + 20;
    memset(ic, 0, 8);
    ic[0] = LN_ICMP_ECHO;
    ln_put16(ic + 4, 0x4242);
    ln_put16(ic + 6, 9);
    ln_put16(ic + 2, ln_csum(ic, 8));
    uint64_t d0 = all_drops_at_h(w);
    rx_ip(w, me, ip, 28);
    CHECK_U64(all_drops_at_h(w), d0);
    CHECK_U64(tx_ip(w), tx0 + 1);
    CHECK_EQ(ln_get16(last_tx(w) + 14 + LN_IP_LEN), 28);
    CHECK_EQ(last_tx(w)[14 + 20], LN_ICMP_ECHOREPLY);
    CHECK_EQ(ln_get16(last_tx(w) + 14 + 20 + 6), 9);
    CHECK_EQ(ln_csum(last_tx(w) + 14, 20), 0);
    CHECK_EQ(ln_csum(last_tx(w) + 14 + 20, 8), 0);
    CHECK_U64(h->mib[LN_MIB_IcmpOutEchoReps], 1);
    world_free(w);
}

static void test_arp(void)
{
    world *w = world_new(&hosts);
    ln_node *h = w->a;
    uint8_t f[60];
    memset(f, 0, sizeof f);
    memcpy(f, ln_eth_broadcast, 6);
    memcpy(f + 6, peer_mac, 6);
    ln_put16(f + 12, LN_ETHERTYPE_ARP);
    uint8_t *a = f + 14;
    ln_put16(a + LN_ARP_HTYPE, 1);
    ln_put16(a + LN_ARP_PTYPE, 0x0800);
    a[LN_ARP_HLEN] = 6;
    a[LN_ARP_PLEN] = 4;
    ln_put16(a + LN_ARP_OPER, LN_ARP_REQUEST);
    memcpy(a + LN_ARP_SHA, peer_mac, 6);
    ln_put32(a + LN_ARP_SPA, IP(10, 0, 0, 9));
    ln_put32(a + LN_ARP_TPA, IP(10, 0, 0, 1));

    EXPECT_DROP(w, LN_DROP_TRUNCATED, rx(w, f, 14 + 27));
    CHECK_U64(h->mib[LN_MIB_ArpInErrors], 1);
    a[LN_ARP_HLEN] = 8;
    EXPECT_DROP(w, LN_DROP_MALFORMED, rx(w, f, 60));
    a[LN_ARP_HLEN] = 6;
    a[LN_ARP_PLEN] = 16;
    EXPECT_DROP(w, LN_DROP_MALFORMED, rx(w, f, 60));
    a[LN_ARP_PLEN] = 4;
    ln_put16(a + LN_ARP_HTYPE, 6);
    EXPECT_DROP(w, LN_DROP_MALFORMED, rx(w, f, 60));
    ln_put16(a + LN_ARP_HTYPE, 1);
    ln_put16(a + LN_ARP_PTYPE, 0x86dd);
    EXPECT_DROP(w, LN_DROP_MALFORMED, rx(w, f, 60));
    ln_put16(a + LN_ARP_PTYPE, 0x0800);
    ln_put16(a + LN_ARP_OPER, 3);
    EXPECT_DROP(w, LN_DROP_MALFORMED, rx(w, f, 60));
    ln_put16(a + LN_ARP_OPER, LN_ARP_REQUEST);
    /* Requests about multicast or loopback addresses, and a group MAC as
     * sender, are bogus. */
    ln_put32(a + LN_ARP_TPA, IP(224, 0, 0, 1));
    EXPECT_DROP(w, LN_DROP_MALFORMED, rx(w, f, 60));
    ln_put32(a + LN_ARP_TPA, IP(127, 0, 0, 1));
    EXPECT_DROP(w, LN_DROP_MALFORMED, rx(w, f, 60));
    ln_put32(a + LN_ARP_TPA, IP(10, 0, 0, 1));
    a[LN_ARP_SHA] = 0x01;
    EXPECT_DROP(w, LN_DROP_MALFORMED, rx(w, f, 60));
    CHECK_U64(h->mib[LN_MIB_ArpInErrors], 9);
    CHECK(ln_arp_lookup(h, NULL, IP(10, 0, 0, 9)) == NULL);
    /* The well-formed version is answered and learnt, no drop. */
    a[LN_ARP_SHA] = 0x02;
    uint64_t d0 = all_drops_at_h(w);
    rx(w, f, 60);
    CHECK_U64(all_drops_at_h(w), d0);
    CHECK(ln_arp_lookup(h, NULL, IP(10, 0, 0, 9)) != NULL);
    CHECK_U64(h->mib[LN_MIB_ArpOutReplies], 1);
    world_free(w);
}

static void test_icmp(void)
{
    world *w = world_new(&hosts);
    ln_node *h = w->a;
    const uint8_t *me = w->ia->mac;
    uint8_t ip[200] = { 0 };
    uint32_t src = IP(10, 0, 0, 2), dst = IP(10, 0, 0, 1);
    uint8_t *ic = ip + 20;

    /* Bad ICMP checksum. */
    ip_hdr(ip, LN_IPPROTO_ICMP, src, dst, 8);
    memset(ic, 0, 8);
    ic[0] = LN_ICMP_ECHO;
    ln_put16(ic + 2, 0x1234);
    EXPECT_DROP(w, LN_DROP_BAD_CSUM, rx_ip(w, me, ip, 28));
    CHECK_U64(h->mib[LN_MIB_IcmpInCsumErrors], 1);
    CHECK_U64(h->mib[LN_MIB_IcmpInErrors], 1);
    /* Four octets of ICMP (valid checksum). */
    ip_hdr(ip, LN_IPPROTO_ICMP, src, dst, 4);
    memset(ic, 0, 4);
    ic[0] = LN_ICMP_ECHO;
    ln_put16(ic + 2, ln_csum(ic, 4));
    EXPECT_DROP(w, LN_DROP_TRUNCATED, rx_ip(w, me, ip, 24));
    /* Unknown type. */
    ip_hdr(ip, LN_IPPROTO_ICMP, src, dst, 8);
    memset(ic, 0, 8);
    ic[0] = 200;
    ln_put16(ic + 2, ln_csum(ic, 8));
    EXPECT_DROP(w, LN_DROP_MALFORMED, rx_ip(w, me, ip, 28));
    /* A destination unreachable whose quote is too short to name a
     * socket: 10 octets of quoted header. */
    ip_hdr(ip, LN_IPPROTO_ICMP, src, dst, 18);
    memset(ic, 0, 18);
    ic[0] = LN_ICMP_UNREACH;
    ic[1] = LN_ICMP_UNREACH_PORT;
    ic[8] = 0x45;
    ln_put16(ic + 2, ln_csum(ic, 18));
    EXPECT_DROP(w, LN_DROP_TRUNCATED, rx_ip(w, me, ip, 38));
    /* ... a mangled quoted header (IHL 2) ... */
    ip_hdr(ip, LN_IPPROTO_ICMP, src, dst, 36);
    memset(ic, 0, 36);
    ic[0] = LN_ICMP_UNREACH;
    ic[8] = 0x42;
    ln_put16(ic + 2, ln_csum(ic, 36));
    EXPECT_DROP(w, LN_DROP_MALFORMED, rx_ip(w, me, ip, 56));
    /* ... a full quote of an echo nobody sent: no listener, not an error. */
    ic[8] = 0x45;
    ic[8 + LN_IP_PROTO] = LN_IPPROTO_ICMP;
    ic[28] = LN_ICMP_ECHO;
    ln_put16(ic + 2, 0);
    ln_put16(ic + 2, ln_csum(ic, 36));
    EXPECT_DROP(w, LN_DROP_NO_LISTENER, rx_ip(w, me, ip, 56));
    CHECK_U64(h->mib[LN_MIB_IcmpInErrors], 5);
    CHECK_U64(h->mib[LN_MIB_IcmpInDestUnreachs], 3);
    /* An echo to the subnet broadcast is ignored (Linux default). */
    uint64_t tx0 = tx_ip(w);
    ip_hdr(ip, LN_IPPROTO_ICMP, src, IP(10, 0, 0, 255), 8);
    memset(ic, 0, 8);
    ic[0] = LN_ICMP_ECHO;
    ln_put16(ic + 2, ln_csum(ic, 8));
    EXPECT_DROP(w, LN_DROP_FIREWALL, rx_ip(w, ln_eth_broadcast, ip, 28));
    /* ... and so is any echo with icmp_echo_ignore_all. */
    h->cfg.icmp_echo_ignore_all = true;
    ip_hdr(ip, LN_IPPROTO_ICMP, src, dst, 8);
    EXPECT_DROP(w, LN_DROP_FIREWALL, rx_ip(w, me, ip, 28));
    CHECK_U64(tx_ip(w), tx0);
    CHECK_U64(h->mib[LN_MIB_IcmpInEchos], 2);
    CHECK_U64(h->mib[LN_MIB_IcmpInMsgs], 8);
    world_free(w);
}

int main(void)
{
    test_every_length();
    test_random_valid_headers();
    test_ethernet();
    test_ipv4_header();
    test_arp();
    test_icmp();
    return check_report("test_malformed");
}
