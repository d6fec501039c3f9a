/* sim.h - the scheduler: virtual time and timers.
 *
 * Virtual time is a 64-bit count of nanoseconds since the start of the run.
 * Timers run in the order of the key
 *
 *     (when, owner, creator, seq)
 *
 * Every event belongs to an *actor*: a node, a switch, or the network
 * itself (LN_ACTOR_NET: the script's top level and global work).  The owner
 * is the actor whose state the event changes; the creator is the actor
 * whose event armed it (the running actor, ln_sim_actor); seq is the
 * arming order.  Events due at the same instant run by owner, then creator,
 * then arming order.  Actor ids come from the script (creation order), and
 * the events one actor arms are armed in the order of its own events, so
 * the order of simultaneous events does not depend on how the run
 * interleaved different actors: it stays the same when the actors are split
 * across processes (docs/parallel.md, rule 4).  Same script + same seed =
 * same order, always.
 *
 * Who owns a timer: ln_timer_init gives it LN_ACTOR_RUNNING, "whoever arms
 * it", which is right for a node's own timers (TCP, ARP, reassembly,
 * IGMP), since only the node's events arm them.  A timer armed on behalf of
 * another actor names its owner with ln_timer_own: a link arrival or a
 * down notice belongs to the receiving port's actor, a link transmitter to
 * the sending port's, a Lua task to its host (LN_ACTOR_NET for a task with
 * no host).
 *
 * Where pending events wait (sim_queue.c): up to about a thousand, in a
 * 4-ary min-heap of keys, which fits in the cache.  Beyond that, as Linux
 * does for its many timers that are re-armed before they fire, a
 * hierarchical timing wheel (64 slots a level, 6 bits of time each) holds
 * every event not due at the current instant, and the heap only the ties
 * at that instant; an event moves down the wheel's levels as its time
 * comes near, and reaches the heap only when nothing earlier waits,
 * so the order is exactly the key's.  With 100,000 pending timers that is
 * about 3 times the events per second of the heap alone.
 *
 * A timer is an intrusive struct owned by whoever embeds it (a packet in
 * flight, a TCP control block, an ARP entry): arming, re-arming and
 * cancelling never allocate once the run has seen its peak of pending
 * events, and cost O(log n) in the heap, O(1) in the wheel.  A callback
 * may arm or cancel any timer, including its own.  While a timer is armed
 * its `when` is the scheduler's (the wheel finds it by it): read it, never
 * write it.
 *
 * Nothing here reads a wall clock: the drivers (ln_sim_run*, the realtime
 * driver in lua/) decide how fast virtual time advances. */
#ifndef LN_SIM_H
#define LN_SIM_H

#include <stdbool.h>
#include <stdint.h>

typedef uint64_t ln_time;

#define LN_NSEC  ((ln_time)1)
#define LN_USEC  ((ln_time)1000)
#define LN_MSEC  ((ln_time)1000000)
#define LN_SEC   ((ln_time)1000000000)
#define LN_NEVER UINT64_MAX

typedef void (*ln_timer_fn)(void *arg);

/* Actor ids: the network is 0; nodes and switches are numbered from 1 in
 * the order the script creates them (ln_net_new_actor). */
#define LN_ACTOR_NET     0u
#define LN_ACTOR_RUNNING UINT32_MAX   /* owner: the actor that arms the timer */

typedef struct ln_timer {
    ln_time when;
    uint32_t slot;      /* where it waits (sim_queue.c); LN_TIMER_IDLE when not armed */
    uint32_t owner;     /* actor the event belongs to, or LN_ACTOR_RUNNING */
    ln_timer_fn fn;
    void *arg;
} ln_timer;

#define LN_TIMER_IDLE UINT32_MAX

/* A pending event: its timer's key beside the pointer, so comparing and
 * moving keys never touches the timers themselves.  32 bytes, two to a
 * cache line: owner and creator share one word (owner in the high half),
 * so a tie at `when` costs one more comparison, two at worst. */
typedef struct ln_heapent {
    ln_time when;
    uint64_t who;       /* owner << 32 | creator */
    uint64_t seq;       /* arming order */
    ln_timer *t;
} ln_heapent;

typedef struct ln_wheel ln_wheel;   /* the far events (sim_queue.c) */

#define LN_SIM_PREFETCHERS 4

typedef struct ln_sim {
    ln_time now;
    uint64_t *aseq;     /* per creator actor: its arming count, the key's seq */
    uint32_t n_aseq;
    const uint8_t *remote;  /* a split run (dist.h): remote[actor] set when another
                             * process runs that actor's events; NULL otherwise */
    uint32_t n_remote;
    uint32_t actor;     /* owner of the running event; LN_ACTOR_NET outside
                         * events (the script's top level) */
    uint64_t events;    /* callbacks run since creation */
    uint64_t stuck;     /* events in a row at one instant: drivers see a
                         * livelock (time that never moves) here */
    uint32_t len;       /* armed timers, near and far */
    uint32_t nlen, ncap;    /* the near heap's length and room */
    ln_heapent *heap;   /* near events, a 4-ary min-heap: every one while the
                         * wheel is off, else those due at the current instant */
    ln_time edge;       /* near events are due at or before it, far ones after;
                         * LN_NEVER while the wheel is off */
    ln_wheel *far;      /* NULL until first needed */
    bool stop;          /* set by ln_sim_stop(); checked between events */
    bool in_event;      /* a callback is running */
    bool after_due;     /* run after() once the current event returns */
    void (*after)(void *arg);   /* set by the owner (the network: deferred
                                 * changes, ln_net_defer) */
    void *after_arg;
    /* Prefetchers (ln_sim_prefetcher): what a kind of event will touch
     * first, started one event ahead. */
    uint32_t n_pf;
    ln_timer_fn pf_fn[LN_SIM_PREFETCHERS];
    ln_timer_fn pf[LN_SIM_PREFETCHERS];
} ln_sim;

