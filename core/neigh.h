/* neigh.h - the neighbour table and its state machine, one for every
 * address family, as Linux's net/core/neighbour.c serves both arp_tbl
 * (ARP, arp.c) and nd_tbl (IPv6 neighbour discovery, nd.c).  A family
 * brings only its protocol (message formats, where a solicitation goes,
 * what a message teaches) through a small ops table; the states, timers,
 * queue of packets waiting for resolution and garbage collection are here.
 *
 * States are Linux's NUD states, which are RFC 4861 7.3.2's for IPv6:
 *   INCOMPLETE: a solicitation broadcast (ARP) or sent to the solicited-node
 *               group (ND), packets queued (unres_qlen, oldest dropped);
 *               after mcast_solicit unanswered ones, one per retrans_time,
 *               FAILED: queued packets dropped, each sender told
 *               "unreachable" by the family's error report.
 *   REACHABLE:  confirmed by a unicast answer; lasts reachable_time.
 *   STALE:      learnt from an unsolicited message, or REACHABLE aged;
 *               still used to send, and the first use starts DELAY.
 *   DELAY:      delay_first_probe for an upper-layer confirmation, then
 *               PROBE.
 *   PROBE:      unicast solicitations to the cached address; an answer
 *               makes it REACHABLE, ucast_solicit misses FAILED.
 *   FAILED:     unusable; the next packet for it restarts INCOMPLETE.
 * Garbage collection, with Linux's sysctls (net.ipv4.neigh.default.*,
 * whose defaults net.ipv6.neigh.default.* shares):
 *   periodic:   an entry unused for gc_stale_time while STALE, or FAILED,
 *               is removed, but only while the table holds at least
 *               gc_thresh1 (128) entries; below that it stays (parked,
 *               with no timer) as on Linux, where `ip neigh` keeps STALE
 *               entries of a quiet host for ever.
 *   forced:     a new entry when the table holds gc_thresh3 (1024), or
 *               gc_thresh2 (512) and the last forced run is 5 s old,
 *               first removes FAILED and STALE entries not updated in the
 *               last 5 s, oldest first, down to gc_thresh2; if that frees
 *               nothing at gc_thresh3 the entry is refused ("neighbour
 *               table overflow").
 * Static entries are exempt and do not count. */
#ifndef LN_NEIGH_H
#define LN_NEIGH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "drop.h"
#include "eth.h"
#include "in6.h"
#include "pkt.h"
#include "rand.h"
#include "sim.h"

struct ln_node;
struct ln_iface;

typedef enum {
    LN_NUD_NONE, LN_NUD_INCOMPLETE, LN_NUD_REACHABLE, LN_NUD_STALE,
    LN_NUD_DELAY, LN_NUD_PROBE, LN_NUD_FAILED
} ln_nud_state;

const char *ln_nud_state_name(ln_nud_state s);
/* States in which the cached MAC may be used (Linux NUD_VALID). */
static inline bool ln_nud_valid(ln_nud_state s)
{
    return s == LN_NUD_REACHABLE || s == LN_NUD_STALE || s == LN_NUD_DELAY || s == LN_NUD_PROBE;
}

struct ln_neigh_table;


typedef struct ln_neigh {
    /* What a packet's lookup reads and writes (ln_neigh_send), in the
     * first cache line: entries are line-aligned, and in a table of
     * thousands each lookup's line is cold. */
    struct ln_neigh *next;        /* hash chain */
    struct ln_iface *iface;
    union {                       /* the address, by family; unused bytes 0 */
        uint32_t ip;              /* ARP, host order */
        ln_in6 ip6;               /* ND */
        uint8_t key[16];
    };
    ln_time used;                 /* last lookup that sent a packet */
    uint8_t mac[6];
    bool permanent;               /* set by a script: never aged */
    bool parked;                  /* due for periodic gc, but the table is below
                                   * gc_thresh1: no timer until it is not */
    ln_nud_state state;
    bool router;                  /* ND: its advertisements carry the R flag */
    uint32_t probes;              /* solicitations sent in this state */
    struct ln_neigh_table *tbl;
    struct ln_node *node;
    ln_time confirmed;            /* last answer/confirmation; LN_NEVER if none */
    ln_time updated;              /* last change of state or MAC (locktime) */
    ln_timer timer;
    ln_pkt *q_head, *q_tail;      /* packets waiting (data at the IP header) */
    uint32_t q_len;
} ln_neigh;

