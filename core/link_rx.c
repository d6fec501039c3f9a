/* link_rx.c - a link direction's receiver half: frames on their way to the
 * far port, and their arrival.
 *
 * Call chain:
 *
 *   link.c on_wire -> ln_linkrx_accept   flight list, pkt->timer armed
 *                  -> arrive             stale? DROP : RX event, far port's rx
 *   link.c down    -> ln_linkrx_notice   at once, or nt_timer after min_delay
 *                  -> hear               drop what left in an older epoch
 *
 * Everything written here is the receiver half's (d->rx) or the packet's:
 * the sender half's fields are only read for names in events.  That is
 * what lets the two halves live in different processes later.
 *
 * Every frame between accept and arrival sits on the flight list (in the
 * order it left), so a down the receiver hears of can find and drop what
 * is on its way.  While frames arrive in the order they left (no jitter or
 * reordering let one overtake), only the head's arrival is in the
 * scheduler: one timer per direction (arr_timer), armed with the head's
 * own key and moved to the next frame as each arrives, instead of one per
 * frame in flight; a bulk transfer keeps hundreds on a long fat link, and
 * the scheduler's heap stays small.  The frames behind keep their key in
 * their own (unarmed) timer: `when`, the creator in `owner` and the
 * sequence in `arg`, so each arrives as the same event it would have been
 * with a timer of its own, and the order of events does not change.  The
 * first frame that would arrive before the one ahead of it switches the
 * direction to a timer per frame (arrive) until the list empties.  The
 * direction is kept in pkt->mark (the current holder's scratch) until the
 * frame arrives. */
#include <stdlib.h>
#include <string.h>

#include "dist.h"
#include "err.h"
#include "event.h"
#include "link_int.h"
#include "net.h"
#include "node.h"

static inline ln_linkdir *dir_of(const ln_pkt *p) { return (ln_linkdir *)(uintptr_t)p->mark; }

static void rx_drop(ln_linkdir *d, ln_pkt *p)
{
    d->rx.st.dropped_down++;
    ln_link_drop(d->link->net, d->link, d->dir, p, LN_LAYER_L2, LN_DROP_LINK_DOWN);
}

/* A waiting frame's key, kept in its unarmed timer (see above). */
static void park_key(ln_pkt *p, ln_time at, uint32_t creator, uint64_t seq)
{
    p->timer.when = at;
    p->timer.owner = creator;
    p->timer.arg = (void *)(uintptr_t)seq;
}

static void arm_head(ln_linkdir *d)
{
    ln_pkt *h = d->rx.fl_head;
    ln_timer_arm_as(&d->rx.net->sim, &d->rx.arr_timer, h->timer.when, h->timer.owner,
                    (uint64_t)(uintptr_t)h->timer.arg);
}

static void deliver(ln_linkdir *d, ln_pkt *p);

/* A frame's own timer (per_frame mode). */
static void arrive(void *arg)
{
    ln_pkt *p = arg;
    ln_linkdir *d = dir_of(p);
    ln_linkrx *rx = &d->rx;
    ln_pktlist_unlink(&rx->fl_head, &rx->fl_tail, p);
    rx->in_flight--;
    if (!rx->fl_head) rx->per_frame = false;
    deliver(d, p);
}

/* arr_timer: the head is due.  The next head's key is in its own frame,
 * long cold when the direction is one of thousands: it is fetched while
 * this frame is delivered, and arr_timer armed for it after.  A frame sent
 * on this direction from inside the delivery (a hook) finds a list whose
 * head is not armed yet, which only matters to accept (it arms the head of
 * a list it starts, and the new frame is not that); one that overtakes, or
 * a down heard meanwhile, arms or cancels everything itself, so arr_timer
 * is armed here only if still needed.  The key is the frame's own either
 * way: when it is armed does not change the order of events. */
static void arrive_head(void *arg)
{
    ln_linkdir *d = arg;
    ln_linkrx *rx = &d->rx;
    ln_pkt *p = rx->fl_head;
    rx->fl_head = p->next;
    if (!rx->fl_head) rx->fl_tail = NULL;
    else __builtin_prefetch(rx->fl_head);
    p->next = NULL;
    rx->in_flight--;
    deliver(d, p);
    if (rx->fl_head && !rx->per_frame && !ln_timer_armed(&rx->arr_timer)) arm_head(d);
}

/* arr_timer is next (sim.h, ln_sim_prefetcher): from its line, the head
 * frame: its header, which arrive_head reads, and the bytes at the end of
 * the headroom, where the frame's headers most often lie (a pool buffer
 * follows its header); the line deliver counts in; and the port it hands
 * the frame to. */
static void arrive_head_prefetch(void *arg)
{
    const ln_linkdir *d = arg;
    const ln_pkt *p = d->rx.fl_head;
    if (!p) return;
    const char *b = (const char *)p;
    __builtin_prefetch(b);
    __builtin_prefetch(b + 64);
    __builtin_prefetch(b + sizeof *p + LN_PKT_HEADROOM - 128);
    __builtin_prefetch(b + sizeof *p + LN_PKT_HEADROOM - 64);
    __builtin_prefetch(&d->rx.st);
    __builtin_prefetch(d->rx.to);
}

