/* udp.c - UDP (RFC 768, RFC 1122 4.1), following Linux's udp.c.
 *
 * Input:  ln_ip_input -> deliver -> udp_input (registered for protocol 17)
 *         ln_ip6_input -> deliver -> udp6_input (the same over IPv6)
 *           -> length and checksum checks (UdpInErrors, UdpInCsumErrors)
 *           -> broadcast, multicast: a copy to every matching socket
 *           -> unicast:   the best-matching socket (compute_score) or
 *                         ICMP port unreachable (UdpNoPorts)
 *           -> enqueue within the receive buffer (UdpRcvbufErrors) -> notify
 * Output: ln_udp_sendto -> header + checksum -> ln_ip_output (UdpOutDatagrams)
 *         ln_udp_sendto6 -> the same -> ln_ip6_output
 * Errors: icmp.c, icmp6.c -> on_icmp (our ln_icmp_sock_open_proto handler)
 *         -> the connected socket's pending error -> notify
 *
 * IPv6 (RFC 8200 8.1; Linux's udp.c of net/ipv6): a socket's family comes
 * with its first bind, connect or send; an IPv6 socket on :: hears IPv4
 * too unless V6ONLY is set (net.ipv6.bindv6only = 0), and sends to an
 * IPv4-mapped address by IPv4.  The checksum is mandatory: a zero one is
 * a counted drop.  The counters are the IPv4 ones (lunet keeps one set). 
 *
 * Sockets live on one list per node, newest first, so that among equally
 * good matches the most recently bound wins, as with Linux's hash chains.
 * Queued datagrams are the packets themselves (data at the payload, the
 * sender in pkt->mark): nothing is copied until the user reads. */
#include "udp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "err.h"
#include "icmp.h"
#include "icmp6.h"
#include "igmp.h"
#include "ip.h"
#include "ip6.h"
#include "node.h"
#include "trace.h"
#include "wire.h"

#define RCVBUF_DEFAULT 212992u   /* net.core.rmem_default */
/* 65535 - 20 (IP header) - 8 (UDP header): the largest payload. */
#define MAX_PAYLOAD 65507u

struct ln_udp_sock {
    ln_udp_sock *next;            /* stack->socks, newest first */
    ln_node *node;
    uint32_t laddr, raddr;        /* host order; 0 = any / not connected */
    uint16_t lport, rport;        /* lport 0 = not bound */
    bool laddr_auto;              /* laddr chosen by connect, not by bind */
    bool v6, v6only;              /* an IPv6 socket; IPV6_V6ONLY */
    ln_in6 laddr6, raddr6;        /* IPv6: :: = any / not connected (or, with
                                   * rport, connected to an IPv4 peer) */
    bool broadcast, reuseaddr;
    uint8_t ttl;
    uint8_t mc_ttl;               /* IP_MULTICAST_TTL, default 1 */
    bool mc_loop, mc_all;         /* IP_MULTICAST_LOOP, IP_MULTICAST_ALL: default on */
    ln_iface *mc_if;              /* IP_MULTICAST_IF; NULL: the route's */
    ln_iface *dev;                /* SO_BINDTODEVICE; NULL: any interface */
    struct mreq *groups;          /* memberships, newest first */
    uint32_t n_groups;
    uint32_t rcvbuf;
    ln_pkt *qhead, *qtail;        /* datagrams, data at the payload */
    uint32_t qcount;
    size_t qbytes;
    int err;                      /* pending error (sk_err), 0 if none */
    ln_udp_notify_fn fn;
    void *arg;
};

/* One IP_ADD_MEMBERSHIP of a socket (Linux ip_mc_socklist). */
struct mreq {
    struct mreq *next;
    uint32_t group;
    ln_iface *ifc;
};

typedef struct ln_udp_stack {
    ln_udp_sock *socks;
    ln_icmp_sock *icmp;           /* errors quoting our datagrams */
    ln_rng rng;                   /* ephemeral ports */
} ln_udp_stack;

static void udp_input(ln_node *n, ln_pkt *pkt, const ln_ip_info *ip);
static void udp6_input(ln_node *n, ln_pkt *pkt, const ln_ip6_info *ip);
static void on_icmp(ln_icmp_sock *is, const ln_icmp_msg *m, void *arg);

/* ---- attach / detach ------------------------------------------------- */

void ln_udp_attach(ln_node *n)
{
    ln_udp_stack *st = calloc(1, sizeof *st);
    if (!st) return;             /* ipv4.c's fallback answers for us */
    char label[64];
    snprintf(label, sizeof label, "udp:%s", n->name);
    ln_rng_derive(&st->rng, n->net->seed, label);
    st->icmp = ln_icmp_sock_open_proto(n, LN_IPPROTO_UDP, on_icmp, n);
    n->udp = st;
    ln_ip_register(n, LN_IPPROTO_UDP, udp_input);
    ln_udp_attach6(n);
}

void ln_udp_attach6(ln_node *n)
{
    if (n->udp && n->ip6) ln_ip6_register(n, LN_IPPROTO_UDP, udp6_input);
}

static void free_queue(ln_udp_sock *s)
{
    while (s->qhead) {
        ln_pkt *p = s->qhead;
        s->qhead = p->next;
        p->next = NULL;
        ln_pkt_free(p);
    }
    s->qtail = NULL;
    s->qcount = 0;
    s->qbytes = 0;
}

/* The node is going away with its interfaces: forget the memberships
 * without reporting (ln_igmp_iface_free drops the groups). */
static void free_groups(ln_udp_sock *s)
{
    while (s->groups) {
        struct mreq *m = s->groups;
        s->groups = m->next;
        free(m);
    }
    s->n_groups = 0;
}

void ln_udp_detach(ln_node *n)
{
    ln_udp_stack *st = n->udp;
    if (!st) return;
    ln_ip_register(n, LN_IPPROTO_UDP, NULL);
    while (st->socks) {
        ln_udp_sock *s = st->socks;
        st->socks = s->next;
        free_queue(s);
        free_groups(s);
        free(s);
    }
    ln_icmp_sock_close(st->icmp);
    free(st);
    n->udp = NULL;
}

/* ---- sockets ---------------------------------------------------------- */

ln_udp_sock *ln_udp_socket(ln_node *n)
{
    if (!n->udp) return NULL;
    ln_udp_sock *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->node = n;
    s->rcvbuf = RCVBUF_DEFAULT;
    s->mc_ttl = 1;
    s->mc_loop = true;
    s->mc_all = true;
    s->next = n->udp->socks;
    n->udp->socks = s;
    return s;
}

