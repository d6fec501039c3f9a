/* test_tcp_cc.c - congestion control (tcp_cc.c, tcp_cc_reno.c,
 * tcp_cc_cubic.c): the registry; Linux's slow start and additive
 * increase; reno's growth, ssthresh and undo; CUBIC's window after a loss
 * against W(t) = C (t - K)^3 + W_max (RFC 9438 4.2), fast convergence
 * (4.7), the Reno-friendly region (4.3), the idle shift, and HyStart's
 * two exits from slow start.
 *
 * A small driver plays the core: every RTT, cwnd ACKs of one segment each,
 * evenly spaced, each reported through pkts_acked (with an RTT sample)
 * then cong_avoid, as Linux's tcp_ack does. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "tcp_cc.h"

#define MSS 1448u
#define INF LN_TCP_INFINITE_SSTHRESH

typedef struct drv {
    ln_tcp_cc cc;
    const ln_tcp_cc_ops *ops;
    ln_time now;
} drv;

static void drv_init(drv *d, const char *algo, uint32_t cwnd, uint32_t ssthresh)
{
    memset(d, 0, sizeof *d);
    d->ops = ln_tcp_cc_find(algo);
    d->cc.cwnd = cwnd;
    d->cc.ssthresh = ssthresh;
    d->cc.mss = MSS;
    d->cc.snd_una = d->cc.snd_nxt = 1000;
    d->now = LN_SEC;
    d->ops->init(&d->cc, d->now);
    d->cc.snd_nxt = d->cc.snd_una + cwnd * MSS;        /* the first flight */
}

/* One ACK for `acked` segments after `gap`, the window kept full. */
static void ack(drv *d, ln_time gap, uint32_t acked, ln_time rtt)
{
    d->now += gap;
    d->cc.snd_una += acked * MSS;
    d->cc.in_flight = d->cc.cwnd;
    d->ops->pkts_acked(&d->cc, acked, rtt, d->now);
    d->ops->cong_avoid(&d->cc, acked, d->now);
    d->cc.snd_nxt = d->cc.snd_una + d->cc.cwnd * MSS;     /* sends after the ACK */
}

/* One round trip: cwnd ACKs spread over rtt. */
static void round_trip(drv *d, ln_time rtt)
{
    uint32_t n = d->cc.cwnd;
    for (uint32_t i = 0; i < n; i++) ack(d, rtt / n, 1, rtt);
}

/* A loss: ssthresh from the algorithm, cwnd to it after recovery. */
static void loss(drv *d)
{
    uint32_t ss = d->ops->ssthresh(&d->cc, d->now);
    d->cc.ssthresh = ss;
    d->ops->set_state(&d->cc, LN_CA_RECOVERY, d->now);
    d->cc.cwnd = ss;
    d->ops->set_state(&d->cc, LN_CA_OPEN, d->now);
}

static void test_registry(void)
{
    CHECK(ln_tcp_cc_find("reno") == &ln_tcp_cc_reno);
    CHECK(ln_tcp_cc_find("newreno") == &ln_tcp_cc_newreno);
    CHECK(ln_tcp_cc_find("cubic") == &ln_tcp_cc_cubic);
    CHECK(ln_tcp_cc_find("bbr") == NULL);
    CHECK(ln_tcp_cc_find("") == NULL);
    CHECK(ln_tcp_cc_find(NULL) == NULL);
    CHECK(strcmp(ln_tcp_cc_names(), "reno newreno cubic") == 0);
    CHECK(!ln_tcp_cc_reno.newreno && ln_tcp_cc_newreno.newreno && !ln_tcp_cc_cubic.newreno);
    const ln_tcp_cc_ops *all[] = { &ln_tcp_cc_reno, &ln_tcp_cc_newreno, &ln_tcp_cc_cubic };
    for (int i = 0; i < 3; i++) {
        const ln_tcp_cc_ops *o = all[i];
        CHECK(o->init && o->ssthresh && o->cong_avoid && o->pkts_acked && o->set_state &&
              o->cwnd_event && o->undo_cwnd);
    }
}

