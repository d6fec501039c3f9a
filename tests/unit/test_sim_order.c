/* test_sim_order.c - the scheduler against a brute-force model: random
 * arming, re-arming and cancelling, from callbacks and from the top level,
 * must fire every event in exactly the order of the keys (when, owner,
 * creator, seq), whatever structure holds the pending events.
 *
 * The model keeps each pending timer's key and finds the next one by a
 * linear scan: too slow for a scheduler, too simple to be wrong.  The
 * number of pending timers swings between a few hundred and several
 * thousand, so the scheduler moves between its heap alone and its heap
 * with the wheel behind (sim_queue.c) many times; times mix ties at one
 * instant, times in the past, and delays from nanoseconds to years. */
#include "check.h"
#include "rand.h"
#include "sim.h"

#include <stdlib.h>
#include <string.h>

enum {
    N = 12000,            /* timers */
    N_ACTORS = 9,         /* owners 0..8; a timer with i % 10 == 9 takes the running actor */
    FOREIGN = 20,         /* creators 20..23 arm only through ln_timer_arm_as */
    N_FOREIGN = 4,
    REMOTE = 5,           /* the actor a split hands to another process */
    HIGH = 3000,          /* the swing: grow to HIGH pending, shrink to LOW */
    LOW = 200,
};

typedef struct key { ln_time when; uint32_t owner, creator; uint64_t seq; } key;

typedef struct tm {
    ln_timer t;
    uint32_t id;
    bool armed;           /* in the model */
    key k;                /* the model's key, while armed */
    uint32_t pos;         /* index in pending[] */
} tm;

static struct {
    ln_sim s;
    ln_rng r;
    tm *t;
    uint32_t *pending, n_pending;   /* the model's armed timers, in no order */
    uint64_t aseq[64];              /* the model's arming counts, per creator */
    uint64_t fseq[N_FOREIGN];
    bool remote_on, grow, quiet;
    uint8_t remote[N_ACTORS];
    uint64_t fired, swings, mismatches, heap_only, with_wheel;
    ln_time instants[8];            /* shared future instants: ties */
} g;

static bool key_before(const key *a, const key *b)
{
    if (a->when != b->when) return a->when < b->when;
    if (a->owner != b->owner) return a->owner < b->owner;
    if (a->creator != b->creator) return a->creator < b->creator;
    return a->seq < b->seq;
}

static void model_drop(tm *x)
{
    if (!x->armed) return;
    uint32_t last = g.pending[--g.n_pending];
    g.pending[x->pos] = last;
    g.t[last].pos = x->pos;
    x->armed = false;
}

static void model_put(tm *x, key k)
{
    model_drop(x);
    if (g.remote_on && k.owner < N_ACTORS && g.remote[k.owner]) return;   /* inert here */
    x->k = k;
    x->armed = true;
    x->pos = g.n_pending;
    g.pending[g.n_pending++] = x->id;
}

static tm *model_next(void)
{
    tm *best = NULL;
    for (uint32_t i = 0; i < g.n_pending; i++) {
        tm *x = &g.t[g.pending[i]];
        if (!best || key_before(&x->k, &best->k)) best = x;
    }
    return best;
}

static void mismatch(const char *what, const tm *got, const tm *want)
{
    if (g.mismatches++ < 5)
        fprintf(stderr, "event %llu: %s: got timer %d, want %d (when %llu)\n",
                (unsigned long long)g.fired, what, got ? (int)got->id : -1,
                want ? (int)want->id : -1, want ? (unsigned long long)want->k.when : 0ull);
}

static uint32_t owner_of(const tm *x)
{
    return x->id % 10 == 9 ? LN_ACTOR_RUNNING : x->id % 10;
}

