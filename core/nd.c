/* nd.c - IPv6 neighbour discovery (RFC 4861 7): address resolution and
 * neighbour unreachability detection as IPv6's family of the neighbour
 * table (neigh.c), modelled on Linux's net/ipv6/ndisc.c, as arp.c is for
 * IPv4 (the states and timers are the table's; see neigh.h).
 *
 *   ln_ip6_output / forward / ln_ip6_fragment -> ln_nd_output
 *       -> ln_neigh_send -> [resolved] ln_eth_output
 *          [unresolved] queue, nd_solicit: NS to the solicited-node group
 *   icmp6.c -> ln_nd_input -> NS: learn the sender, answer NA / DAD
 *                          -> NA: update the entry (RFC 4861 7.2.5) / DAD
 *   ip6_addr.c (DAD probes) -> ln_nd_send_ns
 *
 * Linux's choices kept: solicited NAs carry the override flag (ours are
 * never anycast or proxied) and always the target link-layer address; an
 * NS teaches its sender as STALE (7.2.3); resolution failure answers each
 * queued packet with Destination Unreachable, address unreachable (7.2.2). */
#include "nd.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "eth.h"
#include "icmp6.h"
#include "ip6.h"
#include "node.h"
#include "trace.h"
#include "wire.h"

static ln_neigh_table *tbl(ln_node *n) { return &n->ip6->nd; }

/* ---- the family ---------------------------------------------------------- */

static int nd_cmp(const ln_neigh *a, const ln_neigh *b) { return memcmp(a->ip6.b, b->ip6.b, 16); }

static char *nd_fmt(const ln_neigh *e, char *buf) { return ln_ip6_fmt(&e->ip6, buf); }

static void nd_solicit(ln_neigh *e);

/* ndisc_error_report -> icmp6_send: address unreachable (7.2.2). */
static void nd_error_report(ln_node *n, ln_pkt *p)
{
    ln_icmp6_error(n, p, LN_ICMP6_DST_UNREACH, LN_ICMP6_UNREACH_ADDR, 0);
}

/* The counters are those ND had before it shared the table: a full table
 * counts ArpTableFulls, nothing else is counted apart from ARP's. */
static const ln_neigh_ops nd_ops = {
    .key_len = 16, .ev_family = 6, .ethertype = LN_ETHERTYPE_IPV6,
    .cmp = nd_cmp, .fmt = nd_fmt,
    .solicit = nd_solicit, .error_report = nd_error_report,
    .drop_failed = LN_DROP_ND_FAILED, .drop_queue_full = LN_DROP_ND_QUEUE_FULL,
    .mib_resolve_failed = -1, .mib_unres_discards = -1,
    .mib_table_fulls = LN_MIB_ArpTableFulls, .mib_forced_gc_runs = -1,
    .probe_word = "solicitations", .unreach_word = "address unreachable",
};

void ln_nd_init(ln_node *n, ln_neigh_table *t) { ln_neigh_init(t, n, &nd_ops); }
void ln_nd_destroy(ln_neigh_table *t) { ln_neigh_destroy(t); }

/* ---- messages --------------------------------------------------------- */

bool ln_nd_opts_lladdr(const uint8_t *opt, uint32_t len, uint8_t want, uint8_t mac[6], bool *has)
{
    *has = false;
    uint32_t i = 0;
    while (i < len) {
        if (len - i < 2) return false;
        uint32_t olen = (uint32_t)opt[i + 1] * 8;
        if (olen == 0 || olen > len - i) return false;
        /* On Ethernet the link-layer address option is 8 bytes (RFC 2464 8). */
        if (opt[i] == want && olen == 8) {
            memcpy(mac, opt + i + 2, 6);
            *has = true;
        }
        i += olen;
    }
    return true;
}

static uint8_t *put_lladdr(uint8_t *p, uint8_t type, const uint8_t mac[6])
{
    p[0] = type;
    p[1] = 1;
    memcpy(p + 2, mac, 6);
    return p + 8;
}

void ln_nd_send_ns(ln_iface *ifc, const ln_in6 *src, const ln_in6 *target, const ln_in6 *dst)
{
    ln_node *n = ifc->node;
    /* RFC 4861 4.3: the source link-layer address, except from :: (DAD). */
    bool opt = !ln_in6_is_unspec(src);
    ln_pkt *p = ln_net_pkt(n->net, 24 + (opt ? 8 : 0));
    if (!p) return;
    uint8_t *d = p->data;
    memset(d, 0, 24);
    d[0] = LN_ND_NEIGHBOR_SOLICIT;
    memcpy(d + 8, target->b, 16);
    if (opt) put_lladdr(d + 24, LN_ND_OPT_SLLA, ifc->mac);
    if (LN_TRACE_ON(n->net, LN_TR_ARP)) {
        char a[LN_IN6_FMTLEN], b[LN_IN6_FMTLEN];
        ln_trace_emit(n->net, LN_TR_ARP, n->name, "%s: neighbor solicitation for %s from %s", ifc->name,
                      ln_ip6_fmt(target, a), ln_ip6_fmt(src, b));
    }
    ln_ip6_opts o = { .hlim = 255, .hlim_set = true, .oif = ifc, .any_src = !opt, .no_dad_check = true };
    ln_icmp6_send(n, p, src, dst, &o);
}