void ln_udp_set_notify(ln_udp_sock *s, ln_udp_notify_fn fn, void *arg)
{
    s->fn = fn;
    s->arg = arg;
}

ln_node *ln_udp_node(const ln_udp_sock *s) { return s->node; }

static void unlink_sock(ln_udp_sock *s)
{
    for (ln_udp_sock **pp = &s->node->udp->socks; *pp; pp = &(*pp)->next)
        if (*pp == s) { *pp = s->next; break; }
    s->next = NULL;
}

/* Move to the head of the list: bind order decides ties. */
static void relink_first(ln_udp_sock *s)
{
    unlink_sock(s);
    s->next = s->node->udp->socks;
    s->node->udp->socks = s;
}

void ln_udp_close(ln_udp_sock *s)
{
    if (!s) return;
    unlink_sock(s);
    free_queue(s);
    /* ip_mc_drop_socket: closing leaves every group it joined. */
    while (s->groups) ln_udp_leave(s, s->groups->group, s->groups->ifc);
    free(s);
}

/* Would (addr, port) clash with another socket's binding?  Overlapping
 * addresses (equal, or either one the wildcard) on the same port clash
 * unless both sockets set SO_REUSEADDR (udp_lib_lport_inuse). */
/* Linux's inet_rcv_saddr_equal, as TCP's (tcp_table.c): s, about to
 * take addr (IPv4) or addr6 (v6), against o's binding. */
static bool overlap(const ln_udp_sock *s, bool v6, uint32_t addr, const ln_in6 *addr6,
                    const ln_udp_sock *o)
{
    if (!v6 && !o->v6) return !o->laddr || !addr || o->laddr == addr;
    if (!v6) return !o->v6only && (!addr || ln_in6_is_unspec(&o->laddr6));
    bool any = ln_in6_is_unspec(addr6);
    if (!o->v6) return any && !s->v6only;
    return any || ln_in6_is_unspec(&o->laddr6) || ln_in6_eq(addr6, &o->laddr6);
}

static bool in_use2(const ln_udp_sock *s, bool v6, uint32_t addr, const ln_in6 *addr6, uint16_t port,
                    bool reuse)
{
    for (const ln_udp_sock *o = s->node->udp->socks; o; o = o->next) {
        if (o == s || o->lport != port) continue;
        if (!overlap(s, v6, addr, addr6, o)) continue;
        /* Sockets bound to two different devices never clash (a DHCP
         * server's socket per interface, all on port 67). */
        if (o->dev && s->dev && o->dev != s->dev) continue;
        if (reuse && o->reuseaddr) continue;
        return true;
    }
    return false;
}

static bool in_use(const ln_udp_sock *s, uint32_t addr, uint16_t port, bool reuse)
{
    return in_use2(s, false, addr, NULL, port, reuse);
}

static bool port_taken(const ln_udp_sock *s, uint16_t port)
{
    for (const ln_udp_sock *o = s->node->udp->socks; o; o = o->next)
        if (o != s && o->lport == port) return true;
    return false;
}

/* An ephemeral port: a random start in ip_local_port_range (the node's,
 * shared with TCP as in Linux), then the first port nobody uses
 * (udp_lib_get_port). */
static uint16_t ephemeral(ln_udp_sock *s)
{
    uint32_t lo = s->node->cfg.port_lo, hi = s->node->cfg.port_hi;
    if (!lo || lo > hi) return 0;
    uint32_t range = hi - lo + 1;
    uint32_t start = (uint32_t)ln_rng_below(&s->node->udp->rng, range);
    for (uint32_t i = 0; i < range; i++) {
        uint16_t p = (uint16_t)(lo + (start + i) % range);
        if (!port_taken(s, p)) return p;
    }
    return 0;
}

int ln_udp_bind(ln_udp_sock *s, uint32_t addr, uint16_t port)
{
    if (s->lport) return LN_EINVAL;
    if (s->v6) return LN_ENOTSUP;
    /* inet_bind: a local, broadcast or multicast address, or any. */
    if (addr && !ln_ip_is_local(s->node, addr) && !ln_ip_is_bcast(s->node, addr) &&
        !ln_ip_is_mcast(addr))
        return LN_EADDRNOTAVAIL;
    if (port == 0) {
        port = ephemeral(s);
        if (!port) return LN_EADDRINUSE;
    } else if (in_use(s, addr, port, s->reuseaddr)) {
        return LN_EADDRINUSE;
    }
    s->laddr = addr;
    s->lport = port;
    s->laddr_auto = false;
    relink_first(s);
    return 0;
}

/* inet6_bind and ip6_datagram_connect: a zone ties the socket to its
 * interface, and may not contradict a tie made before. */
static int tie_zone(ln_udp_sock *s, ln_iface *zone)
{
    if (!zone) return 0;
    if (s->dev && s->dev != zone) return LN_EINVAL;
    s->dev = zone;
    return 0;
}

int ln_udp_bind6(ln_udp_sock *s, const ln_in6 *addr, uint16_t port, ln_iface *zone)
{
    if (s->lport) return LN_EINVAL;
    if (zone && s->dev && s->dev != zone) return LN_EINVAL;
    if (ln_in6_is_v4mapped(addr) && !ln_in6_is_unspec(addr)) return LN_ENOTSUP;
    if (!ln_in6_is_unspec(addr) && !ln_ip6_is_local(s->node, addr)) return LN_EADDRNOTAVAIL;
    if (port == 0) {
        port = ephemeral(s);
        if (!port) return LN_EADDRINUSE;
    } else if (in_use2(s, true, 0, addr, port, s->reuseaddr)) {
        return LN_EADDRINUSE;
    }
    s->v6 = true;
    s->laddr6 = *addr;
    s->lport = port;
    s->laddr_auto = false;
    tie_zone(s, zone);
    relink_first(s);
    return 0;
}

