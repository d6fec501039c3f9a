/* link.c - point-to-point links: configuration, and each direction's
 * sender half (queue, transmitter, wire impairments).
 *
 * Call chain (one direction):
 *
 *   ln_iface_xmit / switch port
 *     -> ln_link_send       [d->ic: interception hooks, intercept.h]
 *     -> ln_link_send_cont  up? mtu? straight to the transmitter, or queue
 *                           (QUEUE event)
 *     -> tx_start           TX event; busy_until = now + serialization
 *     -> on_wire            loss, jitter, reorder, duplicate, corrupt
 *     -> ln_linkrx_accept   the receiver half (link_rx.c): RX at arrival
 *        or vanish          a lost frame's DROP when its last bit leaves
 *   tx_timer (armed only while frames wait) -> tx_kick -> tx_start, QUEUE
 *   or, on a direction nobody watches, book: the start known, no event
 *
 * Drops here go through ln_link_drop: they name the link, not a node.
 *
 * A frame lost on the wire stays with the sender until its last bit has
 * left (the lost list, in the order frames left); every other frame is the
 * receiver half's from the moment it starts onto the wire (a booked one,
 * below, from the moment it joins, until a settle takes it back).  Going down
 * bumps the epoch, drops what the sender holds (lost and queued frames)
 * and tells the receiver half, which drops what is on its way: nothing
 * sent before a down can arrive after it, even if the direction comes back
 * up first. */
#include "link.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "eth.h"
#include "event.h"
#include "intercept.h"
#include "link_int.h"
#include "net.h"
#include "node.h"
#include "trace.h"
#include "wire.h"

/* Longest delay, jitter or reorder_delay accepted: a million seconds is far
 * beyond any real path (Earth-Mars is ~1300 s) and keeps the arrival-time
 * arithmetic far from overflow. */
#define MAX_DELAY (1000000 * LN_SEC)
#define MIN_MTU   68u             /* RFC 791: every IPv4 link carries 68 */
#define MAX_MTU   65535u

#define FAIL(err, errlen, ...) do {                                      \
    if ((err) && (errlen)) snprintf((err), (errlen), __VA_ARGS__);       \
} while (0)

static inline ln_time sat_add(ln_time a, ln_time b)
{
    return a > LN_NEVER - b ? LN_NEVER : a + b;
}

/* ---- configuration --------------------------------------------------- */

void ln_linkcfg_default(ln_linkcfg *c)
{
    memset(c, 0, sizeof *c);
    c->bandwidth = 1000000000;
    c->loss.kind = LN_LOSS_NONE;
    c->queue_pkts = 1000;
    c->up = true;
}

/* False for NaN too, which a bare "p < 0 || p > 1" would let through. */
static bool prob_ok(double p) { return p >= 0.0 && p <= 1.0; }

static int check_prob(const char *what, double p, char *err, size_t errlen)
{
    if (prob_ok(p)) return 0;
    FAIL(err, errlen, "%s %g out of range (0..1)", what, p);
    return LN_EINVAL;
}

static int check_time(const char *what, ln_time t, char *err, size_t errlen)
{
    if (t <= MAX_DELAY) return 0;
    FAIL(err, errlen, "%s %.9gs out of range (0..%gs)", what,
         (double)t / (double)LN_SEC, (double)MAX_DELAY / (double)LN_SEC);
    return LN_EINVAL;
}

int ln_linkcfg_check(const ln_linkcfg *c, char *err, size_t errlen)
{
    int rc = 0;
    switch (c->loss.kind) {
    case LN_LOSS_NONE:
        break;
    case LN_LOSS_RANDOM:
        rc = check_prob("loss", c->loss.rate, err, errlen);
        break;
    case LN_LOSS_GE:
        (void)((rc = check_prob("gilbert-elliott p", c->loss.p, err, errlen)) ||
               (rc = check_prob("gilbert-elliott r", c->loss.r, err, errlen)) ||
               (rc = check_prob("gilbert-elliott loss_good", c->loss.loss_good, err, errlen)) ||
               (rc = check_prob("gilbert-elliott loss_bad", c->loss.loss_bad, err, errlen)));
        break;
    default:
        FAIL(err, errlen, "loss kind %d unknown (use none, random or gilbert-elliott)",
             (int)c->loss.kind);
        return LN_EINVAL;
    }
    if (rc) return rc;
    if ((rc = check_prob("corrupt", c->corrupt, err, errlen)) ||
        (rc = check_prob("duplicate", c->duplicate, err, errlen)) ||
        (rc = check_prob("reorder", c->reorder, err, errlen)) ||
        (rc = check_time("delay", c->delay, err, errlen)) ||
        (rc = check_time("jitter", c->jitter, err, errlen)) ||
        (rc = check_time("reorder_delay", c->reorder_delay, err, errlen)) ||
        (rc = check_time("min_delay", c->min_delay, err, errlen)))
        return rc;
    if (c->min_delay && (c->delay < c->jitter || c->delay - c->jitter < c->min_delay)) {
        /* Jitter may take up to `jitter` off the delay: the least a frame
         * can spend on the wire is the difference. */
        if (c->jitter)
            FAIL(err, errlen, "delay %.9gs with jitter %.9gs can deliver %.9gs after sending, "
                 "below min_delay %.9gs", (double)c->delay / (double)LN_SEC,
                 (double)c->jitter / (double)LN_SEC,
                 c->delay > c->jitter ? (double)(c->delay - c->jitter) / (double)LN_SEC : 0.0,
                 (double)c->min_delay / (double)LN_SEC);
        else
            FAIL(err, errlen, "delay %.9gs below min_delay %.9gs (the least delay this link "
                 "declared)", (double)c->delay / (double)LN_SEC,
                 (double)c->min_delay / (double)LN_SEC);
        return LN_EINVAL;
    }
    if (c->reorder > 0 && c->reorder_delay == 0) {
        /* Holding a frame back by nothing reorders nothing: say so rather
         * than silently doing nothing. */
        FAIL(err, errlen, "reorder %g needs a reorder_delay above 0", c->reorder);
        return LN_EINVAL;
    }
    if (c->mtu && (c->mtu < MIN_MTU || c->mtu > MAX_MTU)) {
        FAIL(err, errlen, "mtu %" PRIu32 " out of range (%u..%u, or 0 for no limit)",
             c->mtu, MIN_MTU, MAX_MTU);
        return LN_EINVAL;
    }
    return 0;
}

