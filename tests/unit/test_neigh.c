/* test_neigh.c - the neighbour table (neigh.c) on its own, with a toy
 * family whose ops only record what the table asks of them: the NUD
 * states and their timers, the queue of packets waiting for resolution
 * and its limit, what neigh_update's override flags allow, forced and
 * periodic garbage collection with gc_thresh1/2/3, and reachable_time
 * randomisation.  test_arp.c and test_nd.c drive the same machine
 * through the two real families' messages. */
#include <stdint.h>
#include <string.h>

#include "mib.h"
#include "neigh.h"
#include "world.h"

#define TOY_TYPE 0x88b5           /* IEEE local experimental ethertype */

/* What the toy family was asked to do. */
static struct {
    int solicits;
    ln_nud_state solicit_state[16];
    uint32_t solicit_probes[16];
    int reports;                  /* error reports (one per queued packet) */
} toy;

static int toy_cmp(const ln_neigh *a, const ln_neigh *b) { return a->ip < b->ip ? -1 : a->ip > b->ip; }
static char *toy_fmt(const ln_neigh *e, char *buf) { return ln_ip_fmt(e->ip, buf); }

static void toy_solicit(ln_neigh *e)
{
    if (toy.solicits < 16) {
        toy.solicit_state[toy.solicits] = e->state;
        toy.solicit_probes[toy.solicits] = e->probes;
    }
    toy.solicits++;
}

static void toy_report(ln_node *n, ln_pkt *p)
{
    (void)n;
    (void)p;
    toy.reports++;
}

static const ln_neigh_ops toy_ops = {
    .key_len = 4, .ev_family = 9, .ethertype = TOY_TYPE,
    .cmp = toy_cmp, .fmt = toy_fmt, .solicit = toy_solicit, .error_report = toy_report,
    .drop_failed = LN_DROP_ND_FAILED, .drop_queue_full = LN_DROP_ND_QUEUE_FULL,
    .mib_resolve_failed = LN_MIB_ArpResolveFailed, .mib_unres_discards = LN_MIB_ArpUnresolvedDiscards,
    .mib_table_fulls = LN_MIB_ArpTableFulls, .mib_forced_gc_runs = LN_MIB_ArpForcedGcRuns,
    .probe_word = "tries", .unreach_word = "unreachable",
};

static const world_cfg quiet_pair = { .seed = 3, .addr = {IP(10, 0, 0, 1), IP(10, 0, 0, 2)},
                                      .delay = LN_MSEC };

typedef struct fix { world *w; ln_node *n; ln_iface *ifc; ln_neigh_table t; } fix;

static void fix_new(fix *f)
{
    memset(&toy, 0, sizeof toy);
    f->w = world_new(&quiet_pair);
    f->n = f->w->a;
    f->ifc = f->w->ia;
    ln_neigh_init(&f->t, f->n, &toy_ops);
}

static void fix_free(fix *f)
{
    world_run(f->w);
    ln_neigh_destroy(&f->t);
    world_free(f->w);
}

/* A packet tagged with `tag` in its first byte. */
static void send_to(fix *f, uint32_t ip, uint8_t tag)
{
    ln_pkt *p = ln_net_pkt(f->w->net, 20);
    memset(p->data, 0, 20);
    p->data[0] = tag;
    ln_neigh_output(&f->t, f->ifc, &ip, p);
}

static ln_neigh *get(fix *f, uint32_t ip) { return ln_neigh_lookup(&f->t, f->ifc, &ip); }
static ln_nud_state state_of(fix *f, uint32_t ip)
{
    ln_neigh *e = get(f, ip);
    return e ? e->state : LN_NUD_NONE;
}

/* Toy frames that left a, in order; their tags in tags[]. */
static int toy_frames(const world *w, uint8_t *tags, int max)
{
    int k = 0;
    for (int i = 0; i < w->n_tx; i++) {
        const world_frame *f = &w->tx[i];
        if (f->node != w->a || f->len < 15 || ln_get16(f->b + 12) != TOY_TYPE) continue;
        if (k < max) tags[k] = f->b[14];
        k++;
    }
    return k;
}

static uint64_t mib(ln_node *n, int idx) { return ln_node_mib(n)[idx]; }

