/* sim_queue.c - the scheduler's pending events: a small heap for the
 * events due now, in front of a hierarchical timing wheel for the rest;
 * and arming, cancelling and running them, here so that the hot paths
 * are calls within one file (sim.c has the rest of sim.h).
 *
 * Why not one heap: with 100,000 pending timers a heap is 3 MB of keys,
 * and every event walks it from the root to a leaf and back, eight levels
 * of cache misses, most of them spent ordering timers that will be pushed
 * back before they fire (a retransmission timer is re-armed by nearly
 * every ACK).  Linux keeps such timers in a wheel for the same reason.
 *
 * The split is the `edge` (s->edge): the near heap holds every event due
 * at or before it, the wheel every event due after it.  While the wheel is
 * in use the edge is `now` when it came into use, then the time of the
 * event just taken from it, so whenever a callback or the script runs the
 * edge is not after `now` and the near heap holds only events due at the
 * current instant: what the heap still orders is ties, by (owner, creator,
 * seq).  The heap may be empty while the wheel is not: it is refilled when
 * the next event is taken, never on a mere look (ln_simq_next), since an
 * edge moved ahead of `now` would send the script's next arms to the heap.
 *
 * The wheel: level L has 64 slots of 2^(6L) ns; an event goes to the level
 * of the highest 6-bit digit in which its time differs from the edge, in
 * the slot of its own digit there (11 levels cover 64-bit times).  So
 * every event at a lower level, or in a lower slot of the same level, is
 * due before it, and the lowest occupied slot (two bitmaps, two ctz) holds
 * the earliest far event.  When the near heap runs dry that slot is
 * emptied: the edge moves to its earliest time, the events due then go to
 * the heap, the others to lower levels (their digits now match the edge's
 * at this level), so an event moves down at most once per level, and no
 * other slot's place changes since the new edge shares every digit above
 * this level with the old.  Arming, re-arming and cancelling a far timer
 * is O(1): append to a slot, or swap the last entry into the hole.  The
 * order of events is exactly the heap's: keys are compared in full in the
 * near heap, and an event reaches it only when nothing due earlier waits.
 *
 * Slots are stacks of 32-entry chunks drawn from one pool, so memory
 * follows the number of pending events, not the number of slots ever
 * used.  A far timer's slot field is FAR | its entry's index in the pool;
 * which slot holds it follows from its time and the edge.
 *
 * A few timers are cheaper in a plain heap than in any wheel, so the wheel
 * comes into use only beyond SPILL pending events, and goes out of use
 * (everything back into the heap, edge = LN_NEVER) below GATHER: a small
 * network runs as before. */
#include "sim_queue.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

enum {
    DIGIT = 6,                          /* bits of time per level */
    SLOTS = 1 << DIGIT,
    LEVELS = (64 + DIGIT - 1) / DIGIT,
    CHUNK = 32,                         /* entries per chunk: 1 KiB */
    /* Measured (bench_engine's two patterns, bench_tcp W2): up to about
     * a thousand pending events, a heap of them (32 KiB) stays in the
     * first-level cache and is as fast as the wheel or faster; at 2,000
     * the two are even, at 4,000 the wheel takes 40% less time, at
     * 100,000 3x less; W2's 1,000 connections (1,000 to 2,000 timers)
     * run 8% fewer instructions with it.  The gap between the two
     * thresholds keeps a count that wavers around one of them from moving
     * everything back and forth. */
    SPILL = 1024,
    GATHER = 256,
};
#define NONE UINT32_MAX
#define FAR  0x80000000u

typedef struct bucket {
    uint32_t top;       /* chunk last pushed (the only one not full); NONE if empty */
    uint32_t len;
} bucket;

