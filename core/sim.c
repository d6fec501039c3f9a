/* sim.c - the scheduler: a 4-ary min-heap of intrusive timers.
 *
 * Four children per node halve the depth of a binary heap, and the four
 * siblings compared on the way down share a cache line or two; each slot
 * holds its timer's key, so comparing never dereferences a timer.  With
 * 100k pending timers both matter more than the instruction count.
 *
 * Keys are (when, owner, creator, seq), see sim.h for why.  seq grows with
 * every arm, so no two keys are equal: the order of events is total and
 * does not depend on the heap's shape.  Each timer remembers its slot, so
 * cancel and re-arm are O(log n) without a search. */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

static inline int before(const ln_heapent *a, const ln_heapent *b)
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
        if (first >= s->len) break;
        uint32_t last = first + 4 < s->len ? first + 4 : s->len;
        uint32_t c = first;
        for (uint32_t k = first + 1; k < last; k++)
            if (before(&s->heap[k], &s->heap[c])) c = k;
        if (!before(&s->heap[c], &e)) break;
        place(s, i, s->heap[c]);
        i = c;
    }
    place(s, i, e);
}

int ln_sim_init(ln_sim *s)
{
    *s = (ln_sim){0};
    s->cap = 256;
    s->heap = malloc(s->cap * sizeof *s->heap);
    return s->heap ? 0 : -1;
}

void ln_sim_destroy(ln_sim *s)
{
    for (uint32_t i = 0; i < s->len; i++) s->heap[i].t->slot = LN_TIMER_IDLE;
    free(s->heap);
    free(s->aseq);
    s->heap = NULL;
    s->aseq = NULL;
    s->len = s->cap = s->n_aseq = 0;
}

void ln_timer_init(ln_timer *t, ln_timer_fn fn, void *arg)
{
    t->when = 0;
    t->owner = LN_ACTOR_RUNNING;
    t->slot = LN_TIMER_IDLE;
    t->fn = fn;
    t->arg = arg;
}

static void heap_remove(ln_sim *s, ln_timer *t)
{
    uint32_t i = t->slot;
    ln_heapent last = s->heap[--s->len];
    t->slot = LN_TIMER_IDLE;
    if (last.t == t) return;
    place(s, i, last);
    if (i > 0 && before(&last, &s->heap[(i - 1) / 4])) sift_up(s, i);
    else sift_down(s, i);
}

void ln_timer_arm_as(ln_sim *s, ln_timer *t, ln_time when, uint32_t creator, uint64_t seq)
{
    if (when < s->now) when = s->now;
    uint32_t owner = t->owner == LN_ACTOR_RUNNING ? s->actor : t->owner;
    bool inert = s->remote && owner < s->n_remote && s->remote[owner];
    if (ln_timer_armed(t)) {
        if (inert) {
            heap_remove(s, t);
            t->when = when;
            return;
        }
        /* Re-armed before it fired (a retransmission timer pushed back by
         * every ACK): the new key replaces the old in its slot and moves
         * up or down from there, instead of a removal and an insertion. */
        uint32_t i = t->slot;
        ln_heapent e = { .when = when, .who = (uint64_t)owner << 32 | creator, .seq = seq, .t = t };
        t->when = when;
        bool up = i > 0 && before(&e, &s->heap[(i - 1) / 4]);
        s->heap[i] = e;
        if (up) sift_up(s, i);
        else sift_down(s, i);
        return;
    }
    if (s->len == s->cap) {
        /* Growth is the only allocation; it stops once the heap has seen
         * the run's peak number of pending events. */
        uint32_t ncap = s->cap ? s->cap * 2 : 256;
        ln_heapent *nh = realloc(s->heap, ncap * sizeof *nh);
        if (!nh) ln_fatal("out of memory growing the timer heap to %u timers", ncap);
        s->heap = nh;
        s->cap = ncap;
    }
    t->when = when;
    if (inert) return;                  /* another rank runs it */
    s->heap[s->len] = (ln_heapent){
        .when = when, .who = (uint64_t)owner << 32 | creator, .seq = seq, .t = t };
    t->slot = s->len++;
    sift_up(s, t->slot);
}

/* A count per creator, not one for the process: the order of two events
 * of one (owner, creator) pair is the order the creator armed them, and
 * that count is the same whichever process runs the creator, where a
 * process-wide count would depend on what else that process ran.  In one
 * process the two orders agree, since ties compare owner and creator
 * first. */
uint64_t ln_sim_take_seq(ln_sim *s) { return ln_sim_take_seq_of(s, s->actor); }

uint64_t ln_sim_take_seq_of(ln_sim *s, uint32_t c)
{
    if (c >= s->n_aseq) {
        uint32_t n = c < 15 ? 16 : c * 2 + 1;
        uint64_t *a = realloc(s->aseq, n * sizeof *a);
        if (!a) ln_fatal("out of memory for the arming counts of %u actors", n);
        memset(a + s->n_aseq, 0, (n - s->n_aseq) * sizeof *a);
        s->aseq = a;
        s->n_aseq = n;
    }
    return s->aseq[c]++;
}

void ln_timer_arm(ln_sim *s, ln_timer *t, ln_time when)
{
    ln_timer_arm_as(s, t, when, s->actor, ln_sim_take_seq(s));
}

void ln_timer_arm_in(ln_sim *s, ln_timer *t, ln_time delay)
{
    ln_time when = s->now + delay;
    ln_timer_arm(s, t, when < s->now ? LN_NEVER - 1 : when);
}

void ln_timer_cancel(ln_sim *s, ln_timer *t)
{
    if (ln_timer_armed(t)) heap_remove(s, t);
}

ln_time ln_sim_next(const ln_sim *s)
{
    return s->len ? s->heap[0].when : LN_NEVER;
}

bool ln_sim_step(ln_sim *s)
{
    if (s->len == 0) return false;
    ln_timer *t = s->heap[0].t;
    uint32_t owner = (uint32_t)(s->heap[0].who >> 32);
    heap_remove(s, t);
    s->stuck = t->when == s->now ? s->stuck + 1 : 0;
    s->now = t->when;
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
    while (!s->stop && s->len && s->heap[0].when <= until) ln_sim_step(s);
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

void ln_sim_stop(ln_sim *s) { s->stop = true; }

/* A split (dist.h): timers armed before it for actors another process
 * runs are forgotten here, as ln_timer_arm would not have armed them. */
void ln_sim_set_remote(ln_sim *s, const uint8_t *remote, uint32_t n)
{
    s->remote = remote;
    s->n_remote = n;
    if (!remote) return;
    uint32_t j = 0;
    for (uint32_t i = 0; i < s->len; i++) {
        uint32_t owner = (uint32_t)(s->heap[i].who >> 32);
        if (owner < n && remote[owner]) s->heap[i].t->slot = LN_TIMER_IDLE;
        else s->heap[j++] = s->heap[i];
    }
    s->len = j;
    for (uint32_t i = 0; i < s->len; i++) s->heap[i].t->slot = i;
    for (uint32_t i = s->len / 4 + 1; i-- > 0;)
        if (i < s->len) sift_down(s, i);
}