static const uint8_t mac1[6] = {2, 0, 0, 0, 0, 0x11}, mac2[6] = {2, 0, 0, 0, 0, 0x22};

/* ---- resolution ---------------------------------------------------------- */

/* NONE -> INCOMPLETE with one solicitation at once, one per retrans_time,
 * FAILED after mcast_solicit: each queued packet reported and dropped. */
static void test_incomplete_fails(void)
{
    fix f;
    fix_new(&f);
    const ln_node_cfg *c = &f.n->cfg;
    uint32_t ip = IP(10, 0, 0, 9);
    send_to(&f, ip, 1);
    send_to(&f, ip, 2);
    CHECK_EQ(state_of(&f, ip), LN_NUD_INCOMPLETE);
    CHECK_EQ(toy.solicits, 1);
    CHECK_EQ(toy.solicit_state[0], LN_NUD_INCOMPLETE);
    CHECK_EQ(toy.solicit_probes[0], 1);
    CHECK_EQ(get(&f, ip)->q_len, 2);
    world_run_for(f.w, c->arp_retrans_time * 2 + LN_MSEC);
    CHECK_EQ(toy.solicits, 3);
    CHECK_EQ(toy.solicit_probes[2], 3);
    CHECK_EQ(state_of(&f, ip), LN_NUD_INCOMPLETE);
    world_run_for(f.w, c->arp_retrans_time);
    CHECK_EQ(state_of(&f, ip), LN_NUD_FAILED);
    CHECK_EQ(toy.solicits, (int)c->arp_mcast_solicit);
    CHECK_EQ(toy.reports, 2);
    CHECK_U64(world_node_drops(f.w, f.n, LN_LAYER_L3, LN_DROP_ND_FAILED), 2);
    CHECK_U64(mib(f.n, LN_MIB_ArpResolveFailed), 1);
    /* The next packet starts over. */
    send_to(&f, ip, 3);
    CHECK_EQ(state_of(&f, ip), LN_NUD_INCOMPLETE);
    CHECK_EQ(toy.solicits, (int)c->arp_mcast_solicit + 1);
    fix_free(&f);
}

/* unres_qlen bounds the queue; the OLDEST packet goes (__neigh_event_send),
 * and an answer sends the rest in order. */
static void test_queue_limit(void)
{
    fix f;
    fix_new(&f);
    f.n->cfg.arp_unres_qlen = 3;
    uint32_t ip = IP(10, 0, 0, 9);
    for (uint8_t tag = 1; tag <= 5; tag++) send_to(&f, ip, tag);
    ln_neigh *e = get(&f, ip);
    CHECK_EQ(e->q_len, 3);
    CHECK_U64(world_node_drops(f.w, f.n, LN_LAYER_L3, LN_DROP_ND_QUEUE_FULL), 2);
    CHECK_U64(mib(f.n, LN_MIB_ArpUnresolvedDiscards), 2);
    ln_neigh_update(e, mac1, LN_NUD_REACHABLE, LN_NEIGH_OVERRIDE);
    CHECK_EQ(e->state, LN_NUD_REACHABLE);
    CHECK_EQ(e->q_len, 0);
    world_run_for(f.w, LN_MSEC);
    uint8_t tags[8];
    CHECK_EQ(toy_frames(f.w, tags, 8), 3);
    CHECK(tags[0] == 3 && tags[1] == 4 && tags[2] == 5);
    /* A limit of 0 queues nothing. */
    f.n->cfg.arp_unres_qlen = 0;
    send_to(&f, IP(10, 0, 0, 10), 6);
    CHECK_EQ(get(&f, IP(10, 0, 0, 10))->q_len, 0);
    CHECK_U64(world_node_drops(f.w, f.n, LN_LAYER_L3, LN_DROP_ND_QUEUE_FULL), 3);
    fix_free(&f);
}

/* REACHABLE -> STALE after reachable_time; use -> DELAY -> PROBE (unicast)
 * after delay_first_probe; an answer -> REACHABLE; a confirmation in DELAY
 * -> REACHABLE with no probe; ucast_solicit misses -> FAILED. */
