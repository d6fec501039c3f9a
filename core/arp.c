/* arp.c - ARP (RFC 826): the IPv4 family of the neighbour table
 * (neigh.c), modelled on Linux's net/ipv4/arp.c, so that a capture of
 * lunet shows the same requests, at the same moments, as one of Linux.
 *
 * Call chain:
 *   ln_ip_output / forwarding / ln_ip_fragment -> ln_arp_output
 *     -> ln_neigh_send -> [resolved] ln_eth_output
 *                        -> [unresolved] queue, arp_solicit (broadcast)
 *   ln_eth_input -> ln_arp_input -> answer / learn (ln_neigh_update)
 *   neigh timer -> arp_solicit (retransmit, unicast probe)
 *              -> arp_error_report: ICMP host unreachable per queued packet
 *
 * What is ARP's own here: the message, who asks and from which address,
 * what a request or reply teaches.  Two Linux details that shape traffic
 * and are kept on purpose:
 *  - a request for one of our addresses teaches us its sender, as STALE
 *    (neigh_event_ns), not REACHABLE: only a unicast reply proves
 *    two-way reachability;
 *  - a different MAC for a known address is accepted only after the
 *    entry has been stable for "locktime" (1 s), or from a gratuitous ARP,
 *    so the first of several competing replies wins (arp_process). */
#include "arp.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "eth.h"
#include "icmp.h"
#include "igmp.h"
#include "ip.h"
#include "node.h"
#include "trace.h"
#include "wire.h"

/* Linux arp_tbl locktime: 100 jiffies. */
#define ARP_LOCKTIME (1 * LN_SEC)

static const uint8_t zero_mac[6];

/* ---- the family ---------------------------------------------------------- */

static int arp_cmp(const ln_neigh *a, const ln_neigh *b)
{
    return a->ip < b->ip ? -1 : a->ip > b->ip;
}

static char *arp_fmt(const ln_neigh *e, char *buf) { return ln_ip_fmt(e->ip, buf); }

static bool is_subnet_bcast(const ln_iface *ifc, uint32_t a)
{
    return ifc->plen != LN_NO_ADDR && ifc->plen < 31 && a == (ifc->addr | ~ln_mask(ifc->plen));
}

static void arp_solicit(ln_neigh *e);

/* arp_error_report -> icmp_send. */
static void arp_error_report(ln_node *n, ln_pkt *p)
{
    ln_icmp_error(n, p, LN_ICMP_UNREACH, LN_ICMP_UNREACH_HOST, 0);
}

static const ln_neigh_ops arp_ops = {
    .key_len = 4, .ev_family = 0, .ethertype = LN_ETHERTYPE_IPV4,
    .cmp = arp_cmp, .fmt = arp_fmt,
    .solicit = arp_solicit, .error_report = arp_error_report,
    .drop_failed = LN_DROP_ARP_FAILED, .drop_queue_full = LN_DROP_ARP_QUEUE_FULL,
    .mib_resolve_failed = LN_MIB_ArpResolveFailed, .mib_unres_discards = LN_MIB_ArpUnresolvedDiscards,
    .mib_table_fulls = LN_MIB_ArpTableFulls, .mib_forced_gc_runs = LN_MIB_ArpForcedGcRuns,
    .probe_word = "requests", .unreach_word = "host unreachable",
};

void ln_arp_init(ln_node *n) { ln_neigh_init(&n->arp, n, &arp_ops); }
void ln_arp_destroy(ln_node *n) { ln_neigh_destroy(&n->arp); }

/* ---- sending ------------------------------------------------------------ */

