/* test_udp.c - UDP sockets on real links: bind rules and ephemeral ports,
 * an echo between two hosts, port unreachable (ICMP out, "refused" on a
 * connected socket), checksum and length drops, broadcast, the receive
 * buffer limit, and the counters Linux would bump for each.
 *
 * Every test ends by running the network dry and checking that no packet
 * buffer leaked (queued datagrams included, once their socket is closed). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "err.h"
#include "eth.h"
#include "icmp.h"
#include "ip.h"
#include "udp.h"
#include "world.h"

#define H1 IP(10, 0, 0, 1)
#define H2 IP(10, 0, 0, 2)
#define BCAST IP(10, 0, 0, 255)
#define PORT_UNREACH (LN_ICMP_UNREACH << 8 | LN_ICMP_UNREACH_PORT)

static const world_cfg hosts = { .seed = 5, .name = { "h1", "h2" }, .addr = { H1, H2 },
                                 .delay = LN_MSEC };

static struct { int readable, errors; } notified;   /* socket notifications */

static void on_notify(ln_udp_sock *s, unsigned ev, void *arg)
{
    (void)s;
    (void)arg;
    if (ev & LN_UDP_EV_READABLE) notified.readable++;
    if (ev & LN_UDP_EV_ERROR) notified.errors++;
}

static world *hosts_new(void)
{
    memset(&notified, 0, sizeof notified);
    return world_new(&hosts);
}

static ln_udp_sock *sock(ln_node *n)
{
    ln_udp_sock *s = ln_udp_socket(n);
    CHECK(s != NULL);
    ln_udp_set_notify(s, on_notify, NULL);
    return s;
}

/* ---- bind ---------------------------------------------------------------- */

static void test_bind_rules(void)
{
    world *w = hosts_new();
    ln_udp_sock *a = sock(w->a), *b = sock(w->a), *c = sock(w->a);
    CHECK_EQ(ln_udp_bind(a, 0, 5000), 0);
    CHECK_EQ(ln_udp_bind(a, 0, 5001), LN_EINVAL);              /* already bound */
    CHECK_EQ(ln_udp_bind(b, 0, 5000), LN_EADDRINUSE);          /* any vs any */
    CHECK_EQ(ln_udp_bind(b, H1, 5000), LN_EADDRINUSE);         /* specific vs any */
    CHECK_EQ(ln_udp_bind(b, H2, 5002), LN_EADDRNOTAVAIL);      /* not ours */
    CHECK_EQ(ln_udp_bind(b, IP(127, 0, 0, 1), 5000), LN_EADDRINUSE);
    CHECK_EQ(ln_udp_bind(b, IP(127, 0, 0, 1), 5003), 0);       /* loopback is ours */
    /* Two specific, different addresses share a port. */
    CHECK_EQ(ln_udp_bind(c, H1, 5003), 0);
    ln_udp_close(a);
    ln_udp_close(b);
    ln_udp_close(c);

    /* SO_REUSEADDR on both sockets lets them share; on one only, not. */
    a = sock(w->a);
    b = sock(w->a);
    c = sock(w->a);
    CHECK_EQ(ln_udp_setopt(a, LN_UDP_OPT_REUSEADDR, 1), 0);
    CHECK_EQ(ln_udp_bind(a, 0, 6000), 0);
    CHECK_EQ(ln_udp_bind(b, 0, 6000), LN_EADDRINUSE);
    CHECK_EQ(ln_udp_setopt(b, LN_UDP_OPT_REUSEADDR, 1), 0);
    CHECK_EQ(ln_udp_bind(b, 0, 6000), 0);
    CHECK_EQ(ln_udp_bind(c, 0, 6000), LN_EADDRINUSE);

    /* Ephemeral ports come from ip_local_port_range, all different. */
    uint16_t seen[50];
    for (int i = 0; i < 50; i++) {
        ln_udp_sock *e = sock(w->a);
        CHECK_EQ(ln_udp_bind(e, 0, 0), 0);
        uint16_t p;
        ln_udp_local(e, NULL, &p);
        CHECK(p >= 32768 && p <= 60999);
        seen[i] = p;
        for (int j = 0; j < i; j++) CHECK(seen[j] != p);
    }
    world_free(w);                 /* ln_udp_detach frees what is left */
}