static void test_nud_cycle(void)
{
    fix f;
    fix_new(&f);
    const ln_node_cfg *c = &f.n->cfg;
    uint32_t ip = IP(10, 0, 0, 9);
    ln_neigh *e = ln_neigh_lookup_create(&f.t, f.ifc, &ip, false);
    ln_neigh_update(e, mac1, LN_NUD_REACHABLE, LN_NEIGH_OVERRIDE);
    CHECK_EQ(e->state, LN_NUD_REACHABLE);
    world_run_for(f.w, c->arp_reachable_time - LN_MSEC);
    CHECK_EQ(e->state, LN_NUD_REACHABLE);
    world_run_for(f.w, 2 * LN_MSEC);
    CHECK_EQ(e->state, LN_NUD_STALE);
    send_to(&f, ip, 1);
    CHECK_EQ(e->state, LN_NUD_DELAY);
    world_run_for(f.w, c->arp_delay_first_probe + LN_MSEC);
    CHECK_EQ(e->state, LN_NUD_PROBE);
    CHECK_EQ(toy.solicits, 1);
    CHECK_EQ(toy.solicit_state[0], LN_NUD_PROBE);
    ln_neigh_update(e, mac1, LN_NUD_REACHABLE, LN_NEIGH_OVERRIDE);
    CHECK_EQ(e->state, LN_NUD_REACHABLE);
    /* Confirmed while in DELAY: back to REACHABLE, no probe. */
    world_run_for(f.w, c->arp_reachable_time + LN_MSEC);
    send_to(&f, ip, 2);
    CHECK_EQ(e->state, LN_NUD_DELAY);
    ln_neigh_confirm(e);
    world_run_for(f.w, c->arp_delay_first_probe + LN_MSEC);
    CHECK_EQ(e->state, LN_NUD_REACHABLE);
    CHECK_EQ(toy.solicits, 1);
    /* Unanswered probes: FAILED after ucast_solicit of them. */
    world_run_for(f.w, c->arp_reachable_time + LN_MSEC);
    send_to(&f, ip, 3);
    world_run_for(f.w, c->arp_delay_first_probe + c->arp_retrans_time * c->arp_ucast_solicit + LN_MSEC);
    CHECK_EQ(e->state, LN_NUD_FAILED);
    CHECK_EQ(toy.solicits, 1 + (int)c->arp_ucast_solicit);
    fix_free(&f);
}

/* neigh_update's flags: a different MAC replaces a usable one only with
 * OVERRIDE; WEAK_OVERRIDE turns REACHABLE into STALE and keeps the MAC
 * (RFC 4861 7.2.5); a STALE hint with the same MAC keeps REACHABLE. */
static void test_override(void)
{
    fix f;
    fix_new(&f);
    uint32_t ip = IP(10, 0, 0, 9);
    ln_neigh *e = ln_neigh_lookup_create(&f.t, f.ifc, &ip, false);
    ln_neigh_update(e, mac1, LN_NUD_REACHABLE, LN_NEIGH_OVERRIDE);
    ln_neigh_update(e, mac2, LN_NUD_STALE, 0);
    CHECK(e->state == LN_NUD_REACHABLE && memcmp(e->mac, mac1, 6) == 0);
    ln_neigh_update(e, mac1, LN_NUD_STALE, LN_NEIGH_OVERRIDE);
    CHECK(e->state == LN_NUD_REACHABLE && memcmp(e->mac, mac1, 6) == 0);
    ln_neigh_update(e, mac2, LN_NUD_STALE, LN_NEIGH_WEAK_OVERRIDE);
    CHECK(e->state == LN_NUD_STALE && memcmp(e->mac, mac1, 6) == 0);
    ln_neigh_update(e, mac2, LN_NUD_STALE, LN_NEIGH_WEAK_OVERRIDE);     /* not REACHABLE: ignored */
    CHECK(e->state == LN_NUD_STALE && memcmp(e->mac, mac1, 6) == 0);
    ln_neigh_update(e, mac2, LN_NUD_STALE, LN_NEIGH_OVERRIDE);
    CHECK(e->state == LN_NUD_STALE && memcmp(e->mac, mac2, 6) == 0);
    /* No address in the message: the state moves, the MAC stays. */
    ln_neigh_update(e, NULL, LN_NUD_REACHABLE, LN_NEIGH_OVERRIDE);
    CHECK(e->state == LN_NUD_REACHABLE && memcmp(e->mac, mac2, 6) == 0);
    /* ... and an unresolved entry learns nothing from it. */
    uint32_t ip2 = IP(10, 0, 0, 10);
    send_to(&f, ip2, 1);
    ln_neigh_update(get(&f, ip2), NULL, LN_NUD_REACHABLE, LN_NEIGH_OVERRIDE);
    CHECK_EQ(state_of(&f, ip2), LN_NUD_INCOMPLETE);
    /* A static entry ignores every message. */
    ln_neigh_set_permanent(e, mac1);
    ln_neigh_update(e, mac2, LN_NUD_STALE, LN_NEIGH_OVERRIDE);
    CHECK(e->permanent && e->state == LN_NUD_REACHABLE && memcmp(e->mac, mac1, 6) == 0);
    fix_free(&f);
}