struct ln_wheel {
    uint64_t occupied[LEVELS];          /* per level: the slots that hold events */
    uint32_t levels;                    /* the levels that hold events */
    bool min_known;                     /* min is the earliest far time */
    ln_time min;
    uint32_t free;                      /* chunk free list, through next[] */
    uint32_t used, cap;                 /* chunks handed out, chunks allocated */
    ln_heapent *e;                      /* cap * CHUNK entries */
    uint32_t *next;                     /* per chunk: the one below it, or the next free */
    bucket b[LEVELS * SLOTS];
};

/* --- the near heap: 4-ary, keys beside the timer pointers --------------- */

static inline bool before(const ln_heapent *a, const ln_heapent *b)
{
    if (a->when != b->when) return a->when < b->when;
    if (a->who != b->who) return a->who < b->who;
    return a->seq < b->seq;
}

static inline void place(ln_sim *s, uint32_t i, ln_heapent e)
{
    s->heap[i] = e;
    e.t->slot = i;
}

static void sift_up(ln_sim *s, uint32_t i)
{
    ln_heapent e = s->heap[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 4;
        if (!before(&e, &s->heap[parent])) break;
        place(s, i, s->heap[parent]);
        i = parent;
    }
    place(s, i, e);
}

static void sift_down(ln_sim *s, uint32_t i)
{
    ln_heapent e = s->heap[i];
    for (;;) {
        uint32_t first = 4 * i + 1;
        if (first >= s->nlen) break;
        uint32_t last = first + 4 < s->nlen ? first + 4 : s->nlen;
        uint32_t c = first;
        for (uint32_t k = first + 1; k < last; k++)
            if (before(&s->heap[k], &s->heap[c])) c = k;
        if (!before(&s->heap[c], &e)) break;
        place(s, i, s->heap[c]);
        i = c;
    }
    place(s, i, e);
}

static void near_grow(ln_sim *s)
{
    /* Growth is the only allocation; it stops once the heap has seen the
     * run's peak number of near events. */
    uint32_t ncap = s->ncap ? s->ncap * 2 : 256;
    if (ncap >= FAR) ln_fatal("the timer heap is full (%u timers due at once)", s->ncap);
    ln_heapent *nh = realloc(s->heap, ncap * sizeof *nh);
    if (!nh) ln_fatal("out of memory growing the timer heap to %u timers", ncap);
    s->heap = nh;
    s->ncap = ncap;
}

static inline void near_push(ln_sim *s, const ln_heapent *e)
{
    if (s->nlen == s->ncap) near_grow(s);
    uint32_t i = s->nlen++;
    s->heap[i] = *e;
    sift_up(s, i);
}

static void near_remove(ln_sim *s, uint32_t i)
{
    ln_heapent last = s->heap[--s->nlen];
    if (i == s->nlen) return;
    place(s, i, last);
    if (i > 0 && before(&last, &s->heap[(i - 1) / 4])) sift_up(s, i);
    else sift_down(s, i);
}

/* --- the wheel ------------------------------------------------------------ */

static inline uint32_t level_of(ln_time when, ln_time edge)
{
    return (uint32_t)(63 - __builtin_clzll(when ^ edge)) / DIGIT;
}

static inline uint32_t digit(ln_time when, uint32_t lv)
{
    return (uint32_t)(when >> (lv * DIGIT)) & (SLOTS - 1);
}

/* Growing the pool: rare, out of the way. */
static __attribute__((noinline, cold)) void chunks_grow(ln_wheel *w)
{
    uint32_t ncap = w->cap ? w->cap * 2 : 64;
    if (ncap > FAR / CHUNK) ln_fatal("the timer wheel is full (%u timers pending)", w->cap * CHUNK);
    ln_heapent *e = realloc(w->e, (size_t)ncap * CHUNK * sizeof *e);
    uint32_t *next = realloc(w->next, ncap * sizeof *next);
    if (e) w->e = e;
    if (next) w->next = next;
    if (!e || !next) ln_fatal("out of memory growing the timer wheel to %u timers", ncap * CHUNK);
    w->cap = ncap;
}

static inline uint32_t chunk_new(ln_wheel *w)
{
    if (w->free != NONE) {
        uint32_t c = w->free;
        w->free = w->next[c];
        return c;
    }
    if (w->used == w->cap) chunks_grow(w);
    return w->used++;
}

