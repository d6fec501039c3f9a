/* link.h - point-to-point links with per-direction impairments.
 *
 * Each direction is a transmitter fed by a drop-tail queue:
 *
 *   ln_link_send -> [interception hooks] -> [up? mtu?] -> queue (limit in packets and/or bytes)
 *     -> serialization (len * 8 / bandwidth; TX event at its start)
 *     -> wire: loss (Bernoulli or Gilbert-Elliott), corruption, duplication
 *     -> propagation delay + jitter (+ reorder_delay for reordered frames)
 *     -> far port's rx (RX event)
 *
 * Serialization counts the frame as it appears in a capture (Ethernet
 * header and padding, no preamble, FCS or inter-frame gap), so 1500 bytes
 * at 10 Mbit/s take exactly 1.2 ms.  Loss is applied on the wire, after
 * serialization: a lost frame still used the bandwidth, and its DROP comes
 * when its last bit would have left.  A frame in flight (or being
 * serialized) when its direction goes down is lost: at once, or, on a link
 * that declares a min_delay, when the news reaches the far end (below).
 *
 * Two halves.  A direction is a sender half (configuration, queue,
 * transmitter, impairments, randomness: the sending port's node owns it)
 * and a receiver half (ln_linkrx: frames on their way, their arrival: the
 * receiving port's node owns it).  They meet in two calls only: the sender
 * hands a frame over with its arrival time (ln_linkrx_accept), and tells
 * the receiver that the direction went down (a notice carrying the new
 * epoch).  Neither writes the other's fields, so the two halves can live
 * in different processes (docs/parallel.md): the call becomes a message.
 *
 * Epochs.  The sender bumps its epoch when the direction goes down and
 * stamps every frame with the epoch it left in.  The receiver drops, with
 * LN_DROP_LINK_DOWN, what it holds from older epochs when a notice comes,
 * and any frame from an older epoch that arrives after it.  The notice
 * comes at once, or min_delay after the down when the link declares a
 * min_delay: a link that may join two processes needs that lookahead, and
 * a one-process run must do what a split run can, so both do the same.
 *
 * min_delay.  A direction may declare the least time any frame spends on
 * it (delay - jitter, serialization aside): the lookahead when the link is
 * cut between processes.  A configuration that could deliver sooner is an
 * error, and min_delay can be raised while the network runs, never
 * lowered.  0 (the default) declares nothing: zero-delay links stay
 * allowed.
 *
 * The transmitter is a time (busy_until), not a slot: a frame that starts
 * serializing is handed to the receiver straight away with its arrival time
 * already known, and tx_timer is armed only while frames wait in the queue.
 * An uncongested hop therefore costs one scheduler event per frame.  A
 * frame that waits on a direction nobody watches costs no more (booked
 * frames, link.c): its start is known when it joins the queue.
 *
 * Randomness comes from the direction's own stream, derived from the
 * endpoint names, so each link's pattern depends only on the seed. */
#ifndef LN_LINK_H
#define LN_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "event.h"
#include "pkt.h"
#include "rand.h"
#include "sim.h"

struct ln_net;
struct ln_port;

typedef enum { LN_LOSS_NONE, LN_LOSS_RANDOM, LN_LOSS_GE } ln_loss_kind;

/* Gilbert-Elliott: a two-state Markov chain evaluated per frame.
 * p = P(good -> bad), r = P(bad -> good), loss_good / loss_bad = loss
 * probability in each state (classic Gilbert: loss_good 0, loss_bad 1). */
typedef struct ln_loss {
    ln_loss_kind kind;
    double rate;                  /* RANDOM */
    double p, r, loss_good, loss_bad;   /* GE */
} ln_loss;

