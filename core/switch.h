/* switch.h - a learning Ethernet switch and a hub.
 *
 * The switch learns the source MAC of each frame against its ingress port
 * and forwards known unicast to that port only; broadcast, multicast and
 * unknown unicast are flooded to every other port.  A learned entry ages out
 * after `aging` (Linux bridge ageing_time, 300 s).  A frame whose known
 * port is the ingress port is filtered.  The hub repeats every frame to
 * every other port.  Neither adds delay: the links on each side do. */
#ifndef LN_SWITCH_H
#define LN_SWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "actor.h"
#include "port.h"
#include "sim.h"

typedef struct ln_fdb_entry {
    uint8_t mac[6];
    bool used;
    uint32_t port;                /* index into ports */
    ln_time seen;                 /* last time the MAC was a source */
} ln_fdb_entry;

typedef struct ln_switch_stats {
    uint64_t rx, forwarded, flooded, filtered, learned, moved, aged;
    uint64_t fdb_full;            /* source MACs not learned: table at fdb_max */
} ln_switch_stats;

typedef struct ln_switch {
    struct ln_net *net;
    uint32_t id;
    uint32_t actor;               /* scheduler actor id (sim.h), see ln_node */
    char name[32];
    bool hub;
    ln_port **ports; uint32_t n_ports, cap_ports;
    ln_fdb_entry *fdb;            /* open addressing, power-of-two size */
    uint32_t fdb_size, fdb_used;
    uint32_t fdb_max;             /* 0 = no limit; a full table floods new
                                     MACs, as a real CAM does under macof */
    ln_time fdb_swept;            /* when full: next purge of aged entries */
    ln_time aging;
    ln_switch_stats st;
    ln_actor_counts counts;       /* this actor's share of the network's counters
                                   * (actor.h), written only by its own events */
    void *ud;                     /* owned by the Lua binding */
} ln_switch;

ln_switch *ln_switch_new(struct ln_net *net, const char *name, bool hub,
                         char *err, size_t errlen);
void ln_switch_free(ln_switch *s);       /* called by ln_net_free */
/* A new port, named "<switch>.p<N>" (N from 1), ready for ln_link_new. */
ln_port *ln_switch_add_port(ln_switch *s);
/* Port index a MAC is learned on (not aged out), or -1. */
int ln_switch_lookup(ln_switch *s, const uint8_t mac[6]);
/* Visit live entries, like `bridge fdb show`; fn must not change s. */
void ln_switch_foreach(ln_switch *s, void (*fn)(const ln_fdb_entry *e, void *arg), void *arg);
void ln_switch_flush(ln_switch *s);

#endif