static inline void slot_append(ln_wheel *w, bucket *b, uint32_t lv, uint32_t sl, const ln_heapent *e)
{
    uint32_t id = b->top * CHUNK + b->len % CHUNK;
    w->e[id] = *e;
    e->t->slot = FAR | id;
    if (b->len++ == 0) {
        w->occupied[lv] |= 1ull << sl;
        w->levels |= 1u << lv;
    }
    if (w->min_known && e->when < w->min) w->min = e->when;
}

/* A slot's chunk is full (or it has none): one more below the rest. */
static __attribute__((noinline)) void far_put_chunk(ln_wheel *w, bucket *b, uint32_t lv, uint32_t sl,
                                                    const ln_heapent *e)
{
    uint32_t c = chunk_new(w);
    w->next[c] = b->top;
    b->top = c;
    slot_append(w, b, lv, sl, e);
}

/* Every arm past the edge comes here, and every event a refill moves down
 * a level: the common case (room in the slot's chunk) calls nothing, so
 * it saves no registers. */
static void far_put(ln_sim *s, const ln_heapent *e)
{
    ln_wheel *w = s->far;
    uint32_t lv = level_of(e->when, s->edge), sl = digit(e->when, lv);
    bucket *b = &w->b[lv * SLOTS + sl];
    if (b->len % CHUNK == 0) {
        far_put_chunk(w, b, lv, sl, e);
        return;
    }
    slot_append(w, b, lv, sl, e);
}

static void far_remove(ln_sim *s, ln_timer *t)
{
    ln_wheel *w = s->far;
    uint32_t lv = level_of(t->when, s->edge), sl = digit(t->when, lv);
    bucket *b = &w->b[lv * SLOTS + sl];
    uint32_t id = t->slot & ~FAR;
    assert(b->len && w->e[id].t == t && "a far timer's `when` changed while it was armed");
    uint32_t off = (b->len - 1) % CHUNK, last = b->top * CHUNK + off;
    if (last != id) {
        w->e[id] = w->e[last];
        w->e[id].t->slot = FAR | id;
    }
    if (off == 0) {
        uint32_t c = b->top;
        b->top = w->next[c];
        w->next[c] = w->free;
        w->free = c;
    }
    if (--b->len == 0) {
        w->occupied[lv] &= ~(1ull << sl);
        if (!w->occupied[lv]) w->levels &= ~(1u << lv);
    }
    if (t->when == w->min) w->min_known = false;
}

/* The earliest far time: it is in the lowest occupied slot. */
static ln_time far_min(ln_sim *s)
{
    ln_wheel *w = s->far;
    if (w->min_known) return w->min;
    uint32_t lv = (uint32_t)__builtin_ctz(w->levels);
    uint32_t sl = (uint32_t)__builtin_ctzll(w->occupied[lv]);
    ln_time m;
    if (lv == 0) {
        m = (s->edge & ~(ln_time)(SLOTS - 1)) | sl;     /* one instant per slot */
    } else {
        bucket *b = &w->b[lv * SLOTS + sl];
        m = LN_NEVER;
        uint32_t n = (b->len - 1) % CHUNK + 1;
        for (uint32_t c = b->top; c != NONE; c = w->next[c], n = CHUNK)
            for (const ln_heapent *e = &w->e[c * CHUNK], *end = e + n; e < end; e++)
                if (e->when < m) m = e->when;
    }
    w->min = m;
    w->min_known = true;
    return m;
}

/* The near heap ran dry: empty the lowest occupied slot, the events due
 * first into the heap and the rest a level down or more (see the top). */