static void send_arp(ln_node *n, ln_iface *ifc, uint16_t op, uint32_t spa, const uint8_t tha[6],
                     uint32_t tpa, const uint8_t dst[6])
{
    ln_pkt *p = ln_net_pkt(n->net, LN_ARP_LEN);
    if (!p) {
        ln_net_drop(n->net, n, ifc, NULL, LN_LAYER_L3, LN_DROP_NO_BUFFER);
        return;
    }
    uint8_t *a = p->data;
    ln_put16(a + LN_ARP_HTYPE, 1);
    ln_put16(a + LN_ARP_PTYPE, LN_ETHERTYPE_IPV4);
    a[LN_ARP_HLEN] = 6;
    a[LN_ARP_PLEN] = 4;
    ln_put16(a + LN_ARP_OPER, op);
    memcpy(a + LN_ARP_SHA, ifc->mac, 6);
    ln_put32(a + LN_ARP_SPA, spa);
    memcpy(a + LN_ARP_THA, tha, 6);
    ln_put32(a + LN_ARP_TPA, tpa);
    if (op == LN_ARP_REQUEST) LN_MIB_INC(n, ArpOutRequests);
    else LN_MIB_INC(n, ArpOutReplies);
    ln_eth_output(ifc, p, dst, LN_ETHERTYPE_ARP);
}

/* One request for e: broadcast while INCOMPLETE, unicast to the cached MAC
 * while PROBE (arp_solicit).  The sender address is that of the newest
 * queued packet if it is ours (arp_announce = 0), else the interface's. */
static void arp_solicit(ln_neigh *e)
{
    ln_node *n = e->node;
    ln_iface *ifc = e->iface;
    uint32_t spa = 0;
    if (e->q_tail && e->q_tail->len >= LN_IP_HLEN) {
        uint32_t s = ln_get32(e->q_tail->data + LN_IP_SRC);
        if (ln_node_has_addr(n, s)) spa = s;
    }
    if (!spa) spa = ifc->plen != LN_NO_ADDR ? ifc->addr : ln_ip_src_for(n, e->ip);
    const uint8_t *dst = e->state == LN_NUD_INCOMPLETE ? ln_eth_broadcast : e->mac;
    if (LN_TRACE_ON(n->net, LN_TR_ARP)) {
        char a[16], b[16];
        ln_trace_emit(n->net, LN_TR_ARP, n->name, "%s: who-has %s tell %s (%s, try %u, %u queued)", ifc->name,
                      ln_ip_fmt(e->ip, a), ln_ip_fmt(spa, b),
                      e->state == LN_NUD_INCOMPLETE ? "broadcast" : "unicast probe", e->probes, e->q_len);
    }
    /* Linux leaves the target hardware address zero in every request. */
    send_arp(n, ifc, LN_ARP_REQUEST, spa, zero_mac, e->ip, dst);
}

const void *ln_arp_output(ln_node *n, ln_iface *ifc, uint32_t nexthop, ln_pkt *pkt)
{
    if (!ifc->up) {
        ln_neigh_drop_down(n, ifc, pkt);
        return NULL;
    }
    /* Broadcast and multicast next hops need no resolution (Linux gives
     * them NUD_NOARP entries: arp_constructor, arp_mc_map). */
    if (nexthop == 0xffffffffu || is_subnet_bcast(ifc, nexthop)) {
        ln_eth_output(ifc, pkt, ln_eth_broadcast, LN_ETHERTYPE_IPV4);
        return NULL;
    }
    if (ln_ip_is_mcast(nexthop)) {
        uint8_t mac[6];
        ln_mc_mac(nexthop, mac);
        ln_eth_output(ifc, pkt, mac, LN_ETHERTYPE_IPV4);
        return NULL;
    }
    return ln_neigh_send(&n->arp, ifc, ifc->index, &nexthop, pkt);
}

/* ---- input -------------------------------------------------------------- */

static void arp_drop(ln_node *n, ln_iface *ifc, ln_pkt *pkt, ln_drop_reason why)
{
    LN_MIB_INC(n, ArpInErrors);
    ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, why);
}

