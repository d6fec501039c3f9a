/* test_tcp6.c - TCP over IPv6 with the same sockets: the pseudo-header
 * checksum against a vector computed by hand, the handshake and what goes
 * on the wire, a listener on :: taking both families and V6ONLY refusing
 * IPv4, Linux's bind rules across the families, the MSS from the IPv6
 * MTU, Packet Too Big lowering it in the middle of a connection, UDP's
 * mandatory checksum, and the IPv4 control block staying within a pointer
 * of its size.
 *
 *   a (10.0.0.1, 2001:db8::1) <--- wire, 1 ms ---> b (10.0.0.2, 2001:db8::2)
 *
 * Both run the real stack; DAD is off so the addresses work at once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "csum.h"
#include "err.h"
#include "ip6.h"
#include "tcp.h"
#include "tcp_int.h"
#include "tcp_wire.h"
#include "udp.h"
#include "wire.h"
#include "world.h"

static ln_in6 A6(const char *s)
{
    ln_in6 a;
    char err[160];
    CHECK(ln_ip6_parse(s, &a, NULL, err, sizeof err) == 0);
    return a;
}

static world *pair(uint32_t mtu)
{
    static world_cfg c = { .seed = 7, .addr = {IP(10, 0, 0, 1), IP(10, 0, 0, 2)}, .delay = LN_MSEC };
    world *w = world_new(&c);
    if (mtu) {
        w->ia->mtu = mtu;
        w->ib->mtu = mtu;
    }
    w->a->cfg.ip6_dad_transmits = w->b->cfg.ip6_dad_transmits = 0;
    w->a->cfg.ip6_rtr_solicits = w->b->cfg.ip6_rtr_solicits = 0;
    ln_in6 x = A6("2001:db8::1"), y = A6("2001:db8::2");
    CHECK_EQ(ln_ip6_addr_add(w->ia, &x, 64, LN_IP6A_STATIC, LN_NEVER), 0);
    CHECK_EQ(ln_ip6_addr_add(w->ib, &y, 64, LN_IP6A_STATIC, LN_NEVER), 0);
    world_run_for(w, 10 * LN_MSEC);
    return w;
}

/* The TCP header of an IPv6 frame (no extension headers), or NULL. */
static const uint8_t *tcp_of(const world_frame *f)
{
    if (f->len < LN_ETH_HLEN + 40 + 20 || ln_get16(f->b + LN_ETH_TYPE) != LN_ETHERTYPE_IPV6) return NULL;
    if (f->b[LN_ETH_HLEN + 6] != LN_IPPROTO_TCP) return NULL;
    return f->b + LN_ETH_HLEN + 40;
}

/* The MSS option of a SYN's header, 0 if none. */
static uint16_t mss_opt(const uint8_t *t)
{
    uint32_t hl = (uint32_t)(t[12] >> 4) * 4;
    for (uint32_t i = 20; i + 4 <= hl;) {
        if (t[i] == LN_TCPOPT_NOP) { i++; continue; }
        if (t[i] == LN_TCPOPT_EOL || t[i + 1] < 2) break;
        if (t[i] == LN_TCPOPT_MSS) return ln_get16(t + i + 2);
        i += t[i + 1];
    }
    return 0;
}

/* RFC 8200 8.1 by hand: the sum of the pseudo-header and the segment as
 * 16-bit words, folded and complemented, from bytes laid out here and not
 * by any of lunet's checksum code. */
