/* test_sim.c - scheduler ordering, cancellation, re-arming; the RNG; the
 * packet pool. */
#include "check.h"
#include "pkt.h"
#include "rand.h"
#include "sim.h"

#include <stdlib.h>
#include <string.h>

typedef struct rec {
    ln_sim *s;
    int log[64];
    ln_time at[64];
    int n;
} rec;

typedef struct tev {
    ln_timer t;
    rec *r;
    int tag;
} tev;

static void fire(void *arg)
{
    tev *e = arg;
    e->r->at[e->r->n] = ln_sim_now(e->r->s);
    e->r->log[e->r->n++] = e->tag;
}

static void test_order_and_ties(void)
{
    ln_sim s;
    ln_sim_init(&s);
    rec r = { .s = &s };
    tev e[6];
    ln_time when[6] = { 30, 10, 20, 10, 10, 0 };
    for (int i = 0; i < 6; i++) {
        e[i] = (tev){ .r = &r, .tag = i };
        ln_timer_init(&e[i].t, fire, &e[i]);
        ln_timer_arm(&s, &e[i].t, when[i]);
    }
    CHECK_U64(ln_sim_next(&s), 0);
    ln_sim_run(&s);
    /* Same instant: insertion order (1, 3, 4). */
    int want[6] = { 5, 1, 3, 4, 2, 0 };
    CHECK_EQ(r.n, 6);
    for (int i = 0; i < 6; i++) CHECK_EQ(r.log[i], want[i]);
    CHECK_U64(s.now, 30);
    CHECK_U64(ln_sim_next(&s), LN_NEVER);
    ln_sim_destroy(&s);
}

static void test_cancel_and_rearm(void)
{
    ln_sim s;
    ln_sim_init(&s);
    rec r = { .s = &s };
    tev e[4];
    for (int i = 0; i < 4; i++) {
        e[i] = (tev){ .r = &r, .tag = i };
        ln_timer_init(&e[i].t, fire, &e[i]);
        ln_timer_arm(&s, &e[i].t, 100 + (ln_time)i);
    }
    ln_timer_cancel(&s, &e[1].t);
    CHECK(!ln_timer_armed(&e[1].t));
    ln_timer_cancel(&s, &e[1].t);             /* twice is harmless */
    ln_timer_arm(&s, &e[0].t, 500);           /* re-arm later */
    ln_timer_arm(&s, &e[3].t, 50);            /* re-arm earlier */
    ln_sim_run(&s);
    CHECK_EQ(r.n, 3);
    CHECK_EQ(r.log[0], 3);
    CHECK_U64(r.at[0], 50);
    CHECK_EQ(r.log[1], 2);
    CHECK_EQ(r.log[2], 0);
    CHECK_U64(r.at[2], 500);
    /* Re-arming at the same time as another timer goes after it. */
    r.n = 0;
    ln_timer_arm(&s, &e[0].t, 600);
    ln_timer_arm(&s, &e[1].t, 600);
    ln_timer_arm(&s, &e[0].t, 600);
    ln_sim_run(&s);
    CHECK_EQ(r.n, 2);
    CHECK_EQ(r.log[0], 1);
    CHECK_EQ(r.log[1], 0);
    ln_sim_destroy(&s);
}

static void test_run_until_and_step(void)
{
    ln_sim s;
    ln_sim_init(&s);
    rec r = { .s = &s };
    tev e[3];
    for (int i = 0; i < 3; i++) {
        e[i] = (tev){ .r = &r, .tag = i };
        ln_timer_init(&e[i].t, fire, &e[i]);
        ln_timer_arm(&s, &e[i].t, (ln_time)(i + 1) * LN_SEC);
    }
    CHECK_U64(ln_sim_run_until(&s, 2 * LN_SEC), 2);   /* inclusive */
    CHECK_U64(s.now, 2 * LN_SEC);
    CHECK_U64(ln_sim_run_until(&s, 2500 * LN_MSEC), 0);
    CHECK_U64(s.now, 2500 * LN_MSEC);                 /* time advances */
    CHECK(ln_sim_step(&s));
    CHECK_U64(s.now, 3 * LN_SEC);
    CHECK(!ln_sim_step(&s));
    /* Arming in the past means now. */
    ln_timer_arm(&s, &e[0].t, 5);
    CHECK_U64(e[0].t.when, 3 * LN_SEC);
    ln_sim_run(&s);
    ln_sim_destroy(&s);
}