/* Every frame in flight gets a timer of its own (one overtakes). */
static void go_per_frame(ln_linkdir *d)
{
    ln_linkrx *rx = &d->rx;
    ln_sim *s = &d->link->net->sim;
    ln_timer_cancel(s, &rx->arr_timer);
    rx->per_frame = true;
    for (ln_pkt *p = rx->fl_head; p; p = p->next) {
        ln_time at = p->timer.when;
        uint32_t creator = p->timer.owner;
        uint64_t seq = (uint64_t)(uintptr_t)p->timer.arg;
        ln_timer_init(&p->timer, arrive, p);
        ln_timer_own(&p->timer, d->to->actor);
        ln_timer_arm_as(s, &p->timer, at, creator, seq);
    }
}

static void deliver(ln_linkdir *d, ln_pkt *p)
{
    ln_linkrx *rx = &d->rx;
    ln_net *net = rx->net;
    p->mark = 0;
    if (ln_epoch_older(p->epoch, rx->epoch)) {
        /* It left before a down this end has heard of, yet was not here to
         * be dropped then: handed over after the notice (a message that
         * crossed it).  Lost like the others, only found later. */
        rx->st.dropped_stale++;
        rx_drop(d, p);
        return;
    }
    rx->st.delivered++;
    rx->st.delivered_bytes += p->len;
    if (ln_net_wants(net, LN_EV_RX)) {
        ln_iface *ifc = ln_port_iface(d->to);
        ln_event ev = { .type = LN_EV_RX, .node = ifc ? ifc->node : NULL, .iface = ifc,
                        .port = d->to, .link = d->link, .dir = d->dir, .pkt = p,
                        .layer = LN_LAYER_L2 };
        ln_net_emit(net, &ev);
    }
    rx->to->rx(rx->to, p);
}

void ln_linkrx_accept_as(ln_linkdir *d, ln_pkt *p, ln_time at, uint32_t creator, uint64_t seq)
{
    ln_linkrx *rx = &d->rx;
    p->mark = (uint64_t)(uintptr_t)d;
    /* Frames arrive in the order of their keys, and the list's order is
     * theirs only while each comes after the tail: a frame due sooner, or
     * at the same instant with a lower seq (the next frame, which took
     * its seq as it joined, behind a duplicate, which takes one as it
     * leaves), gives every frame a timer of its own. */
    if (!rx->per_frame && !ln_linkrx_in_order(d, at, seq)) go_per_frame(d);
    ln_pktlist_append(&rx->fl_head, &rx->fl_tail, p);
    rx->in_flight++;
    if (!rx->per_frame) {
        ln_timer_init(&p->timer, NULL, NULL);
        park_key(p, at, creator, seq);
        if (rx->fl_head == p) arm_head(d);
        return;
    }
    ln_timer_init(&p->timer, arrive, p);
    /* An arrival is the receiver's event, created by the sender's: in a
     * split run it is armed on the receiver's rank. */
    ln_timer_own(&p->timer, d->to->actor);
    ln_timer_arm_as(&d->link->net->sim, &p->timer, at, creator, seq);
}

void ln_linkrx_accept(ln_linkdir *d, ln_pkt *p, ln_time at, uint64_t seq)
{
    ln_net *net = d->link->net;
    if (net->dist && ln_dist_accept(net->dist, d, p, at, seq)) return;
    /* The arrival's creator is the sending port's actor, whoever runs:
     * the script (actor 0) sends from a host on every process of a split
     * run, but only the host's own process has the real copy, so only
     * that host's count may number what it sends. */
    ln_linkrx_accept_as(d, p, at, d->from->actor, seq);
}

ln_pkt *ln_linkrx_take_back(ln_linkdir *d, uint32_t n)
{
    ln_linkrx *rx = &d->rx;
    ln_sim *s = &rx->net->sim;
    if (n == 0) return NULL;
    if (n > rx->in_flight || rx->per_frame)
        ln_fatal("link %s: %u frames taken back, %u in flight%s", LN_LINK_NAME_OF(d->link), n, rx->in_flight,
                 rx->per_frame ? ", each with a timer of its own" : "");
    uint32_t keep = rx->in_flight - n;
    ln_pkt *first = rx->fl_head, *last_kept = NULL;
    for (uint32_t k = 0; k < keep; k++) {
        last_kept = first;
        first = first->next;
    }
    if (last_kept) {
        last_kept->next = NULL;
        rx->fl_tail = last_kept;
    } else {
        rx->fl_head = rx->fl_tail = NULL;
        /* The head went back: its arrival is no event any more. */
        ln_timer_cancel(s, &rx->arr_timer);
    }
    rx->in_flight = keep;
    for (ln_pkt *p = first; p; p = p->next) p->mark = (uint64_t)(uintptr_t)p->timer.arg;
    return first;
}

/* The direction went down and came back (or not) in `epoch`: whatever is
 * on its way from before is lost, now. */