static void test_pseudo_header_vector(void)
{
    uint8_t buf[40 + 20];
    ln_in6 s = A6("2001:db8::1"), d = A6("2001:db8::2");
    memcpy(buf, s.b, 16);
    memcpy(buf + 16, d.b, 16);
    const uint8_t rest[] = {0, 0, 0, 20, 0, 0, 0, 6,                 /* length, zeros, next header */
                            0x04, 0xd2, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, /* 1234 > 80, seq 1 */
                            0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0};        /* SYN, window 65535 */
    memcpy(buf + 32, rest, sizeof rest);
    uint32_t sum = 0;
    for (size_t i = 0; i < sizeof buf; i += 2) sum += (uint32_t)buf[i] << 8 | buf[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    uint16_t want = (uint16_t)~sum;
    CHECK_EQ(want, 0x4f4b);               /* and by a third way: python's struct, once */

    /* lunet's path: the header built for IPv4 with the digests, re-seeded
     * for IPv6, the offloaded sum finished as a link would */
    world *w = pair(0);
    ln_pkt *p = ln_net_pkt(w->net, 0);
    ln_tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.saddr = 0x12345678;                 /* whatever: IPv6 does not use them */
    h.daddr = 0x9abcdef0;
    h.sport = 1234;
    h.dport = 80;
    h.seq = 1;
    h.flags = LN_TCP_SYN;
    h.wnd = 65535;
    h.ws = -1;
    CHECK_EQ(ln_tcp_push_hdr(p, &h), 0);
    ln_tcp6 a = { .laddr = s, .raddr = d };
    ln_tcp_csum6(p, &a);
    ln_pkt_finish(p);
    CHECK_EQ(ln_get16(p->data + LN_TCPH_CSUM), want);
    /* and the parser takes it back, but not from another source */
    ln_tcp_seg seg;
    p->l4_csum_ok = 0;
    CHECK_EQ(ln_tcp_parse6(p, &s, &d, &seg), LN_DROP_NONE);
    ln_pkt_push(p, 20);
    ln_in6 other = A6("2001:db8::3");
    CHECK_EQ(ln_tcp_parse6(p, &other, &d, &seg), LN_DROP_BAD_CSUM);
    ln_pkt_free(p);
    world_free(w);
}

/* A listener on :: takes both families: the IPv6 child is IPv6, the IPv4
 * one IPv4; what went on the wire for IPv6 is a three-way handshake with
 * MSS 1440 (1500 - 60) and every checksum right. */
static void test_dual_stack_accept(void)
{
    world *w = pair(0);
    ln_tcp_sock *l = ln_tcp_socket(w->a);
    ln_in6 any = {{0}}, b6 = A6("2001:db8::2");
    CHECK_EQ(ln_tcp_bind6(l, &any, 80), 0);
    CHECK_EQ(ln_tcp_listen(l, 16), 0);
    ln_tcp_sock *c6 = ln_tcp_socket(w->b), *c4 = ln_tcp_socket(w->b);
    ln_in6 a6 = A6("2001:db8::1");
    CHECK_EQ(ln_tcp_connect6(c6, &a6, 80, NULL), 0);
    CHECK_EQ(ln_tcp_connect(c4, IP(10, 0, 0, 1), 80), 0);
    world_run_for(w, 100 * LN_MSEC);
    CHECK_EQ(ln_tcp_get_state(c6), LN_TCP_ESTABLISHED);
    CHECK_EQ(ln_tcp_get_state(c4), LN_TCP_ESTABLISHED);
    ln_tcp_sock *x = ln_tcp_accept(l), *y = ln_tcp_accept(l);
    CHECK(x && y);
    if (!x || !y) return;
    ln_in6 lx, rx;
    CHECK(ln_tcp_addrs6(x, &lx, &rx));
    CHECK(ln_in6_eq(&lx, &a6) && ln_in6_eq(&rx, &b6));
    CHECK(!ln_tcp_addrs6(y, NULL, NULL));
    ln_tcp_info ti;
    ln_tcp_get_info(y, &ti);
    CHECK_EQ(ti.raddr, IP(10, 0, 0, 2));
    CHECK(!ti.v6);

    /* the IPv6 handshake on the wire, checked by summing each segment */
    const world_frame *f[64];
    int n = world_frames(w, NULL, LN_ETHERTYPE_IPV6, f, 64), tcp = 0, syn = 0;
    for (int i = 0; i < n && i < 64; i++) {
        const uint8_t *t = tcp_of(f[i]);
        if (!t) continue;
        tcp++;
        const uint8_t *ip = f[i]->b + LN_ETH_HLEN;
        ln_in6 s, d;
        memcpy(s.b, ip + 8, 16);
        memcpy(d.b, ip + 24, 16);
        uint32_t len = ln_get16(ip + 4);
        CHECK_EQ(ln_csum_fold(ln_csum_partial(t, len, ln_ip6_pseudo(&s, &d, len, LN_IPPROTO_TCP))), 0);
        CHECK((ln_get32(ip) & 0xfffff) != 0);        /* a flow label, as Linux's auto_flowlabels */
        if (t[13] & LN_TCP_SYN) {
            syn++;
            CHECK_EQ(mss_opt(t), 1440);
        }
    }
    CHECK_EQ(tcp, 3);
    CHECK_EQ(syn, 2);
    ln_tcp_abort(x);
    ln_tcp_abort(y);
    ln_tcp_abort(c6);
    ln_tcp_abort(c4);
    ln_tcp_close(l);
    world_free(w);
}

/* V6ONLY: the IPv4 SYN finds no listener and is reset; IPv6 still works. */
static void test_v6only(void)
{
    world *w = pair(0);
    ln_tcp_sock *l = ln_tcp_socket(w->a);
    ln_in6 any = {{0}}, a6 = A6("2001:db8::1");
    CHECK_EQ(ln_tcp_setopt(l, LN_TCP_OPT_V6ONLY, 1), 0);
    CHECK_EQ(ln_tcp_bind6(l, &any, 80), 0);
    CHECK_EQ(ln_tcp_setopt(l, LN_TCP_OPT_V6ONLY, 0), LN_EINVAL);   /* only before bind */
    CHECK_EQ(ln_tcp_listen(l, 16), 0);
    ln_tcp_sock *c4 = ln_tcp_socket(w->b), *c6 = ln_tcp_socket(w->b);
    CHECK_EQ(ln_tcp_connect(c4, IP(10, 0, 0, 1), 80), 0);
    CHECK_EQ(ln_tcp_connect6(c6, &a6, 80, NULL), 0);
    world_run_for(w, 100 * LN_MSEC);
    CHECK_EQ(ln_tcp_error(c4), LN_ECONNREFUSED);
    CHECK_EQ(ln_tcp_get_state(c6), LN_TCP_ESTABLISHED);
    ln_tcp_close(c4);
    ln_tcp_abort(c6);
    ln_tcp_close(l);
    world_free(w);
}

/* inet_bind_conflict with ipv4_rcv_saddr_equal / ipv6_rcv_saddr_equal. */
static int bind4(ln_node *n, uint32_t a, uint16_t port, bool v6only, ln_tcp_sock **out)
{
    ln_tcp_sock *s = ln_tcp_socket(n);
    (void)v6only;
    int rc = ln_tcp_bind(s, a, port);
    *out = s;
    return rc;
}

static int bind6(ln_node *n, const char *a, uint16_t port, bool v6only, ln_tcp_sock **out)
{
    ln_tcp_sock *s = ln_tcp_socket(n);
    ln_in6 x = A6(a);
    if (v6only) ln_tcp_setopt(s, LN_TCP_OPT_V6ONLY, 1);
    int rc = ln_tcp_bind6(s, &x, port);
    *out = s;
    return rc;
}

static void test_bind_rules(void)
{
    world *w = pair(0);
    ln_node *n = w->a;
    ln_tcp_sock *s[16];
    int k = 0;
    /* :: (dual) holds every address of both families */
    CHECK_EQ(bind6(n, "::", 1000, false, &s[k++]), 0);
    CHECK_EQ(bind4(n, 0, 1000, false, &s[k++]), LN_EADDRINUSE);
    CHECK_EQ(bind4(n, IP(10, 0, 0, 1), 1000, false, &s[k++]), LN_EADDRINUSE);
    CHECK_EQ(bind6(n, "2001:db8::1", 1000, false, &s[k++]), LN_EADDRINUSE);
    CHECK_EQ(bind6(n, "::", 1000, true, &s[k++]), LN_EADDRINUSE);   /* :: and :: always clash */
    /* :: V6ONLY leaves IPv4 alone */
    CHECK_EQ(bind6(n, "::", 1001, true, &s[k++]), 0);
    CHECK_EQ(bind4(n, 0, 1001, false, &s[k++]), 0);
    /* 0.0.0.0 first: :: (dual) clashes, :: V6ONLY does not */
    CHECK_EQ(bind4(n, 0, 1002, false, &s[k++]), 0);
    CHECK_EQ(bind6(n, "::", 1002, false, &s[k++]), LN_EADDRINUSE);
    CHECK_EQ(bind6(n, "::", 1002, true, &s[k++]), 0);
    /* a specific IPv6 address: an IPv4 address beside it is fine, 0.0.0.0
     * is not (ipv4_rcv_saddr_equal: the wildcard matches), yet the other
     * order works (ipv6_rcv_saddr_equal: no IPv4 address to match) */
    CHECK_EQ(bind6(n, "2001:db8::1", 1003, false, &s[k++]), 0);
    CHECK_EQ(bind4(n, IP(10, 0, 0, 1), 1003, false, &s[k++]), 0);
    CHECK_EQ(bind4(n, 0, 1003, false, &s[k++]), LN_EADDRINUSE);
    for (int i = 0; i < k; i++) ln_tcp_close(s[i]);
    /* not ours, mapped */
    ln_tcp_sock *x;
    CHECK_EQ(bind6(n, "2001:db8::9", 1004, false, &x), LN_EADDRNOTAVAIL);
    ln_tcp_close(x);
    CHECK_EQ(bind6(n, "::ffff:10.0.0.1", 1004, false, &x), LN_ENOTSUP);
    ln_tcp_close(x);
    world_free(w);
}

/* Over a 1280-byte MTU (IPv6's minimum) the SYN announces 1220. */
static void test_mss_1280(void)
{
    world *w = pair(1280);
    ln_tcp_sock *l = ln_tcp_socket(w->a);
    ln_in6 any = {{0}}, a6 = A6("2001:db8::1");
    CHECK_EQ(ln_tcp_bind6(l, &any, 80), 0);
    CHECK_EQ(ln_tcp_listen(l, 4), 0);
    ln_tcp_sock *c = ln_tcp_socket(w->b);
    CHECK_EQ(ln_tcp_connect6(c, &a6, 80, NULL), 0);
    world_run_for(w, 100 * LN_MSEC);
    const world_frame *f[8];
    int n = world_frames(w, NULL, LN_ETHERTYPE_IPV6, f, 8), syns = 0;
    for (int i = 0; i < n && i < 8; i++) {
        const uint8_t *t = tcp_of(f[i]);
        if (t && (t[13] & LN_TCP_SYN)) {
            CHECK_EQ(mss_opt(t), 1220);
            syns++;
        }
    }
    CHECK_EQ(syns, 2);
    ln_tcp_info ti;
    ln_tcp_get_info(c, &ti);
    CHECK_EQ(ti.mss, 1220 - 12);          /* less the timestamps */
    ln_tcp_abort(c);
    ln_tcp_close(l);
    world_free(w);
}

/* Packet Too Big about a segment in flight: the MSS falls to the new path
 * MTU less 60 and what was in flight goes again at that size
 * (tcp_v6_mtu_reduced, tcp_simple_retransmit). */
static void test_ptb_lowers_mss(void)
{
    world *w = pair(0);
    ln_tcp_sock *l = ln_tcp_socket(w->b);
    ln_in6 any = {{0}}, b6 = A6("2001:db8::2");
    CHECK_EQ(ln_tcp_bind6(l, &any, 80), 0);
    CHECK_EQ(ln_tcp_listen(l, 4), 0);
    ln_tcp_sock *c = ln_tcp_socket(w->a);
    CHECK_EQ(ln_tcp_connect6(c, &b6, 80, NULL), 0);
    world_run_for(w, 50 * LN_MSEC);
    CHECK_EQ(ln_tcp_get_state(c), LN_TCP_ESTABLISHED);
    ln_tcp_info ti;
    ln_tcp_get_info(c, &ti);
    CHECK_EQ(ti.mss, 1440 - 12);
    static uint8_t data[6000];
    CHECK_EQ(ln_tcp_send(c, data, sizeof data), (int64_t)sizeof data);
    /* the first full segment a sent: b "is" a router on a 1280 link */
    const world_frame *f[16];
    int n = world_frames(w, &w->ia->port, LN_ETHERTYPE_IPV6, f, 16);
    const world_frame *big = NULL;
    for (int i = 0; i < n && i < 16; i++)
        if (f[i]->len > 1300 && tcp_of(f[i])) big = f[i];
    CHECK(big != NULL);
    if (!big) return;
    uint64_t rtx0 = w->a->mib[LN_MIB_TcpRetransSegs];
    uint8_t fr[1400];
    uint32_t q = 1280 - 40 - 8;                      /* RFC 4443 2.4 (c) */
    memcpy(fr, w->ia->mac, 6);
    memcpy(fr + 6, w->ib->mac, 6);
    ln_put16(fr + 12, LN_ETHERTYPE_IPV6);
    uint8_t *ip = fr + 14;
    memset(ip, 0, 48);
    ip[0] = 0x60;
    ln_put16(ip + 4, (uint16_t)(8 + q));
    ip[6] = LN_IPPROTO_ICMPV6;
    ip[7] = 64;
    memcpy(ip + 8, b6.b, 16);
    ln_in6 a6 = A6("2001:db8::1");
    memcpy(ip + 24, a6.b, 16);
    uint8_t *m = ip + 40;
    m[0] = LN_ICMP6_PKT_TOOBIG;
    ln_put32(m + 4, 1280);
    memcpy(m + 8, big->b + LN_ETH_HLEN, q);
    ln_put16(m + 2, ln_csum_fold(ln_csum_partial(m, 8 + q, ln_ip6_pseudo(&b6, &a6, 8 + q, LN_IPPROTO_ICMPV6))));
    ln_pkt *p = ln_net_pkt(w->net, 14 + 40 + 8 + q);
    memcpy(p->data, fr, p->len);
    int before = w->n_tx;
    w->ia->port.rx(&w->ia->port, p);
    world_run_for(w, 500 * LN_MSEC);
    ln_tcp_get_info(c, &ti);
    CHECK_EQ(ti.mss, 1280 - 60 - 12);
    CHECK(w->a->mib[LN_MIB_TcpRetransSegs] > rtx0);
    /* what a sends again (a sequence number seen before: frames already
     * queued on the wire go out after the error too) fits 1280 */
    int after = 0;
    for (int i = before; i < w->n_tx; i++) {
        const world_frame *g = &w->tx[i];
        const uint8_t *t = tcp_of(g);
        if (g->port != &w->ia->port || !t || ln_get16(g->b + LN_ETH_HLEN + 4) <= 32) continue;
        bool again = false;
        for (int j = 0; j < i && !again; j++) {
            const uint8_t *u = tcp_of(&w->tx[j]);
            again = u && w->tx[j].port == &w->ia->port && ln_get32(u + 4) == ln_get32(t + 4);
        }
        if (!again) continue;
        CHECK(g->len - LN_ETH_HLEN <= 1280);
        after++;
    }
    CHECK(after > 0);
    ln_tcp_abort(c);
    ln_tcp_close(l);
    world_free(w);
}

/* UDP over IPv6: a zero checksum is a counted drop (RFC 8200 8.1), a
 * right one reaches the :: socket with its IPv6 source; what the socket
 * sends carries a checksum that sums to zero over the pseudo-header. */
static void test_udp6_checksum(void)
{
    world *w = pair(0);
    ln_udp_sock *u = ln_udp_socket(w->a);
    ln_in6 any = {{0}}, a6 = A6("2001:db8::1"), b6 = A6("2001:db8::2");
    CHECK_EQ(ln_udp_bind6(u, &any, 5000, NULL), 0);
    for (int good = 0; good < 2; good++) {
        uint8_t f[14 + 40 + 8 + 4];
        memcpy(f, w->ia->mac, 6);
        memcpy(f + 6, w->ib->mac, 6);
        ln_put16(f + 12, LN_ETHERTYPE_IPV6);
        uint8_t *ip = f + 14, *ud = ip + 40;
        memset(ip, 0, 40);
        ip[0] = 0x60;
        ln_put16(ip + 4, 12);
        ip[6] = LN_IPPROTO_UDP;
        ip[7] = 64;
        memcpy(ip + 8, b6.b, 16);
        memcpy(ip + 24, a6.b, 16);
        ln_put16(ud, 6000);
        ln_put16(ud + 2, 5000);
        ln_put16(ud + 4, 12);
        ln_put16(ud + 6, 0);
        memcpy(ud + 8, "abcd", 4);
        if (good) {
            uint16_t c = ln_csum_fold(ln_csum_partial(ud, 12, ln_ip6_pseudo(&b6, &a6, 12, LN_IPPROTO_UDP)));
            ln_put16(ud + 6, c ? c : 0xffff);
        }
        ln_pkt *p = ln_net_pkt(w->net, sizeof f);
        memcpy(p->data, f, sizeof f);
        w->ia->port.rx(&w->ia->port, p);
        world_run_for(w, 10 * LN_MSEC);
        CHECK_EQ(ln_udp_pending(u), (size_t)good);
        CHECK_EQ(w->a->mib[LN_MIB_UdpInCsumErrors], 1);
    }
    char buf[16];
    ln_in6 src;
    uint16_t port;
    CHECK_EQ(ln_udp_recvfrom6(u, buf, sizeof buf, &src, &port, NULL, NULL), 4);
    CHECK(ln_in6_eq(&src, &b6));
    CHECK_EQ(port, 6000);
    /* and back: the checksum b's stack verified (it queued the datagram) */
    ln_udp_sock *v = ln_udp_socket(w->b);
    CHECK_EQ(ln_udp_bind6(v, &any, 6000, NULL), 0);
    CHECK_EQ(ln_udp_sendto6(u, "efgh", 4, &b6, 6000, NULL), 4);
    world_run_for(w, 10 * LN_MSEC);
    CHECK_EQ(ln_udp_pending(v), 1);
    CHECK_EQ(w->b->mib[LN_MIB_UdpInCsumErrors], 0);
    /* an IPv4 datagram reaches the :: socket too, its source mapped */
    CHECK_EQ(ln_udp_sendto(u, "ijkl", 4, IP(10, 0, 0, 2), 6000), 4);
    world_run_for(w, 10 * LN_MSEC);
    CHECK_EQ(ln_udp_pending(v), 2);
    ln_udp_recvfrom6(v, buf, sizeof buf, &src, &port, NULL, NULL);
    CHECK_EQ(ln_udp_recvfrom6(v, buf, sizeof buf, &src, &port, NULL, NULL), 4);
    CHECK(ln_in6_is_v4mapped(&src) && ln_get32(src.b + 12) == IP(10, 0, 0, 1));
    ln_udp_close(u);
    ln_udp_close(v);
    world_free(w);
}

/* IPv6 costs an IPv4 socket one pointer: the control block stays within
 * 512 bytes (test_tcp_rst.c checks the bound too). */
static void test_size(void)
{
    CHECK(ln_tcp_sock_size() <= 512);
    /* two addresses, the flow label, the zone's interface (padded) */
    CHECK(sizeof(ln_tcp6) == 40 + sizeof(void *));
}

int main(void)
{
    test_pseudo_header_vector();
    test_dual_stack_accept();
    test_v6only();
    test_bind_rules();
    test_mss_1280();
    test_ptb_lowers_mss();
    test_udp6_checksum();
    test_size();
    return check_report("test_tcp6");
}
