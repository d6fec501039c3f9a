/* icmp_rate.c - ICMP error rate limits, as Linux's icmp_global_allow /
 * icmp_global_consume (net/ipv4/icmp.c) and inet_peer_xrlim_allow
 * (net/ipv4/inetpeer.c).  See icmp_rate.h.
 *
 * Linux keeps a peer per destination in a tree with garbage collection;
 * here a node has a direct-mapped table of PEERS entries, made on its
 * first limited error.  A destination that finds its slot taken by
 * another takes it over with a full bucket: a collision can only let more
 * errors out, never fewer, and the table stays a fixed size whatever
 * sources a flood spoofs. */
#include "icmp_rate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "node.h"
#include "rand.h"

#define PEERS 256
#define XRLIM_BURST_FACTOR 6            /* Linux: tokens for six messages */

typedef struct peer {
    uint8_t key[16];
    bool used;
    ln_time last;                       /* rate_last */
    ln_time tokens;                     /* rate_tokens, in time */
} peer;

struct ln_icmp_state {
    int64_t credit;                     /* icmp_global_credit (may go negative) */
    ln_time stamp;                      /* icmp_global_stamp */
    bool stamped;
    ln_rng rng;                         /* "icmp:<node>": the consumed credits,
                                         * apart from the node's own draws */
    peer peers[PEERS];
};

static struct ln_icmp_state *state(ln_node *n)
{
    if (n->icmp) return n->icmp;
    struct ln_icmp_state *s = calloc(1, sizeof *s);
    if (!s) ln_fatal("node %s: out of memory for ICMP rate limits", n->name);
    char label[64];
    snprintf(label, sizeof label, "icmp:%s", n->name);
    ln_rng_derive(&s->rng, n->net->seed, label);
    n->icmp = s;
    return s;
}

bool ln_icmp_rate_global(ln_node *n)
{
    struct ln_icmp_state *s = state(n);
    if (s->credit > 0) return true;
    ln_time now = ln_net_now(n->net);
    /* A node that never sent one has a full second's refill waiting. */
    ln_time delta = s->stamped ? now - s->stamp : LN_SEC;
    if (delta > LN_SEC) delta = LN_SEC;
    if (delta < LN_SEC / 50) return false;
    int64_t incr = (int64_t)n->cfg.icmp_msgs_per_sec * (int64_t)delta / LN_SEC;
    if (incr <= 0) return false;
    s->stamp = now;
    s->stamped = true;
    int64_t c = s->credit + incr;
    s->credit = c < (int64_t)n->cfg.icmp_msgs_burst ? c : (int64_t)n->cfg.icmp_msgs_burst;
    return true;
}

void ln_icmp_rate_consume(ln_node *n)
{
    struct ln_icmp_state *s = state(n);
    s->credit -= (int64_t)ln_rng_below(&s->rng, 3);
}

static uint32_t slot_of(const uint8_t key[16])
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < 16; i++) h = (h ^ key[i]) * 16777619u;
    return (h ^ h >> 16) & (PEERS - 1);
}

bool ln_icmp_rate_peer(ln_node *n, const uint8_t key[16], ln_time timeout)
{
    struct ln_icmp_state *s = state(n);
    ln_time now = ln_net_now(n->net);
    peer *p = &s->peers[slot_of(key)];
    if (!p->used || memcmp(p->key, key, 16) != 0) {
        /* inet_getpeer: a new peer's last use is a minute ago, so its
         * bucket starts full. */
        memcpy(p->key, key, 16);
        p->used = true;
        p->tokens = 60 * LN_SEC;
        p->last = now;
    }
    ln_time cap = XRLIM_BURST_FACTOR * timeout;
    ln_time tok = p->tokens + (now - p->last);
    if (tok > cap || tok < p->tokens) tok = cap;   /* (or it wrapped) */
    p->last = now;
    bool ok = tok >= timeout;
    if (ok) tok -= timeout;
    p->tokens = tok;
    return ok;
}

void ln_icmp_rate_free(ln_node *n)
{
    free(n->icmp);
    n->icmp = NULL;
}