static void send_na(ln_iface *ifc, const ln_in6 *target, const ln_in6 *dst, bool solicited)
{
    ln_node *n = ifc->node;
    ln_pkt *p = ln_net_pkt(n->net, 32);
    if (!p) return;
    uint8_t *d = p->data;
    memset(d, 0, 24);
    d[0] = LN_ND_NEIGHBOR_ADVERT;
    d[4] = (uint8_t)((n->forwarding ? LN_ND_NA_ROUTER : 0) | (solicited ? LN_ND_NA_SOLICITED : 0) |
                     LN_ND_NA_OVERRIDE);
    memcpy(d + 8, target->b, 16);
    put_lladdr(d + 24, LN_ND_OPT_TLLA, ifc->mac);
    ln_ip6_opts o = { .hlim = 255, .hlim_set = true, .oif = ifc };
    ln_icmp6_send(n, p, target, dst, &o);
}

/* One solicitation for e: multicast while INCOMPLETE, unicast to the
 * cached address while PROBE (ndisc_solicit).  From the newest queued
 * packet's source if it is ours, else from the link-local address. */
static void nd_solicit(ln_neigh *e)
{
    ln_node *n = e->node;
    ln_iface *ifc = e->iface;
    ln_in6 src;
    bool have = false;
    if (e->q_tail && e->q_tail->len >= LN_IP6_HLEN) {
        memcpy(src.b, e->q_tail->data + LN_IP6_SRC, 16);
        const ln_ip6_addr *a = ln_ip6_addr_find(n, ifc, &src);
        have = a && a->state == LN_IP6A_PREFERRED;
    }
    if (!have) {
        /* ndisc_send_ns without a source: the link-local address. */
        const ln_ip6_addr *ll = ln_ip6_linklocal(ifc);
        /* Not usable yet (DAD still running): Linux cannot solicit
         * either; the retransmission tries again (the try counts). */
        if (!ll) return;
        src = ll->addr;
    }
    ln_in6 dst = e->state == LN_NUD_INCOMPLETE ? ln_in6_solicited(&e->ip6) : e->ip6;
    ln_nd_send_ns(ifc, &src, &e->ip6, &dst);
}

/* ---- output ------------------------------------------------------------- */

void ln_nd_output(ln_node *n, ln_iface *ifc, const ln_in6 *nexthop, ln_pkt *pkt)
{
    if (!ifc->up) {
        ln_neigh_drop_down(n, ifc, pkt);
        return;
    }
    /* Multicast maps to 33:33:... (RFC 2464 7): no resolution. */
    if (ln_in6_is_mcast(nexthop)) {
        uint8_t mac[6];
        ln_in6_mc_mac(nexthop, mac);
        ln_eth_output(ifc, pkt, mac, LN_ETHERTYPE_IPV6);
        return;
    }
    ln_neigh_send(tbl(n), ifc, ifc->index, nexthop->b, pkt);
}

/* ---- input -------------------------------------------------------------- */

static void bad(ln_node *n, ln_iface *ifc, ln_pkt *pkt, ln_drop_reason why)
{
    LN_MIB_INC(n, Icmp6InErrors);
    ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L4, why);
}

static bool is_solicited_node(const ln_in6 *a)
{
    static const uint8_t p[13] = {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
    return memcmp(a->b, p, 13) == 0;
}

static void ns_input(ln_node *n, ln_iface *ifc, ln_pkt *pkt, const ln_in6 *src, const ln_in6 *dst)
{
    const uint8_t *d = pkt->data;
    ln_in6 target;
    memcpy(target.b, d + 8, 16);
    uint8_t mac[6];
    bool has_ll;
    /* RFC 4861 7.1.1 */
    if (ln_in6_is_mcast(&target) || !ln_nd_opts_lladdr(d + 24, pkt->len - 24, LN_ND_OPT_SLLA, mac, &has_ll) ||
        (ln_in6_is_unspec(src) && (!is_solicited_node(dst) || has_ll)) || (has_ll && (mac[0] & 1))) {
        bad(n, ifc, pkt, LN_DROP_ND_INVALID);
        return;
    }
    ln_ip6_addr *own = ln_ip6_addr_find(n, ifc, &target);
    if (!own) {
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L4, LN_DROP_OTHER_HOST);
        return;
    }
    ln_pkt_free(pkt);
    if (own->state == LN_IP6A_TENTATIVE) {
        /* RFC 4862 5.4.3: another node probes the same address. */
        if (ln_in6_is_unspec(src)) ln_ip6_dad_failed(own);
        return;
    }
    if (own->state != LN_IP6A_PREFERRED) return;
    if (ln_in6_is_unspec(src)) {
        /* 7.2.4: defend against a DAD probe, to all-nodes. */
        ln_in6 all = ln_in6_all_nodes();
        send_na(ifc, &target, &all, false);
        return;
    }
    if (has_ll) {
        /* 7.2.3: the sender will talk to us; learn it as STALE. */
        ln_neigh *e = ln_neigh_lookup_create(tbl(n), ifc, src, false);
        if (e) ln_neigh_update(e, mac, LN_NUD_STALE, LN_NEIGH_OVERRIDE);
    }
    send_na(ifc, &target, src, true);
}

