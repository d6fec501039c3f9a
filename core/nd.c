/* nd.c - IPv6 neighbour discovery (RFC 4861 7): the neighbour cache,
 * address resolution and neighbour unreachability detection, modelled on
 * Linux's net/ipv6/ndisc.c over net/core/neighbour.c, as arp.c is for
 * IPv4 (the states and timers are the same; see nd.h).
 *
 *   ln_ip6_output / forward / ln_ip6_fragment -> ln_nd_output
 *       -> [resolved] ln_eth_output   -> [unresolved] queue, NS to the
 *          solicited-node group (nd_timer retransmits, probes, fails)
 *   icmp6.c -> ln_nd_input -> NS: learn the sender, answer NA / DAD
 *                          -> NA: update the entry, flush its queue / DAD
 *   ip6_addr.c (DAD probes) -> ln_nd_send_ns
 *
 * Linux's choices kept: solicited NAs carry the override flag (ours are
 * never anycast or proxied) and always the target link-layer address; an
 * NS teaches its sender as STALE (7.2.3); resolution failure answers each
 * queued packet with Destination Unreachable, address unreachable (7.2.2).
 * Linux randomises reachable_time; lunet uses the base value, as arp.c. */
#include "nd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "eth.h"
#include "icmp6.h"
#include "ip6.h"
#include "node.h"
#include "trace.h"
#include "wire.h"

/* neigh_forced_gc spares entries updated within the last 5 s. */
#define ND_FORCED_GC_AGE (5 * LN_SEC)

static bool valid(ln_arp_state s)
{
    return s == LN_ARP_REACHABLE || s == LN_ARP_STALE || s == LN_ARP_DELAY || s == LN_ARP_PROBE;
}

static ln_sim *sim_of(const ln_node *n) { return &n->net->sim; }
static ln_nd_table *tbl(ln_node *n) { return &n->ip6->nd; }

void ln_nd_init(ln_nd_table *t)
{
    t->buckets = NULL;
    t->n_buckets = t->n = 0;
}

static uint32_t bucket_of(uint32_t ifindex, const ln_in6 *ip, uint32_t nb)
{
    uint32_t h = (ifindex + 1) * 0x9e3779b9u;
    for (int i = 0; i < 16; i += 4)
        h = (h ^ ((uint32_t)ip->b[i] << 24 | (uint32_t)ip->b[i + 1] << 16 |
                  (uint32_t)ip->b[i + 2] << 8 | ip->b[i + 3])) * 2654435761u;
    h ^= h >> 15;
    return h & (nb - 1);
}

static ln_nd_entry *find(const ln_nd_table *t, const ln_iface *ifc, const ln_in6 *ip)
{
    if (!t->n_buckets) return NULL;
    for (ln_nd_entry *e = t->buckets[bucket_of(ifc->index, ip, t->n_buckets)]; e; e = e->next)
        if (e->iface == ifc && ln_in6_eq(&e->ip, ip)) return e;
    return NULL;
}

