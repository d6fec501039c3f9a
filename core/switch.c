/* switch.c - a learning Ethernet switch and a hub.
 *
 * Call chain: a link delivers a frame to a switch port (arrive -> port.rx =
 * sw_rx); the switch learns the source, looks up the destination in its
 * forwarding database and hands the frame (or one clone per extra port when
 * flooding) to ln_link_send on the chosen ports.  No delay is added here.
 *
 * The FDB is an open-addressing hash table with linear probing and
 * backward-shift deletion (no tombstones), keyed by MAC.  Entries are aged
 * lazily: an entry older than `aging` is treated as absent, and removed,
 * whenever a lookup or a learn runs into it, so no timer per entry is
 * needed.  This is the same rule as Linux's br_fdb has_expired(). */
#include "switch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "err.h"
#include "link.h"
#include "net.h"
#include "trace.h"
#include "wire.h"

#define FDB_INITIAL 64u                 /* slots; power of two */
#define AGING_DEFAULT (300 * LN_SEC)    /* Linux bridge ageing_time */
/* When the table is at fdb_max, aged entries are purged at most this often,
 * so a flood of new MACs does not cost a full table scan per frame. */
#define SWEEP_EVERY LN_SEC

#define FAIL(err, errlen, ...) do {                                      \
    if ((err) && (errlen)) snprintf((err), (errlen), __VA_ARGS__);       \
} while (0)

/* A switch port knows its index, so a frame's ingress costs no search.
 * The ln_port comes first: s->ports[] points at it, and the cast back is
 * the usual first-member rule. */
typedef struct swport {
    ln_port port;
    uint32_t index;
} swport;

/* ---- forwarding database ---------------------------------------------- */

static inline uint32_t mac_hash(const uint8_t m[6], uint32_t mask)
{
    uint64_t k = (uint64_t)m[0] << 40 | (uint64_t)m[1] << 32 | (uint64_t)m[2] << 24 |
                 (uint64_t)m[3] << 16 | (uint64_t)m[4] << 8 | m[5];
    return (uint32_t)((k * 0x9E3779B97F4A7C15ull) >> 32) & mask;   /* Fibonacci hashing */
}

static inline bool expired(const ln_switch *s, const ln_fdb_entry *e, ln_time now)
{
    return now - e->seen >= s->aging;
}

/* Slot holding mac, or -1 with *free_slot set to where it would go.  The
 * table is never more than 3/4 full, so the probe always ends. */
static int64_t fdb_slot(const ln_switch *s, const uint8_t mac[6], uint32_t *free_slot)
{
    uint32_t mask = s->fdb_size - 1;
    for (uint32_t i = mac_hash(mac, mask);; i = (i + 1) & mask) {
        const ln_fdb_entry *e = &s->fdb[i];
        if (!e->used) {
            if (free_slot) *free_slot = i;
            return -1;
        }
        if (memcmp(e->mac, mac, 6) == 0) return i;
    }
}

/* Backward-shift deletion: pull later members of the probe run into the
 * hole when their home slot allows it, so lookups never need tombstones. */
static void fdb_delete(ln_switch *s, uint32_t hole)
{
    uint32_t mask = s->fdb_size - 1;
    for (uint32_t j = (hole + 1) & mask; s->fdb[j].used; j = (j + 1) & mask) {
        uint32_t home = mac_hash(s->fdb[j].mac, mask);
        /* j may move to the hole unless its home lies cyclically in (hole, j]. */
        bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!stays) {
            s->fdb[hole] = s->fdb[j];
            hole = j;
        }
    }
    s->fdb[hole].used = false;
    s->fdb_used--;
}

/* Live entry for mac, or NULL; an aged one is removed on the way. */
static ln_fdb_entry *fdb_find(ln_switch *s, const uint8_t mac[6], ln_time now)
{
    int64_t i = fdb_slot(s, mac, NULL);
    if (i < 0) return NULL;
    if (expired(s, &s->fdb[i], now)) {
        fdb_delete(s, (uint32_t)i);
        s->st.aged++;
        return NULL;
    }
    return &s->fdb[i];
}

/* Rebuild into `size` slots, leaving aged entries behind. */
static int fdb_rehash(ln_switch *s, uint32_t size, ln_time now)
{
    ln_fdb_entry *old = s->fdb, *nt = calloc(size, sizeof *nt);
    uint32_t old_size = s->fdb_size;
    if (!nt) return LN_ENOMEM;
    s->fdb = nt;
    s->fdb_size = size;
    s->fdb_used = 0;
    for (uint32_t i = 0; i < old_size; i++) {
        if (!old[i].used) continue;
        if (expired(s, &old[i], now)) {
            s->st.aged++;
            continue;
        }
        uint32_t slot;
        fdb_slot(s, old[i].mac, &slot);
        s->fdb[slot] = old[i];
        s->fdb_used++;
    }
    free(old);
    return 0;
}