/* ---- echo ------------------------------------------------------------------ */

static void test_echo(void)
{
    world *w = hosts_new();
    ln_udp_sock *srv = sock(w->b), *cli = sock(w->a);
    CHECK_EQ(ln_udp_bind(srv, 0, 7), 0);
    CHECK_EQ(ln_udp_sendto(cli, "hello", 5, H2, 7), 5);
    CHECK_EQ(ln_udp_sendto(cli, "", 0, H2, 7), 0);              /* empty datagrams exist */
    uint16_t cport;
    ln_udp_local(cli, NULL, &cport);
    CHECK(cport >= 32768);                                       /* autobound */
    world_run(w);
    CHECK_EQ(ln_udp_pending(srv), 2);
    CHECK_EQ(ln_udp_queued_bytes(srv), 5);
    CHECK_EQ(notified.readable, 2);

    char buf[64];
    uint32_t src;
    uint16_t sport;
    size_t full;
    /* Boundaries are kept; a short buffer truncates, like recvfrom. */
    CHECK_EQ(ln_udp_recvfrom(srv, buf, 3, &src, &sport, &full), 3);
    CHECK_EQ(full, 5);
    CHECK(memcmp(buf, "hel", 3) == 0);
    CHECK_U64(src, H1);
    CHECK_EQ(sport, cport);
    CHECK_EQ(ln_udp_recvfrom(srv, buf, sizeof buf, &src, &sport, &full), 0);
    CHECK_EQ(full, 0);
    CHECK_EQ(ln_udp_recvfrom(srv, buf, sizeof buf, NULL, NULL, NULL), LN_EAGAIN);
    CHECK_U64(w->b->mib[LN_MIB_UdpInDatagrams], 2);

    CHECK_EQ(ln_udp_sendto(srv, "world", 5, src, sport), 5);
    world_run(w);
    CHECK_EQ(ln_udp_recvfrom(cli, buf, sizeof buf, &src, &sport, NULL), 5);
    CHECK(memcmp(buf, "world", 5) == 0);
    CHECK_U64(src, H2);
    CHECK_EQ(sport, 7);
    CHECK_U64(w->a->mib[LN_MIB_UdpOutDatagrams], 2);
    CHECK_U64(w->b->mib[LN_MIB_UdpOutDatagrams], 1);
    CHECK_U64(w->a->mib[LN_MIB_UdpInDatagrams], 1);
    CHECK_U64(w->a->mib[LN_MIB_UdpNoPorts] + w->b->mib[LN_MIB_UdpNoPorts], 0);

    /* Connected: send without an address, only the peer's datagrams match. */
    ln_udp_sock *c2 = sock(w->a), *other = sock(w->b);
    CHECK_EQ(ln_udp_sendto(c2, "x", 1, 0, 0), LN_ENOTCONN);
    CHECK_EQ(ln_udp_connect(c2, H2, 7), 0);
    uint32_t la;
    uint16_t lp;
    ln_udp_local(c2, &la, &lp);
    CHECK_U64(la, H1);                                          /* the route's source */
    CHECK_EQ(ln_udp_sendto(c2, "ping", 4, 0, 0), 4);
    CHECK_EQ(ln_udp_sendto(other, "spoof", 5, H1, lp), 5);      /* wrong source port */
    world_run(w);
    CHECK_EQ(ln_udp_recvfrom(srv, buf, sizeof buf, &src, &sport, NULL), 4);
    CHECK_EQ(ln_udp_pending(c2), 0);
    CHECK_U64(w->a->mib[LN_MIB_UdpNoPorts], 1);               /* the "spoof" */
    world_free(w);
}

/* ---- port unreachable ------------------------------------------------------ */