int ln_udp_connect6(ln_udp_sock *s, const ln_in6 *addr, uint16_t port, ln_iface *zone)
{
    if (ln_in6_is_unspec(addr)) {
        memset(&s->raddr6, 0, sizeof s->raddr6);
        if (s->laddr_auto) memset(&s->laddr6, 0, sizeof s->laddr6);
        return ln_udp_connect(s, 0, 0);
    }
    if (s->lport && !s->v6) return LN_ENOTSUP;
    if (!s->lport) {
        ln_in6 any = {{0}};
        int rc = ln_udp_bind6(s, &any, 0, NULL);
        if (rc) return rc;
    }
    if (ln_in6_is_v4mapped(addr)) {
        /* ip6_datagram_connect to a mapped address: an IPv4 peer. */
        if (s->v6only) return LN_ENETUNREACH;
        uint32_t a4 = ln_get32(addr->b + 12);
        memset(&s->raddr6, 0, sizeof s->raddr6);
        return ln_udp_connect(s, a4, port);
    }
    if (port == 0) return LN_EINVAL;
    if (tie_zone(s, zone)) return LN_EINVAL;
    ln_in6 src;
    if (!ln_in6_is_unspec(&s->laddr6)) src = s->laddr6;
    else if (ln_ip6_is_local(s->node, addr)) src = *addr;
    else if (!ln_ip6_src_via(s->node, addr, s->dev, &src)) return LN_ENETUNREACH;
    if (ln_in6_is_unspec(&s->laddr6)) {
        s->laddr6 = src;
        s->laddr_auto = true;
    }
    s->raddr = 0;
    s->raddr6 = *addr;
    s->rport = port;
    return 0;
}

bool ln_udp_addrs6(const ln_udp_sock *s, ln_in6 *l, ln_in6 *r)
{
    if (!s->v6) return false;
    if (l) *l = s->laddr6;
    if (r) *r = s->raddr6;
    return true;
}

int ln_udp_connect(ln_udp_sock *s, uint32_t addr, uint16_t port)
{
    if (addr == 0) {
        /* udp_disconnect: forget the peer, and a source address that only
         * connect had chosen. */
        s->raddr = 0;
        s->rport = 0;
        if (s->laddr_auto) s->laddr = 0;
        s->laddr_auto = false;
        return 0;
    }
    if (port == 0) return LN_EINVAL;
    if (ln_ip_is_bcast(s->node, addr) && !s->broadcast) return LN_EINVAL;   /* EACCES */
    uint32_t src = ln_ip_src_for(s->node, addr);
    if (!src && addr != 0xffffffffu) return LN_ENETUNREACH;
    if (!s->lport) {
        int rc = ln_udp_bind(s, 0, 0);
        if (rc) return rc;
    }
    if (s->v6 && (s->v6only || !ln_in6_is_unspec(&s->laddr6))) return LN_ENETUNREACH;
    /* ip4_datagram_connect: an unbound address becomes the route's source,
     * so getsockname shows it and only replies to it match. */
    if (!s->laddr && src) {
        s->laddr = src;
        s->laddr_auto = true;
    }
    s->raddr = addr;
    s->rport = port;
    return 0;
}

int ln_udp_setopt(ln_udp_sock *s, ln_udp_opt opt, int64_t v)
{
    switch (opt) {
    case LN_UDP_OPT_BROADCAST: s->broadcast = v != 0; return 0;
    case LN_UDP_OPT_REUSEADDR: s->reuseaddr = v != 0; return 0;
    case LN_UDP_OPT_RCVBUF:
        if (v < 0 || v > INT32_MAX) return LN_EINVAL;
        s->rcvbuf = (uint32_t)v;
        return 0;
    case LN_UDP_OPT_TTL:
        if (v < 0 || v > 255) return LN_EINVAL;
        s->ttl = (uint8_t)v;
        return 0;
    case LN_UDP_OPT_MCAST_TTL:
        if (v < 0 || v > 255) return LN_EINVAL;
        s->mc_ttl = (uint8_t)v;
        return 0;
    case LN_UDP_OPT_MCAST_LOOP: s->mc_loop = v != 0; return 0;
    case LN_UDP_OPT_MCAST_ALL: s->mc_all = v != 0; return 0;
    case LN_UDP_OPT_MCAST_IF:
        if (v < 0 || (uint64_t)v > s->node->n_ifaces) return LN_ENODEV;
        s->mc_if = v ? s->node->ifaces[v - 1] : NULL;
        return 0;
    case LN_UDP_OPT_BINDTODEVICE:
        if (v < 0 || (uint64_t)v > s->node->n_ifaces) return LN_ENODEV;
        s->dev = v ? s->node->ifaces[v - 1] : NULL;
        return 0;
    case LN_UDP_OPT_V6ONLY:
        if (s->lport) return LN_EINVAL;          /* only before bind, as Linux */
        s->v6only = v != 0;
        return 0;
    }
    return LN_EINVAL;
}

int ln_udp_getopt(const ln_udp_sock *s, ln_udp_opt opt, int64_t *v)
{
    switch (opt) {
    case LN_UDP_OPT_BROADCAST: *v = s->broadcast; return 0;
    case LN_UDP_OPT_REUSEADDR: *v = s->reuseaddr; return 0;
    case LN_UDP_OPT_RCVBUF: *v = s->rcvbuf; return 0;
    case LN_UDP_OPT_TTL: *v = s->ttl ? s->ttl : s->node->cfg.ip_default_ttl; return 0;
    case LN_UDP_OPT_MCAST_TTL: *v = s->mc_ttl; return 0;
    case LN_UDP_OPT_MCAST_LOOP: *v = s->mc_loop; return 0;
    case LN_UDP_OPT_MCAST_ALL: *v = s->mc_all; return 0;
    case LN_UDP_OPT_MCAST_IF: *v = s->mc_if ? s->mc_if->index + 1 : 0; return 0;
    case LN_UDP_OPT_BINDTODEVICE: *v = s->dev ? s->dev->index + 1 : 0; return 0;
    case LN_UDP_OPT_V6ONLY: *v = s->v6only; return 0;
    }
    return LN_EINVAL;
}

/* ---- multicast membership ------------------------------------------- */

int ln_udp_join(ln_udp_sock *s, uint32_t group, ln_iface *ifc)
{
    if (!ln_ip_is_mcast(group)) return LN_EINVAL;
    /* ip_mc_find_dev: no interface given, the route's. */
    if (!ifc) ifc = ln_ip_mcast_iface(s->node, group);
    if (!ifc) return LN_ENODEV;
    for (struct mreq *m = s->groups; m; m = m->next)
        if (m->group == group && m->ifc == ifc) return LN_EADDRINUSE;
    if (s->n_groups >= LN_MC_MAX_MEMBERSHIPS) return LN_ENOBUFS;
    struct mreq *m = malloc(sizeof *m);
    if (!m) return LN_ENOMEM;
    int rc = ln_igmp_join(ifc, group);
    if (rc) {
        free(m);
        return rc;
    }
    *m = (struct mreq){ .next = s->groups, .group = group, .ifc = ifc };
    s->groups = m;
    s->n_groups++;
    return 0;
}