static int grow(ln_nd_table *t)
{
    uint32_t nb = t->n_buckets ? t->n_buckets * 2 : 16;
    ln_nd_entry **b = calloc(nb, sizeof *b);
    if (!b) return LN_ENOMEM;
    for (uint32_t i = 0; i < t->n_buckets; i++) {
        for (ln_nd_entry *e = t->buckets[i], *next; e; e = next) {
            next = e->next;
            uint32_t k = bucket_of(e->iface->index, &e->ip, nb);
            e->next = b[k];
            b[k] = e;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->n_buckets = nb;
    return 0;
}

static void emit(ln_nd_entry *e)
{
    ln_net *net = e->node->net;
    if (!ln_net_wants(net, LN_EV_ARP)) return;
    char ip[LN_IN6_FMTLEN], mac[18], text[96];
    ln_ip6_fmt(&e->ip, ip);
    switch (e->state) {
    case LN_ARP_INCOMPLETE: snprintf(text, sizeof text, "who-has %s", ip); break;
    case LN_ARP_FAILED:     snprintf(text, sizeof text, "%s failed", ip); break;
    case LN_ARP_NONE:       snprintf(text, sizeof text, "%s deleted", ip); break;
    default: snprintf(text, sizeof text, "%s is-at %s", ip, ln_mac_fmt(e->mac, mac)); break;
    }
    ln_event ev = { .type = LN_EV_ARP, .node = e->node, .iface = e->iface, .port = &e->iface->port,
                    .value = e->state, .value2 = 6, .text = text };
    ln_net_emit(net, &ev);
}

static void nd_timer(void *arg);

static void destroy(ln_nd_entry *e, bool count)
{
    ln_node *n = e->node;
    ln_timer_cancel(sim_of(n), &e->timer);
    while (e->q_head) {
        ln_pkt *p = e->q_head;
        e->q_head = p->next;
        p->next = NULL;
        if (count) ln_net_drop(n->net, n, e->iface, p, LN_LAYER_L3, LN_DROP_ND_FAILED);
        else ln_pkt_free(p);
    }
    free(e);
}

static void delete_entry(ln_node *n, ln_nd_entry *e)
{
    ln_nd_table *t = tbl(n);
    ln_nd_entry **pp = &t->buckets[bucket_of(e->iface->index, &e->ip, t->n_buckets)];
    while (*pp && *pp != e) pp = &(*pp)->next;
    if (*pp) *pp = e->next;
    t->n--;
    if (e->state != LN_ARP_NONE) {
        e->state = LN_ARP_NONE;
        emit(e);
    }
    destroy(e, true);
}

static int by_age(const void *a, const void *b)
{
    const ln_nd_entry *x = *(ln_nd_entry *const *)a, *y = *(ln_nd_entry *const *)b;
    if (x->updated != y->updated) return x->updated < y->updated ? -1 : 1;
    if (x->iface->index != y->iface->index) return x->iface->index < y->iface->index ? -1 : 1;
    return memcmp(x->ip.b, y->ip.b, 16);
}

/* neigh_forced_gc, as arp.c's. */
static uint32_t forced_gc(ln_node *n)
{
    ln_nd_table *t = tbl(n);
    ln_time now = ln_net_now(n->net);
    uint32_t thresh2 = n->cfg.arp_gc_thresh2;
    if (t->n <= thresh2) return 0;
    ln_nd_entry **cand = malloc((size_t)t->n * sizeof *cand);
    if (!cand) return 0;
    uint32_t nc = 0;
    for (uint32_t i = 0; i < t->n_buckets; i++)
        for (ln_nd_entry *e = t->buckets[i]; e; e = e->next)
            if (!e->permanent && (e->state == LN_ARP_FAILED ||
                                  (e->state == LN_ARP_STALE && now - e->updated > ND_FORCED_GC_AGE)))
                cand[nc++] = e;
    qsort(cand, nc, sizeof *cand, by_age);
    uint32_t max = t->n - thresh2, k = 0;
    for (; k < nc && k < max; k++) delete_entry(n, cand[k]);
    free(cand);
    return k;
}

static ln_nd_entry *create(ln_node *n, ln_iface *ifc, const ln_in6 *ip)
{
    ln_nd_table *t = tbl(n);
    if (t->n >= n->cfg.arp_gc_thresh3 && forced_gc(n) == 0) {
        LN_MIB_INC(n, ArpTableFulls);
        return NULL;
    }
    if (t->n >= t->n_buckets * 2 && grow(t) != 0 && !t->n_buckets) return NULL;
    ln_nd_entry *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    ln_time now = ln_net_now(n->net);
    *e = (ln_nd_entry){ .node = n, .iface = ifc, .ip = *ip, .state = LN_ARP_NONE,
                        .confirmed = LN_NEVER, .updated = now, .used = now };
    ln_timer_init(&e->timer, nd_timer, e);
    uint32_t k = bucket_of(ifc->index, ip, t->n_buckets);
    e->next = t->buckets[k];
    t->buckets[k] = e;
    t->n++;
    return e;
}

static void set_state(ln_nd_entry *e, ln_arp_state st)
{
    ln_node *n = e->node;
    const ln_node_cfg *c = &n->cfg;
    ln_time now = ln_net_now(n->net);
    if (LN_TRACE_ON(n->net, LN_TR_ARP) && st != e->state) {
        char a[LN_IN6_FMTLEN];
        ln_trace_emit(n->net, LN_TR_ARP, n->name, "%s: %s %s -> %s", e->iface->name, ln_ip6_fmt(&e->ip, a),
                      ln_arp_state_name(e->state), ln_arp_state_name(st));
    }
    bool changed = st != e->state;
    if (changed) e->probes = 0;
    e->state = st;
    switch (st) {
    case LN_ARP_REACHABLE:
        ln_timer_arm(sim_of(n), &e->timer, (e->confirmed != LN_NEVER ? e->confirmed : now) + c->arp_reachable_time);
        break;
    case LN_ARP_DELAY:
        ln_timer_arm(sim_of(n), &e->timer, now + c->arp_delay_first_probe);
        break;
    case LN_ARP_INCOMPLETE:
    case LN_ARP_PROBE:
        ln_timer_arm(sim_of(n), &e->timer, now + c->arp_retrans_time);
        break;
    default:
        /* STALE and FAILED wait without a timer (see nd.h). */
        ln_timer_cancel(sim_of(n), &e->timer);
        break;
    }
    if (changed) emit(e);
}

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
static void solicit(ln_nd_entry *e)
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
        if (!ll) {
            /* Not usable yet (DAD still running): Linux cannot solicit
             * either; the retransmission tries again. */
            e->probes++;
            return;
        }
        src = ll->addr;
    }
    e->probes++;
    ln_in6 dst = e->state == LN_ARP_INCOMPLETE ? ln_in6_solicited(&e->ip) : e->ip;
    ln_nd_send_ns(ifc, &src, &e->ip, &dst);
}

