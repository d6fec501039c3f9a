/* sim.c - the scheduler: setting up, the arming counts that make the
 * keys' seq, and split runs.  Arming, cancelling and running events,
 * and the structure the pending ones wait in, are sim_queue.c's.
 *
 * Keys are (when, owner, creator, seq), see sim.h for why.  seq grows with
 * every arm, so no two keys are equal: the order of events is total and
 * does not depend on how the pending events are stored. */
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

/* A count per creator, not one for the process: the order of two events
 * of one (owner, creator) pair is the order the creator armed them, and
 * that count is the same whichever process runs the creator, where a
 * process-wide count would depend on what else that process ran.  In one
 * process the two orders agree, since ties compare owner and creator
 * first. */
void ln_sim_aseq_grow(ln_sim *s, uint32_t c)
{
    uint32_t n = c < 15 ? 16 : c * 2 + 1;
    uint64_t *a = realloc(s->aseq, n * sizeof *a);
    if (!a) ln_fatal("out of memory for the arming counts of %u actors", n);
    memset(a + s->n_aseq, 0, (n - s->n_aseq) * sizeof *a);
    s->aseq = a;
    s->n_aseq = n;
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
        else ln_simq_insert(s, &all[i]);
    }
    free(all);
}