/* Exact ceil(bytes * 8 * 1e9 / bps).  For any frame below ~2.3 GB the
 * product fits in 64 bits; beyond that 128-bit arithmetic (or a split
 * quotient/remainder without it) avoids overflow and saturates at
 * LN_NEVER. */
ln_time ln_link_txtime(uint64_t bps, uint32_t bytes)
{
    if (bps == 0) return 0;
    uint64_t bits = (uint64_t)bytes * 8;
    if (bits <= UINT64_MAX / LN_SEC) {
        uint64_t num = bits * LN_SEC;
        return num / bps + (num % bps != 0);
    }
#ifdef __SIZEOF_INT128__
    __extension__ typedef unsigned __int128 u128;
    u128 num = (u128)bits * LN_SEC;
    u128 t = num / bps + (num % bps != 0);
    return t >= LN_NEVER ? LN_NEVER : (ln_time)t;
#else
    uint64_t q = bits / bps, r = bits % bps;
    if (q > (LN_NEVER - LN_SEC) / LN_SEC) return LN_NEVER;
    /* r < bps: split 1e9 = 1e3 * 1e6 so each step stays in range. */
    uint64_t ns = q * LN_SEC, frac;
    if (r <= UINT64_MAX / LN_SEC) frac = (r * LN_SEC + bps - 1) / bps;
    else frac = (uint64_t)((long double)r * LN_SEC / bps) + 1;
    return sat_add(ns, frac);
#endif
}

/* ---- the queue ------------------------------------------------------------ */

static ln_pkt *q_pop(ln_linkdir *d)
{
    ln_pkt *p = d->q_head;
    d->q_head = p->next;
    /* The next to go is read when the transmitter frees up, an event or
     * more from now: fetch it meanwhile (a queue's frames are cold). */
    if (!d->q_head) d->q_tail = NULL;
    else __builtin_prefetch(d->q_head);
    p->next = NULL;
    d->q_len--;
    d->q_bytes -= p->len;
    return p;
}

/* ---- events and drops ---------------------------------------------------- */

static void emit(ln_linkdir *d, ln_ev_type type, ln_port *port, const ln_pkt *p)
{
    ln_iface *ifc = ln_port_iface(port);
    ln_event ev = { .type = type, .node = ifc ? ifc->node : NULL, .iface = ifc,
                    .port = port, .link = d->link, .dir = d->dir, .pkt = p,
                    .layer = LN_LAYER_L2 };
    ln_net_emit(d->link->net, &ev);
}

void ln_link_drop(ln_net *net, ln_link *link, int dir, ln_pkt *pkt, ln_layer layer,
                      ln_drop_reason reason)
{
    /* The running actor's share, as in ln_net_drop: the sending port's
     * actor for what the sender half drops in its events, the receiving
     * port's for the receiver half's, whoever asked for a down for what
     * the down flushes. */
    ln_drops_count(&ln_net_counts(net)->drops, reason);
    if (ln_net_wants(net, LN_EV_DROP)) {
        ln_event ev = { .type = LN_EV_DROP, .port = link->d[dir].from, .link = link, .dir = dir,
                        .pkt = pkt, .layer = pkt ? layer : LN_LAYER_NONE, .reason = reason };
        ln_net_emit(net, &ev);
    }
    ln_pkt_free(pkt);
}

static void drop(ln_linkdir *d, ln_pkt *p, ln_drop_reason why)
{
    ln_link_drop(d->link->net, d->link, d->dir, p, LN_LAYER_L2, why);
}

/* The waiting queue changed: frames and bytes waiting now.  Callers test
 * ln_net_wants(LN_EV_QUEUE) first. */
static void emit_queue(ln_linkdir *d)
{
    ln_iface *ifc = ln_port_iface(d->from);
    ln_event ev = { .type = LN_EV_QUEUE, .node = ifc ? ifc->node : NULL, .iface = ifc,
                    .port = d->from, .link = d->link, .dir = d->dir,
                    .value = d->q_len, .value2 = d->q_bytes };
    ln_net_emit(d->link->net, &ev);
}