static void xmit(ln_nd_entry *e, ln_pkt *pkt)
{
    e->used = ln_net_now(e->node->net);
    if (e->state == LN_ARP_STALE) set_state(e, LN_ARP_DELAY);
    ln_eth_output(e->iface, pkt, e->mac, LN_ETHERTYPE_IPV6);
}

static void enqueue(ln_nd_entry *e, ln_pkt *pkt)
{
    ln_node *n = e->node;
    uint32_t limit = n->cfg.arp_unres_qlen;
    while (e->q_len >= limit && e->q_head) {
        ln_pkt *old = e->q_head;
        e->q_head = old->next;
        if (!e->q_head) e->q_tail = NULL;
        old->next = NULL;
        e->q_len--;
        ln_net_drop(n->net, n, e->iface, old, LN_LAYER_L3, LN_DROP_ND_QUEUE_FULL);
    }
    if (limit == 0) {
        ln_net_drop(n->net, n, e->iface, pkt, LN_LAYER_L3, LN_DROP_ND_QUEUE_FULL);
        return;
    }
    pkt->next = NULL;
    if (e->q_tail) e->q_tail->next = pkt;
    else e->q_head = pkt;
    e->q_tail = pkt;
    e->q_len++;
}

static void fail(ln_nd_entry *e)
{
    ln_node *n = e->node;
    ln_iface *ifc = e->iface;
    if (LN_TRACE_ON(n->net, LN_TR_ARP)) {
        char a[LN_IN6_FMTLEN];
        ln_trace_emit(n->net, LN_TR_ARP, n->name, "%s: %s unresolved after %u solicitations: %u queued "
                      "packets dropped, address unreachable", ifc->name, ln_ip6_fmt(&e->ip, a), e->probes,
                      e->q_len);
    }
    ln_pkt *q = e->q_head;
    e->q_head = e->q_tail = NULL;
    e->q_len = 0;
    set_state(e, LN_ARP_FAILED);
    while (q) {
        ln_pkt *p = q;
        q = p->next;
        p->next = NULL;
        ln_icmp6_error(n, p, LN_ICMP6_DST_UNREACH, LN_ICMP6_UNREACH_ADDR, 0);
        ln_net_drop(n->net, n, ifc, p, LN_LAYER_L3, LN_DROP_ND_FAILED);
    }
}

static void flush_queue(ln_nd_entry *e)
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

