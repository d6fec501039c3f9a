/* dist.c - the split network's bookkeeping: who runs which actor, the
 * messages that cross, the windows, and the counters of cut links as the
 * other processes counted them (dist.h, docs/parallel.md).
 *
 * Why an inert copy's frame is dropped rather than delivered: every
 * process runs the script's own code (actor 0), so a script that sends
 * from h1 at its top level makes every copy of h1 send.  Only h1's own
 * process may deliver that frame, or the far end would see it once per
 * process; the others' copies go nowhere. */
#include <stddef.h>
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

/* ---- counters of cut links ------------------------------------------------ */

/* One direction of a cut link as both its halves counted it, wherever
 * they run. */
struct ln_dist_halves {
    ln_linkdir_stats tx;            /* the sender half's (delivered: 0) */
    uint32_t q_len, q_bytes;        /* its queue */
    ln_linkrx_stats rx;             /* the receiver half's */
};

/* A direction's values in the summed vector: the sender half's counters,
 * its high-water mark and queue, then the receiver half's counters. */
#define STAT(f) offsetof(ln_linkdir_stats, f)
static const size_t tx_off[] = {
    STAT(enqueued), STAT(tx_packets), STAT(tx_bytes), STAT(delivered), STAT(delivered_bytes),
    STAT(dropped_queue), STAT(dropped_loss), STAT(dropped_down), STAT(dropped_mtu),
    STAT(corrupted), STAT(duplicated), STAT(reordered),
};
#undef STAT
#define RXSTAT(f) offsetof(ln_linkrx_stats, f)
static const size_t rx_off[] = {
    RXSTAT(delivered), RXSTAT(delivered_bytes), RXSTAT(dropped_down), RXSTAT(dropped_stale),
};
#undef RXSTAT
#define N_TX (sizeof tx_off / sizeof tx_off[0])
#define N_RX (sizeof rx_off / sizeof rx_off[0])
enum { DIR_VALS = N_TX + 3 + N_RX };       /* + max_qlen, q_len, q_bytes */

static uint64_t get64(const void *base, size_t off)
{
    uint64_t v;
    memcpy(&v, (const char *)base + off, sizeof v);
    return v;
}

static void put64(void *base, size_t off, uint64_t v) { memcpy((char *)base + off, &v, sizeof v); }

static void halves_of(const ln_linkdir *dir, struct ln_dist_halves *h)
{
    ln_link_tx_now(dir, &h->tx, &h->q_len, &h->q_bytes);
    h->rx = dir->rx.st;
}

static void halves_pack(const struct ln_dist_halves *h, bool tx, bool rx, uint64_t *v)
{
    memset(v, 0, DIR_VALS * sizeof *v);
    if (tx) {
        for (size_t i = 0; i < N_TX; i++) v[i] = get64(&h->tx, tx_off[i]);
        v[N_TX] = h->tx.max_qlen;
        v[N_TX + 1] = h->q_len;
        v[N_TX + 2] = h->q_bytes;
    }
    if (rx)
        for (size_t i = 0; i < N_RX; i++) v[N_TX + 3 + i] = get64(&h->rx, rx_off[i]);
}

static void halves_unpack(const uint64_t *v, struct ln_dist_halves *h)
{
    for (size_t i = 0; i < N_TX; i++) put64(&h->tx, tx_off[i], v[i]);
    h->tx.max_qlen = (uint32_t)v[N_TX];
    h->q_len = (uint32_t)v[N_TX + 1];
    h->q_bytes = (uint32_t)v[N_TX + 2];
    for (size_t i = 0; i < N_RX; i++) put64(&h->rx, rx_off[i], v[N_TX + 3 + i]);
}

size_t ln_dist_counts_len(const ln_dist *d) { return (size_t)d->cut_links * 2 * DIR_VALS; }

void ln_dist_counts_pack(const ln_dist *d, uint64_t *v)
{
    for (uint32_t i = 0; i < d->n_links; i++) {
        uint32_t c = d->cut_of[i];
        if (c == UINT32_MAX) continue;
        for (int k = 0; k < 2; k++) {
            const ln_linkdir *dir = &d->net->links[i]->d[k];
            struct ln_dist_halves now;
            halves_of(dir, &now);
            halves_pack(&now, ln_dist_local(d, dir->from->actor), ln_dist_local(d, dir->to->actor),
                        v + (2 * (size_t)c + (size_t)k) * DIR_VALS);
        }
    }
}