int ln_udp_leave(ln_udp_sock *s, uint32_t group, ln_iface *ifc)
{
    for (struct mreq **pp = &s->groups; *pp; pp = &(*pp)->next) {
        struct mreq *m = *pp;
        if (m->group != group || (ifc && m->ifc != ifc)) continue;
        *pp = m->next;
        s->n_groups--;
        ln_igmp_leave(m->ifc, group);
        free(m);
        return 0;
    }
    return LN_EADDRNOTAVAIL;
}

void ln_udp_foreach_group(const ln_udp_sock *s, void (*fn)(uint32_t, ln_iface *, void *), void *arg)
{
    uint32_t i = s->n_groups;
    const struct mreq *v[LN_MC_MAX_MEMBERSHIPS];
    for (const struct mreq *m = s->groups; m && i; m = m->next) v[--i] = m;
    for (i = 0; i < s->n_groups; i++) fn(v[i]->group, v[i]->ifc, arg);
}

static bool joined(const ln_udp_sock *s, uint32_t group, const ln_iface *ifc)
{
    for (const struct mreq *m = s->groups; m; m = m->next)
        if (m->group == group && (!ifc || m->ifc == ifc)) return true;
    return false;
}

void ln_udp_local(const ln_udp_sock *s, uint32_t *addr, uint16_t *port)
{
    if (addr) *addr = s->laddr;
    if (port) *port = s->lport;
}

void ln_udp_peer(const ln_udp_sock *s, uint32_t *addr, uint16_t *port)
{
    if (addr) *addr = s->raddr;
    if (port) *port = s->rport;
}

size_t ln_udp_pending(const ln_udp_sock *s) { return s->qcount; }
size_t ln_udp_queued_bytes(const ln_udp_sock *s) { return s->qbytes; }
int ln_udp_error(const ln_udp_sock *s) { return s->err; }

void ln_udp_foreach(ln_node *n, void (*fn)(ln_udp_sock *s, void *arg), void *arg)
{
    if (!n->udp) return;
    /* Oldest first, like ss lists by creation; the list is newest first. */
    uint32_t count = 0;
    for (ln_udp_sock *s = n->udp->socks; s; s = s->next) count++;
    if (!count) return;
    ln_udp_sock **v = malloc(count * sizeof *v);
    if (!v) return;
    uint32_t i = count;
    for (ln_udp_sock *s = n->udp->socks; s; s = s->next) v[--i] = s;
    /* fn may not close sockets other than the one it is given. */
    for (i = 0; i < count; i++) fn(v[i], arg);
    free(v);
}

/* ---- output ------------------------------------------------------------- */

static void put_csum(uint8_t *u, uint16_t ulen, uint32_t src, uint32_t dst)
{
    uint16_t c = ln_csum_fold(ln_csum_partial(u, ulen, ln_csum_pseudo(src, dst, LN_IPPROTO_UDP, ulen)));
    /* RFC 768: a computed zero is sent as all ones (zero means "none"). */
    ln_put16(u + 6, c ? c : 0xffff);
}

void ln_udp_fill_header(uint8_t *u, uint16_t sport, uint16_t dport, uint16_t ulen, uint32_t src,
                        uint32_t dst)
{
    ln_put16(u, sport);
    ln_put16(u + 2, dport);
    ln_put16(u + 4, ulen);
    ln_put16(u + 6, 0);
    if (src) put_csum(u, ulen, src, dst);
}

void ln_udp6_fill_header(uint8_t *u, uint16_t sport, uint16_t dport, uint16_t ulen,
                         const ln_in6 *src, const ln_in6 *dst)
{
    ln_put16(u, sport);
    ln_put16(u + 2, dport);
    ln_put16(u + 4, ulen);
    ln_put16(u + 6, 0);
    /* A computed zero goes as ffff: zero would mean "none", not allowed here. */
    uint16_t c = ln_csum_fold(ln_csum_partial(u, ulen, ln_ip6_pseudo(src, dst, ulen, LN_IPPROTO_UDP)));
    ln_put16(u + 6, c ? c : 0xffff);
}

static bool via_dev(const ln_route *r, void *arg) { return r->iface == arg; }

/* Source address for the pseudo-header: what ln_ip_output will pick. */
static uint32_t source_for(ln_node *n, uint32_t laddr, uint32_t dst)
{
    /* A socket bound to a broadcast or group address sends from the
     * route's source. */
    if (laddr && !ln_ip_is_bcast(n, laddr) && !ln_ip_is_mcast(laddr)) return laddr;
    uint32_t src = ln_ip_src_for(n, dst);
    if (!src && dst == 0xffffffffu) {
        /* The limited broadcast without a route leaves by the first
         * interface that is up (ln_ip_output). */
        for (uint32_t i = 0; i < n->n_ifaces && !src; i++)
            if (n->ifaces[i]->up && n->ifaces[i]->plen != LN_NO_ADDR) src = n->ifaces[i]->addr;
    }
    return src;
}

/* A datagram of `len` payload bytes (zeros when data is NULL) behind room
 * for the UDP header; NULL (counted) when the pool is out. */
static ln_pkt *datagram(ln_node *n, const void *data, size_t len)
{
    ln_pkt *p = ln_net_pkt(n->net, (uint32_t)(LN_UDP_HLEN + len));
    if (!p) {
        LN_MIB_INC(n, UdpSndbufErrors);
        return NULL;
    }
    if (len) {
        if (data) memcpy(p->data + LN_UDP_HLEN, data, len);
        else memset(p->data + LN_UDP_HLEN, 0, len);
    }
    return p;
}