static void nd_timer(void *arg)
{
    ln_nd_entry *e = arg;
    ln_node *n = e->node;
    const ln_node_cfg *c = &n->cfg;
    ln_time now = ln_net_now(n->net);
    switch (e->state) {
    case LN_ARP_REACHABLE:
        if (e->confirmed != LN_NEVER && now < e->confirmed + c->arp_reachable_time) {
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
    default:
        return;
    }
}

/* neigh_update for what a message says (RFC 4861 7.2.5's table). */
static void update(ln_nd_entry *e, const uint8_t *mac, ln_arp_state st, bool override)
{
    if (e->permanent) return;
    ln_time now = ln_net_now(e->node->net);
    ln_arp_state old = e->state;
    if (st == LN_ARP_REACHABLE) e->confirmed = now;
    bool mac_changed = mac && (!valid(old) || memcmp(mac, e->mac, 6) != 0);
    if (!mac && !valid(old)) return;
    if (valid(old) && mac_changed && !override) {
        /* 7.2.5: a different address without override demotes a
         * REACHABLE entry to STALE and is otherwise ignored. */
        if (old == LN_ARP_REACHABLE) set_state(e, LN_ARP_STALE);
        return;
    }
    if (valid(old) && !mac_changed && st == LN_ARP_STALE) st = old;
    if (st != old || mac_changed) e->updated = now;
    if (mac) memcpy(e->mac, mac, 6);
    if (mac_changed && st != LN_ARP_REACHABLE) e->confirmed = LN_NEVER;
    if (st != old) set_state(e, st);
    else if (mac_changed) emit(e);
    if (!valid(old) && valid(e->state)) flush_queue(e);
}

/* ---- output ------------------------------------------------------------- */

void ln_nd_output(ln_node *n, ln_iface *ifc, const ln_in6 *nexthop, ln_pkt *pkt)
{
    if (!ifc->up) {
        ifc->st.tx_dropped++;
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_IFACE_DOWN);
        return;
    }
    if (ln_in6_is_mcast(nexthop)) {
        uint8_t mac[6];
        ln_in6_mc_mac(nexthop, mac);
        ln_eth_output(ifc, pkt, mac, LN_ETHERTYPE_IPV6);
        return;
    }
    ln_nd_entry *e = find(tbl(n), ifc, nexthop);
    if (!e) e = create(n, ifc, nexthop);
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
        set_state(e, LN_ARP_INCOMPLETE);
        enqueue(e, pkt);
        if (n->cfg.arp_mcast_solicit == 0) {
            fail(e);
            return;
        }
        solicit(e);
        return;
    }
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
        ln_nd_entry *e = find(tbl(n), ifc, src);
        if (!e) e = create(n, ifc, src);
        if (e) update(e, mac, LN_ARP_STALE, true);
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
    ln_nd_entry *e = find(tbl(n), ifc, &target);
    if (!e) return;               /* 7.2.5: no entry, nothing to do */
    if (e->state == LN_ARP_INCOMPLETE) {
        if (!has_ll) return;
        e->router = flags & LN_ND_NA_ROUTER;
        update(e, mac, solicited ? LN_ARP_REACHABLE : LN_ARP_STALE, true);
        return;
    }
    e->router = flags & LN_ND_NA_ROUTER;
    bool override = flags & LN_ND_NA_OVERRIDE;
    bool same = !has_ll || memcmp(mac, e->mac, 6) == 0;
    if (!override && !same) {
        update(e, mac, LN_ARP_STALE, false);
        return;
    }
    update(e, has_ll ? mac : NULL, solicited ? LN_ARP_REACHABLE : LN_ARP_STALE, true);
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
    ln_nd_entry *e = find(tbl(n), ifc, ip);
    if (!e) e = create(n, ifc, ip);
    if (!e) return;
    e->router = router;
    update(e, mac, LN_ARP_STALE, true);
}

/* ---- API ------------------------------------------------------------------ */

ln_nd_entry *ln_nd_lookup(ln_node *n, const ln_iface *ifc, const ln_in6 *ip)
{
    if (!n->ip6) return NULL;
    if (ifc) return find(tbl(n), ifc, ip);
    for (uint32_t i = 0; i < n->n_ifaces; i++) {
        ln_nd_entry *e = find(tbl(n), n->ifaces[i], ip);
        if (e) return e;
    }
    return NULL;
}

void ln_nd_confirm(ln_node *n, const ln_iface *ifc, const ln_in6 *ip)
{
    ln_nd_entry *e = ln_nd_lookup(n, ifc, ip);
    if (e && valid(e->state)) e->confirmed = ln_net_now(n->net);
}

void ln_nd_flush(ln_node *n, const ln_iface *ifc)
{
    if (!n->ip6) return;
    ln_nd_table *t = tbl(n);
    for (uint32_t i = 0; i < t->n_buckets; i++) {
        for (ln_nd_entry *e = t->buckets[i], *next; e; e = next) {
            next = e->next;
            if (!ifc || e->iface == ifc) delete_entry(n, e);
        }
    }
}

void ln_nd_foreach(ln_node *n, void (*fn)(const ln_nd_entry *e, void *arg), void *arg)
{
    if (!n->ip6) return;
    ln_nd_table *t = tbl(n);
    /* By interface and address, never by bucket: a listing must not
     * depend on the table's size. */
    ln_nd_entry **v = malloc((size_t)(t->n ? t->n : 1) * sizeof *v);
    if (!v) return;
    uint32_t k = 0;
    for (uint32_t i = 0; i < t->n_buckets; i++)
        for (ln_nd_entry *e = t->buckets[i]; e; e = e->next) v[k++] = e;
    for (uint32_t i = 1; i < k; i++) {
        ln_nd_entry *x = v[i];
        uint32_t j = i;
        while (j > 0 && (v[j - 1]->iface->index > x->iface->index ||
                         (v[j - 1]->iface->index == x->iface->index && memcmp(v[j - 1]->ip.b, x->ip.b, 16) > 0))) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
    for (uint32_t i = 0; i < k; i++) fn(v[i], arg);
    free(v);
}

void ln_nd_destroy(ln_nd_table *t)
{
    for (uint32_t i = 0; i < t->n_buckets; i++) {
        for (ln_nd_entry *e = t->buckets[i], *next; e; e = next) {
            next = e->next;
            destroy(e, false);
        }
    }
    free(t->buckets);
    ln_nd_init(t);
}