typedef struct ln_linkcfg {
    /* What every frame reads first, in the first cache line. */
    uint64_t bandwidth;           /* bits per second; 0 = infinitely fast */
    ln_time delay;                /* propagation */
    ln_time jitter;               /* delay varies uniformly in +-jitter */
    uint32_t mtu;                 /* largest L3 payload; 0 = no limit */
    uint32_t queue_pkts;          /* 0 = no limit in packets */
    uint32_t queue_bytes;         /* 0 = no limit in bytes */
    bool up;
    ln_loss loss;
    double corrupt;               /* probability of flipping one bit */
    double duplicate;             /* probability of delivering twice */
    double reorder;               /* probability of holding a frame back */
    ln_time reorder_delay;        /* how long a reordered frame is held */
    ln_time min_delay;            /* declared least delay - jitter (the lookahead
                                   * across processes); 0 = none declared */
} ln_linkcfg;

/* A direction's counters as users read them (ln_link_stats): the sender
 * half's and the receiver half's, summed. */
typedef struct ln_linkdir_stats {
    uint32_t max_qlen;            /* first: a waiting frame reads it (ln_linkdir) */
    uint64_t enqueued, tx_packets, tx_bytes, delivered, delivered_bytes;
    uint64_t dropped_queue, dropped_loss, dropped_down, dropped_mtu;
    uint64_t corrupted, duplicated, reordered;
} ln_linkdir_stats;

/* What only the receiver half counts. */
typedef struct ln_linkrx_stats {
    uint64_t delivered, delivered_bytes;
    uint64_t dropped_down;        /* in flight when the direction went down */
    uint64_t dropped_stale;       /* of those, found stale only on arrival */
} ln_linkrx_stats;

/* A down the receiver has yet to hear of: at `at`, frames older than
 * `epoch` are lost. */
typedef struct ln_linknotice {
    ln_time at;
    uint32_t epoch;
} ln_linknotice;

/* The receiver half: state only code running at the far port touches.
 * An arrival reads its first two cache lines only (the scheduler
 * prefetches the first with the timer, and link_rx.c's prefetcher the
 * second, the head frame and the port from it): with a thousand links
 * every arrival starts on cold memory. */
typedef struct ln_linkrx {
    _Alignas(64) ln_timer arr_timer;
    ln_pkt *fl_head, *fl_tail;    /* on their way here, in the order they left */
    /* d->to and d->link->net, copied here: an arrival then reads no line
     * of the sender half or the link, and the prefetcher (whose first
     * line is this one) can fetch the port too. */
    struct ln_port *to;
    uint32_t epoch;               /* the sender's epoch as this end knows it */
    bool per_frame;               /* a frame overtook another (jitter, reordering):
                                   * each frame in flight has its own timer, until
                                   * the flight list empties; else arr_timer alone
                                   * is armed, for the head (link_rx.c) */
    ln_linkrx_stats st;           /* the second line: an arrival counts here */
    struct ln_net *net;
    uint32_t in_flight;
    struct ln_linkdir *d;         /* for the link's name and ports (read only) */
    ln_linknotice *nt;            /* downs not heard of yet, in time order */
    uint32_t n_nt, cap_nt;
    ln_timer nt_timer;            /* armed at nt[0].at */
} ln_linkrx;

/* A direction.  Every field but rx is the sender half's: only code running
 * at the sending port touches it.  A frame's way through, started at once
 * or booked, reads the first two cache lines and the first of cfg (a
 * booked one its ring too); with a thousand links each one is cold, so
 * what the rest needs lies further on, tx_timer among it. */