int64_t ln_udp_sendto(ln_udp_sock *s, const void *data, size_t len, uint32_t dst, uint16_t port)
{
    ln_node *n = s->node;
    if (s->err) {                /* sock_error: report once, then clear */
        int e = s->err;
        s->err = 0;
        return e;
    }
    if (dst == 0) {
        if (!s->rport) return LN_ENOTCONN;
        dst = s->raddr;
        port = s->rport;
    }
    if (port == 0) return LN_EINVAL;
    if (len > MAX_PAYLOAD) return LN_EMSGSIZE;
    if (ln_ip_is_bcast(n, dst) && !s->broadcast) return LN_EINVAL;        /* EACCES */
    /* An IPv6 socket sends IPv4 only from ::, without V6ONLY. */
    if (s->v6 && (s->v6only || !ln_in6_is_unspec(&s->laddr6))) return LN_ENETUNREACH;
    if (!s->lport) {
        int rc = ln_udp_bind(s, 0, 0);
        if (rc) return rc;
    }
    bool mcast = ln_ip_is_mcast(dst);
    uint32_t src;
    /* A socket bound to an interface that has no address yet sends the
     * limited broadcast from 0.0.0.0 (RFC 2131 4.1: a DHCP client before
     * it has an address).  Linux would borrow another interface's address
     * here (inet_select_addr), which is why its DHCP clients send through
     * packet sockets; lunet has none, and this is the one thing they are
     * needed for. */
    bool zero_src = s->dev && s->dev->plen == LN_NO_ADDR && dst == 0xffffffffu &&
                    (!s->laddr || ln_ip_is_bcast(n, s->laddr));
    if (zero_src) {
        src = 0;
    } else if (mcast && s->mc_if && (!s->laddr || ln_ip_is_mcast(s->laddr))) {
        ln_iface *ifc = s->mc_if;
        src = ifc->plen != LN_NO_ADDR ? ifc->addr : source_for(n, 0, dst);
    } else if (s->dev && (!s->laddr || ln_ip_is_bcast(n, s->laddr) || ln_ip_is_mcast(s->laddr))) {
        /* Bound to a device: its address (the route is looked up there). */
        src = s->dev->plen != LN_NO_ADDR ? s->dev->addr : source_for(n, 0, dst);
    } else {
        src = source_for(n, s->laddr, dst);
    }
    if (!src && !zero_src) return LN_ENETUNREACH;
    ln_pkt *p = datagram(n, data, len);
    if (!p) return LN_ENOBUFS;
    uint8_t *u = p->data;
    ln_udp_fill_header(u, s->lport, port, (uint16_t)(LN_UDP_HLEN + len), src, dst);
    /* From 0.0.0.0 the checksum still covers the pseudo-header, with a
     * zero source (RFC 768). */
    if (zero_src) put_csum(u, (uint16_t)(LN_UDP_HLEN + len), 0, dst);
    ln_ip_opts o = { .ttl = s->ttl, .oif = s->dev, .zero_src = zero_src };
    if (s->dev && !mcast && !ln_ip_is_bcast(n, dst)) {
        /* SO_BINDTODEVICE: the routes through that device only. */
        const ln_route *r = ln_route_lookup_filter(&n->routes, dst, via_dev, s->dev);
        if (!r) {
            ln_pkt_free(p);
            return LN_ENETUNREACH;
        }
        o.nexthop = r->gateway;
    }
    if (mcast) {
        /* IP_MULTICAST_TTL replaces the unicast TTL; 0 keeps it on this
         * host (with the loop option). */
        o = (ln_ip_opts){ .ttl = s->mc_ttl, .ttl_set = true, .mc_loop = s->mc_loop,
                          .oif = s->mc_if ? s->mc_if : s->dev };
    }
    int rc = ln_ip_output(n, p, src, dst, LN_IPPROTO_UDP, &o);
    if (rc == LN_ENOBUFS) LN_MIB_INC(n, UdpSndbufErrors);
    if (rc) return rc;
    LN_MIB_INC(n, UdpOutDatagrams);
    return (int64_t)len;
}

/* Linux's auto_flowlabels: a label per flow, from a hash of its 5-tuple
 * (RFC 6437 3). */
static uint32_t flow_label(const ln_node *n, const ln_in6 *src, const ln_in6 *dst, uint16_t sport,
                           uint16_t dport)
{
    uint8_t w[36];
    memcpy(w, src->b, 16);
    memcpy(w + 16, dst->b, 16);
    ln_put16(w + 32, sport);
    ln_put16(w + 34, dport);
    uint32_t f = (uint32_t)ln_hash64(w, sizeof w, n->net->seed ^ 0x3c6ef372fe94f82bull) & 0xfffffu;
    return f ? f : 1;
}

int64_t ln_udp_sendto6(ln_udp_sock *s, const void *data, size_t len, const ln_in6 *dst, uint16_t port,
                       ln_iface *zone)
{
    ln_node *n = s->node;
    if (!dst) {
        if (s->err) {
            int e = s->err;
            s->err = 0;
            return e;
        }
        if (!s->rport) return LN_ENOTCONN;
        if (ln_in6_is_unspec(&s->raddr6)) return ln_udp_sendto(s, data, len, 0, 0);
        dst = &s->raddr6;
        port = s->rport;
    }
    if (ln_in6_is_v4mapped(dst)) {
        /* udpv6_sendmsg hands a mapped destination to IPv4. */
        if (s->lport && !s->v6) return LN_ENOTSUP;
        if (s->v6only) return LN_ENETUNREACH;
        if (!s->lport) {
            ln_in6 any = {{0}};
            int rc = ln_udp_bind6(s, &any, 0, NULL);
            if (rc) return rc;
        }
        return ln_udp_sendto(s, data, len, ln_get32(dst->b + 12), port);
    }
    if (s->err) {
        int e = s->err;
        s->err = 0;
        return e;
    }
    if (port == 0 || ln_in6_is_unspec(dst)) return LN_EINVAL;
    if (len > 65535u - LN_UDP_HLEN) return LN_EMSGSIZE;
    if (s->lport && !s->v6) return LN_ENOTSUP;
    if (!s->lport) {
        ln_in6 any = {{0}};
        int rc = ln_udp_bind6(s, &any, 0, NULL);
        if (rc) return rc;
    }
    /* udpv6_sendmsg: the destination's scope id, else the socket's device
     * (a bound socket may not send out of another one: EINVAL). */
    if (zone && s->dev && zone != s->dev) return LN_EINVAL;
    ln_iface *oif = zone ? zone : s->dev;
    ln_in6 src;
    if (!ln_in6_is_unspec(&s->laddr6)) src = s->laddr6;
    else if (ln_ip6_is_local(n, dst)) src = *dst;
    else if (!ln_ip6_src_via(n, dst, oif, &src)) return LN_ENETUNREACH;
    ln_pkt *p = datagram(n, data, len);
    if (!p) return LN_ENOBUFS;
    ln_udp6_fill_header(p->data, s->lport, port, (uint16_t)(LN_UDP_HLEN + len), &src, dst);
    ln_ip6_opts o = { .hlim = s->ttl, .hlim_set = s->ttl != 0, .oif = oif,
                      .flow = flow_label(n, &src, dst, s->lport, port) };
    int rc = ln_ip6_output(n, p, &src, dst, LN_IPPROTO_UDP, &o);
    if (rc == LN_ENOBUFS) LN_MIB_INC(n, UdpSndbufErrors);
    if (rc) return rc;
    LN_MIB_INC(n, UdpOutDatagrams);
    return (int64_t)len;
}