static void test_port_unreachable(void)
{
    world *w = hosts_new();
    ln_udp_sock *c = sock(w->a), *u = sock(w->a);
    CHECK_EQ(ln_udp_connect(c, H2, 9999), 0);
    CHECK_EQ(ln_udp_sendto(c, "anyone?", 7, 0, 0), 7);
    CHECK_EQ(ln_udp_sendto(u, "anyone?", 7, H2, 9999), 7);     /* unconnected */
    world_run(w);
    CHECK_EQ(w->icmp_out[PORT_UNREACH], 2);
    CHECK_U64(w->b->mib[LN_MIB_UdpNoPorts], 2);
    CHECK_U64(w->b->mib[LN_MIB_IcmpOutDestUnreachs], 2);
    CHECK_U64(w->drops[LN_DROP_NO_LISTENER], 2);
    /* Only the connected socket hears about it (Linux without IP_RECVERR). */
    CHECK_EQ(ln_udp_error(c), LN_ECONNREFUSED);
    CHECK_EQ(ln_udp_error(u), 0);
    CHECK_EQ(notified.errors, 1);
    char buf[16];
    CHECK_EQ(ln_udp_recvfrom(c, buf, sizeof buf, NULL, NULL, NULL), LN_ECONNREFUSED);
    CHECK_EQ(ln_udp_recvfrom(c, buf, sizeof buf, NULL, NULL, NULL), LN_EAGAIN);   /* cleared */
    /* ... and reported by the next send if nobody read it. */
    CHECK_EQ(ln_udp_sendto(c, "again", 5, 0, 0), 5);
    world_run(w);
    CHECK_EQ(ln_udp_sendto(c, "again", 5, 0, 0), LN_ECONNREFUSED);
    CHECK_EQ(ln_udp_recvfrom(u, buf, sizeof buf, NULL, NULL, NULL), LN_EAGAIN);
    world_free(w);
}

/* ---- bad datagrams ---------------------------------------------------------- */

/* Hand h2 a UDP datagram from h1 as if it came off the wire. */
static void inject(world *w, const uint8_t *udp, uint32_t len)
{
    ln_pkt *p = ln_net_pkt(w->net, LN_ETH_HLEN + LN_IP_HLEN + len);
    uint8_t *f = p->data;
    memcpy(f, w->ib->mac, 6);
    memcpy(f + 6, w->ia->mac, 6);
    ln_put16(f + 12, LN_ETHERTYPE_IPV4);
    uint8_t *ip = f + LN_ETH_HLEN;
    memset(ip, 0, LN_IP_HLEN);
    ip[0] = 0x45;
    ln_put16(ip + LN_IP_LEN, (uint16_t)(LN_IP_HLEN + len));
    ip[LN_IP_TTL] = 64;
    ip[LN_IP_PROTO] = LN_IPPROTO_UDP;
    ln_put32(ip + LN_IP_SRC, H1);
    ln_put32(ip + LN_IP_DST, H2);
    ln_put16(ip + LN_IP_CSUM, ln_csum(ip, LN_IP_HLEN));
    memcpy(ip + LN_IP_HLEN, udp, len);
    p->in_if = w->ib;
    w->ib->port.rx(&w->ib->port, p);
}

static void udp_hdr(uint8_t *u, uint16_t sport, uint16_t dport, const char *payload, bool csum)
{
    size_t n = strlen(payload);
    ln_put16(u, sport);
    ln_put16(u + 2, dport);
    ln_put16(u + 4, (uint16_t)(8 + n));
    ln_put16(u + 6, 0);
    memcpy(u + 8, payload, n);
    if (csum) {
        uint16_t c = ln_csum_fold(ln_csum_partial(u, 8 + n, ln_csum_pseudo(H1, H2, 17, (uint16_t)(8 + n))));
        ln_put16(u + 6, c ? c : 0xffff);
    }
}

