/* arp.c - ARP (RFC 826) and the neighbour cache, modelled on Linux's
 * net/core/neighbour.c and net/ipv4/arp.c so that a capture of lunet shows
 * the same requests, at the same moments, as a capture of Linux.
 *
 * Call chain:
 *   ln_ip_output / forwarding / ln_ip_fragment -> ln_arp_output
 *     -> [resolved]   ln_eth_output -> ln_iface_xmit
 *     -> [unresolved] queue on the entry, broadcast a request
 *   ln_eth_input -> ln_arp_input -> answer / learn -> flush the queue
 *   entry timer (arp_timer) -> retransmit, age, probe, fail
 *     -> on failure ln_icmp_error(host unreachable) for each queued packet
 *
 * Each entry has one timer whose meaning depends on the state (see arp.h);
 * all times come from the node's settings, named after Linux's sysctls.
 * Two Linux details that shape traffic and are kept on purpose:
 *  - a request for one of our addresses teaches us its sender, as STALE
 *    (neigh_event_ns), not REACHABLE: only a unicast reply proves
 *    two-way reachability;
 *  - a different MAC for a known address is accepted only after the
 *    entry has been stable for "locktime" (1 s), or from a gratuitous ARP,
 *    so the first of several competing replies wins (arp_process).
 * Linux randomises reachable_time in [0.5, 1.5) x base; lunet uses the base
 * value so that aging is predictable in scenarios. */
#include "arp.h"

#include <stdio.h>
#include <stdlib.h>
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
/* neigh_forced_gc spares entries updated within the last 5 s. */
#define ARP_FORCED_GC_AGE (5 * LN_SEC)

static const uint8_t zero_mac[6];

const char *ln_arp_state_name(ln_arp_state s)
{
    /* Upper case like `ip neigh`. */
    switch (s) {
    case LN_ARP_NONE:       return "NONE";
    case LN_ARP_INCOMPLETE: return "INCOMPLETE";
    case LN_ARP_REACHABLE:  return "REACHABLE";
    case LN_ARP_STALE:      return "STALE";
    case LN_ARP_DELAY:      return "DELAY";
    case LN_ARP_PROBE:      return "PROBE";
    case LN_ARP_FAILED:     return "FAILED";
    }
    return "?";
}

/* States in which the cached MAC may be used (Linux NUD_VALID). */
static bool valid(ln_arp_state s)
{
    return s == LN_ARP_REACHABLE || s == LN_ARP_STALE || s == LN_ARP_DELAY || s == LN_ARP_PROBE;
}

static ln_sim *sim_of(const ln_node *n) { return &n->net->sim; }

/* ---- the table ---------------------------------------------------------- */

void ln_arp_init(ln_arp_table *t)
{
    t->buckets = NULL;
    t->n_buckets = t->n = 0;
}

/* Keyed by interface index and address, never by pointer, so iteration
 * order (and thus any listing) is the same on every run. */
static uint32_t bucket_of(uint32_t ifindex, uint32_t ip, uint32_t nb)
{
    uint32_t h = ip * 2654435761u ^ (ifindex + 1) * 0x9e3779b9u;
    h ^= h >> 15;
    return h & (nb - 1);
}

static ln_arp_entry *find(const ln_arp_table *t, const ln_iface *ifc, uint32_t ip)
{
    if (!t->n_buckets) return NULL;
    for (ln_arp_entry *e = t->buckets[bucket_of(ifc->index, ip, t->n_buckets)]; e; e = e->next)
        if (e->ip == ip && e->iface == ifc) return e;
    return NULL;
}