static void hear(ln_linkdir *d, uint32_t epoch)
{
    ln_linkrx *rx = &d->rx;
    ln_net *net = d->link->net;
    if (ln_epoch_older(rx->epoch, epoch)) rx->epoch = epoch;
    /* Detach the stale frames before any DROP is emitted: a subscriber may
     * send on this direction meanwhile, and its frame joins the list. */
    ln_pkt *stale = NULL, *stale_tail = NULL, *keep = NULL, *keep_tail = NULL;
    for (ln_pkt *p = rx->fl_head; p;) {
        ln_pkt *next = p->next;
        if (ln_epoch_older(p->epoch, rx->epoch)) {
            ln_timer_cancel(&net->sim, &p->timer);
            rx->in_flight--;
            ln_pktlist_append(&stale, &stale_tail, p);
        } else {
            ln_pktlist_append(&keep, &keep_tail, p);
        }
        p = next;
    }
    rx->fl_head = keep;
    rx->fl_tail = keep_tail;
    if (!rx->per_frame) {
        ln_timer_cancel(&net->sim, &rx->arr_timer);
        if (rx->fl_head) arm_head(d);
    } else if (!rx->fl_head) {
        rx->per_frame = false;
    }
    for (ln_pkt *p = stale; p;) {
        ln_pkt *next = p->next;
        p->next = NULL;
        p->mark = 0;
        rx_drop(d, p);
        p = next;
    }
}

/* nt_timer: the oldest down not heard of is due. */
static void notice_due(void *arg)
{
    ln_linkdir *d = arg;
    ln_linkrx *rx = &d->rx;
    ln_time now = ln_net_now(d->link->net);
    uint32_t n = 0;
    while (n < rx->n_nt && rx->nt[n].at <= now) n++;
    uint32_t epoch = rx->nt[n - 1].epoch;   /* the latest: epochs only grow */
    rx->n_nt -= n;
    memmove(rx->nt, rx->nt + n, rx->n_nt * sizeof *rx->nt);
    if (rx->n_nt) ln_timer_arm(&d->link->net->sim, &rx->nt_timer, rx->nt[0].at);
    hear(d, epoch);
}

void ln_linkrx_notice(ln_linkdir *d, uint32_t epoch, ln_time at)
{
    ln_net *net = d->link->net;
    if (net->dist && ln_dist_notice(net->dist, d, epoch, at)) return;
    ln_linkrx_notice_as(d, epoch, at, d->from->actor, UINT64_MAX);
}

void ln_linkrx_notice_as(ln_linkdir *d, uint32_t epoch, ln_time at, uint32_t creator, uint64_t seq)
{
    ln_linkrx *rx = &d->rx;
    if (at <= ln_net_now(d->link->net) && rx->n_nt == 0) {
        hear(d, epoch);
        return;
    }
    /* Downs come in time order and min_delay never shrinks, so notices
     * queue in the order they fall due. */
    if (rx->n_nt == rx->cap_nt) {
        uint32_t ncap = rx->cap_nt ? rx->cap_nt * 2 : 4;
        ln_linknotice *nv = realloc(rx->nt, ncap * sizeof *nv);
        if (!nv) ln_fatal("out of memory queueing a link-down notice");
        rx->nt = nv;
        rx->cap_nt = ncap;
    }
    rx->nt[rx->n_nt++] = (ln_linknotice){ .at = at, .epoch = epoch };
    if (!ln_timer_armed(&rx->nt_timer)) {
        ln_sim *s = &d->link->net->sim;
        /* Local: the sender's next seq, taken only when it arms
         * (UINT64_MAX asks for that); from another rank: the key made there. */
        ln_timer_arm_as(s, &rx->nt_timer, at, creator, seq == UINT64_MAX ? ln_sim_take_seq_of(s, creator) : seq);
    }
}

void ln_linkrx_init(ln_linkdir *d)
{
    d->rx = (ln_linkrx){ .d = d, .to = d->to, .net = d->link->net };
    ln_timer_init(&d->rx.nt_timer, notice_due, d);
    ln_timer_own(&d->rx.nt_timer, d->to->actor);
    ln_timer_init(&d->rx.arr_timer, arrive_head, d);
    ln_sim_prefetcher(&d->link->net->sim, arrive_head, arrive_head_prefetch);
    /* An arrival is the receiver's event, created by the sender's: in a
     * split run it is armed on the receiver's rank. */
    ln_timer_own(&d->rx.arr_timer, d->to->actor);
}

/* Called by ln_link_free once every timer is disarmed. */
void ln_linkrx_free(ln_linkdir *d)
{
    ln_linkrx *rx = &d->rx;
    ln_timer_cancel(&d->link->net->sim, &rx->nt_timer);
    ln_timer_cancel(&d->link->net->sim, &rx->arr_timer);
    for (ln_pkt *p = rx->fl_head; p;) {
        ln_pkt *next = p->next;
        ln_timer_cancel(&d->link->net->sim, &p->timer);
        ln_pkt_free(p);
        p = next;
    }
    rx->fl_head = rx->fl_tail = NULL;
    rx->in_flight = 0;
    free(rx->nt);
    rx->nt = NULL;
    rx->n_nt = rx->cap_nt = 0;
}
