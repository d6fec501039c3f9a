/* sim_queue.h - what sim.c needs of sim_queue.c, where armed timers wait
 * and run: setting up and tearing down, and moving every pending event
 * out and back in when a run is split (ln_sim_set_remote).  Each function
 * keeps s->len, the timers' slots and their `when` up to date. */
#ifndef LN_SIM_QUEUE_H
#define LN_SIM_QUEUE_H

#include "sim.h"

int  ln_simq_init(ln_sim *s);
/* Every pending timer becomes unarmed; the memory is freed. */
void ln_simq_free(ln_sim *s);
/* Queue e for e->t, which is not armed. */
void ln_simq_insert(ln_sim *s, const ln_heapent *e);
/* Unqueue everything into out[] (room for s->len entries), leaving the
 * timers' slots as they were: the caller re-queues or disarms each.
 * Returns how many. */
uint32_t ln_simq_take_all(ln_sim *s, ln_heapent *out);

#endif