void ln_arp_input(ln_node *n, ln_iface *ifc, ln_pkt *pkt)
{
    if (pkt->len < LN_ARP_LEN) {
        arp_drop(n, ifc, pkt, LN_DROP_TRUNCATED);
        return;
    }
    const uint8_t *a = pkt->data;
    uint16_t op = ln_get16(a + LN_ARP_OPER);
    /* Only IPv4 over Ethernet (arp_rcv / arp_process checks). */
    if (ln_get16(a + LN_ARP_HTYPE) != 1 || ln_get16(a + LN_ARP_PTYPE) != LN_ETHERTYPE_IPV4 ||
        a[LN_ARP_HLEN] != 6 || a[LN_ARP_PLEN] != 4 ||
        (op != LN_ARP_REQUEST && op != LN_ARP_REPLY)) {
        arp_drop(n, ifc, pkt, LN_DROP_MALFORMED);
        return;
    }
    uint8_t sha[6], tha[6];
    memcpy(sha, a + LN_ARP_SHA, 6);
    memcpy(tha, a + LN_ARP_THA, 6);
    uint32_t sip = ln_get32(a + LN_ARP_SPA);
    uint32_t tip = ln_get32(a + LN_ARP_TPA);
    bool l2_group = (pkt->mark & LN_ETH_MARK_MCAST) != 0;
    if (op == LN_ARP_REQUEST) LN_MIB_INC(n, ArpInRequests);
    else LN_MIB_INC(n, ArpInReplies);

    /* arp_process: requests about loopback or multicast addresses are bogus;
     * so is a group address as sender hardware address (it would poison
     * the cache with a MAC that no host owns). */
    if (ln_ip_is_mcast(tip) || (tip >> 24) == 127 || ln_ip_is_mcast(sip) || (sip >> 24) == 127 ||
        (sha[0] & 1)) {
        arp_drop(n, ifc, pkt, LN_DROP_MALFORMED);
        return;
    }
    ln_pkt_free(pkt);     /* everything needed is copied out */

    bool for_us = ln_node_has_addr(n, tip);
    /* RFC 5227 probe (duplicate address detection): answer if the address
     * is ours, learn nothing from a sender that has no address yet. */
    if (sip == 0) {
        if (op == LN_ARP_REQUEST && for_us)
            send_arp(n, ifc, LN_ARP_REPLY, tip, sha, 0, sha);
        return;
    }
    /* Our own address as sender: Linux's route check (fib_validate_source)
     * rejects it as a martian; nothing to answer or learn. */
    if (ln_node_has_addr(n, sip)) return;

    if (op == LN_ARP_REQUEST && for_us) {
        /* neigh_event_ns: the asker will talk to us, so remember it, as
         * STALE; no reply if the table cannot take it, like Linux. */
        ln_neigh *e = ln_neigh_lookup_create(&n->arp, ifc, &sip, false);
        if (!e) return;
        ln_neigh_update(e, sha, LN_NUD_STALE, LN_NEIGH_OVERRIDE);
        if (LN_TRACE_ON(n->net, LN_TR_ARP)) {
            char ta[16], sa[16], m[18];
            ln_trace_emit(n->net, LN_TR_ARP, n->name, "%s: %s is-at %s, to %s (asked by it: kept as STALE)",
                          ifc->name, ln_ip_fmt(tip, ta), ln_mac_fmt(ifc->mac, m), ln_ip_fmt(sip, sa));
        }
        send_arp(n, ifc, LN_ARP_REPLY, tip, sha, sip, sha);
        return;
    }

    /* Everything else (replies, requests for other hosts, gratuitous ARP)
     * refreshes an entry we already have; with arp_accept, a gratuitous
     * ARP or an unsolicited reply may also create one. */
    bool garp = sip == tip && (op == LN_ARP_REQUEST || memcmp(tha, sha, 6) == 0);
    ln_neigh *e = n->cfg.arp_accept && (garp || op == LN_ARP_REPLY)
                      ? ln_neigh_lookup_create(&n->arp, ifc, &sip, false)
                      : ln_neigh_lookup(&n->arp, ifc, &sip);
    if (!e) {
        if (LN_TRACE_ON(n->net, LN_TR_ARP) && (garp || op == LN_ARP_REPLY)) {
            char sa[16];
            ln_trace_emit(n->net, LN_TR_ARP, n->name, "%s: %s about %s ignored: no entry, arp_accept off",
                          ifc->name, garp ? "gratuitous ARP" : "unsolicited reply", ln_ip_fmt(sip, sa));
        }
        return;
    }
    /* Broadcast replies and requests do not prove reachability. */
    ln_nud_state st = (op == LN_ARP_REPLY && !l2_group) ? LN_NUD_REACHABLE : LN_NUD_STALE;
    bool override = garp || ln_net_now(n->net) >= e->updated + ARP_LOCKTIME;
    ln_neigh_update(e, sha, st, override ? LN_NEIGH_OVERRIDE : 0);
}