/* ---- booked frames --------------------------------------------------------
 *
 * A frame that must wait for the transmitter starts when the frames ahead
 * of it end: on a plain direction that time, its arrival and its key are
 * known as it joins the queue.  When nothing can see it wait -- no TX or
 * QUEUE subscriber, no frame an interception hook chose to lose, one
 * process -- it needs no event to start it: it is handed to the receiver
 * half at once (which parks its key with it), and only its start and
 * length are kept here, in a ring, so that the queue's length and bytes
 * (its limits and max_qlen) and the counters stay what they would have
 * been.  A booked frame counts as started from its start time on (queued
 * ones too: tx_catch_up).  It is the same frame, arriving at the same time
 * as the same event; what is saved is the tx_timer event that would have
 * started it, with the cold lines it would have read then: on a saturated
 * link, one event of two per frame and hop, three of the nine of a
 * connection's setup in bench_scale.
 *
 * While frames are booked the queue is empty and q_len and q_bytes count
 * them (the ring's entries from its head; the started ones leave lazily).
 * The booked frames that have not started are the tail of the receiver's
 * flight list.  ln_link_settle puts them back in the queue, where they are
 * what they would be had they waited there all along (tx_arm), before
 * anything that would see them wait or change what becomes of them: a
 * subscriber to TX or QUEUE, a reconfiguration, a down, a frame that
 * cannot be booked behind them (one to lose, one that would overtake). */

/* A booked frame's arrival key is parked in the frame, at the receiver
 * (link_rx.c), which gives it back with the frame (ln_linkrx_take_back). */
typedef struct txbook_ent {
    ln_time start;
    uint32_t len;
} txbook_ent;

struct ln_txbook {
    uint32_t head, cap;         /* cap a power of two; d->q_len entries from head
                                 * (with none, head may be anywhere) */
    txbook_ent e[];
};

static bool booked(const ln_linkdir *d) { return !d->q_head && d->q_len; }

static txbook_ent *book_at(const ln_linkdir *d, uint32_t k)
{
    struct ln_txbook *b = d->book;
    return &b->e[(b->head + k) & (b->cap - 1)];
}

/* A ring starts with room for two, one cache line with its header, from
 * the network's slab, and goes back to it once a send or a settle finds
 * it empty (every frame on it started): most links book a frame behind
 * one other now and then (a client's SYN behind its ACK), and take the
 * ring another link gave back last, still in the cache, rather than one
 * of their own, cold, that a hundred thousand links would keep.  A
 * saturated link's ring doubles, from malloc, and stays. */
enum { BOOK_FIRST = 2 };

_Static_assert(sizeof(struct ln_txbook) + BOOK_FIRST * sizeof(txbook_ent) <= 64,
               "a first ring is one cache line");

size_t ln_link_book_size(void)
{
    return sizeof(struct ln_txbook) + BOOK_FIRST * sizeof(txbook_ent);
}

static void book_free(ln_linkdir *d)
{
    if (d->book_small) ln_slab_free(&d->link->net->txbook_slab, d->book);
    else free(d->book);
    d->book = NULL;
    d->book_small = false;
}

/* Nothing is booked any more (every frame started, or back in the
 * queue): a first ring goes back to the slab. */
static void book_empty(ln_linkdir *d)
{
    if (d->book_small) book_free(d);
}

static void book_grow(ln_linkdir *d)
{
    ln_net *net = d->link->net;
    struct ln_txbook *nb;
    uint32_t cap = d->book ? d->book->cap * 2 : BOOK_FIRST, n = d->book ? d->q_len : 0;
    if (cap == BOOK_FIRST) nb = ln_slab_alloc(&net->txbook_slab);
    else nb = malloc(sizeof *nb + cap * sizeof nb->e[0]);
    if (!nb) ln_fatal("out of memory booking frames on link %s", LN_LINK_NAME_OF(d->link));
    nb->head = 0;
    nb->cap = cap;
    for (uint32_t k = 0; k < n; k++) nb->e[k] = *book_at(d, k);
    if (d->book) book_free(d);
    d->book = nb;
    d->book_small = cap == BOOK_FIRST;
}

/* Forget the booked frames that have started by now. */
static void book_prune(ln_linkdir *d, ln_time now)
{
    struct ln_txbook *b = d->book;
    while (d->q_len && b->e[b->head].start <= now) {
        d->q_len--;
        d->q_bytes -= b->e[b->head].len;
        b->head = (b->head + 1) & (b->cap - 1);
    }
    if (!d->q_len) {
        book_empty(d);
        return;
    }
    /* The next look reads the new head, written a queue's length ago:
     * on a deep queue, out of the cache by now. */
    __builtin_prefetch(&b->e[b->head]);
}

static void launch(ln_linkdir *d, ln_pkt *p, ln_time at, uint64_t seq);

/* p waits behind the transmitter (busy_until > now) on a plain direction
 * nobody watches: it starts at busy_until, as tx_kick would start it.
 * False, and nothing done, if it would overtake a frame in flight (sent
 * with a longer delay before a reconfiguration): the receiver then gives
 * every frame a timer of its own and parks no key, so it waits in the
 * queue instead. */
