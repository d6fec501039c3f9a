/* dist.h - one network split across processes (docs/parallel.md).
 *
 * Every process builds the whole network from the same script, so names,
 * actor ids, links and random streams agree; each runs the events of its
 * own actors only (the scheduler does not arm the others' timers: their
 * copies here are inert).  A link whose ends belong to different
 * processes carries its frames and its down notices as messages: the
 * sender half's process encodes them with the arrival's order key, the
 * receiver half's process arms them as if armed locally.  Such a link
 * must declare a min_delay on both directions: the least of them is the
 * lookahead, the length of the windows the processes run between two
 * exchanges.
 *
 * The exchange itself (MPI, or a test's memory) is the caller's: this
 * file keeps the outboxes, decodes what arrives, and says how far a
 * window may go.  Messages are native-endian: the processes of one run
 * are one binary on one kind of machine. */
#ifndef LN_DIST_H
#define LN_DIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sim.h"

struct ln_net;
struct ln_linkdir;
struct ln_linkdir_stats;
struct ln_pkt;
struct ln_dist_halves;          /* dist.c */

typedef struct ln_dist_stats {
    uint64_t msgs_out, msgs_in;     /* frames and notices sent, received */
    uint64_t bytes_out, bytes_in;
    uint64_t windows;               /* synchronisation rounds */
    uint64_t inert;                 /* frames an inert copy sent, discarded */
} ln_dist_stats;

typedef struct ln_dist {
    struct ln_net *net;
    uint32_t rank, nranks;
    uint32_t *rank_of;              /* by actor id, 0..n_actors */
    uint8_t *remote;                /* by actor id: not this process's */
    uint32_t n_actors;
    ln_time lookahead;              /* least min_delay of a cut direction;
                                     * LN_NEVER when nothing is cut */
    uint32_t cut_links;
    uint32_t n_links;               /* links at the split (later ones are never cut) */
    uint32_t *cut_of;               /* by link id < n_links: its place among the cut
                                     * links, in creation order; UINT32_MAX if not cut */
    struct ln_dist_halves *halves;  /* per cut link, ab then ba: both halves' counters
                                     * as of the last ln_dist_counts_set */
    struct { uint8_t *buf; size_t len, cap; } *out;   /* one per rank */
    ln_dist_stats st;
} ln_dist;

/* Split net: rank_of[a] for every actor a in 0..net->n_actors (the
 * network, actor 0, runs everywhere: its entry is ignored).  Checks that
 * every link between two ranks declares min_delay > 0 both ways; on
 * failure returns NULL with err naming the link and what to do.  Attach
 * with ln_net_set_dist. */
ln_dist *ln_dist_new(struct ln_net *net, uint32_t rank, uint32_t nranks, const uint32_t *rank_of,
                     char *err, size_t errlen);
void ln_dist_free(ln_dist *d);

static inline bool ln_dist_local(const ln_dist *d, uint32_t actor)
{
    return !d || actor >= d->n_actors + 1 || !d->remote[actor];
}

/* link_rx.c's door: true when the frame (or notice) was taken care of
 * here -- encoded for the receiver's process, or dropped because an inert
 * copy sent it (its real sender is elsewhere) -- false when both halves
 * are this process's and it goes on as usual.  Consumes p when true. */
bool ln_dist_accept(ln_dist *d, struct ln_linkdir *dir, struct ln_pkt *p, ln_time at, uint64_t seq);
bool ln_dist_notice(ln_dist *d, struct ln_linkdir *dir, uint32_t epoch, ln_time at);

/* How far the window that starts at the earliest event of all processes
 * (global_next) may run: events strictly before the returned time.  A
 * message made in it arrives no sooner than global_next + lookahead. */
ln_time ln_dist_window_end(const ln_dist *d, ln_time global_next, ln_time until);

/* Counters of the links cut between processes.  Each process counts only
 * the halves it runs, so at the end of a run each fills v
 * (ln_dist_counts_len values: cut links in creation order, so that every
 * process lays it out alike) with its own halves' counters and zeros for
 * the others', the processes sum their vectors element by element (one
 * reduction; each value comes from exactly one process, so the sum is
 * that value), and each keeps the result (ln_dist_counts_set). */
size_t ln_dist_counts_len(const ln_dist *d);
void ln_dist_counts_pack(const ln_dist *d, uint64_t *v);
void ln_dist_counts_set(ln_dist *d, const uint64_t *v);
/* Direction dir's counters as ln_link_stats sums them, and its queue
 * (frames, bytes): the halves this process runs as they are now, another
 * process's as of the last ln_dist_counts_set (or of the split, when every
 * process's copy was the same). */
void ln_dist_link_stats(const ln_dist *d, const struct ln_linkdir *dir, struct ln_linkdir_stats *st,
                        uint32_t *q_len, uint32_t *q_bytes);

/* What this process sends rank r after a window, and emptying them. */
const uint8_t *ln_dist_outbox(const ln_dist *d, uint32_t r, size_t *len);
void ln_dist_clear_outboxes(ln_dist *d);
/* Arm what rank `from` sent.  0, or LN_EINVAL for a malformed buffer
 * (nothing after the bad record is armed). */
int ln_dist_deliver(ln_dist *d, uint32_t from, const uint8_t *buf, size_t len);

#endif