typedef struct ln_linkdir {
    _Alignas(64) struct ln_link *link;
    struct ln_port *from;
    ln_pkt *q_head, *q_tail;      /* waiting for the transmitter */
    ln_time busy_until;           /* the transmitter serializes until then */
    struct ln_ic_chain *ic;       /* interception hooks, owned by intercept.c; NULL: none */
    struct ln_txbook *book;       /* booked frames' starts (link.c); NULL until
                                   * a frame is first booked */
    uint32_t q_len, q_bytes;      /* waiting: queued or booked */
    uint32_t epoch;               /* bumped when the direction goes down; frames
                                   * carry it (ln_pkt.epoch).  Compared wrap-safe,
                                   * so 2^31 downs in flight at once would alias */
    uint8_t dir;                  /* 0: a->b, 1: b->a */
    bool plain;                   /* cfg has no loss, jitter, reordering,
                                   * duplication or corruption: nothing to draw
                                   * (link.c keeps it with cfg) */
    bool ge_bad;                  /* Gilbert-Elliott state */
    bool book_small : 1;          /* book is a first ring, from the slab: given
                                   * back whenever it empties (link.c) */
    bool watched : 1;             /* a subscriber of this link or its sending port
                                   * sees frames start (TX, QUEUE): none is booked */
    ln_linkdir_stats st;          /* the sender's counters (delivered: 0); the
                                   * four a frame counts share the line */
    ln_timer tx_timer;            /* armed at busy_until while frames wait in the
                                   * queue (not booked ones: link.c), with a key
                                   * of the direction's own */
    bool starting;                /* tx_due runs: a send or settle from inside it
                                   * (a TX subscriber) leaves the next frames to it */
    _Alignas(64) ln_linkcfg cfg;  /* in effect */
    ln_linkcfg *want;             /* as last asked for, when that was ever asked
                                   * (ln_link_set_up, ln_link_configure): what cfg
                                   * becomes after the current event
                                   * (ln_net_defer); NULL: cfg.  Most links are
                                   * never reconfigured, and do not carry a copy */
    ln_pkt *lost_head, *lost_tail;/* lost on the wire, vanishing when their last
                                   * bit leaves, in the order they left */
    struct ln_port *to;           /* the far port (the receiver half has its copy) */
    ln_rng rng;
    ln_linkrx rx;                 /* the receiver half */
} ln_linkdir;

/* A link is its ports' and its directions' alone: its name is made from
 * the ports' when asked (ln_link_name), so that the header and the two
 * directions fill 21 lines, an odd number (ln_link_size), and 100,000
 * hosts carry no copy of names they already have. */
typedef struct ln_link {
    struct ln_net *net;
    uint32_t id;
    void *ud;                     /* owned by the Lua binding */
    ln_sublist subs;              /* the subscribers of this link or of its ports
                                   * (net.c): an event calls only its own link's */
    ln_linkdir d[2];
} ln_link;

/* "h1.eth0<->r1.eth0": its ports' names, a (a->b) first; a buffer of
 * LN_LINK_NAME bytes holds any. */
#define LN_LINK_NAME 100
const char *ln_link_name(const ln_link *l, char *buf, size_t len);
/* The same in a buffer that lives as long as the enclosing block: for a
 * message or a field set at once. */
#define LN_LINK_NAME_OF(l) ln_link_name((l), (char[LN_LINK_NAME]){ 0 }, LN_LINK_NAME)

/* Defaults: 1 Gbit/s, no delay, no impairment, queue 1000 packets (Linux's
 * txqueuelen), no MTU limit, up. */
void ln_linkcfg_default(ln_linkcfg *c);
/* Check a configuration; fills err with what is wrong (including a delay
 * that could beat min_delay). */
int ln_linkcfg_check(const ln_linkcfg *c, char *err, size_t errlen);

/* Join two unattached ports.  ab/ba configure each direction (ba NULL:
 * same as ab).  Returns NULL and fills err on failure. */
ln_link *ln_link_new(struct ln_net *net, struct ln_port *a, struct ln_port *b,
                     const ln_linkcfg *ab, const ln_linkcfg *ba,
                     char *err, size_t errlen);
void ln_link_free(ln_link *l);   /* called by ln_net_free */
/* What a link takes in the network's slab: sizeof(ln_link) rounded up to
 * an odd number of cache lines.  Links come 64-byte aligned (their
 * directions' hot lines), and an odd stride spreads the same field of a
 * hundred thousand links over every cache set.  With aligned_alloc's
 * stride they crowded a fraction of the sets, and bench_scale's 30,000
 * hosts ran a third slower. */