static void learn(ln_switch *s, const uint8_t mac[6], uint32_t port, ln_time now)
{
    uint32_t slot;
    int64_t i = fdb_slot(s, mac, &slot);
    if (i >= 0) {
        ln_fdb_entry *e = &s->fdb[i];
        if (expired(s, e, now)) {
            s->st.aged++;
            s->st.learned++;
        } else if (e->port != port) {
            s->st.moved++;
            if (LN_TRACE_ON(s->net, LN_TR_SWITCH)) {
                char m[18];
                ln_trace_emit(s->net, LN_TR_SWITCH, s->name, "%s moved from port %u to %u", ln_mac_fmt(mac, m),
                              e->port, port);
            }
        }
        e->port = port;
        e->seen = now;
        return;
    }
    if (s->fdb_max && s->fdb_used >= s->fdb_max) {
        if (now >= s->fdb_swept) {
            s->fdb_swept = now + SWEEP_EVERY;
            fdb_rehash(s, s->fdb_size, now);   /* on failure the old table stays */
        }
        if (s->fdb_used >= s->fdb_max) {
            s->st.fdb_full++;
            return;
        }
        fdb_slot(s, mac, &slot);
    }
    if ((uint64_t)(s->fdb_used + 1) * 4 > (uint64_t)s->fdb_size * 3) {
        /* Not learning on allocation failure is safe: the MAC is flooded. */
        if (fdb_rehash(s, s->fdb_size * 2, now) != 0) return;
        fdb_slot(s, mac, &slot);
    }
    if (LN_TRACE_ON(s->net, LN_TR_SWITCH)) {
        char m[18];
        ln_trace_emit(s->net, LN_TR_SWITCH, s->name, "learned %s on port %u", ln_mac_fmt(mac, m), port);
    }
    ln_fdb_entry *e = &s->fdb[slot];
    memcpy(e->mac, mac, 6);
    e->used = true;
    e->port = port;
    e->seen = now;
    s->fdb_used++;
    s->st.learned++;
}

/* ---- forwarding ----------------------------------------------------------- */

static void drop(ln_switch *s, ln_pkt *frame, ln_drop_reason why)
{
    ln_net_drop(s->net, NULL, NULL, frame, LN_LAYER_L2, why);
}

static void port_send(ln_switch *s, ln_port *p, ln_pkt *frame)
{
    if (!p->out) drop(s, frame, LN_DROP_NO_CARRIER);
    else ln_link_send(p->out, frame);
}

/* Every other port with a link gets the frame: clones for all but the last,
 * which takes the original.  Ports without a link are skipped, as a bridge
 * skips ports that are not forwarding.  The port array is re-read each
 * time round because a subscriber woken by a send may add ports. */
static void flood(ln_switch *s, uint32_t in, ln_pkt *frame)
{
    uint32_t n = s->n_ports;
    ln_port *last = NULL;
    s->st.flooded++;
    for (uint32_t i = 0; i < n; i++) {
        ln_port *p = s->ports[i];
        if (i == in || !p->out) continue;
        if (last) {
            ln_pkt *c = ln_pkt_clone(frame);
            if (c) ln_link_send(last->out, c);
            else drop(s, NULL, LN_DROP_NO_BUFFER);
        }
        last = p;
    }
    if (last) ln_link_send(last->out, frame);
    else drop(s, frame, LN_DROP_NO_CARRIER);   /* nowhere to go */
}

static void sw_rx(ln_port *port, ln_pkt *frame)
{
    swport *in = (swport *)port;
    ln_switch *s = port->owner;
    s->st.rx++;
    if (frame->len < LN_ETH_HLEN) {
        drop(s, frame, LN_DROP_TRUNCATED);
        return;
    }
    if (s->hub) {
        flood(s, in->index, frame);
        return;
    }
    if (LN_TRACE_ON(s->net, LN_TR_SWITCH) && (frame->data[LN_ETH_DST] & 1) == 0 &&
        !fdb_find(s, frame->data + LN_ETH_DST, ln_net_now(s->net))) {
        char m[18];
        ln_trace_emit(s->net, LN_TR_SWITCH, s->name, "%s unknown: flooding from port %u",
                      ln_mac_fmt(frame->data + LN_ETH_DST, m), in->index);
    }
    const uint8_t *dst = frame->data + LN_ETH_DST, *src = frame->data + LN_ETH_SRC;
    ln_time now = ln_net_now(s->net);
    /* Learn only valid unicast sources (Linux: is_valid_ether_addr). */
    static const uint8_t zero[6];
    if (!(src[0] & 1) && memcmp(src, zero, 6) != 0) learn(s, src, in->index, now);
    if (!(dst[0] & 1)) {
        const ln_fdb_entry *e = fdb_find(s, dst, now);
        if (e) {
            if (e->port == in->index) {
                s->st.filtered++;
                drop(s, frame, LN_DROP_SWITCH_FILTER);
                return;
            }
            s->st.forwarded++;
            port_send(s, s->ports[e->port], frame);
            return;
        }
    }
    flood(s, in->index, frame);
}