/* ---- garbage collection -------------------------------------------------- */

static void fill_stale(fix *f, uint32_t first, int count)
{
    for (int i = 0; i < count; i++) {
        uint32_t ip = first + (uint32_t)i;
        ln_neigh *e = ln_neigh_lookup_create(&f->t, f->ifc, &ip, false);
        CHECK(e != NULL);
        ln_neigh_update(e, mac1, LN_NUD_STALE, LN_NEIGH_OVERRIDE);
        world_run_for(f->w, LN_MSEC);         /* distinct ages */
    }
}

/* Below gc_thresh1 a STALE entry unused for gc_stale_time stays, parked with
 * no timer (the network goes idle); when the table reaches gc_thresh1 the
 * parked entries' gc runs, and collects them until the table is below
 * gc_thresh1 again. */
static void test_periodic_gc(void)
{
    fix f;
    fix_new(&f);
    ln_node_cfg *c = &f.n->cfg;
    c->arp_gc_thresh1 = 4;
    fill_stale(&f, IP(10, 0, 1, 1), 3);
    world_run(f.w);                            /* idles: nothing is armed */
    CHECK_EQ(f.t.n, 3);
    CHECK_EQ(f.t.n_parked, 3);
    CHECK(ln_sim_next(&f.w->net->sim) == LN_NEVER);
    uint32_t ip = IP(10, 0, 1, 9);
    CHECK(ln_neigh_lookup_create(&f.t, f.ifc, &ip, false) != NULL);
    CHECK_EQ(f.t.n_parked, 0);
    world_run_for(f.w, LN_MSEC);
    /* One went, which brought the table below gc_thresh1: the other two
     * park again; the new one (NONE) has no timer. */
    CHECK_EQ(f.t.n, 3);
    CHECK_EQ(f.t.n_parked, 2);
    int left = 0;
    for (uint32_t i = 1; i <= 3; i++) left += get(&f, IP(10, 0, 1, i)) != NULL;
    CHECK_EQ(left, 2);
    fix_free(&f);
}

/* At gc_thresh3 a new entry first removes FAILED and old STALE entries,
 * oldest first, down to gc_thresh2; with nothing to remove it is refused
 * (neighbour table overflow).  Static entries are exempt and uncounted. */
