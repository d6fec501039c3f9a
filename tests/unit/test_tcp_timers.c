/* test_tcp_timers.c - TCP's clocks against Linux's (reference 6 and 8):
 * SYN retries with tcp_syn_linear_timeouts, RTO backoff and giving up,
 * zero-window probes, delayed ACKs, TIME_WAIT, keepalive.
 *
 * lunet fires timers exactly when due; Linux rounds up to its timer wheel
 * (reference 0), so its captures show 1.02 s where lunet shows 1 s. */
#include "tcp_conn.h"

static th *T;

static th *start(th *t)
{
    th_init(t, true);
    return T = t;
}

static void bsend(uint8_t flags, ln_seq seq, ln_seq ack, uint32_t len) { th_bsend(T, flags, seq, ack, len); }

/* a keeps one connection in TIME_WAIT until `when` exactly, then none. */
static void time_wait_ends_at(th *t, ln_time when)
{
    ln_tcp_stack_info si;
    th_run_until(t, when - 1);
    ln_tcp_stack_info_get(t->a, &si);
    CHECK_EQ(si.time_wait, 1);
    th_run_until(t, when);
    th_settle(t);
    ln_tcp_stack_info_get(t->a, &si);
    CHECK_EQ(si.time_wait, 0);
}

/* An ACK from b advertising wnd. */
static void back_w(ln_seq seq, ln_seq ack, uint16_t wnd)
{
    th_tx x = th_bseg(T, F_A, seq, ack, 0);
    x.wnd = wnd;
    th_deliver(T, &x);
}

/* Connect to a host that never answers; SYNs at `at` (seconds), failure
 * at `fail` with ETIMEDOUT, counters as reference 6. */
static void syn_schedule(uint32_t retries, uint32_t linear, const double *at, int n_at, double fail)
{
    th t;
    ln_tcp_cfg *c = ln_tcp_cfg_of(start(&t)->a);
    c->fixed_isn = 1000;
    c->syn_retries = retries;
    c->syn_linear_timeouts = linear;
    ln_tcp_sock *s = ln_tcp_socket(t.a);
    th_notes n;
    th_watch(s, &n);
    ln_tcp_connect(s, TH_B, 80);
    ln_tcp_info in;
    ln_tcp_get_info(s, &in);
    CHECK_U64(in.rto, LN_SEC);
    th_run(&t, (ln_time)(fail * LN_SEC + 0.5) - 1);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_SYN_SENT);
    CHECK_EQ(ln_tcp_error(s), 0);
    th_run(&t, 1);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_CLOSED);
    CHECK_EQ(ln_tcp_error(s), LN_ETIMEDOUT);
    CHECK(n.ev & LN_TCP_EV_ERROR);
    th_seg *first = NULL;
    for (int i = 0; i < n_at; i++) {
        th_seg *g = TH_EXPECT(&t, TH_A, F_S, 1000, 0, 0, 64240);
        if (!g) break;
        CHECK_U64(g->t, (ln_time)(at[i] * LN_SEC + 0.5));
        if (!first) {
            first = g;
            continue;
        }
        /* Byte-identical but for TSval (elapsed ms) and IP ID (+1). */
        CHECK_EQ(g->tsval - first->tsval, (uint32_t)(at[i] * 1000 + 0.5));
        CHECK_EQ((uint16_t)(g->ipid - first->ipid), i);
        CHECK(g->optlen == first->optlen && memcmp(g->opt, first->opt, 8) == 0 &&
              memcmp(g->opt + 16, first->opt + 16, 4) == 0);
    }
    TH_NONE(&t, TH_A);
    CHECK_U64(TH_MIB(t.a, TcpActiveOpens), 1);
    CHECK_U64(TH_MIB(t.a, TcpAttemptFails), 1);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPAbortOnTimeout), 1);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPSynRetrans), n_at - 1);
    CHECK_U64(TH_MIB(t.a, TcpRetransSegs), n_at - 1);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPTimeouts), n_at);
    CHECK_U64(TH_MIB(t.a, TcpExtTcpTimeoutRehash), n_at - 1);
    th_free(&t);
}

/* The SYN's timer follows Linux's timer wheel (HZ 250) as the SYN-ACK's
 * does: an expiry is rounded up to its level's bucket, 32 ms for 1-2 s
 * timers, 256 ms up to 16 s, 2.048 s beyond (reference 0).  The wheel's
 * jiffies start at 0 here, so the schedule is exact; Linux's phase is
 * random, so its times differ within a bucket. */