/* ---- receive ------------------------------------------------------------ */

/* A queued datagram's sender lives in its pkt->mark: IPv4, the address
 * and port; IPv6 (the top bit), the port and how far back from the
 * payload its IPv6 header still sits in the buffer (nothing is copied). */
#define MARK_V6 (1ull << 63)

static void mark_src6(const ln_pkt *p, ln_in6 *src)
{
    uint32_t back = (uint32_t)(p->mark >> 16) & 0xffffu;
    memcpy(src->b, p->data - back + LN_IP6_SRC, 16);
}

static int64_t recv_common(ln_udp_sock *s, void *buf, size_t len, uint32_t *src, ln_in6 *src6,
                           uint16_t *port, size_t *full_len, ln_iface **in_if)
{
    /* __skb_recv_udp looks at sk_err before the queue. */
    if (s->err) {
        int e = s->err;
        s->err = 0;
        return e;
    }
    ln_pkt *p = s->qhead;
    if (!p) return LN_EAGAIN;
    s->qhead = p->next;
    if (!s->qhead) s->qtail = NULL;
    p->next = NULL;
    s->qcount--;
    s->qbytes -= p->len;
    size_t n = p->len < len ? p->len : len;
    if (buf && n) memcpy(buf, p->data, n);
    if (src) *src = (p->mark & MARK_V6) ? 0 : (uint32_t)(p->mark >> 16);
    if (src6) {
        if (p->mark & MARK_V6) {
            mark_src6(p, src6);
        } else {
            /* An IPv4 sender, as an AF_INET6 socket sees it: mapped. */
            memset(src6->b, 0, 10);
            src6->b[10] = src6->b[11] = 0xff;
            ln_put32(src6->b + 12, (uint32_t)(p->mark >> 16));
        }
    }
    if (port) *port = (uint16_t)p->mark;
    if (full_len) *full_len = p->len;
    if (in_if) *in_if = p->in_if;
    /* Linux counts UdpInDatagrams when the application reads (udp_recvmsg). */
    LN_MIB_INC(s->node, UdpInDatagrams);
    ln_pkt_free(p);
    return (int64_t)n;
}

int64_t ln_udp_recvfrom(ln_udp_sock *s, void *buf, size_t len, uint32_t *src, uint16_t *port,
                        size_t *full_len)
{
    return recv_common(s, buf, len, src, NULL, port, full_len, NULL);
}

int64_t ln_udp_recvfrom6(ln_udp_sock *s, void *buf, size_t len, ln_in6 *src, uint16_t *port,
                         size_t *full_len, ln_iface **in_if)
{
    return recv_common(s, buf, len, NULL, src, port, full_len, in_if);
}

/* No socket takes the datagram (pkt at the UDP header, hlen bytes of IP
 * header before it): port unreachable in the datagram's family, then the
 * drop.  The error wants the datagram from its IP header (the bytes are
 * still in the buffer); it only borrows it. */
static void no_port(ln_node *n, ln_pkt *pkt, uint16_t hlen, bool v6)
{
    LN_MIB_INC(n, UdpNoPorts);
    ln_pkt_push(pkt, hlen);
    if (v6) ln_icmp6_error(n, pkt, LN_ICMP6_DST_UNREACH, LN_ICMP6_UNREACH_PORT, 0);
    else ln_icmp_error(n, pkt, LN_ICMP_UNREACH, LN_ICMP_UNREACH_PORT, 0);
    ln_pkt_pull(pkt, hlen);
    ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L4, LN_DROP_NO_LISTENER);
}

/* Queue a datagram (data at the payload) on s, or drop it.  Consumes pkt. */
static void enqueue_mark(ln_udp_sock *s, ln_pkt *pkt, uint64_t mark)
{
    ln_node *n = s->node;
    if (s->qcount && s->qbytes + pkt->len > s->rcvbuf) {
        if (LN_TRACE_ON(n->net, LN_TR_UDP)) {
            char a[LN_IN6_FMTLEN];
            if (mark & MARK_V6) {
                ln_in6 a6;
                pkt->mark = mark;
                mark_src6(pkt, &a6);
                ln_ip6_fmt(&a6, a);
            } else {
                ln_ip_fmt((uint32_t)(mark >> 16), a);
            }
            ln_trace_emit(n->net, LN_TR_UDP, n->name, "port %u: %u bytes from %s do not fit (%zu of %u queued)",
                          s->lport, pkt->len, a, s->qbytes, s->rcvbuf);
        }
        LN_MIB_INC(n, UdpRcvbufErrors);
        LN_MIB_INC(n, UdpInErrors);
        ln_pkt_push(pkt, LN_UDP_HLEN);
        ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L4, LN_DROP_RCVBUF_FULL);
        return;
    }
    pkt->mark = mark;
    pkt->next = NULL;
    if (s->qtail) s->qtail->next = pkt;
    else s->qhead = pkt;
    s->qtail = pkt;
    s->qcount++;
    s->qbytes += pkt->len;
    if (s->fn) s->fn(s, LN_UDP_EV_READABLE, s->arg);
}

static void enqueue(ln_udp_sock *s, ln_pkt *pkt, uint32_t src, uint16_t sport)
{
    enqueue_mark(s, pkt, (uint64_t)src << 16 | sport);
}

/* An IPv4 datagram and an IPv6 socket: only one on :: without V6ONLY and
 * not connected to an IPv6 peer takes it (ipv6_only_sock, and the mapped
 * addresses of udp_v6 lookups). */
static bool v6_refuses_v4(const ln_udp_sock *s)
{
    return s->v6 && (s->v6only || !ln_in6_is_unspec(&s->laddr6) ||
                     (s->rport && !ln_in6_is_unspec(&s->raddr6)));
}

/* compute_score: -1 if s cannot take the datagram, else more for every
 * field that matched exactly. */
static int score(const ln_udp_sock *s, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                 const ln_iface *in_if, bool check_dev)
{
    if (s->lport != dport || v6_refuses_v4(s)) return -1;
    int sc = 0;
    if (s->dev && check_dev) {
        /* A device-bound socket hears only that device (not loopback). */
        if (s->dev != in_if) return -1;
        sc += 4;
    }
    if (s->laddr) {
        if (s->laddr != dst) return -1;
        sc += 4;
    }
    if (s->rport) {
        if (s->raddr != src || s->rport != sport) return -1;
        sc += 4;
    }
    return sc;
}