void ln_dist_counts_set(ln_dist *d, const uint64_t *v)
{
    for (size_t j = 0; j < 2 * (size_t)d->cut_links; j++) halves_unpack(v + j * DIR_VALS, &d->halves[j]);
}

void ln_dist_link_stats(const ln_dist *d, const ln_linkdir *dir, ln_linkdir_stats *st, uint32_t *q_len,
                        uint32_t *q_bytes)
{
    uint32_t id = dir->link->id;
    uint32_t c = id < d->n_links ? d->cut_of[id] : UINT32_MAX;
    const struct ln_dist_halves *h = c == UINT32_MAX ? NULL : &d->halves[2 * c + (uint32_t)dir->dir];
    ln_linkdir_stats here;
    ln_link_tx_now(dir, &here, q_len, q_bytes);
    const ln_linkdir_stats *tx = &here;
    const ln_linkrx_stats *rx = &dir->rx.st;
    if (h && !ln_dist_local(d, dir->from->actor)) {
        tx = &h->tx;
        *q_len = h->q_len;
        *q_bytes = h->q_bytes;
    }
    if (h && !ln_dist_local(d, dir->to->actor)) rx = &h->rx;
    ln_link_stats_sum(tx, rx, st);
}

/* ---- the split ---------------------------------------------------------------- */

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
                         LN_LINK_NAME_OF(l), rank_of[l->d[0].from->actor], rank_of[l->d[0].to->actor],
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
    d->n_links = net->n_links;
    d->cut_of = calloc(net->n_links + 1, sizeof *d->cut_of);
    d->halves = calloc(2 * (size_t)cut + 1, sizeof *d->halves);
    if (!d->rank_of || !d->remote || !d->out || !d->cut_of || !d->halves) goto oom;
    for (uint32_t a = 1; a <= net->n_actors; a++) {
        d->rank_of[a] = rank_of[a];
        d->remote[a] = rank_of[a] != rank;
    }
    /* Until the first run ends, the other processes' halves are what every
     * process's copy holds: the split comes before any process runs. */
    for (uint32_t i = 0, c = 0; i < net->n_links; i++) {
        ln_link *l = net->links[i];
        d->cut_of[i] = UINT32_MAX;
        if (rank_of[l->d[0].from->actor] == rank_of[l->d[0].to->actor]) continue;
        d->cut_of[i] = c;
        for (int k = 0; k < 2; k++) halves_of(&l->d[k], &d->halves[2 * c + (uint32_t)k]);
        c++;
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
    free(d->cut_of);
    free(d->halves);
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
static bool route(ln_dist *d, ln_linkdir *dir, uint8_t type, ln_pkt *p, uint32_t epoch, ln_time at,
                  uint64_t seq)
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
     * the count of the process that runs that actor (what an inert copy
     * elsewhere takes from its own keys nothing), whoever's event or
     * script line made the send.  A
     * frame's seq was taken when it joined the direction; a notice's is
     * taken now (UINT64_MAX). */
    uint32_t from = dir->from->actor;
    uint32_t len = p ? p->len : 0;
    msg_hdr h = {
        .type = type, .dir = (uint8_t)dir->dir, .link = dir->link->id, .epoch = epoch,
        .creator = from, .seq = seq != UINT64_MAX ? seq : ln_sim_take_seq_of(&d->net->sim, from),
        .at = at, .len = len,
    };
    if (p) {
        ln_pkt_finish(p);          /* the other rank sees bytes only (pkt.h) */
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

bool ln_dist_accept(ln_dist *d, ln_linkdir *dir, ln_pkt *p, ln_time at, uint64_t seq)
{
    return route(d, dir, MSG_FRAME, p, p->epoch, at, seq);
}

bool ln_dist_notice(ln_dist *d, ln_linkdir *dir, uint32_t epoch, ln_time at)
{
    return route(d, dir, MSG_NOTICE, NULL, epoch, at, UINT64_MAX);
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