/* A time to arm for: ties now, the past, the near and far future. */
static ln_time pick_when(void)
{
    ln_time now = ln_sim_now(&g.s);
    uint64_t c = ln_rng_below(&g.r, 100);
    if (c < 20) return now;
    if (c < 28) return now > 1000 ? now - ln_rng_below(&g.r, 1000) : 0;
    if (c < 48) return now + 1 + ln_rng_below(&g.r, 200);
    if (c < 65) {
        ln_time *at = &g.instants[ln_rng_below(&g.r, 8)];
        if (*at < now) *at = now + ln_rng_below(&g.r, 1u << 20);
        return *at;
    }
    if (c < 85) return now + ln_rng_below(&g.r, 1u << 20);
    if (c < 97) return now + ln_rng_below(&g.r, 1ull << 34);
    if (c < 99) return now + (1ull << 40) + ln_rng_below(&g.r, 1ull << 40);
    return LN_NEVER - 1 - ln_rng_below(&g.r, 4);
}

/* One random operation, by the running actor (LN_ACTOR_NET at the top). */
static void random_op(void)
{
    tm *x = &g.t[ln_rng_below(&g.r, N)];
    uint32_t actor = ln_sim_actor(&g.s);
    uint64_t c = ln_rng_below(&g.r, 100);
    if (c < (g.grow ? 5u : 90u)) {
        ln_timer_cancel(&g.s, &x->t);
        model_drop(x);
        return;
    }
    ln_time when = pick_when();
    ln_time now = ln_sim_now(&g.s);
    uint32_t owner = owner_of(x) == LN_ACTOR_RUNNING ? actor : owner_of(x);
    key k = { .when = when < now ? now : when, .owner = owner };
    if (c < 55) {
        /* An event armed on another process: its creator's own count. */
        uint32_t f = (uint32_t)ln_rng_below(&g.r, N_FOREIGN);
        k.creator = FOREIGN + f;
        k.seq = g.fseq[f]++;
        ln_timer_arm_as(&g.s, &x->t, when, k.creator, k.seq);
    } else {
        k.creator = actor;
        k.seq = g.aseq[actor]++;
        if (c < 65 && when >= now) ln_timer_arm_in(&g.s, &x->t, when - now);
        else ln_timer_arm(&g.s, &x->t, when);
    }
    model_put(x, k);
}

static void fire(void *arg)
{
    tm *x = arg;
    tm *want = model_next();
    if (want != x) mismatch("out of order", x, want);
    else {
        if (ln_sim_now(&g.s) != x->k.when) mismatch("at the wrong time", x, want);
        if (ln_sim_actor(&g.s) != x->k.owner) mismatch("run by the wrong actor", x, want);
    }
    model_drop(x);
    g.fired++;
    if (ln_timer_armed(&x->t)) mismatch("still armed while it runs", x, x);
    if (g.quiet) return;
    if (g.s.edge == LN_NEVER) g.heap_only++;    /* sim_queue.c: the wheel is off */
    else g.with_wheel++;
    if (g.grow && g.n_pending > HIGH) { g.grow = false; g.swings++; }
    if (!g.grow && g.n_pending < LOW) { g.grow = true; g.swings++; }
    uint32_t ops = (g.grow ? 2 : 1) + (uint32_t)ln_rng_below(&g.r, 3);
    /* Re-arm itself now and then, as a periodic timer does. */
    if (ln_rng_chance(&g.r, 0.2)) {
        ln_time when = ln_sim_now(&g.s) + ln_rng_below(&g.r, 5000);
        uint32_t actor = ln_sim_actor(&g.s);
        key k = { when, owner_of(x) == LN_ACTOR_RUNNING ? actor : owner_of(x), actor, g.aseq[actor]++ };
        ln_timer_arm(&g.s, &x->t, when);
        model_put(x, k);
    }
    for (uint32_t i = 0; i < ops; i++) random_op();
    if (g.s.len != g.n_pending) mismatch("pending count differs", NULL, NULL);
}