/* What a family brings (Linux's neigh_ops and the table's constructor). */
typedef struct ln_neigh_ops {
    uint8_t key_len;              /* 4 or 16 bytes of ln_neigh.key */
    uint8_t ev_family;            /* the ARP event's value2: 0 ARP, 6 ND */
    uint16_t ethertype;
    int (*cmp)(const ln_neigh *a, const ln_neigh *b);      /* same iface */
    char *(*fmt)(const ln_neigh *e, char *buf);            /* LN_IN6_FMTLEN */
    /* One solicitation for e, e->probes already counting it: to the group
     * while INCOMPLETE, unicast to e->mac while PROBE. */
    void (*solicit)(ln_neigh *e);
    /* Resolution failed: tell the sender of this queued packet (borrows). */
    void (*error_report)(struct ln_node *n, ln_pkt *pkt);
    ln_drop_reason drop_failed, drop_queue_full;
    /* MIB counters (LN_MIB_*), -1 where the family counts none. */
    int mib_resolve_failed, mib_unres_discards, mib_table_fulls, mib_forced_gc_runs;
    const char *probe_word;       /* traces: "requests", "solicitations" */
    const char *unreach_word;     /* traces: "host unreachable", ... */
} ln_neigh_ops;

typedef struct ln_neigh_table {
    const ln_neigh_ops *ops;
    struct ln_node *node;
    uint8_t key_len;              /* ops' own, here for every packet's path */
    uint16_t ethertype;
    const ln_time *clock;         /* the node's virtual time (ln_neigh_send) */
    ln_neigh **buckets;
    uint32_t n_buckets, n;
    uint32_t n_perm;              /* static entries: exempt from gc */
    uint32_t n_parked;
    ln_time last_flush;           /* the last forced gc (Linux tbl->last_flush) */
    /* Linux draws reachable_time in [0.5, 1.5) x base_reachable_time every
     * 300 s (neigh_rand_reach_time, RFC 4861 6.3.2).  lunet keeps the base
     * value unless a table is given an RNG, so that aging in scenarios is
     * predictable; rng NULL: no draw. */
    ln_rng *rng;
    ln_time reach_base, reach_time, reach_next;
} ln_neigh_table;

void ln_neigh_init(ln_neigh_table *t, struct ln_node *n, const ln_neigh_ops *ops);
void ln_neigh_destroy(ln_neigh_table *t);          /* frees queued packets too */

/* The current reachable_time: the base (the node's arp_reachable_time),
 * or, with t->rng, a draw from it renewed every 300 s. */
ln_time ln_neigh_reachable_time(ln_neigh_table *t);

/* Keyed by interface index and address, never by pointer, so iteration
 * order (and thus any listing) is the same on every run.  A key is hashed
 * by its length (IPv4's 4 bytes, IPv6's 16), not through the ops: this is
 * on every packet's path. */
static inline uint32_t ln_neigh_hash(uint32_t ifindex, const uint8_t *key, uint8_t key_len)
{
    uint32_t h;
    if (key_len == 4) {
        uint32_t ip;
        memcpy(&ip, key, 4);
        h = ip * 2654435761u ^ (ifindex + 1) * 0x9e3779b9u;
    } else {
        h = (ifindex + 1) * 0x9e3779b9u;
        for (int i = 0; i < 16; i += 4)
            h = (h ^ ((uint32_t)key[i] << 24 | (uint32_t)key[i + 1] << 16 | (uint32_t)key[i + 2] << 8 |
                      key[i + 3])) * 2654435761u;
    }
    h ^= h >> 15;
    return h;
}

/* The bucket key on ifindex hashes to; the table has buckets. */
static inline ln_neigh *const *ln_neigh_bucket(const ln_neigh_table *t, uint32_t ifindex, const void *key)
{
    return &t->buckets[ln_neigh_hash(ifindex, key, t->key_len) & (t->n_buckets - 1)];
}

/* The entry for key on ifc (whose index is ifindex), or NULL. */
static inline ln_neigh *ln_neigh_find(const ln_neigh_table *t, const struct ln_iface *ifc, uint32_t ifindex,
                                      const void *key)
{
    if (!t->n_buckets) return NULL;
    uint8_t kl = t->key_len;
    uint32_t ip = 0;
    if (kl == 4) memcpy(&ip, key, 4);
    for (ln_neigh *e = *ln_neigh_bucket(t, ifindex, key); e; e = e->next)
        if (e->iface == ifc && (kl == 4 ? e->ip == ip : memcmp(e->key, key, 16) == 0)) return e;
    return NULL;
}