static void test_forced_gc(void)
{
    fix f;
    fix_new(&f);
    ln_node_cfg *c = &f.n->cfg;
    c->arp_gc_thresh1 = 0;
    c->arp_gc_thresh2 = 4;
    c->arp_gc_thresh3 = 6;
    c->arp_gc_stale_time = 3600 * LN_SEC;      /* no periodic gc in the way */
    uint32_t st = IP(10, 0, 2, 1);
    ln_neigh *perm = ln_neigh_lookup_create(&f.t, f.ifc, &st, true);
    ln_neigh_set_permanent(perm, mac2);
    fill_stale(&f, IP(10, 0, 1, 1), 6);
    CHECK_EQ(f.t.n, 7);
    /* Too young (updated within 5 s): nothing to remove, refused. */
    uint32_t ip = IP(10, 0, 1, 50);
    CHECK(ln_neigh_lookup_create(&f.t, f.ifc, &ip, false) == NULL);
    CHECK_U64(mib(f.n, LN_MIB_ArpTableFulls), 1);
    CHECK_U64(mib(f.n, LN_MIB_ArpForcedGcRuns), 1);
    send_to(&f, ip, 1);
    CHECK_U64(world_node_drops(f.w, f.n, LN_LAYER_L3, LN_DROP_NEIGH_OVERFLOW), 1);
    /* Old enough: the two oldest go (6 -> gc_thresh2), the static one stays. */
    world_run_for(f.w, 6 * LN_SEC);
    CHECK(ln_neigh_lookup_create(&f.t, f.ifc, &ip, false) != NULL);
    CHECK(get(&f, IP(10, 0, 1, 1)) == NULL && get(&f, IP(10, 0, 1, 2)) == NULL);
    CHECK(get(&f, IP(10, 0, 1, 3)) != NULL && get(&f, st) != NULL);
    CHECK_EQ(f.t.n, 6);                        /* 4 + the new one + the static one */
    fix_free(&f);
}

/* ---- reachable_time ------------------------------------------------------ */

/* Without an RNG reachable_time is the base; with one it is drawn in
 * [base/2, 3 base/2), kept for 300 s, and an entry ages by the draw. */
static void test_reachable_random(void)
{
    fix f;
    fix_new(&f);
    ln_time base = f.n->cfg.arp_reachable_time;
    CHECK(ln_neigh_reachable_time(&f.t) == base);
    ln_rng rng;
    ln_rng_derive(&rng, 42, "test_neigh");
    f.t.rng = &rng;
    ln_time r1 = ln_neigh_reachable_time(&f.t);
    CHECK(r1 >= base / 2 && r1 < base + base / 2);
    CHECK(ln_neigh_reachable_time(&f.t) == r1);
    bool moved = false;
    for (int i = 0; i < 8; i++) {
        world_run_for(f.w, 300 * LN_SEC);
        ln_time r = ln_neigh_reachable_time(&f.t);
        CHECK(r >= base / 2 && r < base + base / 2);
        moved |= r != r1;
    }
    CHECK(moved);
    ln_time r = ln_neigh_reachable_time(&f.t);
    uint32_t ip = IP(10, 0, 0, 9);
    ln_neigh *e = ln_neigh_lookup_create(&f.t, f.ifc, &ip, false);
    ln_neigh_update(e, mac1, LN_NUD_REACHABLE, LN_NEIGH_OVERRIDE);
    world_run_for(f.w, r - LN_MSEC);
    CHECK_EQ(e->state, LN_NUD_REACHABLE);
    world_run_for(f.w, 2 * LN_MSEC);
    CHECK_EQ(e->state, LN_NUD_STALE);
    f.t.rng = NULL;
    fix_free(&f);
}

/* ---- listing ------------------------------------------------------------- */

static void collect(const ln_neigh *e, void *arg)
{
    uint32_t **p = arg;
    *(*p)++ = e->ip;
}

static void test_sorted_listing(void)
{
    fix f;
    fix_new(&f);
    static const uint32_t ips[] = {IP(10, 0, 0, 30), IP(10, 0, 0, 7), IP(10, 0, 0, 200), IP(10, 0, 0, 8)};
    for (int i = 0; i < 4; i++) CHECK(ln_neigh_lookup_create(&f.t, f.ifc, &ips[i], false) != NULL);
    uint32_t got[4], *p = got;
    ln_neigh_foreach_sorted(&f.t, collect, &p);
    CHECK(p == got + 4);
    CHECK(got[0] == IP(10, 0, 0, 7) && got[1] == IP(10, 0, 0, 8) && got[2] == IP(10, 0, 0, 30) &&
          got[3] == IP(10, 0, 0, 200));
    ln_neigh_flush(&f.t, f.ifc);
    CHECK_EQ(f.t.n, 0);
    fix_free(&f);
}

int main(void)
{
    test_incomplete_fails();
    test_queue_limit();
    test_nud_cycle();
    test_override();
    test_periodic_gc();
    test_forced_gc();
    test_reachable_random();
    test_sorted_listing();
    return check_report("test_neigh");
}
