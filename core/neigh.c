/* neigh.c - the neighbour table and NUD state machine of every family,
 * modelled on Linux's net/core/neighbour.c so that a capture of lunet
 * shows the same solicitations, at the same moments, as one of Linux.
 *
 * Call chain:
 *   ln_arp_output / ln_nd_output -> ln_neigh_send (neigh.h: a confirmed entry
 *     sends at once) -> ln_neigh_output
 *     (broadcast and multicast next hops never get here: the family
 *      maps them itself)
 *     -> [resolved]      ln_eth_output    (STALE: DELAY starts)
 *     -> [unresolved]    queue on the entry, ops->solicit
 *   arp.c / nd.c input -> ln_neigh_lookup(_create) -> ln_neigh_update
 *     -> usable now: flush the queue
 *   entry timer (neigh_timer) -> retransmit, age, probe, fail, collect
 *     -> on failure ops->error_report for each queued packet
 *
 * Each entry has one timer whose meaning depends on the state (neigh.h);
 * all times come from the node's settings, named after Linux's sysctls.
 * Nothing here knows a message format: a family's ops do. */
#include "neigh.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "err.h"
#include "eth.h"
#include "node.h"
#include "trace.h"

/* neigh_forced_gc spares entries updated within the last 5 s, and runs at
 * most every 5 s between gc_thresh2 and gc_thresh3. */
#define FORCED_GC_AGE (5 * LN_SEC)
/* neigh_periodic_work redraws reachable_time every 300 s. */
#define REACH_REDRAW (300 * LN_SEC)

static ln_sim *sim_of(const ln_node *n) { return &n->net->sim; }

static void mib_inc(ln_node *n, int idx)
{
    if (idx >= 0) ln_node_mib(n)[idx]++;
}

const char *ln_nud_state_name(ln_nud_state s)
{
    /* Upper case like `ip neigh`. */
    switch (s) {
    case LN_NUD_NONE:       return "NONE";
    case LN_NUD_INCOMPLETE: return "INCOMPLETE";
    case LN_NUD_REACHABLE:  return "REACHABLE";
    case LN_NUD_STALE:      return "STALE";
    case LN_NUD_DELAY:      return "DELAY";
    case LN_NUD_PROBE:      return "PROBE";
    case LN_NUD_FAILED:     return "FAILED";
    }
    return "?";
}

/* ---- the table ---------------------------------------------------------- */

void ln_neigh_init(ln_neigh_table *t, ln_node *n, const ln_neigh_ops *ops)
{
    *t = (ln_neigh_table){ .ops = ops, .node = n, .key_len = ops->key_len, .ethertype = ops->ethertype,
                           .clock = &n->net->sim.now };
}

ln_time ln_neigh_reachable_time(ln_neigh_table *t)
{
    ln_time base = t->node->cfg.arp_reachable_time;
    if (!t->rng || base == 0) return base;
    ln_time now = ln_net_now(t->node->net);
    if (base != t->reach_base || now >= t->reach_next) {
        /* neigh_rand_reach_time: uniform in [base/2, 3 base/2). */
        t->reach_base = base;
        t->reach_time = base / 2 + ln_rng_below(t->rng, base);
        t->reach_next = now + REACH_REDRAW;
    }
    return t->reach_time;
}

static inline uint32_t bucket_of(const ln_neigh_table *t, uint32_t ifindex, const void *key, uint32_t nb)
{
    return ln_neigh_hash(ifindex, key, t->key_len) & (nb - 1);
}

static inline ln_neigh *find(const ln_neigh_table *t, const ln_iface *ifc, const void *key)
{
    return ln_neigh_find(t, ifc, ifc->index, key);
}

ln_neigh *ln_neigh_lookup(const ln_neigh_table *t, const ln_iface *ifc, const void *key)
{
    return find(t, ifc, key);
}