static void refill(ln_sim *s)
{
    ln_wheel *w = s->far;
    uint32_t lv = (uint32_t)__builtin_ctz(w->levels);
    uint32_t sl = (uint32_t)__builtin_ctzll(w->occupied[lv]);
    ln_time m = far_min(s);
    bucket *b = &w->b[lv * SLOTS + sl];
    uint32_t c = b->top, n = (b->len - 1) % CHUNK + 1;
    b->top = NONE;
    b->len = 0;
    w->occupied[lv] &= ~(1ull << sl);
    if (!w->occupied[lv]) w->levels &= ~(1u << lv);
    s->edge = m;
    w->min_known = false;
    while (c != NONE) {
        uint32_t below = w->next[c];
        for (uint32_t k = 0; k < n; k++) {
            /* A copy: far_put may move the pool. */
            ln_heapent e = w->e[c * CHUNK + k];
            if (e.when == m) near_push(s, &e);
            else far_put(s, &e);
        }
        w->next[c] = w->free;
        w->free = c;
        c = below;
        n = CHUNK;
    }
}

/* Calls fn on every far event, then empties the wheel. */
static void far_clear(ln_sim *s, void (*fn)(ln_sim *s, ln_heapent e, void *arg), void *arg)
{
    ln_wheel *w = s->far;
    while (w->levels) {
        uint32_t lv = (uint32_t)__builtin_ctz(w->levels);
        uint32_t sl = (uint32_t)__builtin_ctzll(w->occupied[lv]);
        bucket *b = &w->b[lv * SLOTS + sl];
        uint32_t n = (b->len - 1) % CHUNK + 1;
        for (uint32_t c = b->top; c != NONE; c = w->next[c], n = CHUNK)
            for (uint32_t k = 0; k < n; k++) fn(s, w->e[c * CHUNK + k], arg);
        b->top = NONE;
        b->len = 0;
        w->occupied[lv] &= ~(1ull << sl);
        if (!w->occupied[lv]) w->levels &= ~(1u << lv);
    }
    w->free = NONE;
    w->used = 0;
    w->min_known = false;
}

/* --- switching the wheel on and off -------------------------------------- */

/* Past SPILL events: everything not due now goes to the wheel. */
static void spill(ln_sim *s)
{
    if (!s->far) {
        ln_wheel *w = malloc(sizeof *w);
        if (!w) ln_fatal("out of memory for the timer wheel");
        memset(w, 0, sizeof *w);
        w->free = NONE;
        for (uint32_t i = 0; i < LEVELS * SLOTS; i++) w->b[i].top = NONE;
        s->far = w;
    }
    s->edge = s->now;
    uint32_t j = 0;
    for (uint32_t i = 0; i < s->nlen; i++) {
        if (s->heap[i].when <= s->edge) s->heap[j++] = s->heap[i];
        else far_put(s, &s->heap[i]);
    }
    s->nlen = j;
    for (uint32_t i = 0; i < j; i++) s->heap[i].t->slot = i;
    for (uint32_t i = j / 4 + 1; i-- > 0;)
        if (i < j) sift_down(s, i);
}

static void gather_one(ln_sim *s, ln_heapent e, void *arg)
{
    (void)arg;
    near_push(s, &e);
}

/* Below GATHER events: all back into the heap. */
static void gather(ln_sim *s)
{
    far_clear(s, gather_one, NULL);
    s->edge = LN_NEVER;
}

/* --- the interface (sim_queue.h) ------------------------------------------ */

int ln_simq_init(ln_sim *s)
{
    s->ncap = 256;
    s->heap = malloc(s->ncap * sizeof *s->heap);
    s->edge = LN_NEVER;
    return s->heap ? 0 : -1;
}

static void disarm_one(ln_sim *s, ln_heapent e, void *arg)
{
    (void)s;
    (void)arg;
    e.t->slot = LN_TIMER_IDLE;
}

void ln_simq_free(ln_sim *s)
{
    for (uint32_t i = 0; i < s->nlen; i++) s->heap[i].t->slot = LN_TIMER_IDLE;
    if (s->far) {
        far_clear(s, disarm_one, NULL);
        free(s->far->e);
        free(s->far->next);
        free(s->far);
    }
    free(s->heap);
    s->far = NULL;
    s->heap = NULL;
    s->len = s->nlen = s->ncap = 0;
    s->edge = LN_NEVER;
}