static bool book(ln_linkdir *d, ln_pkt *p, uint64_t seq)
{
    ln_time start = d->busy_until, end = sat_add(start, ln_link_txtime(d->cfg.bandwidth, p->len));
    ln_time at = sat_add(end, d->cfg.delay);
    if (!ln_linkrx_in_order(d, at, seq)) return false;
    if (!d->book || d->q_len == d->book->cap) book_grow(d);
    *book_at(d, d->q_len) = (txbook_ent){ .start = start, .len = p->len };
    d->q_len++;
    d->q_bytes += p->len;
    if (d->q_len > d->st.max_qlen) d->st.max_qlen = d->q_len;
    d->busy_until = end;
    d->st.tx_packets++;
    d->st.tx_bytes += p->len;
    launch(d, p, at, seq);
    return true;
}

static void tx_catch_up(ln_linkdir *d);
static void tx_arm(ln_linkdir *d);

void ln_link_settle(ln_linkdir *d)
{
    ln_net *net = d->link->net;
    if (d->q_head) {
        /* Queued, not booked: what is due has started all the same. */
        if (d->busy_until <= ln_net_now(net)) tx_catch_up(d);
        return;
    }
    if (!d->q_len) return;
    book_prune(d, ln_net_now(net));
    uint32_t n = d->q_len;
    if (!n) return;
    ln_pkt *p = ln_linkrx_take_back(d, n);
    d->busy_until = book_at(d, 0)->start;     /* when the last started one ends */
    for (uint32_t k = 0; k < n; k++) {
        const txbook_ent *e = book_at(d, k);
        ln_pkt *next = p->next;                 /* its mark holds its seq */
        d->st.tx_packets--;
        d->st.tx_bytes -= e->len;
        ln_pktlist_append(&d->q_head, &d->q_tail, p);
        p = next;
    }
    book_empty(d);                      /* nothing booked: q_len counts the queue */
    tx_arm(d);
}

void ln_link_settle_all(ln_net *net)
{
    for (uint32_t i = 0; i < net->n_links; i++)
        for (int k = 0; k < 2; k++) ln_link_settle(&net->links[i]->d[k]);
}

/* ---- the wire ------------------------------------------------------------ */

static bool lost(ln_linkdir *d)
{
    const ln_loss *L = &d->cfg.loss;
    switch (L->kind) {
    case LN_LOSS_RANDOM:
        return ln_rng_chance(&d->rng, L->rate);
    case LN_LOSS_GE: {
        /* The state this frame finds decides its fate; then the chain takes
         * one step.  A bad run lasts 1/r frames on average. */
        bool bad = d->ge_bad;
        bool lose = ln_rng_chance(&d->rng, bad ? L->loss_bad : L->loss_good);
        if (bad) d->ge_bad = !ln_rng_chance(&d->rng, L->r);
        else d->ge_bad = ln_rng_chance(&d->rng, L->p);
        return lose;
    }
    default:
        return false;
    }
}

/* Flip one bit past the Ethernet header.  A real receiver's FCS check
 * would discard such a frame; here the IP or transport checksum must catch
 * it (ln_eth_corrupt aims inside the IPv4 datagram for that). */
static void corrupt(ln_linkdir *d, ln_pkt *p)
{
    if (ln_eth_corrupt(&d->rng, p, 1)) {
        d->st.corrupted++;
        LN_TRACE(d->link->net, LN_TR_LINK, d->from->name, "frame " LN_PKT_ID_FMT ": one bit flipped",
                 LN_PKT_ID_ARGS(p->id));
    }
}

/* A lost frame leaves when its last bit would have left the wire; lost
 * frames vanish in the order they left, so this is the list head. */
static void vanish(void *arg)
{
    ln_pkt *p = arg;
    ln_linkdir *d = (ln_linkdir *)(uintptr_t)p->mark;
    ln_pktlist_unlink(&d->lost_head, &d->lost_tail, p);
    p->mark = 0;
    d->st.dropped_loss++;
    drop(d, p, LN_DROP_LOSS);
}

static void lose(ln_linkdir *d, ln_pkt *p, ln_time txend)
{
    p->mark = (uint64_t)(uintptr_t)d;
    ln_timer_init(&p->timer, vanish, p);
    ln_timer_own(&p->timer, d->from->actor);   /* the sender's event */
    ln_pktlist_append(&d->lost_head, &d->lost_tail, p);
    ln_timer_arm(&d->link->net->sim, &p->timer, txend);
}

/* cfg changed: whether a frame has anything to draw. */
static void cfg_changed(ln_linkdir *d)
{
    const ln_linkcfg *c = &d->cfg;
    d->plain = c->loss.kind == LN_LOSS_NONE && c->jitter == 0 && c->reorder <= 0 &&
               c->duplicate <= 0 && c->corrupt <= 0;
}

_Static_assert(offsetof(ln_linkdir, st.max_qlen) >= 64 &&
               offsetof(ln_linkdir, st.tx_bytes) + 8 <= 128,
               "a frame's way reads two lines of a direction (and one of cfg)");

/* Hand a frame to the receiver half, stamped with the epoch it leaves in. */
static void launch(ln_linkdir *d, ln_pkt *p, ln_time at, uint64_t seq)
{
    p->epoch = d->epoch;
    ln_linkrx_accept(d, p, at, seq);
}

/* Decide the frame's fate as it starts onto the wire.  Draws happen in a
 * fixed order (loss, jitter, reorder, duplicate, corrupt) and only for
 * knobs that are set, so the stream, hence the pattern, depends only on the
 * seed, the link's name and its configuration. */