static void na_input(ln_node *n, ln_iface *ifc, ln_pkt *pkt, const ln_in6 *dst)
{
    const uint8_t *d = pkt->data;
    uint8_t flags = d[4];
    ln_in6 target;
    memcpy(target.b, d + 8, 16);
    uint8_t mac[6];
    bool has_ll;
    bool solicited = flags & LN_ND_NA_SOLICITED;
    /* RFC 4861 7.1.2 */
    if (ln_in6_is_mcast(&target) || (ln_in6_is_mcast(dst) && solicited) ||
        !ln_nd_opts_lladdr(d + 24, pkt->len - 24, LN_ND_OPT_TLLA, mac, &has_ll) || (has_ll && (mac[0] & 1))) {
        bad(n, ifc, pkt, LN_DROP_ND_INVALID);
        return;
    }
    ln_pkt_free(pkt);
    ln_ip6_addr *own = ln_ip6_addr_find(n, ifc, &target);
    if (own) {
        /* RFC 4862 5.4.4: someone else has our tentative address. */
        if (own->state == LN_IP6A_TENTATIVE) ln_ip6_dad_failed(own);
        else LN_TRACE(n->net, LN_TR_ARP, n->name, "%s: another node advertises our address", ifc->name);
        return;
    }
    ln_neigh *e = ln_neigh_lookup(tbl(n), ifc, &target);
    if (!e) return;               /* 7.2.5: no entry, nothing to do */
    bool router = flags & LN_ND_NA_ROUTER;
    ln_nud_state st = solicited ? LN_NUD_REACHABLE : LN_NUD_STALE;
    if (e->state == LN_NUD_INCOMPLETE) {
        if (!has_ll) return;
        e->router = router;
        ln_neigh_update(e, mac, st, LN_NEIGH_OVERRIDE);
        return;
    }
    e->router = router;
    /* 7.2.5: without the override flag a different address only demotes
     * a REACHABLE entry to STALE (Linux's NEIGH_UPDATE_F_WEAK_OVERRIDE). */
    bool override = flags & LN_ND_NA_OVERRIDE;
    bool same = !has_ll || memcmp(mac, e->mac, 6) == 0;
    if (!override && !same) {
        ln_neigh_update(e, mac, LN_NUD_STALE, LN_NEIGH_WEAK_OVERRIDE);
        return;
    }
    ln_neigh_update(e, has_ll ? mac : NULL, st, LN_NEIGH_OVERRIDE);
}

void ln_nd_input(ln_node *n, ln_iface *ifc, ln_pkt *pkt, const ln_in6 *src, const ln_in6 *dst)
{
    if (pkt->len < 24) {
        bad(n, ifc, pkt, LN_DROP_TRUNCATED);
        return;
    }
    if (pkt->data[0] == LN_ND_NEIGHBOR_SOLICIT) {
        ns_input(n, ifc, pkt, src, dst);
        return;
    }
    /* An advertisement from :: is invalid (7.1.2 does not say; its
     * target is what counts, but Linux drops it as a martian). */
    if (ln_in6_is_unspec(src)) {
        bad(n, ifc, pkt, LN_DROP_ND_INVALID);
        return;
    }
    na_input(n, ifc, pkt, dst);
}

void ln_nd_learn(ln_node *n, ln_iface *ifc, const ln_in6 *ip, const uint8_t mac[6], bool router)
{
    ln_neigh *e = ln_neigh_lookup_create(tbl(n), ifc, ip, false);
    if (!e) return;
    e->router = router;
    ln_neigh_update(e, mac, LN_NUD_STALE, LN_NEIGH_OVERRIDE);
}

/* ---- API ------------------------------------------------------------------ */

ln_neigh *ln_nd_lookup(ln_node *n, const ln_iface *ifc, const ln_in6 *ip)
{
    if (!n->ip6) return NULL;
    if (ifc) return ln_neigh_lookup(tbl(n), ifc, ip);
    for (uint32_t i = 0; i < n->n_ifaces; i++) {
        ln_neigh *e = ln_neigh_lookup(tbl(n), n->ifaces[i], ip);
        if (e) return e;
    }
    return NULL;
}

void ln_nd_confirm(ln_node *n, const ln_iface *ifc, const ln_in6 *ip)
{
    ln_neigh_confirm(ln_nd_lookup(n, ifc, ip));
}

void ln_nd_flush(ln_node *n, const ln_iface *ifc)
{
    if (n->ip6) ln_neigh_flush(tbl(n), ifc);
}

/* By interface and address, never by bucket: a listing must not depend on
 * the table's size. */
void ln_nd_foreach(ln_node *n, void (*fn)(const ln_neigh *e, void *arg), void *arg)
{
    if (n->ip6) ln_neigh_foreach_sorted(tbl(n), fn, arg);
}