static void test_checksum_and_length(void)
{
    world *w = hosts_new();
    ln_udp_sock *s = sock(w->b);
    CHECK_EQ(ln_udp_bind(s, 0, 53), 0);
    uint8_t u[64];

    udp_hdr(u, 1234, 53, "query", true);
    inject(w, u, 13);
    CHECK_EQ(ln_udp_pending(s), 1);

    udp_hdr(u, 1234, 53, "query", true);
    u[9] ^= 0x40;                                   /* one bit flipped in transit */
    inject(w, u, 13);
    CHECK_EQ(ln_udp_pending(s), 1);
    CHECK_U64(w->drops[LN_DROP_BAD_CSUM], 1);
    CHECK_U64(w->b->mib[LN_MIB_UdpInCsumErrors], 1);
    CHECK_U64(w->b->mib[LN_MIB_UdpInErrors], 1);

    udp_hdr(u, 1234, 53, "nocsum", false);          /* checksum 0: none computed */
    inject(w, u, 14);
    CHECK_EQ(ln_udp_pending(s), 2);

    udp_hdr(u, 1234, 53, "short", true);
    ln_put16(u + 4, 40);                            /* claims more than there is */
    inject(w, u, 13);
    inject(w, u, 5);                                /* not even a header */
    CHECK_U64(w->drops[LN_DROP_MALFORMED], 2);
    CHECK_U64(w->b->mib[LN_MIB_UdpInErrors], 3);
    CHECK_EQ(w->n_icmp_out, 0);                       /* no ICMP for any of these */

    /* A UDP length shorter than the IP payload: the rest is ignored. */
    udp_hdr(u, 1234, 53, "abcdef", true);
    uint8_t v[64];
    udp_hdr(v, 1234, 53, "abc", true);
    memcpy(v + 11, "XYZ", 3);
    inject(w, v, 14);
    CHECK_EQ(ln_udp_pending(s), 3);
    CHECK_EQ(ln_udp_queued_bytes(s), 5 + 6 + 3);
    char buf[16];
    size_t full;
    ln_udp_recvfrom(s, buf, sizeof buf, NULL, NULL, NULL);
    ln_udp_recvfrom(s, buf, sizeof buf, NULL, NULL, NULL);
    CHECK_EQ(ln_udp_recvfrom(s, buf, sizeof buf, NULL, NULL, &full), 3);
    CHECK(memcmp(buf, "abc", 3) == 0);
    ln_udp_close(s);
    world_free(w);
}

/* ---- broadcast ---------------------------------------------------------------- */

static void test_broadcast(void)
{
    world *w = hosts_new();
    ln_udp_sock *any = sock(w->b), *uni = sock(w->b), *bc = sock(w->b);
    ln_udp_sock *tx = sock(w->a);
    CHECK_EQ(ln_udp_setopt(any, LN_UDP_OPT_REUSEADDR, 1), 0);
    CHECK_EQ(ln_udp_setopt(uni, LN_UDP_OPT_REUSEADDR, 1), 0);
    CHECK_EQ(ln_udp_setopt(bc, LN_UDP_OPT_REUSEADDR, 1), 0);
    CHECK_EQ(ln_udp_bind(any, 0, 67), 0);
    CHECK_EQ(ln_udp_bind(uni, H2, 67), 0);
    CHECK_EQ(ln_udp_bind(bc, BCAST, 67), 0);       /* a broadcast address may be bound */

    /* Without SO_BROADCAST sending to a broadcast address is refused (EACCES). */
    CHECK_EQ(ln_udp_sendto(tx, "hi all", 6, BCAST, 67), LN_EINVAL);
    CHECK_EQ(ln_udp_sendto(tx, "hi all", 6, 0xffffffffu, 67), LN_EINVAL);
    CHECK_EQ(ln_udp_setopt(tx, LN_UDP_OPT_BROADCAST, 1), 0);
    CHECK_EQ(ln_udp_sendto(tx, "hi all", 6, BCAST, 67), 6);
    CHECK_EQ(ln_udp_sendto(tx, "hi all", 6, 0xffffffffu, 67), 6);
    world_run(w);
    /* Every socket that hears broadcasts got one copy of each (a socket
     * bound to the unicast address hears none; the one bound to
     * 10.0.0.255 hears only the directed broadcast). */
    CHECK_EQ(ln_udp_pending(any), 2);
    CHECK_EQ(ln_udp_pending(uni), 0);
    CHECK_EQ(ln_udp_pending(bc), 1);
    /* Broadcasts nobody listens to: dropped, no ICMP, no UdpNoPorts. */
    CHECK_EQ(ln_udp_sendto(tx, "nobody", 6, BCAST, 68), 6);
    world_run(w);
    CHECK_EQ(w->n_icmp_out, 0);
    CHECK_U64(w->b->mib[LN_MIB_UdpNoPorts], 0);
    CHECK_U64(w->b->mib[LN_MIB_UdpIgnoredMulti], 1);       /* what Linux counts instead */
    CHECK_U64(w->b->drops[LN_DROP_NO_LISTENER], 1);
    /* The sender hears its own broadcasts too (Linux loops a copy back):
     * three of them, with nobody listening on h1. */
    CHECK_U64(w->a->drops[LN_DROP_NO_LISTENER], 3);
    /* Unicast to the port goes to the best match: the specific address. */
    CHECK_EQ(ln_udp_sendto(tx, "just you", 8, H2, 67), 8);
    world_run(w);
    CHECK_EQ(ln_udp_pending(uni), 1);
    CHECK_EQ(ln_udp_pending(any), 2);
    ln_udp_close(any);             /* queued copies are freed with the sockets */
    ln_udp_close(uni);
    ln_udp_close(bc);
    world_free(w);
}