static void on_wire(ln_linkdir *d, ln_pkt *p, ln_time txend, uint64_t seq)
{
    const ln_linkcfg *c = &d->cfg;
    if (p->wire_lose) {
        /* Chosen by an interception hook, not by the link's model: no draw,
         * so the link's own pattern is the same with or without the hook. */
        p->wire_lose = 0;
        LN_TRACE(d->link->net, LN_TR_LINK, d->from->name,
                 "frame " LN_PKT_ID_FMT " lost on the wire (intercept)", LN_PKT_ID_ARGS(p->id));
        lose(d, p, txend);
        return;
    }
    if (d->plain) {
        /* What the knobs below do when none is set, without reading them. */
        launch(d, p, sat_add(txend, c->delay), seq);
        return;
    }
    if (c->loss.kind != LN_LOSS_NONE && lost(d)) {
        LN_TRACE(d->link->net, LN_TR_LINK, d->from->name,
                 "frame " LN_PKT_ID_FMT " lost on the wire%s", LN_PKT_ID_ARGS(p->id),
                 c->loss.kind == LN_LOSS_GE ? (d->ge_bad ? " (Gilbert-Elliott, now bad)" : " (Gilbert-Elliott, now good)") : "");
        lose(d, p, txend);
        return;
    }
    ln_time at = sat_add(txend, c->delay);
    if (c->jitter) {
        /* Uniform in [-jitter, +jitter], but never before the last bit has
         * been sent. */
        uint64_t j = ln_rng_below(&d->rng, 2 * c->jitter + 1);
        if (j >= c->jitter) at = sat_add(at, j - c->jitter);
        else at = c->delay >= c->jitter - j ? at - (c->jitter - j) : txend;
    }
    if (ln_rng_chance(&d->rng, c->reorder)) {
        at = sat_add(at, c->reorder_delay);
        d->st.reordered++;
        LN_TRACE(d->link->net, LN_TR_LINK, d->from->name,
                 "frame " LN_PKT_ID_FMT " held back %llu us (reorder)",
                 LN_PKT_ID_ARGS(p->id), (unsigned long long)(c->reorder_delay / LN_USEC));
    }
    ln_pkt *dup = NULL;
    if (ln_rng_chance(&d->rng, c->duplicate)) {
        /* Cloned before corruption: the copy is a second, independent
         * arrival of what was sent. */
        dup = ln_pkt_clone(p);
        LN_TRACE(d->link->net, LN_TR_LINK, d->from->name, "frame " LN_PKT_ID_FMT " duplicated",
                 LN_PKT_ID_ARGS(p->id));
        if (dup) d->st.duplicated++;
        else drop(d, NULL, LN_DROP_NO_BUFFER);
    }
    if (ln_rng_chance(&d->rng, c->corrupt)) corrupt(d, p);
    launch(d, p, at, seq);
    /* Same instant, right after; its own place in the count. */
    if (dup) launch(d, dup, at, ln_sim_take_seq_of(&d->link->net->sim, d->from->actor));
}

static void tx_start(ln_linkdir *d, ln_pkt *p, uint64_t seq)
{
    ln_net *net = d->link->net;
    ln_time txend = sat_add(ln_net_now(net), ln_link_txtime(d->cfg.bandwidth, p->len));
    d->busy_until = txend;
    d->st.tx_packets++;
    d->st.tx_bytes += p->len;
    /* A subscriber that takes the direction down does so after this
     * event (ln_net_defer): the frame is on its way by then. */
    if (ln_net_wants(net, LN_EV_TX)) emit(d, LN_EV_TX, d->from, p);
    on_wire(d, p, txend, seq);
}

/* tx_timer's key: the sending port's actor owns and creates it, and its
 * seq, above every count's, is the direction's own.  So its place among
 * the events of an instant does not depend on when, or by whom, it was
 * armed: a queue that booked frames settled into (ln_link_settle) starts
 * them as the same events as one they waited in all along, and a split
 * run as a whole one. */
static void tx_arm(ln_linkdir *d)
{
    ln_timer_arm_as(&d->link->net->sim, &d->tx_timer, d->busy_until, d->from->actor,
                    (1ull << 63) | (uint64_t)d->link->id << 1 | d->dir);
}

/* Start what waits and is due by now. */
static void tx_due(ln_linkdir *d)
{
    ln_net *net = d->link->net;
    d->starting = true;
    /* Loops only when serialization takes 0 ns (no bandwidth limit, or a
     * bandwidth just changed to unlimited). */
    while (d->q_head && d->busy_until <= ln_net_now(net)) {
        /* The frame is on the wire (busy_until set) before anybody hears
         * that the queue shrank: a subscriber that sends on this direction
         * must find the transmitter busy. */
        ln_pkt *p = q_pop(d);
        uint64_t seq = p->mark;
        p->mark = 0;
        tx_start(d, p, seq);
        if (ln_net_wants(net, LN_EV_QUEUE)) emit_queue(d);
    }
    d->starting = false;
}

/* tx_timer: the transmitter is free; start what waits. */
static void tx_kick(void *arg)
{
    ln_linkdir *d = arg;
    tx_due(d);
    if (d->q_head && !ln_timer_armed(&d->tx_timer)) tx_arm(d);
}

/* A frame is offered at the instant the transmitter frees up, maybe before
 * tx_kick runs at that instant: what is due starts first, so that the
 * queue a frame finds depends on the time alone, not on the order of the
 * events at one instant (and a booked frame, which needs no event, counts
 * alike). */