/* Inlined into ln_timer_arm_as: with a few timers, arming is a handful of
 * instructions plus the sift, and a call more was 1.5% of bench_tcp W1. */
static inline __attribute__((always_inline)) void insert(ln_sim *s, const ln_heapent *e)
{
    e->t->when = e->when;
    s->len++;
    if (e->when > s->edge) {
        far_put(s, e);
        return;
    }
    near_push(s, e);
    if (s->len > SPILL && s->edge == LN_NEVER) spill(s);
}

static inline void unput(ln_sim *s, ln_timer *t)
{
    if (t->slot & FAR) far_remove(s, t);
    else near_remove(s, t->slot);
}

static void rekey(ln_sim *s, const ln_heapent *e)
{
    ln_timer *t = e->t;
    if (!(t->slot & FAR) && e->when <= s->edge) {
        /* Stays in the heap: the new key replaces the old in its slot and
         * moves up or down from there, instead of a removal and an
         * insertion. */
        uint32_t i = t->slot;
        bool up = i > 0 && before(e, &s->heap[(i - 1) / 4]);
        s->heap[i] = *e;
        t->when = e->when;
        if (up) sift_up(s, i);
        else sift_down(s, i);
        return;
    }
    if ((t->slot & FAR) && e->when > s->edge) {
        uint32_t lv = level_of(e->when, s->edge);
        if (lv == level_of(t->when, s->edge) && digit(e->when, lv) == digit(t->when, lv)) {
            /* Pushed back within its slot (a retransmission timer by one
             * round trip, most of the time): a new key in place. */
            ln_wheel *w = s->far;
            if (t->when == w->min) w->min_known = false;
            else if (w->min_known && e->when < w->min) w->min = e->when;
            w->e[t->slot & ~FAR] = *e;
            t->when = e->when;
            return;
        }
    }
    unput(s, t);
    t->when = e->when;
    if (e->when <= s->edge) near_push(s, e);
    else far_put(s, e);
}

static void remove_armed(ln_sim *s, ln_timer *t)
{
    unput(s, t);
    t->slot = LN_TIMER_IDLE;
    if (--s->len < GATHER && s->edge != LN_NEVER) gather(s);
}

static inline void pop(ln_sim *s, ln_heapent *out)
{
    if (!s->nlen) refill(s);
    *out = s->heap[0];
    out->t->slot = LN_TIMER_IDLE;
    if (--s->nlen) {
        s->heap[0] = s->heap[s->nlen];
        sift_down(s, 0);
    }
    if (--s->len < GATHER && s->edge != LN_NEVER) gather(s);
}

ln_time ln_sim_next(ln_sim *s)
{
    if (s->nlen) return s->heap[0].when;
    return s->len ? far_min(s) : LN_NEVER;
}

/* --- arming and running ----------------------------------------------------- */

void ln_sim_prefetcher(ln_sim *s, ln_timer_fn fn, ln_timer_fn pf)
{
    for (uint32_t k = 0; k < s->n_pf; k++)
        if (s->pf_fn[k] == fn) return;
    if (s->n_pf == LN_SIM_PREFETCHERS) return;
    s->pf_fn[s->n_pf] = fn;
    s->pf[s->n_pf++] = pf;
}

static inline void prefetch_ahead(ln_sim *s)
{
    const ln_heapent *h = s->heap;
    uint32_t n = s->nlen;
    if (n > 1) {
        /* The event after next is one of the root's children.  By time
         * alone (ties are the rule in a flood), a guess is enough for a
         * prefetch, and cheaper than the order's full compare. */
        const ln_heapent *c = &h[1];
        if (n > 2 && h[2].when < c->when) c = &h[2];
        if (n > 3 && h[3].when < c->when) c = &h[3];
        if (n > 4 && h[4].when < c->when) c = &h[4];
        __builtin_prefetch(c->t);
    }
    const ln_timer *t = h[0].t;
    for (uint32_t k = 0; k < s->n_pf; k++) {
        if (t->fn == s->pf_fn[k]) {
            s->pf[k](t->arg);
            return;
        }
    }
}