/* ---- public API ----------------------------------------------------------- */

static void switch_fin(void *s) { ln_switch_free(s); }

ln_switch *ln_switch_new(ln_net *net, const char *name, bool hub,
                         char *err, size_t errlen)
{
    if (!name || !*name) {
        FAIL(err, errlen, "a switch needs a name");
        return NULL;
    }
    if (strlen(name) >= sizeof ((ln_switch *)0)->name) {
        FAIL(err, errlen, "switch name \"%s\" too long (at most %zu characters)", name,
             sizeof ((ln_switch *)0)->name - 1);
        return NULL;
    }
    /* Port names, and through them link names and random streams, must be
     * unique, so a switch may not share a name with a node or a switch. */
    if (ln_net_name_taken(net, name)) {
        FAIL(err, errlen, "name \"%s\" already in use", name);
        return NULL;
    }
    ln_switch *s = calloc(1, sizeof *s);
    if (s) s->fdb = calloc(FDB_INITIAL, sizeof *s->fdb);
    if (!s || !s->fdb) {
        free(s);
        FAIL(err, errlen, "out of memory");
        return NULL;
    }
    s->net = net;
    s->id = net->n_switches;
    s->actor = ln_net_new_actor(net);
    if (!s->actor) {
        free(s->fdb);
        free(s);
        FAIL(err, errlen, "switch \"%s\": too many nodes and switches (%u at most)",
             name, (unsigned)LN_PKT_ID_ACTOR_MAX);
        return NULL;
    }
    snprintf(s->name, sizeof s->name, "%s", name);
    s->hub = hub;
    s->fdb_size = FDB_INITIAL;
    s->aging = AGING_DEFAULT;
    if (ln_net_add_switch(net, s, switch_fin) != 0) {
        free(s->fdb);
        free(s);
        FAIL(err, errlen, "out of memory");
        return NULL;
    }
    return s;
}

/* Called by ln_net_free after the links (which never touch ports when
 * freed) are gone. */
void ln_switch_free(ln_switch *s)
{
    if (!s) return;
    for (uint32_t i = 0; i < s->n_ports; i++) free((swport *)s->ports[i]);
    free(s->ports);
    free(s->fdb);
    ln_drops_release(s->counts.drops);
    free(s);
}

ln_port *ln_switch_add_port(ln_switch *s)
{
    if (s->n_ports == s->cap_ports) {
        uint32_t ncap = s->cap_ports ? s->cap_ports * 2 : 8;
        ln_port **np = realloc(s->ports, ncap * sizeof *np);
        if (!np) return NULL;
        s->ports = np;
        s->cap_ports = ncap;
    }
    swport *sp = calloc(1, sizeof *sp);
    if (!sp) return NULL;
    sp->index = s->n_ports;
    sp->port.rx = sw_rx;
    sp->port.kind = LN_PORT_SWITCH;
    sp->port.owner = s;
    sp->port.actor = s->actor;
    snprintf(sp->port.name, sizeof sp->port.name, "%s.p%u", s->name, (unsigned)(sp->index + 1));
    s->ports[s->n_ports++] = &sp->port;
    return &sp->port;
}

int ln_switch_lookup(ln_switch *s, const uint8_t mac[6])
{
    const ln_fdb_entry *e = fdb_find(s, mac, ln_net_now(s->net));
    return e ? (int)e->port : -1;
}

void ln_switch_foreach(ln_switch *s, void (*fn)(const ln_fdb_entry *e, void *arg), void *arg)
{
    ln_time now = ln_net_now(s->net);
    for (uint32_t i = 0; i < s->fdb_size; i++)
        if (s->fdb[i].used && !expired(s, &s->fdb[i], now)) fn(&s->fdb[i], arg);
}

void ln_switch_flush(ln_switch *s)
{
    memset(s->fdb, 0, s->fdb_size * sizeof *s->fdb);
    s->fdb_used = 0;
}