/* syn_retries 3 with the 4 linear timeouts of Linux 6.7+: 8 SYNs at
 * nominal 0, 1, 2, 3, 4, 5, 7, 11 s, failure at 19 s; on the wheel 1.024,
 * 2.048, 3.072, 4.096, 5.12, 7.136, 11.264 and 19.456 s (syn_retries.pcap:
 * 1.03, 2.05, 3.07, 4.10, 5.12, 7.14, 11.36, failure at 19.55 s). */
static void test_syn_sent_rto_3_linear(void)
{
    static const double at[] = { 0, 1.024, 2.048, 3.072, 4.096, 5.12, 7.136, 11.264 };
    syn_schedule(3, 4, at, 8, 19.456);
}

/* The defaults (6 + 4 linear): 11 SYNs, failure at nominal 131 s; on the
 * wheel 135.168 s (syn_retries_default.pcap: 1.02, ..., 19.58, 35.71,
 * 67.97, failure at 133.5 s: the 2.048 s buckets fall differently). */
static void test_syn_sent_rto_default(void)
{
    static const double at[] = { 0, 1.024, 2.048, 3.072, 4.096, 5.12, 7.136, 11.264, 19.456, 35.584, 69.632 };
    syn_schedule(6, 4, at, 11, 135.168);
}

/* Classic exponential (linear 0): nominal 0, 1, 3, 7, failure at 15 s;
 * on the wheel 1.024, 3.04, 7.168, 15.36 (syn_retries_exp.pcap: 1.01,
 * 3.02, 7.25, failure at 15.44 s). */
static void test_syn_sent_rto_exp(void)
{
    static const double at[] = { 0, 1.024, 3.04, 7.168 };
    syn_schedule(3, 0, at, 4, 15.36);
}

/* ESTABLISHED, the peer gone: a tail-loss probe at 204 ms (RFC 8985 7.2:
 * 2 SRTT + 200 ms for one segment, capped by the RTO), then RTO 204 ms
 * from it doubling to rto_max (120 s); tcp_retries2 = 15 allows 924.6 s
 * of this (tcp_model_timeout): 15 RTO retransmissions, then ETIMEDOUT. */
static void test_established_rto_backoff(void)
{
    th t;
    th_notes n;
    ln_tcp_sock *s = th_established(start(&t));
    th_watch(s, &n);
    ln_time t0 = th_now(&t);
    ln_tcp_send(s, "0123456789", 10);
    th_settle(&t);
    TH_EXPECT(&t, TH_A, F_PA, 1001, 2001, 10, 63);
    th_run(&t, 1000 * LN_SEC);
    ln_time due = 204 * LN_MSEC, rto = 204 * LN_MSEC;
    th_seg *p = TH_EXPECT(&t, TH_A, F_PA, 1001, 2001, 10, 63);
    if (p) CHECK_U64(p->t - t0, due);
    for (int i = 0; i < 15; i++) {
        due += rto;
        th_seg *g = TH_EXPECT(&t, TH_A, F_PA, 1001, 2001, 10, 63);
        if (g) CHECK_U64(g->t - t0, due);
        rto = rto * 2 > 120 * LN_SEC ? 120 * LN_SEC : rto * 2;
    }
    TH_NONE(&t, TH_A);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_CLOSED);
    CHECK_EQ(ln_tcp_error(s), LN_ETIMEDOUT);
    CHECK_U64(TH_MIB(t.a, TcpRetransSegs), 16);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPLossProbes), 1);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPTimeouts), 16);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPAbortOnTimeout), 1);
    CHECK_U64(TH_MIB(t.a, TcpEstabResets), 1);
    th_free(&t);
}

/* An RTO retransmits what was sent, with its boundary: bytes queued after
 * it (held back here by Nagle) are not folded into the retransmission,
 * which would "retransmit" data never sent (tshark: ACKed unseen segment).
 * The tail-loss probe before it sends those bytes as new data (RFC 8985
 * 7.3, past Nagle as Linux's tcp_send_loss_probe). */
static void test_established_rto_keeps_boundary(void)
{
    th t;
    ln_tcp_sock *s = th_established(start(&t));
    ln_tcp_send(s, "abcd", 4);
    th_settle(&t);
    TH_EXPECT(&t, TH_A, F_PA, 1001, 2001, 4, 63);
    ln_tcp_send(s, "efghijklmnopqrstuvwxyz", 22);   /* Nagle: waits for the ACK */
    th_settle(&t);
    TH_NONE(&t, TH_A);
    th_run(&t, 204 * LN_MSEC);
    TH_EXPECT(&t, TH_A, F_PA, 1005, 2001, 22, 63);
    /* Both were sent now: the RTO resends them as one (Linux collapses
     * small skbs on retransmission, tcp_retrans_try_collapse). */
    th_run(&t, 204 * LN_MSEC);
    TH_EXPECT(&t, TH_A, F_PA, 1001, 2001, 26, 63);
    TH_NONE(&t, TH_A);
    th_free(&t);
}