void ln_timer_arm_as(ln_sim *s, ln_timer *t, ln_time when, uint32_t creator, uint64_t seq)
{
    if (when < s->now) when = s->now;
    uint32_t owner = t->owner == LN_ACTOR_RUNNING ? s->actor : t->owner;
    if (s->remote && owner < s->n_remote && s->remote[owner]) {
        /* Another rank runs it: not armed here. */
        if (ln_timer_armed(t)) remove_armed(s, t);
        t->when = when;
        return;
    }
    ln_heapent e = { .when = when, .who = (uint64_t)owner << 32 | creator, .seq = seq, .t = t };
    /* Re-armed before it fired (a retransmission timer pushed back by
     * every ACK): a new key, as if cancelled and armed again. */
    if (ln_timer_armed(t)) rekey(s, &e);
    else insert(s, &e);
}

void ln_timer_cancel(ln_sim *s, ln_timer *t)
{
    if (ln_timer_armed(t)) remove_armed(s, t);
}

void ln_timer_prefetch(const ln_sim *s, const ln_timer *t)
{
    if (ln_timer_armed(t) && (t->slot & FAR)) __builtin_prefetch(&s->far->e[t->slot & ~FAR]);
}

bool ln_sim_step(ln_sim *s)
{
    if (s->len == 0) return false;
    ln_heapent e;
    pop(s, &e);
    ln_timer *t = e.t;
    /* The next events' timers and what they fire on are usually cold (a
     * link a thousand frames ago, a packet queued long since): start
     * fetching them while this one runs, in two stages.  The timer of the
     * event after next (the least of the heap root's children), whose
     * line the next step reads; and, from the next event's timer, fetched
     * by the previous step, its prefetcher's lines. */
    if (s->nlen) prefetch_ahead(s);
    uint32_t owner = (uint32_t)(e.who >> 32);
    s->stuck = e.when == s->now ? s->stuck + 1 : 0;
    s->now = e.when;
    s->events++;
    s->in_event = true;
    /* The event's owner is the running actor until the deferred changes
     * it asked for have run: they are its doing too. */
    uint32_t outer = s->actor;
    s->actor = owner;
    t->fn(t->arg);
    s->in_event = false;
    if (s->after_due && s->after) {
        s->after_due = false;
        s->after(s->after_arg);
    }
    s->actor = outer;
    return true;
}

uint64_t ln_sim_run_until(ln_sim *s, ln_time until)
{
    uint64_t start = s->events;
    s->stop = false;
    while (!s->stop && s->len && ln_sim_next(s) <= until) ln_sim_step(s);
    if (!s->stop && until != LN_NEVER && until > s->now) s->now = until;
    return s->events - start;
}

uint64_t ln_sim_run(ln_sim *s)
{
    uint64_t start = s->events;
    s->stop = false;
    while (!s->stop && ln_sim_step(s)) {}
    return s->events - start;
}

/* --- for sim.c ------------------------------------------------------------- */

void ln_simq_insert(ln_sim *s, const ln_heapent *e) { insert(s, e); }

typedef struct sink { ln_heapent *out; uint32_t n; } sink;

static void take_one(ln_sim *s, ln_heapent e, void *arg)
{
    (void)s;
    sink *k = arg;
    k->out[k->n++] = e;
}

uint32_t ln_simq_take_all(ln_sim *s, ln_heapent *out)
{
    sink k = { out, 0 };
    for (uint32_t i = 0; i < s->nlen; i++) k.out[k.n++] = s->heap[i];
    if (s->far) far_clear(s, take_one, &k);
    s->nlen = 0;
    s->len = 0;
    s->edge = LN_NEVER;
    return k.n;
}
