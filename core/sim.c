/* sim.c - the scheduler: keys, owners, split runs, and the drivers that
 * run events in key order.
 *
 * Keys are (when, owner, creator, seq), see sim.h for why.  seq grows with
 * every arm, so no two keys are equal: the order of events is total and
 * does not depend on how the pending events are stored (sim_queue.c). */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sim_queue.h"

int ln_sim_init(ln_sim *s)
{
    *s = (ln_sim){0};
    return ln_simq_init(s);
}

void ln_sim_destroy(ln_sim *s)
{
    ln_simq_free(s);
    free(s->aseq);
    s->aseq = NULL;
    s->n_aseq = 0;
}

void ln_timer_init(ln_timer *t, ln_timer_fn fn, void *arg)
{
    t->when = 0;
    t->owner = LN_ACTOR_RUNNING;
    t->slot = LN_TIMER_IDLE;
    t->fn = fn;
    t->arg = arg;
}

void ln_timer_arm_as(ln_sim *s, ln_timer *t, ln_time when, uint32_t creator, uint64_t seq)
{
    if (when < s->now) when = s->now;
    uint32_t owner = t->owner == LN_ACTOR_RUNNING ? s->actor : t->owner;
    if (s->remote && owner < s->n_remote && s->remote[owner]) {
        /* Another rank runs it: not armed here. */
        if (ln_timer_armed(t)) ln_simq_remove(s, t);
        t->when = when;
        return;
    }
    ln_heapent e = { .when = when, .who = (uint64_t)owner << 32 | creator, .seq = seq, .t = t };
    /* Re-armed before it fired (a retransmission timer pushed back by
     * every ACK): a new key, as if cancelled and armed again. */
    if (ln_timer_armed(t)) ln_simq_rekey(s, e);
    else ln_simq_insert(s, e);
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
    if (ln_timer_armed(t)) ln_simq_remove(s, t);
}

ln_time ln_sim_next(ln_sim *s) { return ln_simq_next(s); }

bool ln_sim_step(ln_sim *s)
{
    if (s->len == 0) return false;
    ln_heapent e = ln_simq_pop(s);
    ln_timer *t = e.t;
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
    while (!s->stop && s->len && ln_simq_next(s) <= until) ln_sim_step(s);
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
    if (!remote || !s->len) return;
    ln_heapent *all = malloc(s->len * sizeof *all);
    if (!all) ln_fatal("out of memory splitting %u pending timers", s->len);
    uint32_t k = ln_simq_take_all(s, all);
    for (uint32_t i = 0; i < k; i++) {
        uint32_t owner = (uint32_t)(all[i].who >> 32);
        if (owner < n && remote[owner]) all[i].t->slot = LN_TIMER_IDLE;
        else ln_simq_insert(s, all[i]);
    }
    free(all);
}