static void tx_catch_up(ln_linkdir *d)
{
    /* From inside tx_due (a TX subscriber sending, or subscribing), the
     * frame being started is not on its way yet: the loop goes on in
     * order after it. */
    if (d->starting) return;
    tx_due(d);
    if (d->q_head) tx_arm(d);
    else ln_timer_cancel(&d->link->net->sim, &d->tx_timer);
}

void ln_link_send(ln_linkdir *d, ln_pkt *frame)
{
    /* One pointer test when the direction has no hook. */
    if (d->ic) {
        ln_ic_link_run(d, frame);
        return;
    }
    ln_link_send_cont(d, frame);
}

/* Whether p may be booked rather than queued (see "booked frames"). */
static bool can_book(const ln_linkdir *d, const ln_pkt *p)
{
    const ln_net *net = d->link->net;
    return d->plain && !p->wire_lose && !d->q_head && !net->dist && !net->wide_mask &&
           !d->watched;
}

void ln_link_send_cont(ln_linkdir *d, ln_pkt *frame)
{
    ln_net *net = d->link->net;
    const ln_linkcfg *c = &d->cfg;
    ln_time now = ln_net_now(net);
    if (!c->up) {
        d->st.dropped_down++;
        drop(d, frame, LN_DROP_LINK_DOWN);
        return;
    }
    if (c->mtu && frame->len > LN_ETH_HLEN && frame->len - LN_ETH_HLEN > c->mtu) {
        d->st.dropped_mtu++;
        drop(d, frame, LN_DROP_LINK_MTU);
        return;
    }
    if (d->q_len) {
        /* Booked frames that have all started need no look at the ring
         * (on a link that was busy long ago, a cold line or two). */
        if (d->q_head) {
            if (d->busy_until <= now) tx_catch_up(d);
        } else if (d->busy_until <= now) {
            d->q_len = d->q_bytes = 0;
            book_empty(d);
        } else {
            book_prune(d, now);
        }
    }
    /* The arrival's place in the sending port's actor's count is taken
     * as the frame joins, whenever it starts. */
    uint64_t seq;
    if (!d->q_head && d->busy_until <= now) {
        d->st.enqueued++;
        seq = ln_sim_take_seq_of(&net->sim, d->from->actor);
        tx_start(d, frame, seq);
        return;
    }
    /* The limits count frames waiting, not the one being serialized, like
     * a qdisc in front of a NIC. */
    if ((c->queue_pkts && d->q_len >= c->queue_pkts) ||
        (c->queue_bytes && (uint64_t)d->q_bytes + frame->len > c->queue_bytes)) {
        d->st.dropped_queue++;
        drop(d, frame, LN_DROP_QUEUE_FULL);
        return;
    }
    d->st.enqueued++;
    seq = ln_sim_take_seq_of(&net->sim, d->from->actor);
    if (can_book(d, frame) && book(d, frame, seq)) return;
    ln_link_settle(d);                  /* what was booked ahead waits, then this */
    frame->mark = seq;
    ln_pktlist_append(&d->q_head, &d->q_tail, frame);
    d->q_len++;
    d->q_bytes += frame->len;
    if (d->q_len > d->st.max_qlen) d->st.max_qlen = d->q_len;
    if (!ln_timer_armed(&d->tx_timer)) tx_arm(d);
    /* Last: a subscriber that takes the direction down finds it whole. */
    if (ln_net_wants(net, LN_EV_QUEUE)) emit_queue(d);
}

/* ---- up, down, reconfiguration ------------------------------------------ */

static void drop_list(ln_linkdir *d, ln_pkt *p)
{
    while (p) {
        ln_pkt *next = p->next;
        p->next = NULL;
        p->mark = 0;
        d->st.dropped_down++;
        drop(d, p, LN_DROP_LINK_DOWN);
        p = next;
    }
}

static void dir_set_up(ln_linkdir *d, bool up)
{
    ln_net *net = d->link->net;
    ln_link_settle(d);                  /* a down drops what waits */
    if (d->cfg.up == up) return;
    d->cfg.up = up;
    ln_pkt *lost = NULL, *q = NULL;
    if (!up) {
        d->epoch++;
        ln_timer_cancel(&net->sim, &d->tx_timer);
        d->busy_until = ln_net_now(net);
        /* Detach both lists before any DROP is emitted: a subscriber may
         * touch this direction again (sends are refused while it is down,
         * and a quick up starts from empty lists). */
        lost = d->lost_head;
        d->lost_head = d->lost_tail = NULL;
        for (ln_pkt *p = lost; p; p = p->next) ln_timer_cancel(&net->sim, &p->timer);
        q = d->q_head;
        d->q_head = d->q_tail = NULL;
        d->q_len = d->q_bytes = 0;
    }
    if (ln_net_wants(net, LN_EV_LINK)) {
        ln_event ev = { .type = LN_EV_LINK, .port = d->from, .link = d->link,
                        .dir = d->dir, .value = up };
        ln_net_emit(net, &ev);
    }
    if (q && ln_net_wants(net, LN_EV_QUEUE)) emit_queue(d);      /* flushed */
    if (up) return;
    /* In the order they left: on their way to the far end, then lost ones
     * still leaving the wire (those are the latest: the transmitter sends
     * one frame at a time), then those still queued.  The far end hears
     * of it min_delay later, though (its drops come then): a run split
     * across processes cannot tell it sooner, so one process does not
     * either. */
    ln_linkrx_notice(d, d->epoch, sat_add(ln_net_now(net), d->cfg.min_delay));
    drop_list(d, lost);
    drop_list(d, q);
}

