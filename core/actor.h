/* actor.h - an actor's share of the network's counters.
 *
 * Actors (sim.h) are the network itself, its nodes and its switches.  A
 * whole-network counter that every actor's events bump (the trace-id
 * counter, the drop totals) is one location written by all of them: split
 * across processes, each process would hold a different part of it, and
 * the trace ids a process handed out would depend on which other actors it
 * happened to run.  So each actor keeps its own share, written only by its
 * own events (ln_net_counts: the running actor's), and whoever reads a
 * total sums the shares (docs/parallel.md, rule 4).
 *
 * The share lives with the actor's state: in ln_node, in ln_switch, and
 * in ln_net for the network (actor 0); the network finds it by actor id. */
#ifndef LN_ACTOR_H
#define LN_ACTOR_H

#include <stdint.h>
#include "drop.h"

typedef struct ln_actor_counts {
    uint64_t pkts;                    /* packets made (ln_net_pkt): the count
                                       * in this actor's trace ids (pkt.h) */
    uint64_t *drops;                  /* drops during this actor's events, by
                                       * reason, whatever node they concern:
                                       * LN_DROP__COUNT counters, read as
                                       * drops[r]; ln_drops_none until the first */
} ln_actor_counts;

/* All zeros, shared and never written: the drop counters of an actor or a
 * node that has dropped nothing yet (most hosts of a large network, which
 * would otherwise carry 672 bytes of zeros each).  ln_net_drop gives each
 * its own array on the first drop. */
extern uint64_t ln_drops_none[LN_DROP__COUNT];
/* Count one drop in *d, giving it an array of its own on the first: the
 * only way to write drop counters. */
void ln_drops_count(uint64_t **d, ln_drop_reason reason);
/* Free an actor's or a node's drop counters (nothing if never given). */
void ln_drops_release(uint64_t *d);

#endif