/* Random arm/cancel/re-arm against a brute-force model. */
static ln_sim *g_sim;
static ln_time last_when;
static uint64_t last_seq;
static int order_ok = 1, fired;
static void fire_check(void *arg)
{
    ln_timer *t = arg;
    if (t->when < last_when || (t->when == last_when && t->seq < last_seq)) order_ok = 0;
    if (t->when != ln_sim_now(g_sim)) order_ok = 0;
    last_when = t->when;
    last_seq = t->seq;
    fired++;
}

static void test_random_model(void)
{
    ln_sim s;
    ln_sim_init(&s);
    g_sim = &s;
    enum { N = 2000 };
    ln_timer *t = calloc(N, sizeof *t);
    ln_rng r;
    ln_rng_seed(&r, 42);
    for (int i = 0; i < N; i++) ln_timer_init(&t[i], fire_check, &t[i]);
    int armed = 0;
    for (int round = 0; round < 20000; round++) {
        ln_timer *x = &t[ln_rng_below(&r, N)];
        if (ln_rng_chance(&r, 0.3)) ln_timer_cancel(&s, x);
        else ln_timer_arm(&s, x, ln_rng_below(&r, 1000));
    }
    for (int i = 0; i < N; i++) armed += ln_timer_armed(&t[i]);
    CHECK_EQ(s.len, armed);
    ln_sim_run(&s);
    CHECK(order_ok);
    CHECK_EQ(fired, armed);
    free(t);
    ln_sim_destroy(&s);
}

static void test_rng(void)
{
    ln_rng a, b, c;
    ln_rng_derive(&a, 1, "link:x");
    ln_rng_derive(&b, 1, "link:x");
    ln_rng_derive(&c, 2, "link:x");
    int same = 1, diff = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = ln_rng_next(&a), y = ln_rng_next(&b), z = ln_rng_next(&c);
        same &= x == y;
        diff += x != z;
    }
    CHECK(same);
    CHECK(diff > 90);
    /* Known first output of xoshiro256** for seed 0 via splitmix64 is fixed
     * by the algorithm; check stability of the mean instead of a constant. */
    double sum = 0;
    for (int i = 0; i < 100000; i++) sum += ln_rng_double(&a);
    CHECK(sum / 100000 > 0.49 && sum / 100000 < 0.51);
    int hits = 0;
    for (int i = 0; i < 100000; i++) hits += ln_rng_chance(&a, 0.1);
    CHECK(hits > 9600 && hits < 10400);
    for (int i = 0; i < 1000; i++) CHECK(ln_rng_below(&a, 7) < 7);
    /* p = 0 and 1 never draw, so they leave the stream untouched. */
    ln_rng d = a;
    ln_rng_chance(&a, 0);
    ln_rng_chance(&a, 1);
    CHECK(memcmp(&a, &d, sizeof a) == 0);
}

static void test_pool(void)
{
    ln_pktpool *p = ln_pktpool_new();
    ln_pkt *a = ln_pkt_alloc(p, 100);
    CHECK(a && a->len == 100);
    CHECK_EQ(ln_pkt_headroom(a), LN_PKT_HEADROOM);
    uint8_t *h = ln_pkt_push(a, 14);
    CHECK(h == a->data && a->len == 114);
    CHECK(ln_pkt_pull(a, 14) && a->len == 100);
    CHECK(ln_pkt_push(a, LN_PKT_HEADROOM + 1) == NULL);
    memset(a->data, 0xab, a->len);
    ln_pkt *b = ln_pkt_clone(a);
    CHECK(b && b->len == 100 && b->data[99] == 0xab && b->buf != a->buf);
    ln_pkt *big = ln_pkt_alloc(p, 65535);
    CHECK(big && big->cap == LN_PKT_LARGE);
    CHECK(ln_pkt_alloc(p, LN_PKT_LARGE) == NULL);
    CHECK_U64(ln_pktpool_in_use(p), 3);
    ln_pkt_free(a);
    ln_pkt_free(b);
    ln_pkt_free(big);
    CHECK_U64(ln_pktpool_in_use(p), 0);
    /* Reuse: no new allocation once warm. */
    uint64_t before = ln_pktpool_allocated(p);
    for (int i = 0; i < 1000; i++) ln_pkt_free(ln_pkt_alloc(p, 1500));
    CHECK_U64(ln_pktpool_allocated(p), before);
    ln_pkt_alloc(p, 10);                       /* leaked on purpose: */
    ln_pktpool_free(p);                        /* the pool reclaims it */
}

int main(void)
{
    test_order_and_ties();
    test_cancel_and_rearm();
    test_run_until_and_step();
    test_random_model();
    test_rng();
    test_pool();
    return check_report("test_sim");
}