typedef struct updown { ln_link *l; int dir; bool up; } updown;

static void set_up_now(ln_net *net, const void *data)
{
    const updown *u = data;
    (void)net;
    for (int i = 0; i < 2; i++)
        if (u->dir < 0 || u->dir == i) dir_set_up(&u->l->d[i], u->up);
}

/* The direction's requested configuration, made a copy of cfg the first
 * time a change is asked for. */
static ln_linkcfg *want_of(ln_linkdir *d)
{
    if (!d->want) {
        d->want = malloc(sizeof *d->want);
        if (!d->want) ln_fatal("out of memory reconfiguring link %s", LN_LINK_NAME_OF(d->link));
        *d->want = d->cfg;
    }
    return d->want;
}

void ln_link_set_up(ln_link *l, int dir, bool up)
{
    updown u = { .l = l, .dir = dir, .up = up };
    for (int i = 0; i < 2; i++)
        if (dir < 0 || dir == i) want_of(&l->d[i])->up = up;
    ln_net_defer(l->net, set_up_now, &u, sizeof u);
}

/* Whether c may replace direction dir's (-1: both) configuration now. */
static int configure_check(const ln_link *l, int dir, const ln_linkcfg *c, char *err, size_t errlen)
{
    if (dir < -1 || dir > 1) {
        FAIL(err, errlen, "link direction %d out of range (0, 1, or -1 for both)", dir);
        return LN_EINVAL;
    }
    int rc = ln_linkcfg_check(c, err, errlen);
    if (rc) return rc;
    for (int i = 0; i < 2; i++) {
        if (dir >= 0 && dir != i) continue;
        const ln_linkcfg *w = ln_link_cfg(l, i);
        if (c->min_delay < w->min_delay) {
            /* Another process may already be running min_delay ahead on
             * the promise: it can be kept longer, never taken back. */
            FAIL(err, errlen, "min_delay %.9gs below the %.9gs declared for %s (%s): it may "
                 "be raised, never lowered", (double)c->min_delay / (double)LN_SEC,
                 (double)w->min_delay / (double)LN_SEC, LN_LINK_NAME_OF(l), i ? "ba" : "ab");
            return LN_EINVAL;
        }
    }
    return 0;
}

typedef struct reconf { ln_link *l; int dir; ln_linkcfg c; } reconf;

static void configure_now(ln_net *net, const void *data)
{
    const reconf *r = data;
    ln_link *l = r->l;
    int dir = r->dir;
    const ln_linkcfg *c = &r->c;
    (void)net;
    /* Checked when asked, against what was asked before it (want), so it
     * holds now: requests apply in the order they were made. */
    for (int i = 0; i < 2; i++) {
        if (dir >= 0 && dir != i) continue;
        ln_linkdir *d = &l->d[i];
        bool was_up = d->cfg.up;
        /* Frames that wait start with what is in effect when they start. */
        ln_link_settle(d);
        d->cfg = *c;
        d->cfg.up = was_up;
        cfg_changed(d);
        if (c->loss.kind != LN_LOSS_GE) d->ge_bad = false;
        /* A queue longer than a new, smaller limit keeps its frames; only
         * new arrivals see the limit.  busy_until stands: the frame being
         * serialized was timed at the old bandwidth. */
        dir_set_up(d, c->up);
    }
}

const ln_linkcfg *ln_link_cfg(const ln_link *l, int dir)
{
    return l->d[dir].want ? l->d[dir].want : &l->d[dir].cfg;
}

int ln_link_configure(ln_link *l, int dir, const ln_linkcfg *c, char *err, size_t errlen)
{
    int rc = configure_check(l, dir, c, err, errlen);
    if (rc) return rc;
    for (int i = 0; i < 2; i++)
        if (dir < 0 || dir == i) *want_of(&l->d[i]) = *c;
    reconf r = { .l = l, .dir = dir, .c = *c };
    ln_net_defer(l->net, configure_now, &r, sizeof r);
    return 0;
}

/* ---- lifetime ------------------------------------------------------------ */

static void link_fin(void *l) { ln_link_free(l); }