/* ---- receive buffer ------------------------------------------------------------ */

static void test_queue_limit(void)
{
    world *w = hosts_new();
    ln_udp_sock *s = sock(w->b), *tx = sock(w->a);
    CHECK_EQ(ln_udp_bind(s, 0, 9), 0);
    CHECK_EQ(ln_udp_setopt(s, LN_UDP_OPT_RCVBUF, 250), 0);
    int64_t v;
    CHECK_EQ(ln_udp_getopt(s, LN_UDP_OPT_RCVBUF, &v), 0);
    CHECK_EQ(v, 250);
    char data[100];
    memset(data, 'x', sizeof data);
    for (int i = 0; i < 5; i++) CHECK_EQ(ln_udp_sendto(tx, data, sizeof data, H2, 9), 100);
    world_run(w);
    CHECK_EQ(ln_udp_pending(s), 2);                 /* 200 bytes fit, 300 would not */
    CHECK_U64(w->b->mib[LN_MIB_UdpRcvbufErrors], 3);
    CHECK_U64(w->b->mib[LN_MIB_UdpInErrors], 3);
    CHECK_U64(w->drops[LN_DROP_RCVBUF_FULL], 3);
    /* An empty queue takes one datagram larger than the buffer. */
    char buf[400];
    ln_udp_recvfrom(s, buf, sizeof buf, NULL, NULL, NULL);
    ln_udp_recvfrom(s, buf, sizeof buf, NULL, NULL, NULL);
    char big[300];
    memset(big, 'y', sizeof big);
    CHECK_EQ(ln_udp_sendto(tx, big, sizeof big, H2, 9), 300);
    world_run(w);
    CHECK_EQ(ln_udp_pending(s), 1);
    /* Too big for any datagram. */
    static char huge[65508];
    CHECK_EQ(ln_udp_sendto(tx, huge, sizeof huge, H2, 9), LN_EMSGSIZE);
    CHECK_EQ(ln_udp_sendto(tx, huge, sizeof huge - 1, H2, 9), 65507);   /* fragmented */
    ln_udp_setopt(s, LN_UDP_OPT_RCVBUF, 1 << 20);
    world_run(w);
    CHECK_EQ(ln_udp_pending(s), 2);
    ln_udp_close(s);
    world_free(w);
}

/* ---- loopback and no route -------------------------------------------------------- */

static void test_loopback_and_unreachable(void)
{
    world *w = hosts_new();
    ln_udp_sock *a = sock(w->a), *b = sock(w->a);
    CHECK_EQ(ln_udp_bind(a, 0, 4000), 0);
    CHECK_EQ(ln_udp_sendto(b, "self", 4, IP(127, 0, 0, 1), 4000), 4);
    CHECK_EQ(ln_udp_sendto(b, "self", 4, H1, 4000), 4);
    world_run(w);
    CHECK_EQ(ln_udp_pending(a), 2);
    CHECK_EQ(ln_udp_sendto(b, "far", 3, IP(192, 168, 1, 1), 4000), LN_ENETUNREACH);
    CHECK_EQ(ln_udp_connect(b, IP(192, 168, 1, 1), 4000), LN_ENETUNREACH);
    ln_udp_close(a);
    world_free(w);
}

int main(void)
{
    test_bind_rules();
    test_echo();
    test_port_unreachable();
    test_checksum_and_length();
    test_broadcast();
    test_queue_limit();
    test_loopback_and_unreachable();
    return check_report("test_udp");
}