/* Zero window (reference 8): probes are ACKs at SND.UNA - 1 without
 * data, one RTO after the zero window, then doubling; answered probes
 * keep the connection alive; the window update lets the data go. */
static void test_established_persist(void)
{
    th t;
    ln_tcp_sock *s = th_established(start(&t));
    ln_tcp_send(s, "0123456789", 10);
    th_settle(&t);
    TH_EXPECT(&t, TH_A, F_PA, 1001, 2001, 10, 63);
    back_w(2001, 1011, 0);          /* all acked, window 0 */
    ln_time t0 = th_now(&t);
    CHECK_EQ(ln_tcp_send(s, NULL, 3000), 3000);
    th_settle(&t);
    TH_NONE(&t, TH_A);
    ln_tcp_info in;
    ln_tcp_get_info(s, &in);
    CHECK(in.timer && strcmp(in.timer, "persist") == 0);
    ln_time due = 0, iv = 204 * LN_MSEC;
    for (int i = 0; i < 6; i++) {
        due += iv;
        th_run_until(&t, t0 + due);
        th_seg *g = TH_EXPECT(&t, TH_A, F_A, 1010, 2001, 0, 63);
        if (g) CHECK_U64(g->t - t0, due);
        if (i != 2) back_w(2001, 1011, 0);   /* answered, still closed */
        iv *= 2;
    }
    TH_NONE(&t, TH_A);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPWinProbe), 6);
    ln_tcp_get_info(s, &in);
    CHECK_EQ(in.backoff, 6);
    /* The window opens: data at once, the persist timer gone. */
    back_w(2001, 1011, 64);
    TH_EXPECT(&t, TH_A, F_A, 1011, 2001, 1448, 63);
    TH_EXPECT(&t, TH_A, F_A, 1011 + 1448, 2001, 1448, 63);
    TH_EXPECT(&t, TH_A, F_PA, 1011 + 2896, 2001, 3000 - 2896, 63);
    TH_NONE(&t, TH_A);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_ESTABLISHED);
    th_free(&t);
}

/* Delayed ACK: once the connection is interactive (a reply went out
 * within ato of the request: Linux's pingpong), data is ACKed after
 * 40 ms -- or with the reply, if there is one sooner. */
static void test_established_delack(void)
{
    th t;
    ln_tcp_sock *s = th_established(start(&t));
    bsend(F_PA, 2001, 1001, 100);            /* the first data: ACKed at once */
    TH_EXPECT(&t, TH_A, F_A, 1001, 2101, 0, 63);
    th_run(&t, LN_MSEC);
    ln_tcp_send(s, "reply", 5);               /* within ato: pingpong */
    th_settle(&t);
    TH_EXPECT(&t, TH_A, F_PA, 1001, 2101, 5, 63);
    bsend(F_PA, 2101, 1006, 100);
    ln_time t1 = th_now(&t);
    th_run(&t, 40 * LN_MSEC - 1);
    TH_NONE(&t, TH_A);
    th_run(&t, 1);
    th_seg *g = TH_EXPECT(&t, TH_A, F_A, 1006, 2201, 0, 63);
    if (g) CHECK_U64(g->t - t1, 40 * LN_MSEC);
    CHECK_U64(TH_MIB(t.a, TcpExtDelayedACKs), 1);
    /* The timer ended pingpong: the next data is ACKed at once again
     * (quick ACKs left). */
    bsend(F_PA, 2201, 1006, 100);
    TH_EXPECT(&t, TH_A, F_A, 1006, 2301, 0, 63);
    /* Interactive again: the reply carries the ACK, no timer. */
    th_run(&t, LN_MSEC);
    ln_tcp_send(s, "again", 5);
    th_settle(&t);
    TH_EXPECT(&t, TH_A, F_PA, 1006, 2301, 5, 63);
    bsend(F_PA, 2301, 1011, 100);
    th_run(&t, 10 * LN_MSEC);
    ln_tcp_send(s, "fast!", 5);
    th_settle(&t);
    TH_EXPECT(&t, TH_A, F_PA, 1011, 2401, 5, 63);
    th_run(&t, 100 * LN_MSEC);
    TH_NONE(&t, TH_A);
    CHECK_U64(TH_MIB(t.a, TcpExtDelayedACKs), 1);
    th_free(&t);
}