/* Linux's tcp_slow_start and tcp_cong_avoid_ai. */
static void test_shared(void)
{
    ln_tcp_cc cc;
    memset(&cc, 0, sizeof cc);
    cc.cwnd = 18;
    cc.ssthresh = 20;
    CHECK_EQ(ln_tcp_slow_start(&cc, 5), 3);        /* 2 used, 3 left over */
    CHECK_EQ(cc.cwnd, 20);
    CHECK_EQ(ln_tcp_slow_start(&cc, 4), 4);        /* at ssthresh: all left */
    cc.cwnd = 10;
    cc.cwnd_clamp = 12;
    CHECK_EQ(ln_tcp_slow_start(&cc, 5), 0);
    CHECK_EQ(cc.cwnd, 12);                         /* clamp */
    /* AI: one segment per w ACKed, remainder kept. */
    cc.cwnd = 20;
    cc.cwnd_clamp = 0;
    cc.cwnd_cnt = 0;
    ln_tcp_cong_avoid_ai(&cc, 20, 19);
    CHECK(cc.cwnd == 20 && cc.cwnd_cnt == 19);
    ln_tcp_cong_avoid_ai(&cc, 20, 45);             /* 64: +3, 4 left */
    CHECK(cc.cwnd == 23 && cc.cwnd_cnt == 4);
    /* Credits from a larger w are applied gently when w shrinks. */
    cc.cwnd_cnt = 30;
    ln_tcp_cong_avoid_ai(&cc, 10, 1);
    CHECK(cc.cwnd == 24 && cc.cwnd_cnt == 1);
    /* cwnd limitation (Linux's tcp_is_cwnd_limited). */
    cc.app_limited = true;
    cc.ssthresh = 100;
    cc.cwnd = 15;
    cc.in_flight = 10;
    CHECK(ln_tcp_is_cwnd_limited(&cc));            /* slow start: up to 2 * flight */
    cc.cwnd = 20;
    CHECK(!ln_tcp_is_cwnd_limited(&cc));
    cc.ssthresh = 10;
    CHECK(!ln_tcp_is_cwnd_limited(&cc));
    cc.app_limited = false;
    CHECK(ln_tcp_is_cwnd_limited(&cc));
}

static void test_reno(const char *name)
{
    drv d;
    drv_init(&d, name, 10, INF);
    /* Slow start: +1 per segment ACKed, doubling per RTT. */
    round_trip(&d, 100 * LN_MSEC);
    CHECK_EQ(d.cc.cwnd, 20);
    round_trip(&d, 100 * LN_MSEC);
    CHECK_EQ(d.cc.cwnd, 40);
    /* Delayed ACKs (2 segments each): still +1 per segment (RFC 3465). */
    ack(&d, LN_MSEC, 2, 0);
    CHECK_EQ(d.cc.cwnd, 42);
    /* Crossing ssthresh mid-ACK: the rest goes to congestion avoidance. */
    d.cc.ssthresh = 44;
    ack(&d, LN_MSEC, 5, 0);
    CHECK(d.cc.cwnd == 44 && d.cc.cwnd_cnt == 3);
    /* Congestion avoidance: +1 per cwnd segments ACKed, i.e. per RTT. */
    d.cc.cwnd_cnt = 0;
    for (int r = 0; r < 10; r++) round_trip(&d, 100 * LN_MSEC);
    CHECK_EQ(d.cc.cwnd, 54);
    /* Application-limited: no growth in congestion avoidance. */
    d.cc.app_limited = true;
    round_trip(&d, 100 * LN_MSEC);
    CHECK_EQ(d.cc.cwnd, 54);
    d.cc.app_limited = false;
    /* ssthresh = max(cwnd / 2, 2); undo restores the cwnd before. */
    loss(&d);
    CHECK(d.cc.ssthresh == 27 && d.cc.cwnd == 27);
    d.cc.cwnd = 20;
    CHECK_EQ(d.ops->undo_cwnd(&d.cc), 54);
    d.cc.cwnd = 3;
    CHECK_EQ(d.ops->ssthresh(&d.cc, d.now), 2);
    d.cc.cwnd = 1;
    CHECK_EQ(d.ops->ssthresh(&d.cc, d.now), 2);
    d.cc.cwnd = 60;
    CHECK_EQ(d.ops->undo_cwnd(&d.cc), 60);
}