size_t ln_link_size(void);
/* What a direction's first ring of booked frames takes in the network's
 * slab (link.c): one cache line. */
size_t ln_link_book_size(void);

/* Offer a frame to a direction (called through the sending port).
 * Consumes frame. */
void ln_link_send(ln_linkdir *d, ln_pkt *frame);
/* The same past the direction's interception hooks (intercept.c resumes
 * the frames they let go here).  Consumes frame. */
void ln_link_send_cont(ln_linkdir *d, ln_pkt *frame);
/* Change a direction's configuration while the network runs: frames
 * already queued keep their place; going down drops them and loses those
 * in flight.  Lowering min_delay, or a delay below it, is LN_EINVAL.
 * Asked from inside an event subscriber, the change is checked at once and
 * takes effect after the current event (ln_net_defer): subscribers
 * observe. */
int ln_link_configure(ln_link *l, int dir, const ln_linkcfg *c, char *err, size_t errlen);
void ln_link_set_up(ln_link *l, int dir, bool up);   /* dir -1: both; deferred alike */
/* Direction dir's configuration as last asked for: what it is, or what it
 * becomes after the current event.  A partial change starts from this. */
const ln_linkcfg *ln_link_cfg(const ln_link *l, int dir);

/* The receiver half's entry: `frame` (stamped with the epoch it left in)
 * arrives at `at`, not before now.  `seq` is the arrival's place in the
 * sending port's actor's count (the key's seq, sim.h), taken when the
 * frame joined the direction.  In one process the sender calls it as the
 * frame starts onto the wire, or as it joins the queue when its start is
 * known then (link.c, booked frames).  Consumes frame. */
void ln_linkrx_accept(ln_linkdir *d, ln_pkt *frame, ln_time at, uint64_t seq);

/* A direction's counters, both halves summed. */
void ln_link_stats(const ln_linkdir *d, ln_linkdir_stats *st);
/* The frames waiting for the transmitter now, and their bytes: what the
 * queue's limits count (q_len and q_bytes may still count frames booked
 * or due that have started). */
void ln_link_queue(const ln_linkdir *d, uint32_t *len, uint32_t *bytes);
/* The sender half's counters (d->st) and queue as of now, as
 * ln_link_stats and ln_link_queue tell them. */
void ln_link_tx_now(const ln_linkdir *d, ln_linkdir_stats *tx, uint32_t *q_len, uint32_t *q_bytes);
/* Bring a direction's sender up to now: what is due to start by now has
 * started, even if the event that starts it at this instant has not run
 * yet, and frames booked on it (link.c) that wait are back in its queue,
 * where they are what they would be had they waited there all along (the
 * transmitter's event has a key of the direction's own, whenever it was
 * armed).  Before anything that watches or changes the queue, the
 * transmitter or the configuration, so that what it finds depends on the
 * time alone.  Cheap when nothing waits.  ln_link_settle_all does every
 * direction of the network (a walk over the links, each time somebody
 * subscribes to TX or QUEUE). */
void ln_link_settle(ln_linkdir *d);
void ln_link_settle_all(struct ln_net *net);
/* The same sum from a sender half's counters and a receiver half's, kept
 * anywhere (dist.c keeps another process's halves). */
void ln_link_stats_sum(const ln_linkdir_stats *tx, const ln_linkrx_stats *rx, ln_linkdir_stats *st);

/* Serialization time of `bytes` at `bps` (0 bps: 0), rounded up to a ns. */
ln_time ln_link_txtime(uint64_t bps, uint32_t bytes);

/* A discard by a link direction (0 a->b, 1 b->a): counted on the network
 * only (no node owns the wire), the DROP carries the link, dir and
 * sending port.  Consumes pkt (NULL allowed). */
void ln_link_drop(struct ln_net *net, ln_link *link, int dir, ln_pkt *pkt, ln_layer layer,
                      ln_drop_reason reason);

#endif