/* in_if is the arrival interface (NULL: loopback); check_dev false
 * ignores device bindings (an ICMP error quoting what we sent). */
static ln_udp_sock *lookup(ln_node *n, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                           const ln_iface *in_if, bool check_dev)
{
    ln_udp_sock *best = NULL;
    int best_sc = -1;
    for (ln_udp_sock *s = n->udp->socks; s; s = s->next) {
        int sc = score(s, src, sport, dst, dport, in_if, check_dev);
        if (sc > best_sc) { best = s; best_sc = sc; }
    }
    return best;
}

/* __udp_is_mcast_sock: a socket bound to a unicast address does not hear
 * broadcasts or multicasts; one bound to the group or broadcast address,
 * or to any, does.  SO_BROADCAST is needed only to send.  For a group,
 * ip_mc_sf_allow: a socket that joined it, or any socket while
 * IP_MULTICAST_ALL is on (Linux's default: the host's membership is
 * enough). */
static bool hears_group(const ln_udp_sock *s, const ln_ip_info *ip, uint16_t sport, uint16_t dport)
{
    if (s->lport != dport || v6_refuses_v4(s)) return false;
    if (s->dev && s->dev != ip->in_if) return false;
    if (s->laddr && s->laddr != ip->dst) return false;
    if (s->rport && (s->raddr != ip->src || s->rport != sport)) return false;
    if (ln_ip_is_mcast(ip->dst) && !s->mc_all && !joined(s, ip->dst, ip->in_if)) return false;
    return true;
}

static void in_error(ln_node *n, ln_pkt *pkt, ln_drop_reason why)
{
    LN_MIB_INC(n, UdpInErrors);
    ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L4, why);
}

/* The checks both families make before the checksum: a UDP layer, a
 * header, a length within the datagram; the datagram trimmed to that
 * length (*ulen).  False: dropped (consumed). */
static bool hdr_ok(ln_node *n, ln_pkt *pkt, uint32_t *ulen)
{
    if (!n->udp) {                       /* cannot happen once registered */
        ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L4, LN_DROP_NO_LISTENER);
        return false;
    }
    if (pkt->len < LN_UDP_HLEN) {
        in_error(n, pkt, LN_DROP_MALFORMED);
        return false;
    }
    *ulen = ln_get16(pkt->data + 4);
    if (*ulen < LN_UDP_HLEN || *ulen > pkt->len) {
        in_error(n, pkt, LN_DROP_MALFORMED);
        return false;
    }
    ln_pkt_trim(pkt, *ulen);
    return true;
}

/* The handler for protocol 17; pkt->data is at the UDP header, the IP
 * header just before it (__udp4_lib_rcv).  Consumes pkt. */
static void udp_input(ln_node *n, ln_pkt *pkt, const ln_ip_info *ip)
{
    uint32_t ulen;
    if (!hdr_ok(n, pkt, &ulen)) return;
    const uint8_t *u = pkt->data;
    /* RFC 768: checksum 0 means the sender computed none. */
    if (ln_get16(u + 6) != 0 &&
        ln_csum_fold(ln_csum_partial(u, ulen, ln_csum_pseudo(ip->src, ip->dst, LN_IPPROTO_UDP,
                                                             (uint16_t)ulen))) != 0) {
        LN_MIB_INC(n, UdpInCsumErrors);
        in_error(n, pkt, LN_DROP_BAD_CSUM);
        return;
    }
    uint16_t sport = ln_get16(u), dport = ln_get16(u + 2);

    if (ln_ip_is_bcast(n, ip->dst) || ln_ip_is_mcast(ip->dst)) {
        /* __udp4_lib_mcast_deliver: every listening socket gets a copy. */
        ln_udp_sock *last = NULL;
        for (ln_udp_sock *s = n->udp->socks; s; s = s->next) {
            if (!hears_group(s, ip, sport, dport)) continue;
            if (last) {
                ln_pkt *c = ln_pkt_clone(pkt);
                if (!c) {
                    LN_MIB_INC(n, UdpRcvbufErrors);
                    LN_MIB_INC(n, UdpInErrors);
                    ln_net_drop(n->net, n, pkt->in_if, NULL, LN_LAYER_NONE, LN_DROP_NO_BUFFER);
                } else {
                    ln_pkt_pull(c, LN_UDP_HLEN);
                    enqueue(last, c, ip->src, sport);
                }
            }
            last = s;
        }
        if (!last) {
            if (LN_TRACE_ON(n->net, LN_TR_UDP)) {
                char a[16], b[16];
                ln_trace_emit(n->net, LN_TR_UDP, n->name, "%s.%u > %s.%u: nobody listens, ignored (no ICMP for "
                              "broadcast or multicast)", ln_ip_fmt(ip->src, a), sport, ln_ip_fmt(ip->dst, b), dport);
            }
            /* Linux counts these as UdpIgnoredMulti, not NoPorts, and
             * never answers a broadcast or multicast with an ICMP error. */
            LN_MIB_INC(n, UdpIgnoredMulti);
            ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L4, LN_DROP_NO_LISTENER);
            return;
        }
        ln_pkt_pull(pkt, LN_UDP_HLEN);
        enqueue(last, pkt, ip->src, sport);
        return;
    }

    ln_udp_sock *s = lookup(n, ip->src, sport, ip->dst, dport, ip->in_if, true);
    if (!s) {
        if (LN_TRACE_ON(n->net, LN_TR_UDP)) {
            char a[16], b[16];
            ln_trace_emit(n->net, LN_TR_UDP, n->name, "%s.%u > %s.%u: no socket, port unreachable",
                          ln_ip_fmt(ip->src, a), sport, ln_ip_fmt(ip->dst, b), dport);
        }
        no_port(n, pkt, ip->hlen, false);
        return;
    }
    ln_pkt_pull(pkt, LN_UDP_HLEN);
    enqueue(s, pkt, ip->src, sport);
}

/* compute_score of udp_v6: IPv6 sockets only; the connected peer must be
 * an IPv6 one. */