/* A hint that a packet for key on ifc is likely soon (a reply to what
 * key just sent, from a host with no socket remembering the entry): the
 * bucket now, its first entry some time later, once the bucket is in.
 * On a host with a thousand neighbours both are cold.  They change
 * nothing. */
static inline void ln_neigh_prefetch_bucket(const ln_neigh_table *t, uint32_t ifindex, const void *key)
{
    if (t->n_buckets) __builtin_prefetch(ln_neigh_bucket(t, ifindex, key));
}
static inline void ln_neigh_prefetch_entry(const ln_neigh_table *t, uint32_t ifindex, const void *key)
{
    const ln_neigh *e = t->n_buckets ? *ln_neigh_bucket(t, ifindex, key) : NULL;
    if (e) __builtin_prefetch(e);
}

ln_neigh *ln_neigh_lookup(const ln_neigh_table *t, const struct ln_iface *ifc, const void *key);
/* The entry for key on ifc, created in state NONE if there is none; NULL
 * when the table is full (counted as a table full) or memory runs out.
 * Static entries are exempt from the limits. */
ln_neigh *ln_neigh_lookup_create(ln_neigh_table *t, struct ln_iface *ifc, const void *key, bool exempt);

/* Send an IP packet (data at the IP header) to next hop key through ifc,
 * an interface that is up, resolving it first if needed; the family has
 * already sent what needs no resolution (broadcast, multicast) itself.
 * Consumes pkt. */
void ln_neigh_output(ln_neigh_table *t, struct ln_iface *ifc, const void *key, ln_pkt *pkt);
/* The same, with the path of nearly every packet inline in the family's
 * output: a confirmed entry (REACHABLE, DELAY, PROBE) sends at once, as
 * ln_neigh_output would; anything else goes through it.  Returns the
 * entry it sent through, or NULL: a hint for the sender's next packet
 * (ln_ip_rcache.neigh), which may outlive the entry. */
static inline const ln_neigh *ln_neigh_send(ln_neigh_table *t, struct ln_iface *ifc, uint32_t ifindex,
                                            const void *key, ln_pkt *pkt)
{
    ln_neigh *e = ln_neigh_find(t, ifc, ifindex, key);
    if (e && (e->state == LN_NUD_REACHABLE || e->state == LN_NUD_DELAY || e->state == LN_NUD_PROBE)) {
        e->used = *t->clock;
        ln_eth_output(ifc, pkt, e->mac, t->ethertype);
        return e;
    }
    ln_neigh_output(t, ifc, key, pkt);
    return NULL;
}

/* A packet for an interface that is down: counted and dropped.  Consumes
 * pkt. */
void ln_neigh_drop_down(struct ln_node *n, struct ln_iface *ifc, ln_pkt *pkt);

/* neigh_update: what a message teaches about e.  mac NULL: it carried no
 * link-layer address.  Flags (Linux's NEIGH_UPDATE_F_*): */
#define LN_NEIGH_OVERRIDE      1u   /* a different MAC replaces a usable one */
#define LN_NEIGH_WEAK_OVERRIDE 2u   /* without OVERRIDE, a different MAC turns
                                     * REACHABLE into STALE (RFC 4861 7.2.5) */
void ln_neigh_update(ln_neigh *e, const uint8_t *mac, ln_nud_state st, unsigned flags);
/* A static entry: REACHABLE for ever with this MAC. */
void ln_neigh_set_permanent(ln_neigh *e, const uint8_t mac[6]);
/* Forward-progress hint from an upper layer (Linux neigh_confirm): DELAY
 * returns to REACHABLE without probing. */
void ln_neigh_confirm(ln_neigh *e);

void ln_neigh_flush(ln_neigh_table *t, const struct ln_iface *ifc);   /* NULL: all */
/* Visit every entry in bucket order (keyed by interface index and
 * address, so the same on every run). */
void ln_neigh_foreach(const ln_neigh_table *t, void (*fn)(const ln_neigh *e, void *arg), void *arg);
/* Visit every entry by interface index, then ops->cmp. */
void ln_neigh_foreach_sorted(const ln_neigh_table *t, void (*fn)(const ln_neigh *e, void *arg), void *arg);

#endif
