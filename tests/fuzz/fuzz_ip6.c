/* fuzz_ip6.c - libFuzzer target for IPv6 input: the header checks,
 * extension headers, reassembly, forwarding, ICMPv6, neighbour and router
 * discovery (SLAAC included) must not crash, read out of bounds (ASan),
 * hit undefined behaviour (UBSan) or lose a packet buffer.
 *
 * Byte 0: bit 0 set, the rest is an IPv6 datagram, given an Ethernet
 * header to h's MAC (to the group's 33:33:... MAC when the destination is
 * multicast, so it passes the NIC filter); clear, the rest is the frame.
 * Bit 1 makes h a router with a second link to far (2001:db8:2::/64), so
 * datagrams for far are forwarded.  A zero ICMPv6, TCP or UDP checksum is
 * filled in first (past the extension headers), so mutations reach the
 * protocol code.  h runs TCP and UDP over IPv6: a listener on [::]:80
 * (taking IPv4 too), one on [2001:db8::2]:81 with V6ONLY, a connection
 * of its own opening to the peer's port 80, a UDP socket on [::]:53 and
 * one connected to the peer's port 53, so segments and datagrams meet
 * listeners, requests, SYN cookies, connections and ICMPv6 errors about
 * them.
 *
 * peer 2001:db8::1 (02:00:00:00:00:01) -- h 2001:db8::2 (02:00:00:00:00:02)
 * [-- far 2001:db8:2::1], DAD off so every address is usable at once.
 *
 * With clang: make fuzz, or cmake -DLUNET_FUZZ=ON and ./fuzz_ip6 DIR.
 * ctest runs it as fuzz.fuzz_ip6 through fuzz_replay.c over
 * tests/fuzz/corpus/fuzz_ip6. */
#include "fuzz_util.h"
#include "icmp.h"
#include "ip6.h"
#include "tcp.h"
#include "udp.h"

static ln_in6 a6(uint16_t g0, uint16_t g1, uint16_t g2, uint16_t last)
{
    ln_in6 a = {{0}};
    ln_put16(a.b, g0);
    ln_put16(a.b + 2, g1);
    ln_put16(a.b + 4, g2);
    ln_put16(a.b + 14, last);
    return a;
}

static void add6(ln_iface *ifc, ln_in6 a)
{
    ifc->node->cfg.ip6_dad_transmits = 0;
    if (ln_ip6_addr_add(ifc, &a, 64, LN_IP6A_STATIC, LN_NEVER)) fz_die(ifc->node->name, "ipv6 address");
}

/* The upper layer's checksum (ICMPv6, TCP, UDP), when zero and the
 * message is there to sum. */
static void fill_l4(uint8_t *ip, size_t avail)
{
    if (avail < LN_IP6_HLEN || (ip[0] >> 4) != 6) return;
    size_t end = LN_IP6_HLEN + ln_get16(ip + LN_IP6_PLEN);
    if (end > avail) return;
    uint8_t nh = ip[LN_IP6_NXT];
    size_t off = LN_IP6_HLEN;
    for (int i = 0; i < 8 && nh != LN_IPPROTO_ICMPV6 && nh != LN_IPPROTO_TCP && nh != LN_IPPROTO_UDP; i++) {
        if (off + 8 > end) return;
        if (nh == LN_IPPROTO_FRAGMENT) {
            if (ln_get16(ip + off + 2) & 0xfff9) return;     /* only whole datagrams */
            nh = ip[off];
            off += 8;
        } else if (nh == LN_IPPROTO_HOPOPTS || nh == LN_IPPROTO_ROUTING || nh == LN_IPPROTO_DSTOPTS) {
            nh = ip[off];
            off += ((size_t)ip[off + 1] + 1) * 8;
        } else {
            return;
        }
    }
    size_t at = nh == LN_IPPROTO_ICMPV6 ? 2 : nh == LN_IPPROTO_TCP ? 16 : nh == LN_IPPROTO_UDP ? 6 : 0;
    if (!at || off + at + 2 > end || ln_get16(ip + off + at) != 0) return;
    ln_in6 s, d;
    memcpy(s.b, ip + LN_IP6_SRC, 16);
    memcpy(d.b, ip + LN_IP6_DST, 16);
    uint32_t n = (uint32_t)(end - off);
    uint16_t c = ln_csum_fold(ln_csum_partial(ip + off, n, ln_ip6_pseudo(&s, &d, n, nh)));
    ln_put16(ip + off + at, c ? c : 0xffff);
}