static int grow(ln_arp_table *t)
{
    uint32_t nb = t->n_buckets ? t->n_buckets * 2 : 16;
    ln_arp_entry **b = calloc(nb, sizeof *b);
    if (!b) return LN_ENOMEM;
    for (uint32_t i = 0; i < t->n_buckets; i++) {
        for (ln_arp_entry *e = t->buckets[i], *next; e; e = next) {
            next = e->next;
            uint32_t k = bucket_of(e->iface->index, e->ip, nb);
            e->next = b[k];
            b[k] = e;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->n_buckets = nb;
    return 0;
}

static void unlink_entry(ln_arp_table *t, ln_arp_entry *e)
{
    ln_arp_entry **pp = &t->buckets[bucket_of(e->iface->index, e->ip, t->n_buckets)];
    while (*pp && *pp != e) pp = &(*pp)->next;
    if (*pp) *pp = e->next;
    t->n--;
    if (e->permanent) t->n_perm--;
    if (e->parked) t->n_parked--;
}

/* Entries garbage collection counts (Linux's tbl->gc_entries). */
static uint32_t gc_entries(const ln_arp_table *t) { return t->n - t->n_perm; }

/* ---- events ------------------------------------------------------------- */

static void emit(ln_arp_entry *e)
{
    ln_net *net = e->node->net;
    if (!ln_net_wants(net, LN_EV_ARP)) return;
    char ip[16], mac[18], text[64];
    ln_ip_fmt(e->ip, ip);
    switch (e->state) {
    case LN_ARP_INCOMPLETE: snprintf(text, sizeof text, "who-has %s", ip); break;
    case LN_ARP_FAILED:     snprintf(text, sizeof text, "%s failed", ip); break;
    case LN_ARP_NONE:       snprintf(text, sizeof text, "%s deleted", ip); break;
    default:
        snprintf(text, sizeof text, "%s is-at %s", ip, ln_mac_fmt(e->mac, mac));
        break;
    }
    ln_event ev = { .type = LN_EV_ARP, .node = e->node, .iface = e->iface,
                    .port = &e->iface->port, .value = e->state, .text = text };
    ln_net_emit(net, &ev);
}

/* ---- entry lifetime ----------------------------------------------------- */

static void arp_timer(void *arg);

/* Free an entry.  Queued packets are counted drops (ARP_FAILED) when
 * `count`, else just freed (teardown); no ICMP either way: Linux purges
 * the queue silently when an entry is flushed. */
static void destroy(ln_arp_entry *e, bool notify, bool count)
{
    ln_node *n = e->node;
    ln_timer_cancel(sim_of(n), &e->timer);
    while (e->q_head) {
        ln_pkt *p = e->q_head;
        e->q_head = p->next;
        p->next = NULL;
        if (count) ln_net_drop(n->net, n, e->iface, p, LN_LAYER_L3, LN_DROP_ARP_FAILED);
        else ln_pkt_free(p);
    }
    if (notify && e->state != LN_ARP_NONE) {
        e->state = LN_ARP_NONE;
        emit(e);
    }
    free(e);
}

static void delete_entry(ln_node *n, ln_arp_entry *e)
{
    unlink_entry(&n->arp, e);
    destroy(e, true, true);
}

/* Oldest update first; ties by interface and address, so the order never
 * depends on memory. */
static int by_age(const void *a, const void *b)
{
    const ln_arp_entry *x = *(ln_arp_entry *const *)a, *y = *(ln_arp_entry *const *)b;
    if (x->updated != y->updated) return x->updated < y->updated ? -1 : 1;
    if (x->iface->index != y->iface->index) return x->iface->index < y->iface->index ? -1 : 1;
    return x->ip < y->ip ? -1 : x->ip > y->ip;
}

/* neigh_forced_gc: make room by removing entries no timer holds (FAILED,
 * and STALE ones not updated in the last 5 s), oldest first, down to
 * gc_thresh2.  Returns how many went.  Callers hold no entry pointer
 * across it. */
static uint32_t forced_gc(ln_node *n)
{
    ln_arp_table *t = &n->arp;
    ln_time now = ln_net_now(n->net);
    LN_MIB_INC(n, ArpForcedGcRuns);
    t->last_flush = now;
    uint32_t entries = gc_entries(t), thresh2 = n->cfg.arp_gc_thresh2;
    if (entries <= thresh2) return 0;
    ln_arp_entry **cand = malloc((size_t)t->n * sizeof *cand);
    if (!cand) return 0;
    uint32_t nc = 0;
    for (uint32_t i = 0; i < t->n_buckets; i++)
        for (ln_arp_entry *e = t->buckets[i]; e; e = e->next)
            if (!e->permanent && (e->state == LN_ARP_FAILED ||
                                  (e->state == LN_ARP_STALE && now - e->updated > ARP_FORCED_GC_AGE)))
                cand[nc++] = e;
    qsort(cand, nc, sizeof *cand, by_age);
    uint32_t max_clean = entries - thresh2, shrunk = 0;
    for (; shrunk < nc && shrunk < max_clean; shrunk++) delete_entry(n, cand[shrunk]);
    free(cand);
    return shrunk;
}

/* Periodic gc is due for e, but the table is below gc_thresh1: it waits,
 * with no timer (a quiet network must be able to go idle). */
static void park(ln_arp_entry *e)
{
    e->parked = true;
    e->node->arp.n_parked++;
}

static void unpark(ln_arp_entry *e)
{
    if (!e->parked) return;
    e->parked = false;
    e->node->arp.n_parked--;
}

/* The table reached gc_thresh1: the parked entries' gc runs now. */
static void unpark_all(ln_node *n)
{
    ln_arp_table *t = &n->arp;
    ln_time now = ln_net_now(n->net);
    for (uint32_t i = 0; i < t->n_buckets && t->n_parked; i++) {
        for (ln_arp_entry *e = t->buckets[i]; e; e = e->next) {
            if (!e->parked) continue;
            unpark(e);
            ln_timer_arm(sim_of(n), &e->timer, now);
        }
    }
}

/* A new entry in state NONE, or NULL when the table is full (Linux's
 * neigh_alloc: "neighbour table overflow") or memory runs out.  Static
 * entries are exempt from the limits, as Linux's exempt_from_gc. */
static ln_arp_entry *create(ln_node *n, ln_iface *ifc, uint32_t ip, bool exempt)
{
    ln_arp_table *t = &n->arp;
    const ln_node_cfg *c = &n->cfg;
    ln_time now = ln_net_now(n->net);
    uint32_t entries = gc_entries(t);
    if (!exempt && (entries >= c->arp_gc_thresh3 ||
                    (entries >= c->arp_gc_thresh2 && now > t->last_flush + ARP_FORCED_GC_AGE))) {
        if (forced_gc(n) == 0 && entries >= c->arp_gc_thresh3) {
            LN_MIB_INC(n, ArpTableFulls);
            if (LN_TRACE_ON(n->net, LN_TR_ARP)) {
                char a[16];
                ln_trace_emit(n->net, LN_TR_ARP, n->name, "%s: %s: neighbour table overflow (%u entries, "
                              "gc_thresh3 %u)", ifc->name, ln_ip_fmt(ip, a), (unsigned)entries,
                              (unsigned)c->arp_gc_thresh3);
            }
            return NULL;
        }
    }
    if (t->n >= t->n_buckets * 2 && grow(t) != 0 && !t->n_buckets) return NULL;
    ln_arp_entry *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->node = n;
    e->iface = ifc;
    e->ip = ip;
    e->state = LN_ARP_NONE;
    e->confirmed = LN_NEVER;
    e->updated = now;
    e->used = now;
    ln_timer_init(&e->timer, arp_timer, e);
    uint32_t k = bucket_of(ifc->index, ip, t->n_buckets);
    e->next = t->buckets[k];
    t->buckets[k] = e;
    t->n++;
    if (t->n_parked && t->n >= c->arp_gc_thresh1) unpark_all(n);
    return e;
}

/* Enter `st` and arm the timer that state needs. */
static void set_state(ln_arp_entry *e, ln_arp_state st)
{
    ln_node *n = e->node;
    const ln_node_cfg *c = &n->cfg;
    ln_time now = ln_net_now(n->net);
    if (LN_TRACE_ON(n->net, LN_TR_ARP) && st != e->state) {
        char a[16];
        ln_trace_emit(n->net, LN_TR_ARP, n->name, "%s: %s %s -> %s", e->iface->name, ln_ip_fmt(e->ip, a),
                      ln_arp_state_name(e->state), ln_arp_state_name(st));
    }
    e->state = st;
    unpark(e);
    ln_timer_cancel(sim_of(n), &e->timer);
    if (!e->permanent) {
        switch (st) {
        case LN_ARP_INCOMPLETE:
        case LN_ARP_PROBE:
            e->probes = 0;
            ln_timer_arm(sim_of(n), &e->timer, now + c->arp_retrans_time);
            break;
        case LN_ARP_REACHABLE:
            ln_timer_arm(sim_of(n), &e->timer, e->confirmed + c->arp_reachable_time);
            break;
        case LN_ARP_DELAY:
            ln_timer_arm(sim_of(n), &e->timer, now + c->arp_delay_first_probe);
            break;
        case LN_ARP_STALE:
            ln_timer_arm(sim_of(n), &e->timer, e->used + c->arp_gc_stale_time);
            break;
        case LN_ARP_FAILED:
            ln_timer_arm(sim_of(n), &e->timer, now + c->arp_gc_stale_time);
            break;
        case LN_ARP_NONE:
            break;
        }
    }
    emit(e);
}

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
static void solicit(ln_arp_entry *e)
{
    ln_node *n = e->node;
    ln_iface *ifc = e->iface;
    uint32_t spa = 0;
    if (e->q_tail && e->q_tail->len >= LN_IP_HLEN) {
        uint32_t s = ln_get32(e->q_tail->data + LN_IP_SRC);
        if (ln_node_has_addr(n, s)) spa = s;
    }
    if (!spa) spa = ifc->plen != LN_NO_ADDR ? ifc->addr : ln_ip_src_for(n, e->ip);
    const uint8_t *dst = e->state == LN_ARP_INCOMPLETE ? ln_eth_broadcast : e->mac;
    e->probes++;
    if (LN_TRACE_ON(n->net, LN_TR_ARP)) {
        char a[16], b[16];
        ln_trace_emit(n->net, LN_TR_ARP, n->name, "%s: who-has %s tell %s (%s, try %u, %u queued)", ifc->name,
                      ln_ip_fmt(e->ip, a), ln_ip_fmt(spa, b),
                      e->state == LN_ARP_INCOMPLETE ? "broadcast" : "unicast probe", e->probes, e->q_len);
    }
    /* Linux leaves the target hardware address zero in every request. */
    send_arp(n, ifc, LN_ARP_REQUEST, spa, zero_mac, e->ip, dst);
}

/* Send on a usable entry; the first use of a STALE entry starts DELAY
 * (neigh_event_send). */
static void xmit(ln_arp_entry *e, ln_pkt *pkt)
{
    e->used = ln_net_now(e->node->net);
    if (e->state == LN_ARP_STALE) set_state(e, LN_ARP_DELAY);
    ln_eth_output(e->iface, pkt, e->mac, LN_ETHERTYPE_IPV4);
}

/* Queue behind an unresolved entry.  Linux bounds the queue and, when it
 * is full, drops the OLDEST packet to make room (__neigh_event_send). */
static void enqueue(ln_arp_entry *e, ln_pkt *pkt)
{
    ln_node *n = e->node;
    uint32_t limit = n->cfg.arp_unres_qlen;
    if (limit == 0) {
        LN_MIB_INC(n, ArpUnresolvedDiscards);
        ln_net_drop(n->net, n, e->iface, pkt, LN_LAYER_L3, LN_DROP_ARP_QUEUE_FULL);
        return;
    }
    while (e->q_len >= limit && e->q_head) {
        ln_pkt *old = e->q_head;
        e->q_head = old->next;
        if (!e->q_head) e->q_tail = NULL;
        old->next = NULL;
        e->q_len--;
        LN_MIB_INC(n, ArpUnresolvedDiscards);
        ln_net_drop(n->net, n, e->iface, old, LN_LAYER_L3, LN_DROP_ARP_QUEUE_FULL);
    }
    pkt->next = NULL;
    if (e->q_tail) e->q_tail->next = pkt;
    else e->q_head = pkt;
    e->q_tail = pkt;
    e->q_len++;
}

/* Resolution failed (neigh_invalidate): every queued packet is dropped and
 * its sender told "host unreachable" (arp_error_report -> icmp_send). */
static void fail(ln_arp_entry *e)
{
    ln_node *n = e->node;
    ln_iface *ifc = e->iface;
    if (LN_TRACE_ON(n->net, LN_TR_ARP)) {
        char a[16];
        ln_trace_emit(n->net, LN_TR_ARP, n->name, "%s: %s unresolved after %u requests: %u queued packets dropped, "
                      "host unreachable", ifc->name, ln_ip_fmt(e->ip, a), e->probes, e->q_len);
    }
    ln_pkt *q = e->q_head;
    e->q_head = e->q_tail = NULL;
    e->q_len = 0;
    LN_MIB_INC(n, ArpResolveFailed);
    set_state(e, LN_ARP_FAILED);
    /* From here on `e` may be reused or even evicted by the ICMP errors'
     * own output, so only the detached list is touched. */
    while (q) {
        ln_pkt *p = q;
        q = p->next;
        p->next = NULL;
        ln_icmp_error(n, p, LN_ICMP_UNREACH, LN_ICMP_UNREACH_HOST, 0);
        ln_net_drop(n->net, n, ifc, p, LN_LAYER_L3, LN_DROP_ARP_FAILED);
    }
}

/* Start resolving: INCOMPLETE, queue, first broadcast now. */
static void start_resolve(ln_arp_entry *e, ln_pkt *pkt)
{
    set_state(e, LN_ARP_INCOMPLETE);
    enqueue(e, pkt);
    if (e->node->cfg.arp_mcast_solicit == 0) {
        fail(e);
        return;
    }
    solicit(e);
}

/* Flush packets that waited for resolution (neigh_update). */
static void flush_queue(ln_arp_entry *e)
{
    ln_pkt *q = e->q_head;
    e->q_head = e->q_tail = NULL;
    e->q_len = 0;
    while (q) {
        ln_pkt *p = q;
        q = p->next;
        p->next = NULL;
        xmit(e, p);
    }
}

static void arp_timer(void *arg)
{
    ln_arp_entry *e = arg;
    ln_node *n = e->node;
    const ln_node_cfg *c = &n->cfg;
    ln_time now = ln_net_now(n->net);

    switch (e->state) {
    case LN_ARP_REACHABLE:
        /* A confirmation since the timer was armed extends the entry. */
        if (now < e->confirmed + c->arp_reachable_time) {
            ln_timer_arm(sim_of(n), &e->timer, e->confirmed + c->arp_reachable_time);
            return;
        }
        set_state(e, LN_ARP_STALE);
        return;
    case LN_ARP_DELAY:
        if (e->confirmed != LN_NEVER && now <= e->confirmed + c->arp_delay_first_probe) {
            set_state(e, LN_ARP_REACHABLE);
            return;
        }
        set_state(e, LN_ARP_PROBE);
        solicit(e);
        return;
    case LN_ARP_INCOMPLETE:
    case LN_ARP_PROBE: {
        uint32_t max = e->state == LN_ARP_INCOMPLETE ? c->arp_mcast_solicit : c->arp_ucast_solicit;
        if (e->probes >= max) {
            fail(e);
            return;
        }
        solicit(e);
        ln_timer_arm(sim_of(n), &e->timer, now + c->arp_retrans_time);
        return;
    }
    case LN_ARP_STALE:
        if (now < e->used + c->arp_gc_stale_time) {
            ln_timer_arm(sim_of(n), &e->timer, e->used + c->arp_gc_stale_time);
            return;
        }
        /* Due for periodic gc, as FAILED entries are. */
        /* fall through */
    case LN_ARP_FAILED:
    case LN_ARP_NONE:
        /* Linux's neigh_periodic_work does nothing below gc_thresh1. */
        if (n->arp.n < c->arp_gc_thresh1) park(e);
        else delete_entry(n, e);
        return;
    }
}

/* neigh_update: what an ARP packet teaches about `e`.  `override` allows a
 * different MAC to replace a usable one. */
static void update(ln_arp_entry *e, const uint8_t mac[6], ln_arp_state st, bool override)
{
    if (e->permanent) return;
    ln_time now = ln_net_now(e->node->net);
    ln_arp_state old = e->state;
    /* Linux records the confirmation even when the update itself is then
     * refused. */
    if (st == LN_ARP_REACHABLE) e->confirmed = now;
    bool mac_changed = !valid(old) || memcmp(mac, e->mac, 6) != 0;
    if (valid(old)) {
        if (mac_changed && !override) return;
        /* Same MAC: a STALE-level hint does not demote a better state. */
        if (!mac_changed && st == LN_ARP_STALE) st = old;
    }
    if (st != old || mac_changed) e->updated = now;
    memcpy(e->mac, mac, 6);
    /* A new MAC that is not confirmed must not look recently confirmed. */
    if (mac_changed && st != LN_ARP_REACHABLE) e->confirmed = LN_NEVER;
    if (st != old) set_state(e, st);
    else if (mac_changed) emit(e);
    if (!valid(old) && valid(e->state)) flush_queue(e);
}

/* ---- output ------------------------------------------------------------- */

static bool is_subnet_bcast(const ln_iface *ifc, uint32_t a)
{
    return ifc->plen != LN_NO_ADDR && ifc->plen < 31 && a == (ifc->addr | ~ln_mask(ifc->plen));
}

void ln_arp_output(ln_node *n, ln_iface *ifc, uint32_t nexthop, ln_pkt *pkt)
{
    if (!ifc->up) {
        ifc->st.tx_dropped++;
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_IFACE_DOWN);
        return;
    }
    /* Broadcast and multicast next hops need no resolution (Linux gives
     * them NUD_NOARP entries: arp_constructor, arp_mc_map). */
    if (nexthop == 0xffffffffu || is_subnet_bcast(ifc, nexthop)) {
        ln_eth_output(ifc, pkt, ln_eth_broadcast, LN_ETHERTYPE_IPV4);
        return;
    }
    if (ln_ip_is_mcast(nexthop)) {
        uint8_t mac[6];
        ln_mc_mac(nexthop, mac);
        ln_eth_output(ifc, pkt, mac, LN_ETHERTYPE_IPV4);
        return;
    }
    ln_arp_entry *e = find(&n->arp, ifc, nexthop);
    if (!e) e = create(n, ifc, nexthop, false);
    if (!e) {
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_NEIGH_OVERFLOW);
        return;
    }
    switch (e->state) {
    case LN_ARP_REACHABLE:
    case LN_ARP_STALE:
    case LN_ARP_DELAY:
    case LN_ARP_PROBE:
        xmit(e, pkt);
        return;
    case LN_ARP_INCOMPLETE:
        e->used = ln_net_now(n->net);
        enqueue(e, pkt);
        return;
    case LN_ARP_NONE:
    case LN_ARP_FAILED:
        e->used = ln_net_now(n->net);
        start_resolve(e, pkt);
        return;
    }
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
        ln_arp_entry *e = find(&n->arp, ifc, sip);
        if (!e) e = create(n, ifc, sip, false);
        if (!e) return;
        update(e, sha, LN_ARP_STALE, true);
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
    ln_arp_entry *e = find(&n->arp, ifc, sip);
    if (!e && n->cfg.arp_accept && (garp || op == LN_ARP_REPLY)) e = create(n, ifc, sip, false);
    if (!e) {
        if (LN_TRACE_ON(n->net, LN_TR_ARP) && (garp || op == LN_ARP_REPLY)) {
            char sa[16];
            ln_trace_emit(n->net, LN_TR_ARP, n->name, "%s: %s about %s ignored: no entry, arp_accept off",
                          ifc->name, garp ? "gratuitous ARP" : "unsolicited reply", ln_ip_fmt(sip, sa));
        }
        return;
    }
    /* Broadcast replies and requests do not prove reachability. */
    ln_arp_state st = (op == LN_ARP_REPLY && !l2_group) ? LN_ARP_REACHABLE : LN_ARP_STALE;
    bool override = garp || ln_net_now(n->net) >= e->updated + ARP_LOCKTIME;
    update(e, sha, st, override);
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
    ln_arp_entry *e = find(&n->arp, ifc, ip);
    if (!e) e = create(n, ifc, ip, true);
    if (!e) return LN_ENOMEM;
    ln_arp_state old = e->state;
    ln_time now = ln_net_now(n->net);
    memcpy(e->mac, mac, 6);
    if (!e->permanent) n->arp.n_perm++;
    e->permanent = true;
    e->confirmed = now;
    e->updated = now;
    set_state(e, LN_ARP_REACHABLE);
    if (!valid(old)) flush_queue(e);
    return 0;
}