/* TIME_WAIT lasts 2 MSL exactly (msl 30 s: 60 s); a retransmitted FIN is
 * ACKed again (IP ID 0) and restarts it (RFC 9293 3.10.7.4). */
static void test_time_wait_fin(void)
{
    th t;
    ln_tcp_sock *s = th_established(start(&t));
    ln_tcp_close(s);
    th_settle(&t);
    TH_EXPECT(&t, TH_A, F_FA, 1001, 2001, 0, 63);
    bsend(F_FA, 2001, 1002, 0);
    ln_time t0 = th_now(&t);
    TH_EXPECT(&t, TH_A, F_A, 1002, 2002, 0, 63);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_TIME_WAIT);
    th_run_until(&t, t0 + 30 * LN_SEC);
    bsend(F_FA, 2001, 1002, 0);               /* our ACK was lost */
    th_seg *g = TH_EXPECT(&t, TH_A, F_A, 1002, 2002, 0, 63);
    if (g) CHECK_EQ(g->ipid, 0);
    time_wait_ends_at(&t, t0 + 90 * LN_SEC);
    ln_tcp_stack_info si;
    ln_tcp_stack_info_get(t.a, &si);
    CHECK_EQ(si.sockets, 0);
    TH_NONE(&t, TH_A);
    CHECK_U64(TH_MIB(t.a, TcpExtTW), 1);
    th_free(&t);

    /* 2 MSL follows cfg.msl. */
    start(&t);
    ln_tcp_cfg_of(t.a)->msl = 5 * LN_SEC;
    s = th_established(&t);
    ln_tcp_close(s);
    th_settle(&t);
    bsend(F_FA, 2001, 1002, 0);
    time_wait_ends_at(&t, th_now(&t) + 10 * LN_SEC);
    th_free(&t);
}

/* Keepalive (RFC 1122 4.2.3.6): after keepidle of silence a probe (ACK at
 * SND.UNA - 1, no data) every keepintvl; keepcnt unanswered ones end the
 * connection with RST and ETIMEDOUT.  An answer starts the idle time
 * again. */
static void test_established_keepalive(void)
{
    th t;
    th_notes n;
    ln_tcp_sock *s = th_established(start(&t));
    th_watch(s, &n);
    ln_time t0 = th_now(&t);
    ln_tcp_setopt(s, LN_TCP_OPT_KEEPIDLE, 10 * LN_SEC);
    ln_tcp_setopt(s, LN_TCP_OPT_KEEPINTVL, 2 * LN_SEC);
    ln_tcp_setopt(s, LN_TCP_OPT_KEEPCNT, 3);
    ln_tcp_setopt(s, LN_TCP_OPT_KEEPALIVE, 1);
    th_run_until(&t, t0 + 10 * LN_SEC);
    th_seg *g = TH_EXPECT(&t, TH_A, F_A, 1000, 2001, 0, 63);
    if (g) CHECK_U64(g->t - t0, 10 * LN_SEC);
    bsend(F_A, 2001, 1001, 0);                /* answered */
    ln_time t1 = th_now(&t);
    th_run_until(&t, t1 + 10 * LN_SEC - 1);
    TH_NONE(&t, TH_A);
    th_run_until(&t, t1 + 17 * LN_SEC);
    for (int i = 0; i < 3; i++) {
        g = TH_EXPECT(&t, TH_A, F_A, 1000, 2001, 0, 63);
        if (g) CHECK_U64(g->t - t1, (10 + 2 * (ln_time)i) * LN_SEC);
    }
    g = TH_EXPECT(&t, TH_A, F_RA, 1001, 2001, 0, -1);
    if (g) CHECK_U64(g->t - t1, 16 * LN_SEC);
    TH_NONE(&t, TH_A);
    CHECK_EQ(ln_tcp_get_state(s), LN_TCP_CLOSED);
    CHECK_EQ(ln_tcp_error(s), LN_ETIMEDOUT);
    CHECK_U64(TH_MIB(t.a, TcpExtTCPKeepAlive), 4);
    th_free(&t);
}

int main(void)
{
    test_syn_sent_rto_3_linear();
    test_syn_sent_rto_default();
    test_syn_sent_rto_exp();
    test_established_rto_backoff();
    test_established_rto_keeps_boundary();
    test_established_persist();
    test_established_delack();
    test_time_wait_fin();
    test_established_keepalive();
    return check_report("test_tcp_timers");
}