static void test_against_model(uint64_t seed, uint64_t events)
{
    memset(&g, 0, sizeof g);
    ln_sim_init(&g.s);
    ln_rng_seed(&g.r, seed);
    g.t = calloc(N, sizeof *g.t);
    g.pending = calloc(N, sizeof *g.pending);
    for (uint32_t i = 0; i < N; i++) {
        g.t[i].id = i;
        ln_timer_init(&g.t[i].t, fire, &g.t[i]);
        if (owner_of(&g.t[i]) != LN_ACTOR_RUNNING) ln_timer_own(&g.t[i].t, owner_of(&g.t[i]));
    }
    g.grow = true;
    for (int i = 0; i < 3000; i++) random_op();
    while (g.fired < events && g.n_pending) {
        /* Run a while, then poke from the top level: ln_sim_next, steps,
         * and arms after a run_until that stopped short of the next
         * event. */
        ln_time until = ln_sim_now(&g.s) + ln_rng_below(&g.r, 1u << 16);
        ln_sim_run_until(&g.s, until);
        tm *want = model_next();
        CHECK_U64(ln_sim_next(&g.s), want ? want->k.when : LN_NEVER);
        if (want && ln_rng_chance(&g.r, 0.5)) {
            /* The next event, just looked at, is cancelled or moved. */
            if (ln_rng_chance(&g.r, 0.5)) {
                ln_timer_cancel(&g.s, &want->t);
                model_drop(want);
            } else {
                ln_time when = want->k.when + 1 + ln_rng_below(&g.r, 100);
                uint32_t owner = owner_of(want) == LN_ACTOR_RUNNING ? LN_ACTOR_NET : owner_of(want);
                key k = { when, owner, LN_ACTOR_NET, g.aseq[LN_ACTOR_NET]++ };
                ln_timer_arm(&g.s, &want->t, when);
                model_put(want, k);
            }
            want = model_next();
            CHECK_U64(ln_sim_next(&g.s), want ? want->k.when : LN_NEVER);
        }
        if (!g.remote_on && g.fired > events / 2) {
            /* A split: actor REMOTE's timers go to another process. */
            g.remote[REMOTE] = 1;
            g.remote_on = true;
            ln_sim_set_remote(&g.s, g.remote, N_ACTORS);
            for (uint32_t i = 0; i < N; i++)
                if (g.t[i].armed && g.t[i].k.owner == REMOTE) model_drop(&g.t[i]);
            CHECK_EQ(g.s.len, g.n_pending);
        }
        for (int i = (int)ln_rng_below(&g.r, 20); i > 0; i--) random_op();
        for (int i = (int)ln_rng_below(&g.r, 5); i > 0; i--) ln_sim_step(&g.s);
    }
    g.quiet = true;
    ln_sim_run(&g.s);
    CHECK_EQ(g.n_pending, 0);
    CHECK_EQ(g.s.len, 0);
    CHECK_U64(ln_sim_next(&g.s), LN_NEVER);
    CHECK_U64(g.mismatches, 0);
    /* The heap alone and with the wheel, back and forth. */
    CHECK(g.swings >= 4);
    CHECK(g.heap_only > events / 20 && g.with_wheel > events / 20);
    CHECK(g.fired >= events);
    for (uint32_t i = 0; i < N; i++) CHECK(!ln_timer_armed(&g.t[i].t));
    free(g.t);
    free(g.pending);
    ln_sim_destroy(&g.s);
}

/* Destroying the scheduler with timers in both the heap and the wheel
 * leaves every one of them unarmed. */
static void test_destroy_disarms(void)
{
    ln_sim s;
    ln_sim_init(&s);
    ln_timer *t = calloc(N, sizeof *t);
    for (uint32_t i = 0; i < N; i++) {
        ln_timer_init(&t[i], NULL, NULL);
        ln_timer_arm(&s, &t[i], i % 3 ? i * 1000ull : 0);
    }
    CHECK_EQ(s.len, N);
    CHECK_U64(ln_sim_next(&s), 0);
    ln_sim_destroy(&s);
    int armed = 0;
    for (uint32_t i = 0; i < N; i++) armed += ln_timer_armed(&t[i]);
    CHECK_EQ(armed, 0);
    free(t);
}

int main(void)
{
    test_against_model(1, 60000);
    test_against_model(20240601, 60000);
    test_destroy_disarms();
    return check_report("test_sim_order");
}