/* ---- API ------------------------------------------------------------------ */

int ln_arp_gratuitous(ln_iface *ifc)
{
    if (ifc->plen == LN_NO_ADDR) return LN_EADDRNOTAVAIL;
    if (!ifc->up) return LN_ENETDOWN;
    /* Linux (arp_send on NETDEV_UP / arping -U): a broadcast request with
     * sender and target both our address and an all-zero target MAC. */
    send_arp(ifc->node, ifc, LN_ARP_REQUEST, ifc->addr, zero_mac, ifc->addr, ln_eth_broadcast);
    return 0;
}

static ln_iface *route_iface(ln_node *n, uint32_t ip)
{
    const ln_route *r = ln_route_lookup(&n->routes, ip);
    return r ? r->iface : NULL;
}

int ln_arp_set(ln_node *n, ln_iface *ifc, uint32_t ip, const uint8_t mac[6])
{
    if (!ifc) ifc = route_iface(n, ip);
    if (!ifc) return LN_ENETUNREACH;
    ln_neigh *e = ln_neigh_lookup_create(&n->arp, ifc, &ip, true);
    if (!e) return LN_ENOMEM;
    ln_neigh_set_permanent(e, mac);
    return 0;
}

/* As an ARP reply would: a REACHABLE entry that ages like any other (a
 * DHCP server about to unicast to a client that cannot answer ARP yet:
 * dnsmasq's neighbour update). */
int ln_arp_learn(ln_node *n, ln_iface *ifc, uint32_t ip, const uint8_t mac[6])
{
    if (!ifc) ifc = route_iface(n, ip);
    if (!ifc) return LN_ENETUNREACH;
    ln_neigh *e = ln_neigh_lookup_create(&n->arp, ifc, &ip, false);
    if (!e) return LN_ENOBUFS;
    ln_neigh_update(e, mac, LN_NUD_REACHABLE, LN_NEIGH_OVERRIDE);
    return 0;
}

void ln_arp_confirm(ln_node *n, const ln_iface *ifc, uint32_t ip)
{
    ln_neigh_confirm(ln_arp_lookup(n, ifc, ip));
}

ln_neigh *ln_arp_lookup(ln_node *n, const ln_iface *ifc, uint32_t ip)
{
    if (ifc) return ln_neigh_lookup(&n->arp, ifc, &ip);
    for (uint32_t i = 0; i < n->n_ifaces; i++) {
        ln_neigh *e = ln_neigh_lookup(&n->arp, n->ifaces[i], &ip);
        if (e) return e;
    }
    return NULL;
}

void ln_arp_flush(ln_node *n, const ln_iface *ifc) { ln_neigh_flush(&n->arp, ifc); }

void ln_arp_foreach(ln_node *n, void (*fn)(const ln_neigh *e, void *arg), void *arg)
{
    ln_neigh_foreach(&n->arp, fn, arg);
}