/* RFC 9438 eq. 1 and 2, C = 0.4, beta = 0.7. */
static double w_cubic(double t, double wmax, double k) { return 0.4 * pow(t - k, 3) + wmax; }
static double k_of(double wmax, double cwnd_epoch) { return cbrt((wmax - cwnd_epoch) / 0.4); }

/* After a loss at cwnd 100 with a 100 ms RTT, cwnd follows the cubic
 * curve through the concave region, the plateau and the convex region. */
static void test_cubic_curve(void)
{
    drv d;
    drv_init(&d, "cubic", 100, INF);
    ack(&d, LN_MSEC, 1, 100 * LN_MSEC);            /* delay_min = 100 ms */
    d.cc.cwnd = 100;
    loss(&d);
    CHECK_EQ(d.cc.ssthresh, 70);                   /* 100 * 717 / 1024 */
    CHECK_EQ(d.cc.cwnd, 70);
    double k = k_of(100, 70);                       /* 4.217 s */
    ln_time t0 = d.now;
    double worst = 0;
    int ok = 1, rounds = 0;
    while (d.now - t0 < 7 * LN_SEC) {
        round_trip(&d, 100 * LN_MSEC);
        rounds++;
        double t = (double)(d.now - t0) / 1e9;
        double w = w_cubic(t, 100, k);
        double err = fabs((double)d.cc.cwnd - w);
        if (err > worst) worst = err;
        /* Within rounding: the curve moves in 4 ms jiffies, cwnd in whole
         * segments, and cwnd lags the target by under one RTT. */
        ok &= err <= 2.0 + 0.02 * w;
    }
    CHECK(ok);
    CHECK(rounds > 60);
    if (!ok) fprintf(stderr, "cubic curve: worst |cwnd - W(t)| = %.2f\n", worst);

    /* The plateau is centred on K: cwnd (whole segments) reaches W_max
     * where W(t) is within one segment of it, t = K - cbrt(1 / C), and
     * leaves it at K + cbrt(1 / C). */
    drv_init(&d, "cubic", 100, INF);
    ack(&d, LN_MSEC, 1, 100 * LN_MSEC);
    d.cc.cwnd = 100;
    loss(&d);
    t0 = d.now;
    double reached = 0, left = 0, edge = cbrt(1 / 0.4);
    while (d.now - t0 < 8 * LN_SEC && !left) {
        round_trip(&d, 100 * LN_MSEC);
        double t = (double)(d.now - t0) / 1e9;
        if (d.cc.cwnd >= 100 && !reached) reached = t;
        if (d.cc.cwnd > 100 && !left) left = t;
    }
    CHECK(fabs(reached - (k - edge)) <= 0.3);
    CHECK(fabs(left - (k + edge)) <= 0.3);
}

/* Fast convergence (RFC 9438 4.7): a loss below the previous W_max
 * lowers W_max to cwnd * (1 + beta) / 2, and the curve plateaus there. */
static void test_cubic_fast_convergence(void)
{
    drv d;
    drv_init(&d, "cubic", 100, INF);
    ack(&d, LN_MSEC, 1, 100 * LN_MSEC);
    d.cc.cwnd = 100;
    loss(&d);                                      /* W_max = 100 */
    d.cc.cwnd = 90;                                /* the next loss comes earlier */
    loss(&d);
    CHECK_EQ(d.cc.ssthresh, 63);                   /* 90 * 717 / 1024 */
    /* W_max = 90 * 1741 / 2048 = 76, K = cbrt((76 - 63) / 0.4) = 3.19 s */
    double k = k_of(76, 63);
    ln_time t0 = d.now;
    double at_k = 0;
    while (d.now - t0 < (ln_time)(k * 1e9)) round_trip(&d, 100 * LN_MSEC);
    at_k = d.cc.cwnd;
    CHECK(fabs(at_k - 76) <= 3);
    CHECK(at_k < 85);                              /* not the old 90 */
    /* Without fast convergence (cwnd above W_max), W_max = cwnd. */
    d.cc.cwnd = 120;
    loss(&d);
    CHECK_EQ(d.cc.ssthresh, 84);
    t0 = d.now;
    k = k_of(120, 84);
    while (d.now - t0 < (ln_time)(k * 1e9)) round_trip(&d, 100 * LN_MSEC);
    CHECK(fabs((double)d.cc.cwnd - 120) <= 3);
}

