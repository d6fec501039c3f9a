/* dist.c - the split network's bookkeeping: who runs which actor, the
 * messages that cross, and the windows (dist.h, docs/parallel.md).
 *
 * Why an inert copy's frame is dropped rather than delivered: every
 * process runs the script's own code (actor 0), so a script that sends
 * from h1 at its top level makes every copy of h1 send.  Only h1's own
 * process may deliver that frame, or the far end would see it once per
 * process; the others' copies go nowhere. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist.h"
#include "err.h"
#include "link.h"
#include "link_int.h"
#include "net.h"
#include "port.h"

enum { MSG_FRAME = 1, MSG_NOTICE = 2 };

/* One record: this header, then len bytes of frame. */
typedef struct msg_hdr {
    uint8_t type, dir, kind, wire_lose;
    uint32_t link;
    uint32_t epoch;
    uint32_t creator;
    uint64_t seq;
    uint64_t at;
    uint64_t id;
    uint32_t head;                  /* headroom, kept so later hops see the same buffer */
    uint32_t len;
} msg_hdr;

ln_dist *ln_dist_new(ln_net *net, uint32_t rank, uint32_t nranks, const uint32_t *rank_of,
                     char *err, size_t errlen)
{
    if (!nranks || rank >= nranks) {
        snprintf(err, errlen, "rank %u of %u", rank, nranks);
        return NULL;
    }
    for (uint32_t a = 1; a <= net->n_actors; a++) {
        if (rank_of[a] >= nranks) {
            snprintf(err, errlen, "actor %u is given rank %u, but there are %u ranks", a, rank_of[a],
                     nranks);
            return NULL;
        }
    }
    ln_time la = LN_NEVER;
    uint32_t cut = 0;
    for (uint32_t i = 0; i < net->n_links; i++) {
        ln_link *l = net->links[i];
        if (rank_of[l->d[0].from->actor] == rank_of[l->d[0].to->actor]) continue;
        for (int k = 0; k < 2; k++) {
            ln_time md = l->d[k].cfg.min_delay;
            if (!md) {
                snprintf(err, errlen,
                         "link %s joins ranks %u and %u but its %s direction declares no min_delay "
                         "(a link between ranks must promise a least delay, its lookahead: "
                         "net:link{..., min_delay = ...} on both directions, or keep both ends "
                         "on one rank)",
                         l->name, rank_of[l->d[0].from->actor], rank_of[l->d[0].to->actor],
                         k ? "b->a" : "a->b");
                return NULL;
            }
            if (md < la) la = md;
        }
        cut++;
    }
    ln_dist *d = calloc(1, sizeof *d);
    if (!d) goto oom;
    d->net = net;
    d->rank = rank;
    d->nranks = nranks;
    d->n_actors = net->n_actors;
    d->lookahead = la;
    d->cut_links = cut;
    d->rank_of = calloc(net->n_actors + 1, sizeof *d->rank_of);
    d->remote = calloc(net->n_actors + 1, 1);
    d->out = calloc(nranks, sizeof *d->out);
    if (!d->rank_of || !d->remote || !d->out) goto oom;
    for (uint32_t a = 1; a <= net->n_actors; a++) {
        d->rank_of[a] = rank_of[a];
        d->remote[a] = rank_of[a] != rank;
    }
    return d;
oom:
    ln_dist_free(d);
    snprintf(err, errlen, "out of memory");
    return NULL;
}

void ln_dist_free(ln_dist *d)
{
    if (!d) return;
    if (d->out)
        for (uint32_t r = 0; r < d->nranks; r++) free(d->out[r].buf);
    free(d->out);
    free(d->rank_of);
    free(d->remote);
    free(d);
}

static uint8_t *reserve(ln_dist *d, uint32_t r, size_t n)
{
    if (d->out[r].len + n > d->out[r].cap) {
        size_t cap = d->out[r].cap ? d->out[r].cap : 4096;
        while (cap < d->out[r].len + n) cap *= 2;
        uint8_t *b = realloc(d->out[r].buf, cap);
        if (!b) ln_fatal("out of memory for %zu bytes of messages to rank %u", cap, r);
        d->out[r].buf = b;
        d->out[r].cap = cap;
    }
    uint8_t *p = d->out[r].buf + d->out[r].len;
    d->out[r].len += n;
    d->st.msgs_out++;
    d->st.bytes_out += n;
    return p;
}

/* Both halves here: false.  The sender elsewhere: this is an inert copy's
 * doing, dropped.  The receiver elsewhere: a message, keyed as the
 * arrival would have been armed here. */
