/* sim_queue.h - the scheduler's pending events (sim_queue.c), for sim.c
 * only: sim.h says which key an event gets, this keeps them in key order.
 *
 * Every function keeps s->len, the timers' slots and t->when up to date,
 * and the near heap non-empty whenever anything is pending, so its root is
 * the earliest event. */
#ifndef LN_SIM_QUEUE_H
#define LN_SIM_QUEUE_H

#include "sim.h"

int  ln_simq_init(ln_sim *s);
/* Every pending timer becomes unarmed; the memory is freed. */
void ln_simq_free(ln_sim *s);
/* Queue e for e.t, which is not armed. */
void ln_simq_insert(ln_sim *s, ln_heapent e);
/* Give the armed timer e.t the new key e. */
void ln_simq_rekey(ln_sim *s, ln_heapent e);
/* Unqueue the armed timer t. */
void ln_simq_remove(ln_sim *s, ln_timer *t);
/* Unqueue the earliest event and return it; s->len must not be 0. */
ln_heapent ln_simq_pop(ln_sim *s);
/* The earliest event's time, LN_NEVER if none. */
ln_time ln_simq_next(ln_sim *s);
/* Unqueue everything into out[] (room for s->len entries), leaving the
 * timers' slots as they were: the caller re-queues or disarms each.
 * Returns how many. */
uint32_t ln_simq_take_all(ln_sim *s, ln_heapent *out);

#endif