static void on_msg(ln_icmp_sock *s, const ln_icmp_msg *m, void *arg)
{
    (void)s, (void)m, (void)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 65536) return 0;
    bool at_ip = data[0] & 1, router = data[0] & 2;
    data++, size--;

    ln_net *net = ln_net_new(1);
    ln_node *peer = fz_node(net, "peer", false);
    ln_node *h = fz_node(net, "h", router);
    ln_iface *pi = fz_iface(peer, FZ_IP(10, 0, 0, 1), 24, 0);
    ln_iface *hi = fz_iface(h, FZ_IP(10, 0, 0, 2), 24, 0);
    fz_link(net, pi, hi);
    add6(pi, a6(0x2001, 0xdb8, 0, 1));
    add6(hi, a6(0x2001, 0xdb8, 0, 2));
    if (router) {
        ln_node *far = fz_node(net, "far", false);
        ln_iface *ho = fz_iface(h, FZ_IP(10, 0, 1, 1), 24, 1280);
        ln_iface *fi = fz_iface(far, FZ_IP(10, 0, 1, 2), 24, 0);
        fz_link(net, ho, fi);
        add6(ho, a6(0x2001, 0xdb8, 2, 0xffff));
        add6(fi, a6(0x2001, 0xdb8, 2, 1));
    }
    /* a ping socket with id 1, for echo replies and errors */
    ln_icmp_sock *s = ln_icmp_sock_open(h, 1, on_msg, NULL);
    /* TCP and UDP over IPv6 (see the top) */
    ln_in6 any = {{0}}, me = a6(0x2001, 0xdb8, 0, 2), them = a6(0x2001, 0xdb8, 0, 1);
    ln_tcp_sock *l1 = ln_tcp_socket(h), *l2 = ln_tcp_socket(h), *c = ln_tcp_socket(h);
    if (!l1 || !l2 || !c) fz_die("fuzz", "tcp sockets");
    ln_tcp_cfg_of(h)->syncookies = 1;
    if (ln_tcp_bind6(l1, &any, 80) || ln_tcp_listen(l1, 2)) fz_die("fuzz", "listen [::]:80");
    ln_tcp_setopt(l2, LN_TCP_OPT_V6ONLY, 1);
    if (ln_tcp_bind6(l2, &me, 81) || ln_tcp_listen(l2, 2)) fz_die("fuzz", "listen [2001:db8::2]:81");
    ln_tcp_connect6(c, &them, 80, NULL);
    ln_udp_sock *u1 = ln_udp_socket(h), *u2 = ln_udp_socket(h);
    if (!u1 || !u2 || ln_udp_bind6(u1, &any, 53, NULL) || ln_udp_connect6(u2, &them, 53, NULL)) fz_die("fuzz", "udp");

    uint32_t hdr = at_ip ? LN_ETH_HLEN : 0;
    ln_pkt *p = ln_net_pkt(net, (uint32_t)(hdr + size));
    if (!p) fz_die("fuzz", "no packet buffer");
    uint8_t *f = p->data;
    memcpy(f + hdr, data, size);
    if (at_ip) {
        if (size >= LN_IP6_HLEN && data[LN_IP6_DST] == 0xff) {
            ln_in6 g;
            memcpy(g.b, data + LN_IP6_DST, 16);
            ln_in6_mc_mac(&g, f);
        } else {
            memcpy(f, hi->mac, 6);
        }
        memcpy(f + 6, pi->mac, 6);
        ln_put16(f + 12, LN_ETHERTYPE_IPV6);
    }
    if (p->len >= LN_ETH_HLEN && ln_get16(f + 12) == LN_ETHERTYPE_IPV6)
        fill_l4(f + LN_ETH_HLEN, p->len - LN_ETH_HLEN);
    fz_deliver(hi, p);
    ln_sim_run_until(&net->sim, 2 * LN_SEC);

    ln_icmp_sock_close(s);
    ln_udp_close(u1);
    ln_udp_close(u2);
    fz_finish(net, "fuzz_ip6");
    return 0;
}