static int grow(ln_neigh_table *t)
{
    uint32_t nb = t->n_buckets ? t->n_buckets * 2 : 16;
    ln_neigh **b = calloc(nb, sizeof *b);
    if (!b) return LN_ENOMEM;
    for (uint32_t i = 0; i < t->n_buckets; i++) {
        for (ln_neigh *e = t->buckets[i], *next; e; e = next) {
            next = e->next;
            uint32_t k = bucket_of(t, e->iface->index, e->key, nb);
            e->next = b[k];
            b[k] = e;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->n_buckets = nb;
    return 0;
}

/* Entries on a line of their own, so that a lookup's fields are one line
 * (neigh.h). */
_Static_assert(offsetof(ln_neigh, probes) <= 64, "ln_neigh's lookup fields must fit its first line");

static ln_neigh *neigh_alloc(void)
{
    size_t size = (sizeof(ln_neigh) + 63) / 64 * 64;
    ln_neigh *e = aligned_alloc(64, size);
    if (e) memset(e, 0, sizeof *e);
    return e;
}

static void unlink_entry(ln_neigh_table *t, ln_neigh *e)
{
    ln_neigh **pp = &t->buckets[bucket_of(t, e->iface->index, e->key, t->n_buckets)];
    while (*pp && *pp != e) pp = &(*pp)->next;
    if (*pp) *pp = e->next;
    t->n--;
    if (e->permanent) t->n_perm--;
    if (e->parked) t->n_parked--;
}

/* Entries garbage collection counts (Linux's tbl->gc_entries). */
static uint32_t gc_entries(const ln_neigh_table *t) { return t->n - t->n_perm; }

/* ---- events ------------------------------------------------------------- */

static void emit(ln_neigh *e)
{
    ln_net *net = e->node->net;
    if (!ln_net_wants(net, LN_EV_ARP)) return;
    char ip[LN_IN6_FMTLEN], mac[18], text[96];
    e->tbl->ops->fmt(e, ip);
    switch (e->state) {
    case LN_NUD_INCOMPLETE: snprintf(text, sizeof text, "who-has %s", ip); break;
    case LN_NUD_FAILED:     snprintf(text, sizeof text, "%s failed", ip); break;
    case LN_NUD_NONE:       snprintf(text, sizeof text, "%s deleted", ip); break;
    default:
        snprintf(text, sizeof text, "%s is-at %s", ip, ln_mac_fmt(e->mac, mac));
        break;
    }
    ln_event ev = { .type = LN_EV_ARP, .node = e->node, .iface = e->iface, .port = &e->iface->port,
                    .value = e->state, .value2 = e->tbl->ops->ev_family, .text = text };
    ln_net_emit(net, &ev);
}

/* ---- entry lifetime ----------------------------------------------------- */

static void neigh_timer(void *arg);

/* Free an entry.  Queued packets are counted drops when `count`, else just
 * freed (teardown); no error report either way: Linux purges the queue
 * silently when an entry is flushed. */
static void destroy(ln_neigh *e, bool notify, bool count)
{
    ln_node *n = e->node;
    ln_timer_cancel(sim_of(n), &e->timer);
    while (e->q_head) {
        ln_pkt *p = e->q_head;
        e->q_head = p->next;
        p->next = NULL;
        if (count) ln_net_drop(n->net, n, e->iface, p, LN_LAYER_L3, e->tbl->ops->drop_failed);
        else ln_pkt_free(p);
    }
    if (notify && e->state != LN_NUD_NONE) {
        e->state = LN_NUD_NONE;
        emit(e);
    }
    free(e);
}

static void delete_entry(ln_neigh *e)
{
    unlink_entry(e->tbl, e);
    destroy(e, true, true);
}

/* Oldest update first; ties by interface and address, so the order never
 * depends on memory. */
static int by_age(const void *a, const void *b)
{
    const ln_neigh *x = *(ln_neigh *const *)a, *y = *(ln_neigh *const *)b;
    if (x->updated != y->updated) return x->updated < y->updated ? -1 : 1;
    if (x->iface->index != y->iface->index) return x->iface->index < y->iface->index ? -1 : 1;
    return x->tbl->ops->cmp(x, y);
}

/* neigh_forced_gc: make room by removing entries no timer holds (FAILED,
 * and STALE ones not updated in the last 5 s), oldest first, down to
 * gc_thresh2.  Returns how many went.  Callers hold no entry pointer
 * across it. */
static uint32_t forced_gc(ln_neigh_table *t)
{
    ln_node *n = t->node;
    ln_time now = ln_net_now(n->net);
    mib_inc(n, t->ops->mib_forced_gc_runs);
    t->last_flush = now;
    uint32_t entries = gc_entries(t), thresh2 = n->cfg.arp_gc_thresh2;
    if (entries <= thresh2) return 0;
    ln_neigh **cand = malloc((size_t)t->n * sizeof *cand);
    if (!cand) return 0;
    uint32_t nc = 0;
    for (uint32_t i = 0; i < t->n_buckets; i++)
        for (ln_neigh *e = t->buckets[i]; e; e = e->next)
            if (!e->permanent && (e->state == LN_NUD_FAILED ||
                                  (e->state == LN_NUD_STALE && now - e->updated > FORCED_GC_AGE)))
                cand[nc++] = e;
    qsort(cand, nc, sizeof *cand, by_age);
    uint32_t max_clean = entries - thresh2, shrunk = 0;
    for (; shrunk < nc && shrunk < max_clean; shrunk++) delete_entry(cand[shrunk]);
    free(cand);
    return shrunk;
}

/* Periodic gc is due for e, but the table is below gc_thresh1: it waits,
 * with no timer (a quiet network must be able to go idle). */
static void park(ln_neigh *e)
{
    e->parked = true;
    e->tbl->n_parked++;
}

static void unpark(ln_neigh *e)
{
    if (!e->parked) return;
    e->parked = false;
    e->tbl->n_parked--;
}

/* The table reached gc_thresh1: the parked entries' gc runs now. */
static void unpark_all(ln_neigh_table *t)
{
    ln_node *n = t->node;
    ln_time now = ln_net_now(n->net);
    for (uint32_t i = 0; i < t->n_buckets && t->n_parked; i++) {
        for (ln_neigh *e = t->buckets[i]; e; e = e->next) {
            if (!e->parked) continue;
            unpark(e);
            ln_timer_arm(sim_of(n), &e->timer, now);
        }
    }
}

/* A new entry in state NONE, or NULL when the table is full (Linux's
 * neigh_alloc: "neighbour table overflow") or memory runs out. */
static ln_neigh *create(ln_neigh_table *t, ln_iface *ifc, const void *key, bool exempt)
{
    ln_node *n = t->node;
    const ln_node_cfg *c = &n->cfg;
    ln_time now = ln_net_now(n->net);
    uint32_t entries = gc_entries(t);
    if (!exempt && (entries >= c->arp_gc_thresh3 ||
                    (entries >= c->arp_gc_thresh2 && now > t->last_flush + FORCED_GC_AGE))) {
        if (forced_gc(t) == 0 && entries >= c->arp_gc_thresh3) {
            mib_inc(n, t->ops->mib_table_fulls);
            if (LN_TRACE_ON(n->net, LN_TR_ARP)) {
                ln_neigh k = { .tbl = t };
                memcpy(k.key, key, t->ops->key_len);
                char a[LN_IN6_FMTLEN];
                ln_trace_emit(n->net, LN_TR_ARP, n->name, "%s: %s: neighbour table overflow (%u entries, "
                              "gc_thresh3 %u)", ifc->name, t->ops->fmt(&k, a), (unsigned)entries,
                              (unsigned)c->arp_gc_thresh3);
            }
            return NULL;
        }
    }
    if (t->n >= t->n_buckets * 2 && grow(t) != 0 && !t->n_buckets) return NULL;
    ln_neigh *e = neigh_alloc();
    if (!e) return NULL;
    e->tbl = t;
    e->node = n;
    e->iface = ifc;
    memcpy(e->key, key, t->ops->key_len);
    e->state = LN_NUD_NONE;
    e->confirmed = LN_NEVER;
    e->updated = now;
    e->used = now;
    ln_timer_init(&e->timer, neigh_timer, e);
    uint32_t k = bucket_of(t, ifc->index, key, t->n_buckets);
    e->next = t->buckets[k];
    t->buckets[k] = e;
    t->n++;
    if (t->n_parked && t->n >= c->arp_gc_thresh1) unpark_all(t);
    return e;
}

ln_neigh *ln_neigh_lookup_create(ln_neigh_table *t, ln_iface *ifc, const void *key, bool exempt)
{
    ln_neigh *e = find(t, ifc, key);
    return e ? e : create(t, ifc, key, exempt);
}

/* Enter `st` and arm the timer that state needs. */
static void set_state(ln_neigh *e, ln_nud_state st)
{
    ln_node *n = e->node;
    const ln_node_cfg *c = &n->cfg;
    ln_time now = ln_net_now(n->net);
    if (LN_TRACE_ON(n->net, LN_TR_ARP) && st != e->state) {
        char a[LN_IN6_FMTLEN];
        ln_trace_emit(n->net, LN_TR_ARP, n->name, "%s: %s %s -> %s", e->iface->name, e->tbl->ops->fmt(e, a),
                      ln_nud_state_name(e->state), ln_nud_state_name(st));
    }
    e->state = st;
    unpark(e);
    ln_timer_cancel(sim_of(n), &e->timer);
    if (e->permanent) {
        emit(e);
        return;
    }
    switch (st) {
    case LN_NUD_INCOMPLETE:
    case LN_NUD_PROBE:
        e->probes = 0;
        ln_timer_arm(sim_of(n), &e->timer, now + c->arp_retrans_time);
        break;
    case LN_NUD_REACHABLE:
        ln_timer_arm(sim_of(n), &e->timer,
                     (e->confirmed != LN_NEVER ? e->confirmed : now) + ln_neigh_reachable_time(e->tbl));
        break;
    case LN_NUD_DELAY:
        ln_timer_arm(sim_of(n), &e->timer, now + c->arp_delay_first_probe);
        break;
    case LN_NUD_STALE:
        ln_timer_arm(sim_of(n), &e->timer, e->used + c->arp_gc_stale_time);
        break;
    case LN_NUD_FAILED:
        ln_timer_arm(sim_of(n), &e->timer, now + c->arp_gc_stale_time);
        break;
    case LN_NUD_NONE:
        break;
    }
    emit(e);
}

/* ---- sending ------------------------------------------------------------ */

static void solicit(ln_neigh *e)
{
    e->probes++;
    e->tbl->ops->solicit(e);
}

/* Send on a usable entry; the first use of a STALE entry starts DELAY
 * (neigh_event_send). */
static void xmit(ln_neigh *e, ln_pkt *pkt)
{
    e->used = ln_net_now(e->node->net);
    if (e->state == LN_NUD_STALE) set_state(e, LN_NUD_DELAY);
    ln_eth_output(e->iface, pkt, e->mac, e->tbl->ethertype);
}

/* Queue behind an unresolved entry.  Linux bounds the queue and, when it
 * is full, drops the OLDEST packet to make room (__neigh_event_send); a
 * limit of 0 queues nothing. */
static void enqueue(ln_neigh *e, ln_pkt *pkt)
{
    ln_node *n = e->node;
    const ln_neigh_ops *o = e->tbl->ops;
    uint32_t limit = n->cfg.arp_unres_qlen;
    while (e->q_len >= limit && e->q_head) {
        ln_pkt *old = e->q_head;
        e->q_head = old->next;
        if (!e->q_head) e->q_tail = NULL;
        old->next = NULL;
        e->q_len--;
        mib_inc(n, o->mib_unres_discards);
        ln_net_drop(n->net, n, e->iface, old, LN_LAYER_L3, o->drop_queue_full);
    }
    if (limit == 0) {
        mib_inc(n, o->mib_unres_discards);
        ln_net_drop(n->net, n, e->iface, pkt, LN_LAYER_L3, o->drop_queue_full);
        return;
    }
    pkt->next = NULL;
    if (e->q_tail) e->q_tail->next = pkt;
    else e->q_head = pkt;
    e->q_tail = pkt;
    e->q_len++;
}

/* Resolution failed (neigh_invalidate): every queued packet is dropped and
 * its sender told by the family's error report (arp_error_report,
 * ndisc_error_report). */
static void fail(ln_neigh *e)
{
    ln_node *n = e->node;
    ln_iface *ifc = e->iface;
    const ln_neigh_ops *o = e->tbl->ops;
    if (LN_TRACE_ON(n->net, LN_TR_ARP)) {
        char a[LN_IN6_FMTLEN];
        ln_trace_emit(n->net, LN_TR_ARP, n->name, "%s: %s unresolved after %u %s: %u queued packets dropped, "
                      "%s", ifc->name, o->fmt(e, a), e->probes, o->probe_word, e->q_len, o->unreach_word);
    }
    ln_pkt *q = e->q_head;
    e->q_head = e->q_tail = NULL;
    e->q_len = 0;
    mib_inc(n, o->mib_resolve_failed);
    set_state(e, LN_NUD_FAILED);
    /* From here on `e` may be reused or even evicted by the errors' own
     * output, so only the detached list is touched. */
    while (q) {
        ln_pkt *p = q;
        q = p->next;
        p->next = NULL;
        o->error_report(n, p);
        ln_net_drop(n->net, n, ifc, p, LN_LAYER_L3, o->drop_failed);
    }
}

/* Start resolving: INCOMPLETE, queue, first solicitation now. */
static void start_resolve(ln_neigh *e, ln_pkt *pkt)
{
    set_state(e, LN_NUD_INCOMPLETE);
    enqueue(e, pkt);
    if (e->node->cfg.arp_mcast_solicit == 0) {
        fail(e);
        return;
    }
    solicit(e);
}

/* Flush packets that waited for resolution (neigh_update). */
static void flush_queue(ln_neigh *e)
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

static void neigh_timer(void *arg)
{
    ln_neigh *e = arg;
    ln_neigh_table *t = e->tbl;
    ln_node *n = e->node;
    const ln_node_cfg *c = &n->cfg;
    ln_time now = ln_net_now(n->net);

    switch (e->state) {
    case LN_NUD_REACHABLE: {
        /* A confirmation since the timer was armed extends the entry. */
        ln_time reach = ln_neigh_reachable_time(t);
        if (e->confirmed != LN_NEVER && now < e->confirmed + reach) {
            ln_timer_arm(sim_of(n), &e->timer, e->confirmed + reach);
            return;
        }
        set_state(e, LN_NUD_STALE);
        return;
    }
    case LN_NUD_DELAY:
        if (e->confirmed != LN_NEVER && now <= e->confirmed + c->arp_delay_first_probe) {
            set_state(e, LN_NUD_REACHABLE);
            return;
        }
        set_state(e, LN_NUD_PROBE);
        solicit(e);
        return;
    case LN_NUD_INCOMPLETE:
    case LN_NUD_PROBE: {
        uint32_t max = e->state == LN_NUD_INCOMPLETE ? c->arp_mcast_solicit : c->arp_ucast_solicit;
        if (e->probes >= max) {
            fail(e);
            return;
        }
        solicit(e);
        ln_timer_arm(sim_of(n), &e->timer, now + c->arp_retrans_time);
        return;
    }
    case LN_NUD_STALE:
        if (now < e->used + c->arp_gc_stale_time) {
            ln_timer_arm(sim_of(n), &e->timer, e->used + c->arp_gc_stale_time);
            return;
        }
        /* Due for periodic gc, as FAILED entries are. */
        /* fall through */
    case LN_NUD_FAILED:
    case LN_NUD_NONE:
        /* Linux's neigh_periodic_work does nothing below gc_thresh1. */
        if (t->n < c->arp_gc_thresh1) park(e);
        else delete_entry(e);
        return;
    }
}

void ln_neigh_update(ln_neigh *e, const uint8_t *mac, ln_nud_state st, unsigned flags)
{
    if (e->permanent) return;
    ln_time now = ln_net_now(e->node->net);
    ln_nud_state old = e->state;
    /* Linux records the confirmation even when the update itself is then
     * refused. */
    if (st == LN_NUD_REACHABLE) e->confirmed = now;
    if (!mac && !ln_nud_valid(old)) return;
    bool mac_changed = mac && (!ln_nud_valid(old) || memcmp(mac, e->mac, 6) != 0);
    if (ln_nud_valid(old)) {
        if (mac_changed && !(flags & LN_NEIGH_OVERRIDE)) {
            if ((flags & LN_NEIGH_WEAK_OVERRIDE) && old == LN_NUD_REACHABLE) set_state(e, LN_NUD_STALE);
            return;
        }
        /* Same MAC: a STALE-level hint does not demote a better state. */
        if (!mac_changed && st == LN_NUD_STALE) st = old;
    }
    if (st != old || mac_changed) e->updated = now;
    if (mac) memcpy(e->mac, mac, 6);
    /* A new MAC that is not confirmed must not look recently confirmed. */
    if (mac_changed && st != LN_NUD_REACHABLE) e->confirmed = LN_NEVER;
    if (st != old) set_state(e, st);
    else if (mac_changed) emit(e);
    if (!ln_nud_valid(old) && ln_nud_valid(e->state)) flush_queue(e);
}

void ln_neigh_set_permanent(ln_neigh *e, const uint8_t mac[6])
{
    ln_nud_state old = e->state;
    ln_time now = ln_net_now(e->node->net);
    memcpy(e->mac, mac, 6);
    if (!e->permanent) e->tbl->n_perm++;
    e->permanent = true;
    e->confirmed = now;
    e->updated = now;
    set_state(e, LN_NUD_REACHABLE);
    if (!ln_nud_valid(old)) flush_queue(e);
}

void ln_neigh_confirm(ln_neigh *e)
{
    if (e && ln_nud_valid(e->state)) e->confirmed = ln_net_now(e->node->net);
}

/* ---- output ------------------------------------------------------------- */

void ln_neigh_drop_down(ln_node *n, ln_iface *ifc, ln_pkt *pkt)
{
    ifc->st.tx_dropped++;
    ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_IFACE_DOWN);
}

void ln_neigh_output(ln_neigh_table *t, ln_iface *ifc, const void *key, ln_pkt *pkt)
{
    ln_neigh *e = find(t, ifc, key);
    ln_node *n = t->node;
    if (!e) e = create(t, ifc, key, false);
    if (!e) {
        ln_net_drop(n->net, n, ifc, pkt, LN_LAYER_L3, LN_DROP_NEIGH_OVERFLOW);
        return;
    }
    switch (e->state) {
    case LN_NUD_REACHABLE:
    case LN_NUD_STALE:
    case LN_NUD_DELAY:
    case LN_NUD_PROBE:
        xmit(e, pkt);
        return;
    case LN_NUD_INCOMPLETE:
        e->used = ln_net_now(n->net);
        enqueue(e, pkt);
        return;
    case LN_NUD_NONE:
    case LN_NUD_FAILED:
        e->used = ln_net_now(n->net);
        start_resolve(e, pkt);
        return;
    }
}

/* ---- listing and teardown ------------------------------------------------ */

void ln_neigh_flush(ln_neigh_table *t, const ln_iface *ifc)
{
    for (uint32_t i = 0; i < t->n_buckets; i++) {
        for (ln_neigh *e = t->buckets[i], *next; e; e = next) {
            next = e->next;
            if (!ifc || e->iface == ifc) delete_entry(e);
        }
    }
}

void ln_neigh_foreach(const ln_neigh_table *t, void (*fn)(const ln_neigh *e, void *arg), void *arg)
{
    for (uint32_t i = 0; i < t->n_buckets; i++)
        for (ln_neigh *e = t->buckets[i]; e; e = e->next) fn(e, arg);
}

static int by_iface_addr(const void *a, const void *b)
{
    const ln_neigh *x = *(ln_neigh *const *)a, *y = *(ln_neigh *const *)b;
    if (x->iface->index != y->iface->index) return x->iface->index < y->iface->index ? -1 : 1;
    return x->tbl->ops->cmp(x, y);
}

void ln_neigh_foreach_sorted(const ln_neigh_table *t, void (*fn)(const ln_neigh *e, void *arg), void *arg)
{
    if (!t->n) return;
    ln_neigh **v = malloc((size_t)t->n * sizeof *v);
    if (!v) return;
    uint32_t k = 0;
    for (uint32_t i = 0; i < t->n_buckets; i++)
        for (ln_neigh *e = t->buckets[i]; e; e = e->next) v[k++] = e;
    /* Keys are unique per interface, so qsort's instability cannot show. */
    qsort(v, k, sizeof *v, by_iface_addr);
    for (uint32_t i = 0; i < k; i++) fn(v[i], arg);
    free(v);
}

void ln_neigh_destroy(ln_neigh_table *t)
{
    for (uint32_t i = 0; i < t->n_buckets; i++) {
        for (ln_neigh *e = t->buckets[i], *next; e; e = next) {
            next = e->next;
            destroy(e, false, false);
        }
    }
    free(t->buckets);
    t->buckets = NULL;
    t->n_buckets = t->n = t->n_perm = t->n_parked = 0;
}