/* Small window, short RTT: the Reno-friendly estimate (RFC 9438 4.3)
 * grows faster than the cubic curve, and cwnd follows it.  (The RTT is
 * kept above a jiffy: below that, Linux's once-per-jiffy update of cnt
 * lets cwnd run ahead, and so does this port.) */
static void test_cubic_reno_friendly(void)
{
    drv d;
    drv_init(&d, "cubic", 20, INF);
    ack(&d, LN_MSEC, 1, 20 * LN_MSEC);             /* delay_min = 20 ms */
    d.cc.cwnd = 20;
    loss(&d);
    CHECK_EQ(d.cc.cwnd, 14);
    double k = k_of(20, 14);                        /* 2.47 s */
    ln_time t0 = d.now;
    for (int r = 0; r < 100; r++) round_trip(&d, 20 * LN_MSEC);
    double t = (double)(d.now - t0) / 1e9;
    double west = 14 + 100 * 3 * (1 - 0.7) / (1 + 0.7);   /* alpha = 0.53 per RTT */
    double wc = w_cubic(t, 20, k);
    CHECK(wc < 21);
    CHECK(fabs((double)d.cc.cwnd - west) <= 0.1 * west);
    CHECK(d.cc.cwnd > 3 * wc);
}

/* An idle period shifts the epoch (TX_START): growth resumes on the
 * curve instead of jumping by the idle time. */
static void test_cubic_idle(void)
{
    drv a, b;
    for (int i = 0; i < 2; i++) {
        drv *d = i ? &b : &a;
        drv_init(d, "cubic", 100, INF);
        ack(d, LN_MSEC, 1, 100 * LN_MSEC);
        d->cc.cwnd = 100;
        loss(d);
        for (int r = 0; r < 10; r++) round_trip(d, 100 * LN_MSEC);
        d->cc.lsndtime = d->now;
        d->now += 10 * LN_SEC;                     /* idle */
    }
    b.ops->cwnd_event(&b.cc, LN_CA_EVENT_TX_START, b.now);
    uint32_t ca = a.cc.cwnd, cb = b.cc.cwnd;
    CHECK_EQ(ca, cb);
    round_trip(&a, 100 * LN_MSEC);
    round_trip(&b, 100 * LN_MSEC);
    CHECK(b.cc.cwnd - cb <= 3);                    /* concave region, slow */
    CHECK(a.cc.cwnd - ca >= ca / 3);               /* 10 s later on the curve: 1.5x */
}

/* HyStart, delay detection: 8 samples into a round whose minimum RTT is
 * above delay_min + max(4 ms, delay_min / 8), slow start ends. */
static int hystart_delay_run(ln_time later_rtt, uint32_t *exit_cwnd, int *exit_round)
{
    drv d;
    drv_init(&d, "cubic", 16, INF);
    ln_seq end = d.cc.snd_una;                    /* snd_nxt when init ran */
    int round = 0;
    *exit_round = -1;
    for (int i = 0; i < 400 && *exit_round < 0; i++) {
        if (ln_seq_gt(d.cc.snd_una + MSS, end)) {  /* this ACK starts a round */
            round++;
            end = d.cc.snd_nxt;
        }
        ln_time rtt = round >= 3 ? later_rtt : 10 * LN_MSEC;
        ack(&d, 3 * LN_MSEC, 1, rtt);              /* 3 ms apart: no ACK train */
        if (d.cc.ssthresh != INF) {
            *exit_round = round;
            *exit_cwnd = d.cc.ssthresh;
            CHECK(!ln_tcp_in_slow_start(&d.cc));
        }
    }
    return *exit_round >= 0;
}