/* As an ARP reply would: a REACHABLE entry that ages like any other (a
 * DHCP server about to unicast to a client that cannot answer ARP yet:
 * dnsmasq's neighbour update). */
int ln_arp_learn(ln_node *n, ln_iface *ifc, uint32_t ip, const uint8_t mac[6])
{
    if (!ifc) ifc = route_iface(n, ip);
    if (!ifc) return LN_ENETUNREACH;
    ln_arp_entry *e = find(&n->arp, ifc, ip);
    if (e && e->permanent) return 0;
    if (!e) e = create(n, ifc, ip, false);
    if (!e) return LN_ENOBUFS;
    update(e, mac, LN_ARP_REACHABLE, true);
    return 0;
}

void ln_arp_confirm(ln_node *n, const ln_iface *ifc, uint32_t ip)
{
    ln_arp_entry *e = ln_arp_lookup(n, ifc, ip);
    if (e && valid(e->state)) e->confirmed = ln_net_now(n->net);
}

ln_arp_entry *ln_arp_lookup(ln_node *n, const ln_iface *ifc, uint32_t ip)
{
    if (ifc) return find(&n->arp, ifc, ip);
    for (uint32_t i = 0; i < n->n_ifaces; i++) {
        ln_arp_entry *e = find(&n->arp, n->ifaces[i], ip);
        if (e) return e;
    }
    return NULL;
}

void ln_arp_flush(ln_node *n, const ln_iface *ifc)
{
    ln_arp_table *t = &n->arp;
    for (uint32_t i = 0; i < t->n_buckets; i++) {
        for (ln_arp_entry *e = t->buckets[i], *next; e; e = next) {
            next = e->next;
            if (!ifc || e->iface == ifc) delete_entry(n, e);
        }
    }
}

void ln_arp_foreach(ln_node *n, void (*fn)(const ln_arp_entry *e, void *arg), void *arg)
{
    ln_arp_table *t = &n->arp;
    for (uint32_t i = 0; i < t->n_buckets; i++)
        for (ln_arp_entry *e = t->buckets[i]; e; e = e->next) fn(e, arg);
}

void ln_arp_destroy(ln_arp_table *t)
{
    for (uint32_t i = 0; i < t->n_buckets; i++) {
        for (ln_arp_entry *e = t->buckets[i], *next; e; e = next) {
            next = e->next;
            destroy(e, false, false);
        }
    }
    free(t->buckets);
    ln_arp_init(t);
}