int  ln_sim_init(ln_sim *s);
void ln_sim_destroy(ln_sim *s);

static inline ln_time ln_sim_now(const ln_sim *s) { return s->now; }

/* While an event runs, the scheduler looks at the next one: when its
 * timer's callback is `fn`, it calls pf(arg) first, which should only
 * issue prefetches (__builtin_prefetch) of what fn will read, from
 * pointers found in the timer's own cache line.  With many nodes and
 * links every event starts on cold memory; this overlaps those misses
 * with the running event.  A hint: it changes no result.  Registering a
 * pair twice is a no-op; past LN_SIM_PREFETCHERS kinds, ignored. */
void ln_sim_prefetcher(ln_sim *s, ln_timer_fn fn, ln_timer_fn pf);

static inline void ln_timer_init(ln_timer *t, ln_timer_fn fn, void *arg)
{
    t->when = 0;
    t->owner = LN_ACTOR_RUNNING;
    t->slot = LN_TIMER_IDLE;
    t->fn = fn;
    t->arg = arg;
}
/* The actor the timer's events belong to (see the top of this file); set
 * before arming.  Takes effect at the next arm. */
static inline void ln_timer_own(ln_timer *t, uint32_t actor) { t->owner = actor; }
/* The actor whose event is running (the creator of what it arms):
 * LN_ACTOR_NET outside events. */
static inline uint32_t ln_sim_actor(const ln_sim *s) { return s->actor; }
static inline bool ln_timer_armed(const ln_timer *t) { return t->slot != LN_TIMER_IDLE; }
/* Arm with the creator and seq of an event armed elsewhere: what a frame
 * from another process carries (ln_sim_take_seq there).  Keys stay
 * comparable because a creator's seqs are its own count, taken on the
 * one process that runs its events. */
void ln_timer_arm_as(ln_sim *s, ln_timer *t, ln_time when, uint32_t creator, uint64_t seq);
/* The running actor's next seq, as ln_timer_arm would take it; and a
 * given creator's.  Inline: every frame a link carries takes one. */
void ln_sim_aseq_grow(ln_sim *s, uint32_t creator);
static inline uint64_t ln_sim_take_seq_of(ln_sim *s, uint32_t creator)
{
    if (creator >= s->n_aseq) ln_sim_aseq_grow(s, creator);
    return s->aseq[creator]++;
}
static inline uint64_t ln_sim_take_seq(ln_sim *s) { return ln_sim_take_seq_of(s, s->actor); }
/* Arm (or re-arm) for absolute time `when`; a time in the past means now.
 * Re-arming takes a new key (the running actor as creator, the creator's
 * next seq), as if cancelled and armed again.  In a split run a timer
 * whose owner another process runs is not armed at all: that actor's
 * copy here is inert (dist.h). */
void ln_timer_arm(ln_sim *s, ln_timer *t, ln_time when);
void ln_timer_arm_in(ln_sim *s, ln_timer *t, ln_time delay);
/* A split run (dist.h): remote[actor] set for the actors another process
 * runs; their timers armed already are dropped, later ones not armed. */
void ln_sim_set_remote(ln_sim *s, const uint8_t *remote, uint32_t n);
void ln_timer_cancel(ln_sim *s, ln_timer *t);
/* A hint: start fetching what cancelling or re-arming t will touch, its
 * place in the wheel, cold when it was armed long ago (a SYN's
 * retransmission timer, cancelled by the SYN-ACK a round trip later among
 * thousands of connections).  It changes nothing. */
void ln_timer_prefetch(const ln_sim *s, const ln_timer *t);

/* Time of the earliest armed timer, or LN_NEVER when idle.  Not const:
 * the wheel remembers the earliest time it found. */
ln_time ln_sim_next(ln_sim *s);
/* Ask for s->after to run once the current event returns, before the next
 * one: the owner's changes that must not happen inside it. */
static inline void ln_sim_after(ln_sim *s) { s->after_due = true; }
/* Run the earliest event; false if there was none. */
bool ln_sim_step(ln_sim *s);
/* Run every event due at or before `until`, then set now = until (unless
 * stopped early).  Returns the number of events run. */
uint64_t ln_sim_run_until(ln_sim *s, ln_time until);
/* Run until no timer is armed or ln_sim_stop() is called. */
uint64_t ln_sim_run(ln_sim *s);
/* Make the running ln_sim_run* return after the current event. */
void ln_sim_stop(ln_sim *s);

#endif