static void test_cubic_hystart_delay(void)
{
    uint32_t cw = 0;
    int r = 0;
    /* 15 ms > 10 + 4 ms: exit in round 3, on its 9th sample. */
    CHECK(hystart_delay_run(15 * LN_MSEC, &cw, &r));
    CHECK_EQ(r, 3);
    /* cwnd 16 doubled twice, then 8 ACKs of round 3 (+1 each) before the
     * 9th sample */
    CHECK_EQ(cw, 16 * 4 + 8);
    /* 13 ms < 14 ms: no exit. */
    CHECK(!hystart_delay_run(13 * LN_MSEC, &cw, &r));
    /* Steady RTT: no exit. */
    CHECK(!hystart_delay_run(10 * LN_MSEC, &cw, &r));

    /* Below hystart_low_window (16) nothing happens. */
    drv d;
    drv_init(&d, "cubic", 4, INF);
    for (int i = 0; i < 11; i++) ack(&d, 3 * LN_MSEC, 1, i < 2 ? 10 * LN_MSEC : 40 * LN_MSEC);
    CHECK(d.cc.ssthresh == INF && d.cc.cwnd == 15);
}

/* HyStart, ACK train: closely spaced ACKs for more than delay_min / 2
 * (plus Linux's ack-delay slack, 1 ms here) since the round began. */
static void test_cubic_hystart_train(void)
{
    drv d;
    drv_init(&d, "cubic", 16, INF);
    d.cc.srtt = 10 * LN_MSEC;
    ln_seq end = d.cc.snd_una;
    ln_time round_start = 0, exit_at = 0;
    int round = 0;
    for (int i = 0; i < 1000 && !exit_at; i++) {
        if (ln_seq_gt(d.cc.snd_una + MSS, end)) {
            round++;
            end = d.cc.snd_nxt;
            round_start = d.now + 100 * LN_USEC;
        }
        ack(&d, 100 * LN_USEC, 1, 10 * LN_MSEC);  /* a train, RTT steady */
        if (d.cc.ssthresh != INF) exit_at = d.now;
    }
    CHECK(exit_at != 0);
    /* Rounds of 16 and 32 ACKs are too short (1.6, 3.2 ms); the third
     * reaches (10 + 1) / 2 = 5.5 ms. */
    CHECK_EQ(round, 3);
    ln_time in_round = exit_at - round_start;
    CHECK(in_round > 5500 * LN_USEC && in_round <= 5600 * LN_USEC);
    CHECK_EQ(d.cc.ssthresh, d.cc.cwnd);
}

/* Entering Loss (RTO) resets CUBIC; undo gives back the cwnd before the
 * reduction. */
static void test_cubic_loss_and_undo(void)
{
    drv d;
    drv_init(&d, "cubic", 100, INF);
    ack(&d, LN_MSEC, 1, 100 * LN_MSEC);
    d.cc.cwnd = 100;
    uint32_t ss = d.ops->ssthresh(&d.cc, d.now);
    CHECK_EQ(ss, 70);
    d.cc.ssthresh = ss;
    d.ops->set_state(&d.cc, LN_CA_LOSS, d.now);
    d.cc.cwnd = 1;
    CHECK_EQ(d.ops->undo_cwnd(&d.cc), 100);
    /* After the reset there is no W_max: slow start to 70, then CUBIC
     * starts a fresh epoch at the current cwnd, growing at least 5% per
     * RTT (cnt <= 20). */
    while (d.cc.cwnd < 70) round_trip(&d, 100 * LN_MSEC);
    CHECK(d.cc.cwnd >= 70 && d.cc.cwnd <= 75);
    uint32_t before = d.cc.cwnd;
    for (int r = 0; r < 5; r++) round_trip(&d, 100 * LN_MSEC);
    CHECK(d.cc.cwnd >= before + 4 * before / 20);
    /* cwnd_clamp holds. */
    d.cc.cwnd_clamp = d.cc.cwnd + 1;
    for (int r = 0; r < 20; r++) round_trip(&d, 100 * LN_MSEC);
    CHECK_EQ(d.cc.cwnd, d.cc.cwnd_clamp);
}

int main(void)
{
    test_registry();
    test_shared();
    test_reno("reno");
    test_reno("newreno");
    test_cubic_curve();
    test_cubic_fast_convergence();
    test_cubic_reno_friendly();
    test_cubic_idle();
    test_cubic_hystart_delay();
    test_cubic_hystart_train();
    test_cubic_loss_and_undo();
    return check_report("test_tcp_cc");
}
