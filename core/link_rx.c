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
 * order it left) with its own timer armed, so a down the receiver hears of
 * can find and drop what is on its way; arrival unlinks the frame, which
 * is the list head unless jitter or reordering let it overtake.  A frame's
 * timer carries one pointer, the packet; the direction is kept in
 * pkt->mark (the current holder's scratch) until it arrives. */
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

static void arrive(void *arg)
{
    ln_pkt *p = arg;
    ln_linkdir *d = dir_of(p);
    ln_linkrx *rx = &d->rx;
    ln_net *net = d->link->net;
    ln_pktlist_unlink(&rx->fl_head, &rx->fl_tail, p);
    rx->in_flight--;
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
    d->to->rx(d->to, p);
}

void ln_linkrx_accept_as(ln_linkdir *d, ln_pkt *p, ln_time at, uint32_t creator, uint64_t seq)
{
    ln_linkrx *rx = &d->rx;
    p->mark = (uint64_t)(uintptr_t)d;
    ln_timer_init(&p->timer, arrive, p);
    /* An arrival is the receiver's event, created by the sender's: in a
     * split run it is armed on the receiver's rank. */
    ln_timer_own(&p->timer, d->to->actor);
    ln_pktlist_append(&rx->fl_head, &rx->fl_tail, p);
    rx->in_flight++;
    ln_timer_arm_as(&d->link->net->sim, &p->timer, at, creator, seq);
}

void ln_linkrx_accept(ln_linkdir *d, ln_pkt *p, ln_time at)
{
    ln_net *net = d->link->net;
    if (net->dist && ln_dist_accept(net->dist, d, p, at)) return;
    /* The arrival's creator is the sending port's actor, whoever runs:
     * the script (actor 0) sends from a host on every process of a split
     * run, but only the host's own process has the real copy, so only
     * that host's count may number what it sends. */
    uint32_t from = d->from->actor;
    ln_linkrx_accept_as(d, p, at, from, ln_sim_take_seq_of(&net->sim, from));
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
    d->rx = (ln_linkrx){ .d = d };
    ln_timer_init(&d->rx.nt_timer, notice_due, d);
    ln_timer_own(&d->rx.nt_timer, d->to->actor);
}

/* Called by ln_link_free once every timer is disarmed. */
void ln_linkrx_free(ln_linkdir *d)
{
    ln_linkrx *rx = &d->rx;
    ln_timer_cancel(&d->link->net->sim, &rx->nt_timer);
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
