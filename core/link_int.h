/* link_int.h - the contract between a link direction's two halves:
 * link.c (configuration and the sender half) and link_rx.c (the receiver
 * half).  Not for anybody else: the rest of the engine uses link.h.
 *
 * The sender reaches the receiver through ln_linkrx_accept (link.h) and
 * ln_linkrx_notice (here) only; in a split run both become messages. */
#ifndef LN_LINK_INT_H
#define LN_LINK_INT_H

#include "link.h"

/* Epochs compare wrap-safe, like sequence numbers: a is older than b. */
static inline bool ln_epoch_older(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }

/* Append p to a singly linked packet list (through p->next). */
static inline void ln_pktlist_append(ln_pkt **head, ln_pkt **tail, ln_pkt *p)
{
    p->next = NULL;
    if (*tail) (*tail)->next = p;
    else *head = p;
    *tail = p;
}

/* Unlink p, which is on the list.  Frames mostly leave a list in the order
 * they joined it, so p is nearly always the head and the scan is short. */
static inline void ln_pktlist_unlink(ln_pkt **head, ln_pkt **tail, ln_pkt *p)
{
    ln_pkt *prev = NULL, *cur = *head;
    while (cur != p) {
        prev = cur;
        cur = cur->next;
    }
    if (prev) prev->next = p->next;
    else *head = p->next;
    if (*tail == p) *tail = prev;
    p->next = NULL;
}

/* Whether a frame handed over now to arrive at `at` with `seq` comes
 * behind every frame in flight in the order of their keys (the creator,
 * the sending port's actor, is the same), as while the direction is not
 * per_frame (link_rx.c) a booked one must (link.c). */
static inline bool ln_linkrx_in_order(const ln_linkdir *d, ln_time at, uint64_t seq)
{
    const ln_pkt *t = d->rx.fl_tail;
    if (d->rx.per_frame) return false;
    return !t || at > t->timer.when || (at == t->timer.when && seq > (uint64_t)(uintptr_t)t->timer.arg);
}

/* The sender takes back the last n frames it handed over, which have not
 * started onto the wire yet (booked frames, link.c): they leave the flight
 * list as if never accepted, and come back in the order they were
 * accepted, linked through next, each with the seq it was accepted with
 * in its mark.  One process only, and only while every frame in flight
 * waits behind the head (not per_frame: their keys are parked here). */
ln_pkt *ln_linkrx_take_back(ln_linkdir *d, uint32_t n);

/* Set up and tear down the receiver half of d (d->link, d->dir, d->to set). */
void ln_linkrx_init(ln_linkdir *d);
void ln_linkrx_free(ln_linkdir *d);   /* frees what is in flight */

/* The sender went down and now sends in `epoch`: at `at` (now or later),
 * the receiver drops what it holds from older epochs, in the order it
 * left, and any older frame that still turns up. */
void ln_linkrx_notice(ln_linkdir *d, uint32_t epoch, ln_time at);

/* The same, from another process (dist.c): the order key made there, and
 * no routing (the receiver half is this process's). */
void ln_linkrx_notice_as(ln_linkdir *d, uint32_t epoch, ln_time at, uint32_t creator, uint64_t seq);
void ln_linkrx_accept_as(ln_linkdir *d, ln_pkt *p, ln_time at, uint32_t creator, uint64_t seq);

#endif