ln_link *ln_link_new(ln_net *net, ln_port *a, ln_port *b,
                     const ln_linkcfg *ab, const ln_linkcfg *ba,
                     char *err, size_t errlen)
{
    ln_linkcfg def;
    if (!a || !b) {
        FAIL(err, errlen, "a link needs two ports");
        return NULL;
    }
    if (a == b) {
        FAIL(err, errlen, "cannot link port %s to itself", a->name);
        return NULL;
    }
    if (a->owner && a->owner == b->owner) {
        /* Two ports of one switch: a cable from a switch to itself is a
         * loop that floods every broadcast round forever. */
        FAIL(err, errlen, "cannot link %s to %s: both are ports of the same device", a->name,
             b->name);
        return NULL;
    }
    if (a->link || b->link) {
        FAIL(err, errlen, "port %s is already linked", (a->link ? a : b)->name);
        return NULL;
    }
    if (!a->rx || !b->rx) {
        FAIL(err, errlen, "port %s cannot receive (no rx function)", (a->rx ? b : a)->name);
        return NULL;
    }
    if (!ab) {
        ln_linkcfg_default(&def);
        ab = &def;
    }
    if (!ba) ba = ab;
    if (ln_linkcfg_check(ab, err, errlen) || ln_linkcfg_check(ba, err, errlen)) return NULL;

    ln_link *l = ln_slab_alloc(&net->link_slab);
    if (!l) {
        FAIL(err, errlen, "out of memory");
        return NULL;
    }
    l->net = net;
    l->id = net->n_links;
    char name[LN_LINK_NAME];
    snprintf(name, sizeof name, "%s<->%s", a->name, b->name);
    for (int i = 0; i < 2; i++) {
        ln_linkdir *d = &l->d[i];
        char label[LN_LINK_NAME + 16];
        d->link = l;
        d->dir = i;
        d->cfg = i ? *ba : *ab;
        cfg_changed(d);
        d->want = NULL;
        d->from = i ? b : a;
        d->to = i ? a : b;
        ln_timer_init(&d->tx_timer, tx_kick, d);
        /* The sender half is the sending port's actor's, whoever (a hook,
         * the script) re-arms it. */
        ln_timer_own(&d->tx_timer, d->from->actor);
        ln_linkrx_init(d);
        snprintf(label, sizeof label, "link:%s:%s", name, i ? "ba" : "ab");
        ln_rng_derive(&d->rng, net->seed, label);
    }
    if (ln_net_add_link(net, l, link_fin) != 0) {
        ln_slab_free(&net->link_slab, l);
        FAIL(err, errlen, "out of memory");
        return NULL;
    }
    a->link = b->link = l;
    a->out = &l->d[0];
    b->out = &l->d[1];
    return l;
}

_Static_assert(2 * (sizeof(((ln_port *)0)->name) - 1) + sizeof "<->" <= LN_LINK_NAME,
               "a link's name must fit LN_LINK_NAME");

const char *ln_link_name(const ln_link *l, char *buf, size_t len)
{
    snprintf(buf, len, "%s<->%s", l->d[0].from->name, l->d[1].from->name);
    return buf;
}

size_t ln_link_size(void)
{
    size_t lines = (sizeof(ln_link) + 63) / 64;
    return (lines | 1) * 64;
}

/* Called by ln_net_free after the scheduler has been torn down (timers are
 * disarmed then, so cancelling is a no-op) and before the pool is; the
 * ports may already be gone, so they are not touched. */
void ln_link_free(ln_link *l)
{
    if (!l) return;
    for (int i = 0; i < 2; i++) {
        ln_linkdir *d = &l->d[i];
        ln_timer_cancel(&l->net->sim, &d->tx_timer);
        for (ln_pkt *p = d->lost_head; p;) {
            ln_pkt *next = p->next;
            ln_timer_cancel(&l->net->sim, &p->timer);
            ln_pkt_free(p);
            p = next;
        }
        for (ln_pkt *p = d->q_head; p;) {
            ln_pkt *next = p->next;
            ln_pkt_free(p);
            p = next;
        }
        ln_linkrx_free(d);               /* booked frames too */
        book_free(d);
        free(d->want);
    }
    free(l->subs.v);
    ln_slab_free(&l->net->link_slab, l);
}

void ln_link_stats_sum(const ln_linkdir_stats *tx, const ln_linkrx_stats *rx, ln_linkdir_stats *st)
{
    *st = *tx;
    st->delivered = rx->delivered;
    st->delivered_bytes = rx->delivered_bytes;
    st->dropped_down += rx->dropped_down;
}

void ln_link_queue(const ln_linkdir *d, uint32_t *len, uint32_t *bytes)
{
    ln_time now = ln_net_now(d->link->net);
    uint32_t n = d->q_len, b = d->q_bytes;
    if (booked(d)) {
        for (uint32_t k = 0; k < d->q_len && book_at(d, k)->start <= now; k++) {
            n--;
            b -= book_at(d, k)->len;
        }
    } else {
        ln_time start = d->busy_until;
        for (const ln_pkt *p = d->q_head; p && start <= now; p = p->next) {
            n--;
            b -= p->len;
            start = sat_add(start, ln_link_txtime(d->cfg.bandwidth, p->len));
        }
    }
    *len = n;
    *bytes = b;
}

void ln_link_tx_now(const ln_linkdir *d, ln_linkdir_stats *tx, uint32_t *q_len, uint32_t *q_bytes)
{
    /* As of now, whatever has run at this instant: a booked frame was
     * counted as it joined and has started from its start on; a queued
     * one whose start is due counts as started before its event runs. */
    *tx = d->st;
    ln_link_queue(d, q_len, q_bytes);
    if (booked(d)) {
        tx->tx_packets -= *q_len;
        tx->tx_bytes -= *q_bytes;
    } else {
        tx->tx_packets += d->q_len - *q_len;
        tx->tx_bytes += d->q_bytes - *q_bytes;
    }
}

void ln_link_stats(const ln_linkdir *d, ln_linkdir_stats *st)
{
    ln_linkdir_stats tx;
    uint32_t n, bytes;
    ln_link_tx_now(d, &tx, &n, &bytes);
    ln_link_stats_sum(&tx, &d->rx.st, st);
}