static int score6(const ln_udp_sock *s, const ln_in6 *src, uint16_t sport, const ln_in6 *dst,
                  uint16_t dport, const ln_iface *in_if, bool check_dev)
{
    if (!s->v6 || s->lport != dport) return -1;
    int sc = 0;
    if (s->dev && check_dev) {
        if (s->dev != in_if) return -1;
        sc += 4;
    }
    if (!ln_in6_is_unspec(&s->laddr6)) {
        if (!ln_in6_eq(&s->laddr6, dst)) return -1;
        sc += 4;
    }
    if (s->rport) {
        if (ln_in6_is_unspec(&s->raddr6) || !ln_in6_eq(&s->raddr6, src) || s->rport != sport) return -1;
        sc += 4;
    }
    return sc;
}

static ln_udp_sock *lookup6(ln_node *n, const ln_in6 *src, uint16_t sport, const ln_in6 *dst,
                            uint16_t dport, const ln_iface *in_if, bool check_dev)
{
    ln_udp_sock *best = NULL;
    int best_sc = -1;
    for (ln_udp_sock *s = n->udp->socks; s; s = s->next) {
        int sc = score6(s, src, sport, dst, dport, in_if, check_dev);
        if (sc > best_sc) { best = s; best_sc = sc; }
    }
    return best;
}

/* __udp6_lib_rcv: the handler for next header 17.  Consumes pkt. */
static void udp6_input(ln_node *n, ln_pkt *pkt, const ln_ip6_info *ip)
{
    uint32_t ulen;
    if (!hdr_ok(n, pkt, &ulen)) return;
    const uint8_t *u = pkt->data;
    /* RFC 8200 8.1: a zero checksum is not "none" over IPv6 (udp6_csum_init
     * counts it as a checksum error). */
    if (ln_get16(u + 6) == 0 ||
        ln_csum_fold(ln_csum_partial(u, ulen, ln_ip6_pseudo(&ip->src, &ip->dst, ulen, LN_IPPROTO_UDP))) != 0) {
        LN_MIB_INC(n, UdpInCsumErrors);
        in_error(n, pkt, LN_DROP_BAD_CSUM);
        return;
    }
    uint16_t sport = ln_get16(u), dport = ln_get16(u + 2);
    if (ln_in6_is_mcast(&ip->dst)) {
        /* Multicast sockets (MLD) are not there yet: nobody hears it, and
         * it never earns an ICMPv6 error (RFC 4443 2.4 (e.3)). */
        LN_MIB_INC(n, UdpIgnoredMulti);
        ln_net_drop(n->net, n, pkt->in_if, pkt, LN_LAYER_L4, LN_DROP_NO_LISTENER);
        return;
    }
    ln_udp_sock *s = lookup6(n, &ip->src, sport, &ip->dst, dport, ip->in_if, true);
    if (!s) {
        if (LN_TRACE_ON(n->net, LN_TR_UDP)) {
            char a[LN_IN6_FMTLEN], b[LN_IN6_FMTLEN];
            ln_trace_emit(n->net, LN_TR_UDP, n->name, "%s.%u > %s.%u: no socket, port unreachable",
                          ln_ip6_fmt(&ip->src, a), sport, ln_ip6_fmt(&ip->dst, b), dport);
        }
        no_port(n, pkt, ip->hlen, true);
        return;
    }
    ln_pkt_pull(pkt, LN_UDP_HLEN);
    enqueue_mark(s, pkt, MARK_V6 | (uint64_t)(ip->hlen + LN_UDP_HLEN) << 16 | sport);
}

/* ---- ICMP errors ------------------------------------------------------- */

/* icmp_err_convert: the error an ICMP destination unreachable code means,
 * and whether it is "hard" (reported to a connected socket). */
static int unreach_err(uint8_t code)
{
    switch (code) {
    case LN_ICMP_UNREACH_NET: case 6: case 9: case 11: return LN_ENETUNREACH;
    case LN_ICMP_UNREACH_PROTO: return LN_EPROTO;
    case LN_ICMP_UNREACH_PORT: return LN_ECONNREFUSED;
    case LN_ICMP_UNREACH_NEEDFRAG: return 0;     /* EMSGSIZE, soft: PMTU only */
    default: return LN_EHOSTUNREACH;
    }
}

/* __udp4_lib_err: find the socket that sent the quoted datagram; without
 * IP_RECVERR Linux reports only hard errors, and only to connected
 * sockets (an unconnected socket cannot tell whose error it is). */
/* __udp6_lib_err with icmpv6_err_convert: port unreachable, parameter
 * problem and the administrative codes are hard; Packet Too Big is too
 * (IPV6_PMTUDISC_WANT: EMSGSIZE).  Only a connected socket hears them. */
static void on_icmp6(ln_node *n, const ln_icmp_msg *m)
{
    if (!m->quote || m->quote_len < m->l4_off + 4) return;
    const uint8_t *l4 = m->quote + m->l4_off;
    uint16_t sport = ln_get16(l4), dport = ln_get16(l4 + 2);
    int e = 0;
    switch (m->type) {
    case LN_ICMP6_DST_UNREACH:
        if (m->code == LN_ICMP6_UNREACH_PORT) e = LN_ECONNREFUSED;
        else if (m->code == LN_ICMP6_UNREACH_ADMIN || m->code >= 5) e = LN_EHOSTUNREACH;
        break;
    case LN_ICMP6_PARAM_PROB: e = LN_EPROTO; break;
    case LN_ICMP6_PKT_TOOBIG: e = LN_EMSGSIZE; break;
    default: break;
    }
    if (!e) return;
    ln_udp_sock *s = lookup6(n, &m->orig_dst6, dport, &m->orig_src6, sport, NULL, false);
    if (!s || !s->rport) return;
    s->err = e;
    if (s->fn) s->fn(s, LN_UDP_EV_ERROR, s->arg);
}

static void on_icmp(ln_icmp_sock *is, const ln_icmp_msg *m, void *arg)
{
    (void)is;
    ln_node *n = arg;
    if (n->udp && m->v6) {
        on_icmp6(n, m);
        return;
    }
    if (!n->udp || !m->quote || m->type != LN_ICMP_UNREACH) return;
    uint32_t qhl = (uint32_t)(m->quote[LN_IP_VHL] & 0x0f) * 4;
    if (m->quote_len < qhl + 4) return;
    const uint8_t *l4 = m->quote + qhl;
    uint16_t sport = ln_get16(l4), dport = ln_get16(l4 + 2);
    ln_udp_sock *s = lookup(n, m->orig_dst, dport, m->orig_src, sport, NULL, false);
    if (!s || !s->rport) return;
    int e = unreach_err(m->code);
    if (!e) return;
    s->err = e;
    if (s->fn) s->fn(s, LN_UDP_EV_ERROR, s->arg);
}