static bool route(ln_dist *d, ln_linkdir *dir, uint8_t type, ln_pkt *p, uint32_t epoch, ln_time at)
{
    bool s_loc = ln_dist_local(d, dir->from->actor), r_loc = ln_dist_local(d, dir->to->actor);
    if (s_loc && r_loc) return false;
    if (!s_loc) {
        if (p) {
            d->st.inert++;
            ln_pkt_free(p);
        }
        return true;
    }
    /* Keyed by the sending port's actor, as ln_linkrx_accept keys it:
     * its count is this process's alone (an inert copy elsewhere never
     * takes from it), whoever's event or script line made the send. */
    uint32_t from = dir->from->actor;
    uint32_t len = p ? p->len : 0;
    msg_hdr h = {
        .type = type, .dir = (uint8_t)dir->dir, .link = dir->link->id, .epoch = epoch,
        .creator = from, .seq = ln_sim_take_seq_of(&d->net->sim, from), .at = at, .len = len,
    };
    if (p) {
        h.kind = p->kind;
        h.wire_lose = p->wire_lose;
        h.id = p->id;
        h.head = ln_pkt_headroom(p);
    }
    uint8_t *w = reserve(d, d->rank_of[dir->to->actor], sizeof h + len);
    memcpy(w, &h, sizeof h);
    if (p) {
        memcpy(w + sizeof h, p->data, len);
        ln_pkt_free(p);
    }
    return true;
}

bool ln_dist_accept(ln_dist *d, ln_linkdir *dir, ln_pkt *p, ln_time at)
{
    return route(d, dir, MSG_FRAME, p, p->epoch, at);
}

bool ln_dist_notice(ln_dist *d, ln_linkdir *dir, uint32_t epoch, ln_time at)
{
    return route(d, dir, MSG_NOTICE, NULL, epoch, at);
}

ln_time ln_dist_window_end(const ln_dist *d, ln_time global_next, ln_time until)
{
    ln_time end = d->lookahead > LN_NEVER - global_next ? LN_NEVER : global_next + d->lookahead;
    /* Events at `until` itself belong to this run. */
    if (until != LN_NEVER && end > until) end = until + 1;
    return end;
}

const uint8_t *ln_dist_outbox(const ln_dist *d, uint32_t r, size_t *len)
{
    *len = d->out[r].len;
    return d->out[r].buf;
}

void ln_dist_clear_outboxes(ln_dist *d)
{
    for (uint32_t r = 0; r < d->nranks; r++) d->out[r].len = 0;
}

/* Every field is another process's word: the direction must run from an
 * actor of the sending rank to one of ours, and the key must be the one
 * route() makes (the sender's actor, a real count), or the record is
 * refused before anything is armed. */
static int deliver_one(ln_dist *d, uint32_t from, const msg_hdr *h, const uint8_t *bytes)
{
    ln_net *net = d->net;
    if (h->link >= net->n_links || h->dir > 1) return LN_EINVAL;
    ln_linkdir *dir = &net->links[h->link]->d[h->dir];
    if (!ln_dist_local(d, dir->to->actor)) return LN_EINVAL;
    uint32_t sender = dir->from->actor;
    if (sender > d->n_actors || d->rank_of[sender] != from) return LN_EINVAL;
    if (h->creator != sender || h->seq == UINT64_MAX) return LN_EINVAL;
    if (h->type == MSG_NOTICE) {
        ln_linkrx_notice_as(dir, h->epoch, h->at, h->creator, h->seq);
        return 0;
    }
    if (h->type != MSG_FRAME) return LN_EINVAL;
    if (h->len > LN_PKT_LARGE - LN_PKT_HEADROOM) return LN_EINVAL;   /* no sender had it */
    ln_pkt *p = ln_pkt_alloc(net->pool, h->len);
    if (!p) return LN_ENOMEM;
    /* head is another process's word: checked so that head + len cannot
     * wrap past the buffer. */
    if (h->head > LN_PKT_HEADROOM && h->head <= p->cap && h->len <= p->cap - h->head)
        p->data = p->buf + h->head;
    memcpy(p->data, bytes, h->len);
    p->id = h->id;
    p->kind = h->kind;
    p->wire_lose = h->wire_lose;
    p->epoch = h->epoch;
    ln_linkrx_accept_as(dir, p, h->at, h->creator, h->seq);
    return 0;
}

int ln_dist_deliver(ln_dist *d, uint32_t from, const uint8_t *buf, size_t len)
{
    if (from >= d->nranks || from == d->rank) return LN_EINVAL;
    size_t off = 0;
    while (off < len) {
        msg_hdr h;
        if (len - off < sizeof h) return LN_EINVAL;
        memcpy(&h, buf + off, sizeof h);
        off += sizeof h;
        if (len - off < h.len) return LN_EINVAL;
        int rc = deliver_one(d, from, &h, buf + off);
        if (rc) return rc;
        off += h.len;
        d->st.msgs_in++;
        d->st.bytes_in += sizeof h + h.len;
    }
    return 0;
}
