/* tcp_timer.c - TCP's timers: retransmission (RFC 6298) with SYN retries,
 * persist (zero-window probes), delayed ACK, keepalive, orphaned
 * FIN_WAIT_2, TIME_WAIT, and the RTT estimator that sets the RTO.
 *
 * Place in the call chain:
 *   scheduler -> rtx_fire   -> retransmit_timer (tcp_retransmit_timer)
 *                             | probe_timer (tcp_probe_timer)
 *             -> delack_fire -> ACK (tcp_delack_timer_handler), or the
 *                               compressed SACK ACK
 *             -> keep_fire  -> keepalive | FIN_WAIT_2 / TIME_WAIT expiry |
 *                              freeing a released socket
 *   tcp_in.c / tcp_out.c -> ln_tcp_rearm_rtx, ln_tcp_ensure_rtx,
 *                           ln_tcp_arm_delack, ln_tcp_rtt_sample, ...
 *
 * Each socket has three timers, as Linux's inet_connection_sock does; the
 * retransmission timer also serves as the persist timer (rtx_kind) and
 * the keepalive one as FIN_WAIT_2 / TIME_WAIT timer (keep_kind).
 *
 * Read: RFC 6298 (RTO), RFC 9293 3.8.1 and 3.10.8 (timeouts), RFC 1122
 * 4.2.2.17 (probing zero windows), 4.2.3.2 (delayed ACK), 4.2.3.6
 * (keepalive), 4.2.3.5 (R1/R2: giving up), and Linux's tcp_timer.c.
 *
 * Timers fire when due, in whole jiffies where Linux keeps them so (the
 * RTO, the probe and reordering timeouts of tcp_rack.c).  Linux's fire
 * later still, rounded up to its timer wheel (reference 0): a 1 s RTO is
 * seen at 1.01-1.03 s there.  The handshake's timers follow the wheel:
 * the listener's SYN-ACK timers (tcp_listen.c) and the SYN's (arm_rtx),
 * through ln_tcp_wheel_expiry. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "net.h"
#include "node.h"
#include "tcp_int.h"

/* Linux keeps RTOs in jiffies; the reference kernel has HZ = 250, so an
 * RTO of 200.072 ms is 51 jiffies = 204 ms (`ss` rto:204). */
#define JIFFY (4 * LN_MSEC)

static ln_sim *sim_of(const ln_tcp_sock *s) { return &s->st->node->net->sim; }
static ln_time tmin(ln_time a, ln_time b) { return a < b ? a : b; }
static ln_time tmax(ln_time a, ln_time b) { return a > b ? a : b; }

/* rto doubled `backoff` times, at most rto_max. */
static ln_time rto_backed_off(const ln_tcp_sock *s, unsigned backoff)
{
    ln_time max = s->st->cfg.rto_max, rto = s->rto;
    for (unsigned i = 0; i < backoff && rto < max; i++) rto <<= 1;
    return tmin(rto, max);
}

ln_time ln_tcp_rto_cur(const ln_tcp_sock *s)
{
    return rto_backed_off(s, s->backoff);
}

/* tcp_probe0_when: the persist interval, max(RTO, rto_min) doubled per
 * unanswered probe, at most rto_max. */
static ln_time probe0_when(const ln_tcp_sock *s)
{
    ln_time max = s->st->cfg.rto_max, t = tmax(s->rto, s->st->cfg.rto_min);
    for (unsigned i = 0; i < s->backoff && t < max; i++) t <<= 1;
    return tmin(t, max);
}

static uint32_t now_ms(const ln_tcp_sock *s) { return (uint32_t)(ln_tcp_now(s) / LN_MSEC); }

/* Linux's tcp_clamp_probe0_to_user_timeout: with TCP_USER_TIMEOUT, the
 * next probe comes no later than the moment the timeout runs out (and no
 * sooner than TCP_TIMEOUT_MIN, 2 jiffies). */
static ln_time clamp_probe0(const ln_tcp_sock *s, ln_time when)
{
    if (!s->user_timeout_ms || !s->probes_tstamp_ms) return when;
    int32_t elapsed = (int32_t)(now_ms(s) - s->probes_tstamp_ms);
    if (elapsed < 0) elapsed = 0;
    ln_time left = ((ln_time)s->user_timeout_ms - elapsed) * LN_MSEC;
    return tmin(tmax(left, 2 * JIFFY), when);     /* TCP_TIMEOUT_MIN */
}

/* When the persist timer fires next (tcp_send_probe0, tcp_ack_probe). */
static ln_time persist_when(const ln_tcp_sock *s) { return clamp_probe0(s, probe0_when(s)); }

/* ---- RTT estimator (Linux's tcp_rtt_estimator, which is RFC 6298 with
 * the variance term floored at rto_min and relaxed once per window) ------ */

void ln_tcp_rtt_sample(ln_tcp_sock *s, ln_time rtt)
{
    const ln_tcp_cfg *c = &s->st->cfg;
    uint32_t rto_min_us = (uint32_t)(c->rto_min / LN_USEC);
    long m = (long)(rtt / LN_USEC);
    if (m <= 0) m = 1;
    /* srtt is kept as 8 x SRTT in us (srtt_us), stored in ns exactly. */
    uint32_t srtt8 = (uint32_t)(s->srtt / 125);
    uint32_t rttvar = (uint32_t)(s->rttvar / LN_USEC);
    if (srtt8) {
        m -= (long)(srtt8 >> 3);               /* error in the estimate */
        srtt8 = (uint32_t)((long)srtt8 + m);   /* SRTT += err / 8 (RFC 6298 2.3) */
        if (m < 0) {
            m = -m;
            m -= (long)(s->mdev_us >> 2);
            if (m > 0) m >>= 3;                /* falling RTT: change mdev slowly */
        } else {
            m -= (long)(s->mdev_us >> 2);
        }
        s->mdev_us = (uint32_t)((long)s->mdev_us + m);   /* RTTVAR += (|err| - RTTVAR) / 4 */
        if (s->mdev_us > s->mdev_max_us) {
            s->mdev_max_us = s->mdev_us;
            if (s->mdev_max_us > rttvar) rttvar = s->mdev_max_us;
        }
        /* Once per window, let the variance term decay toward the
         * largest deviation seen in it. */
        if (ln_seq_gt(s->snd_una, s->rtt_epoch)) {
            if (s->mdev_max_us < rttvar) rttvar -= (rttvar - s->mdev_max_us) >> 2;
            s->rtt_epoch = s->snd_max;
            s->mdev_max_us = rto_min_us;
        }
    } else {
        /* RFC 6298 2.2: SRTT = R, RTTVAR = R / 2. */
        srtt8 = (uint32_t)m << 3;
        s->mdev_us = (uint32_t)m << 1;
        rttvar = s->mdev_us > rto_min_us ? s->mdev_us : rto_min_us;
        s->mdev_max_us = rttvar;
        s->rtt_epoch = s->snd_max;
    }
    if (!srtt8) srtt8 = 1;
    s->srtt = (ln_time)srtt8 * 125;
    s->rttvar = (ln_time)rttvar * LN_USEC;
    /* tcp_set_rto: RTO = SRTT + max(4 RTTVAR, rto_min) in whole jiffies,
     * at most rto_max (RFC 6298 2.4's 1 s minimum is Linux's 200 ms). */
    ln_time rto = (ln_time)(srtt8 >> 3) * LN_USEC + s->rttvar;
    rto = (rto + JIFFY - 1) / JIFFY * JIFFY;
    s->rto = tmin(rto, c->rto_max);
    /* RFC 6298 5.7 / Linux: only a valid sample resets the backoff. */
    s->backoff = 0;
    if (s->xf) s->xf->cc.srtt = s->srtt;
    ln_tcp_emit_rtt(s, rtt);
}

/* ---- arming -------------------------------------------------------------------- */

/* When a Linux timer armed `delay` from `now` really fires: the timer
 * wheel (kernel/time/timer.c calc_wheel_index) files it in a bucket whose
 * granularity grows with the delay and rounds the expiry *up* to the next
 * bucket boundary.  At the reference kernel's HZ = 250 that is 4 ms under
 * 252 ms, 32 ms under 2.016 s, 256 ms under 16.128 s, 2.048 s under
 * 129 s, so the nominal 1, 2, 4, 8, 16 s become about 1.02, 2.02, 4.1,
 * 8.2, 16.1 s (reference 0, "timer slack").  Virtual time 0 is jiffy 0. */
ln_time ln_tcp_wheel_expiry(ln_time now, ln_time delay)
{
    uint64_t clk = now / JIFFY;
    uint64_t expires = clk + (delay + JIFFY - 1) / JIFFY;
    uint64_t delta = expires - clk;
    unsigned lvl = 0;
    /* LVL_START(n) = 63 << 3(n - 1): 63, 504, 4032, 32256, ... jiffies */
    while (lvl < 7 && delta >= (uint64_t)63 << (3 * lvl)) lvl++;
    unsigned shift = 3 * lvl;                   /* LVL_SHIFT: 8^lvl jiffies */
    return (((expires >> shift) + 1) << shift) * JIFFY;
}

/* Arm the retransmission timer.  A handshake's retransmission timer
 * (SYN_SENT, and SYN_RCVD after a simultaneous open) is rounded up to
 * Linux's timer wheel like the listener's SYN-ACK timers, so SYNs and
 * SYN-ACKs keep the same clock: the captures show SYNs at 1.02-1.03 s
 * intervals and a 4 s backoff fired 4.22 s later (reference 6).  Data
 * RTOs stay in whole jiffies: under 256 ms the wheel adds at most one. */
static void arm_rtx(ln_tcp_sock *s, ln_rtx_kind kind, ln_time delay)
{
    s->rtx_kind = (uint8_t)kind;
    if (kind == LN_RTX_RTO && (s->state == LN_TCP_SYN_SENT || s->state == LN_TCP_SYN_RCVD)) {
        ln_timer_arm(sim_of(s), &s->t_rtx, ln_tcp_wheel_expiry(ln_tcp_now(s), delay));
        return;
    }
    ln_timer_arm_in(sim_of(s), &s->t_rtx, delay);
}

/* The retransmission timer is at work for data in flight: the RTO, or
 * RACK-TLP's probe or reordering timeout standing in for it. */
static bool rtx_for_data(const ln_tcp_sock *s)
{
    return ln_timer_armed(&s->t_rtx) &&
           (s->rtx_kind == LN_RTX_RTO || s->rtx_kind == LN_RTX_PROBE || s->rtx_kind == LN_RTX_REO);
}

/* Data (or a FIN) waits that nothing in flight will bring out. */
static bool send_pending(const ln_tcp_sock *s)
{
    if (s->state < LN_TCP_ESTABLISHED || s->state == LN_TCP_TIME_WAIT) return false;
    if (ln_seq_lt(s->snd_nxt, ln_tcp_data_end(s))) return true;
    return (s->flags & LN_TF_SHUT_WR) && !(s->flags & LN_TF_FIN_SENT) &&
           (s->state == LN_TCP_FIN_WAIT_1 || s->state == LN_TCP_LAST_ACK ||
            s->state == LN_TCP_CLOSING);
}

/* RFC 6298 5.3: on an ACK of new data, restart the timer for what is
 * still outstanding; 5.2: stop it when nothing is.  A zero window with
 * data waiting gets the persist timer (RFC 9293 3.8.6.1), restarted by
 * each ACK as Linux's tcp_ack_probe does. */
void ln_tcp_rearm_rtx(ln_tcp_sock *s)
{
    if (s->snd_max != s->snd_una) {
        arm_rtx(s, LN_RTX_RTO, ln_tcp_rto_cur(s));
    } else if (send_pending(s)) {
        arm_rtx(s, LN_RTX_PERSIST, persist_when(s));
    } else {
        ln_timer_cancel(sim_of(s), &s->t_rtx);
        s->rtx_kind = LN_RTX_NONE;
    }
}

void ln_tcp_ensure_rtx(ln_tcp_sock *s)
{
    if (s->snd_max != s->snd_una) {
        if (!rtx_for_data(s)) arm_rtx(s, LN_RTX_RTO, ln_tcp_rto_cur(s));
    } else if (send_pending(s)) {
        if (!ln_timer_armed(&s->t_rtx)) arm_rtx(s, LN_RTX_PERSIST, persist_when(s));
    } else if (rtx_for_data(s)) {
        ln_timer_cancel(sim_of(s), &s->t_rtx);
        s->rtx_kind = LN_RTX_NONE;
    }
}

/* Linux's tcp_send_delayed_ack: the ACK waits ato (40 ms at first), less
 * when the RTT is short, never more than delack_max; an ACK already
 * pending keeps its earlier deadline, and goes now if that is close. */
void ln_tcp_arm_delack(ln_tcp_sock *s)
{
    const ln_tcp_cfg *c = &s->st->cfg;
    ln_time now = ln_tcp_now(s), ato = s->ato;
    if (ato > c->delack_min) {
        ln_time max_ato = 500 * LN_MSEC;
        if ((s->flags & LN_TF_PINGPONG) || (s->ack_pending & LN_ACK_PUSHED)) max_ato = c->delack_max;
        if (s->srtt) {
            ln_time rtt = tmax(s->srtt, c->delack_min);
            if (rtt < max_ato) max_ato = rtt;
        }
        ato = tmin(ato, max_ato);
    }
    ato = tmin(ato, c->delack_max);
    ln_time when = now + ato;
    /* The timer is in xf: without memory for it, the ACK goes now. */
    ln_tcp_xfer *x = ln_tcp_xfer_get(s);
    if (!x) {
        ln_tcp_send_ack(s);
        return;
    }
    if ((s->ack_pending & LN_ACK_TIMER) && ln_timer_armed(&x->t_delack) &&
        !(s->ack_pending & LN_ACK_COMP)) {
        if (x->t_delack.when <= now + (ato >> 2)) {
            ln_tcp_send_ack(s);
            return;
        }
        if (when >= x->t_delack.when) when = x->t_delack.when;
    }
    s->ack_pending = (uint8_t)((s->ack_pending | LN_ACK_SCHED | LN_ACK_TIMER) & ~LN_ACK_COMP);
    ln_timer_arm(sim_of(s), &x->t_delack, when);
}

/* RFC 1122 4.2.3.6: keepalives only when asked for, after keepidle of
 * silence. */
void ln_tcp_arm_keepalive(ln_tcp_sock *s)
{
    if (!(s->flags & LN_TF_KEEPALIVE)) return;
    if (s->state < LN_TCP_ESTABLISHED || s->state == LN_TCP_TIME_WAIT) return;
    if (s->keep_kind != LN_KEEP_NONE && s->keep_kind != LN_KEEP_ALIVE) return;
    s->keep_kind = LN_KEEP_ALIVE;
    ln_timer_arm_in(sim_of(s), &s->t_keep, s->keepidle);
}

/* A socket becoming a timewait sock keeps the window it last offered
 * (Linux's tw_rcv_wnd = tcp_receive_window()), unchanged by the FIN that
 * may still come. */
static void tw_freeze(ln_tcp_sock *s)
{
    s->rcv_wnd = ln_tcp_receive_window(s);
    s->rcv_wup = s->rcv_nxt;
}

/* A timewait socket starts (Linux's __inet_twsk_schedule, not a rearm):
 * TcpExtTW counts it then, or TcpExtTWKilled when it is to last 4 s or
 * less; a retransmitted FIN that restarts the timer counts nothing. */
static void count_tw(ln_tcp_sock *s, ln_time timeo)
{
    if (timeo <= 4 * LN_SEC) LN_MIB_INC(s->st->node, TcpExtTWKilled);
    else LN_MIB_INC(s->st->node, TcpExtTW);
}

/* RFC 9293 3.10.7.4: TIME-WAIT lasts 2 MSL (Linux: TCP_TIMEWAIT_LEN,
 * 60 s).  The socket keeps only what it needs to answer a retransmitted
 * FIN: its buffers go now (those the user may still read excepted). */
void ln_tcp_enter_time_wait(ln_tcp_sock *s)
{
    ln_tcp_stack *st = s->st;
    ln_timer_cancel(sim_of(s), &s->t_rtx);
    s->rtx_kind = LN_RTX_NONE;
    if (st->n_tw >= st->cfg.max_tw_buckets) {
        /* tcp_time_wait without a bucket: the socket just closes. */
        LN_MIB_INC(st->node, TcpExtTCPTimeWaitOverflow);
        ln_tcp_done(s);
        return;
    }
    bool was_tw = s->state == LN_TCP_TIME_WAIT || s->keep_kind == LN_KEEP_FIN_WAIT_2;
    if (!was_tw) {
        tw_freeze(s);
        count_tw(s, 2 * st->cfg.msl);
    }
    ln_tcp_set_state(s, LN_TCP_TIME_WAIT);
    s->keep_kind = LN_KEEP_TIME_WAIT;
    ln_timer_arm_in(sim_of(s), &s->t_keep, 2 * st->cfg.msl);
    if (s->xf) {
        ln_ring_free(&s->xf->snd);
        ln_tcp_ofo_free(&s->xf->ofo);
        free(s->xf->sb);
        s->xf->sb = NULL;
    }
    if (s->flags & LN_TF_ORPHAN) ln_tcp_free_buffers(s);
}

/* An orphaned FIN_WAIT_2 waits tcp_fin_timeout for the peer's FIN (Linux
 * turns it into a timewait sock; tcp_fin_time keeps it at least 3.5 RTO). */
void ln_tcp_arm_fin_wait_2(ln_tcp_sock *s)
{
    ln_time rto = ln_tcp_rto_cur(s);
    ln_time tmo = tmax(s->st->cfg.fin_timeout, (rto << 2) - (rto >> 1));
    ln_timer_cancel(sim_of(s), &s->t_rtx);
    s->rtx_kind = LN_RTX_NONE;
    if (s->keep_kind != LN_KEEP_FIN_WAIT_2) {
        tw_freeze(s);
        count_tw(s, tmo);
    }
    s->keep_kind = LN_KEEP_FIN_WAIT_2;
    ln_timer_arm_in(sim_of(s), &s->t_keep, tmo);
    ln_tcp_free_buffers(s);
}

/* ---- giving up ------------------------------------------------------------------ */

void ln_tcp_write_err(ln_tcp_sock *s)
{
    /* The ICMP error seen meanwhile, if any, says more than "timeout". */
    ln_tcp_set_error(s, s->soft_error ? s->soft_error : LN_ETIMEDOUT);
    LN_MIB_INC(s->st->node, TcpExtTCPAbortOnTimeout);
    ln_tcp_done(s);
}

/* tcp_model_timeout: how long `boundary` retransmissions take with
 * exponential backoff from rto_base, linear once at rto_max. */
static ln_time model_timeout(const ln_tcp_sock *s, uint32_t boundary, ln_time rto_base)
{
    ln_time max = s->st->cfg.rto_max;
    uint32_t thresh = 0;
    while ((rto_base << (thresh + 1)) <= max && thresh < 30) thresh++;
    if (boundary <= thresh) return ((2ull << boundary) - 1) * rto_base;
    return ((2ull << thresh) - 1) * rto_base + (ln_time)(boundary - thresh) * max;
}

static bool timed_out(const ln_tcp_sock *s, uint32_t boundary, ln_time rto_base)
{
    if (!s->retransmits || s->retrans_stamp == LN_NEVER) return false;
    return ln_tcp_now(s) - s->retrans_stamp >= model_timeout(s, boundary, rto_base);
}

/* Linux's tcp_write_timeout (RFC 1122 4.2.3.5 R2): SYNs give up after
 * tcp_syn_retries (+ the linear ones, Linux 6.7+), data after tcp_retries2
 * worth of backoff time; an orphan after tcp_orphan_retries (0 means 8
 * while the RTO still grows).  Only decides: the caller gives up. */
static bool write_timeout(const ln_tcp_sock *s)
{
    const ln_tcp_cfg *c = &s->st->cfg;
    bool expired = false;
    uint32_t retry_until;
    ln_time base = c->rto_min;
    if (s->state == LN_TCP_SYN_SENT || s->state == LN_TCP_SYN_RCVD) {
        retry_until = c->syn_retries;
        uint32_t max = retry_until + (s->state == LN_TCP_SYN_SENT ? c->syn_linear_timeouts : 0);
        expired = s->retransmits >= max;
        base = c->rto_initial;
    } else {
        retry_until = c->retries2;
        if (s->flags & LN_TF_ORPHAN) {
            bool alive = ln_tcp_rto_cur(s) < c->rto_max;
            retry_until = c->orphan_retries;
            if (s->soft_error && !alive) retry_until = 0;
            if (retry_until == 0 && alive) retry_until = 8;
        }
    }
    if (expired) return true;
    /* TCP_USER_TIMEOUT stands in for the backoff model
     * (retransmits_timed_out with a timeout): data unacknowledged that
     * long since the episode began gives up, whatever the retries. */
    if (s->user_timeout_ms)
        return s->retransmits && s->retrans_stamp != LN_NEVER &&
               ln_tcp_now(s) - s->retrans_stamp >= (ln_time)s->user_timeout_ms * LN_MSEC;
    return timed_out(s, retry_until, base);
}

/* Linux's tcp_clamp_rto_to_user_timeout: after a timeout, the next one
 * comes no later than the user timeout's end (at once, one jiffy, if it
 * has passed), so the connection gives up on time. */
static ln_time clamp_to_user_timeout(const ln_tcp_sock *s, ln_time rto)
{
    if (!s->user_timeout_ms || s->retrans_stamp == LN_NEVER) return rto;
    ln_time limit = (ln_time)s->user_timeout_ms * LN_MSEC, elapsed = ln_tcp_now(s) - s->retrans_stamp;
    if (elapsed >= limit) return JIFFY;
    ln_time left = (limit - elapsed + JIFFY - 1) / JIFFY * JIFFY;   /* msecs_to_jiffies */
    return tmin(rto, left);
}

/* The backoff once this timeout has retransmitted (`retransmits` counting
 * it): exponential (RFC 6298 5.5), except for the first
 * tcp_syn_linear_timeouts SYN retransmissions (Linux 6.7+: 1 s each). */
static unsigned backoff_after(const ln_tcp_sock *s, unsigned retransmits)
{
    if (s->state == LN_TCP_SYN_SENT && retransmits <= s->st->cfg.syn_linear_timeouts)
        return s->backoff;
    return s->backoff < 31 ? s->backoff + 1u : s->backoff;
}

/* Linux's tcp_retransmit_timer. */
static void retransmit_timer(ln_tcp_sock *s)
{
    const ln_tcp_cfg *c = &s->st->cfg;
    ln_node *n = s->st->node;
    ln_time now = ln_tcp_now(s);
    if (s->snd_max == s->snd_una) return;
    /* Loss recovery is in xf (a SYN's first timeout makes it).  Without
     * memory for it, try again soon and do not back off, as Linux does
     * when it cannot allocate a retransmission (TCP_RESOURCE_PROBE_INTERVAL). */
    if (!ln_tcp_xfer_get(s)) {
        arm_rtx(s, LN_RTX_RTO, tmin(ln_tcp_rto_cur(s), 500 * LN_MSEC));
        return;
    }
    /* The receiver shrank its window to 0 over data in flight: the
     * retransmissions become probes, and the connection does not time
     * out while the peer answers (for rto_max). */
    bool probing = s->snd_wnd == 0 && !(s->flags & LN_TF_ORPHAN) && s->state >= LN_TCP_ESTABLISHED;
    bool give_up = probing ? now - s->rcv_tstamp > c->rto_max : write_timeout(s);
    /* The event comes before what the timeout causes, yet tells the
     * timeout armed next (none when giving up). */
    unsigned next = backoff_after(s, s->retransmits + (probing ? 0u : 1u));
    LN_TCP_TRACE(s, "retransmission timeout in %s (backoff %u): %s", ln_tcp_state_name(s->state), s->backoff,
                 give_up ? "giving up" : probing ? "zero-window probe" : "retransmit from SND.UNA, cwnd 1");
    ln_tcp_emit_timer(s, "rto", s->backoff, give_up ? 0 : (int64_t)rto_backed_off(s, next));

    if (probing) {
        if (give_up) {
            ln_tcp_write_err(s);
            return;
        }
        ln_tcp_enter_loss(s);
        ln_tcp_retransmit_una(s);
    } else {
        LN_MIB_INC(n, TcpExtTCPTimeouts);
        if (give_up) {
            ln_tcp_write_err(s);
            return;
        }
        /* Each timeout that goes on picks another path (sk_rethink_txhash). */
        LN_MIB_INC(n, TcpExtTcpTimeoutRehash);
        s->xf->rack.tlp_on = 0;                 /* tcp_retransmit_timer ends a TLP episode */
        if (!s->retransmits && s->state >= LN_TCP_ESTABLISHED &&
            !(s->ca_state == LN_CA_LOSS && s->retrans_stamp != LN_NEVER)) {
            /* The episode began when the head left, about one RTO ago. */
            ln_time rto = ln_tcp_rto_cur(s);
            s->retrans_stamp = now > rto ? now - rto : 0;
        }
        ln_tcp_enter_loss(s);
        s->retransmits++;
        if (s->state == LN_TCP_SYN_SENT || s->state == LN_TCP_SYN_RCVD)
            LN_MIB_INC(n, TcpExtTCPSynRetrans);
        ln_tcp_retransmit_una(s);
    }
    s->backoff = (uint8_t)backoff_after(s, s->retransmits);
    if (s->state == LN_TCP_CLOSED) return;
    arm_rtx(s, LN_RTX_RTO, clamp_to_user_timeout(s, ln_tcp_rto_cur(s)));
}

/* Linux's tcp_probe_timer / tcp_send_probe0 (RFC 9293 3.8.6.1, RFC 1122
 * 4.2.2.17): probe the zero window, backing off like the RTO; the
 * connection stays open as long as the probes are answered. */
static void probe_timer(ln_tcp_sock *s)
{
    const ln_tcp_cfg *c = &s->st->cfg;
    ln_tcp_emit_timer(s, "persist", s->backoff, 0);
    if (s->snd_max != s->snd_una || !send_pending(s)) {
        s->probes = 0;
        s->probes_tstamp_ms = 0;
        return;
    }
    /* RFC 1122 4.2.2.17 keeps a zero window open as long as the peer
     * answers the probes; TCP_USER_TIMEOUT bounds that time even so, from
     * the first probe (Linux's icsk_probes_tstamp, "tcp: fix
     * TCP_USER_TIMEOUT with zero window"). */
    if (!s->probes_tstamp_ms) {
        s->probes_tstamp_ms = now_ms(s);
    } else if (s->user_timeout_ms &&
               (int32_t)(now_ms(s) - s->probes_tstamp_ms) >= (int32_t)s->user_timeout_ms) {
        ln_tcp_write_err(s);
        return;
    }
    uint32_t max_probes = c->retries2;
    if (s->flags & LN_TF_ORPHAN) {
        bool alive = probe0_when(s) < c->rto_max;
        max_probes = c->orphan_retries;
        if (s->soft_error && !alive) max_probes = 0;
        if (max_probes == 0 && alive) max_probes = 8;
        if (!alive && s->backoff >= max_probes) {
            ln_tcp_write_err(s);
            return;
        }
    }
    if (s->probes >= max_probes) {
        ln_tcp_write_err(s);
        return;
    }
    bool was_probe = !(ln_seq_lt(s->snd_nxt, ln_tcp_data_end(s)) &&
                       ln_seq_lt(s->snd_nxt, s->snd_una + s->snd_wnd));
    ln_tcp_write_wakeup(s);
    if (was_probe) LN_MIB_INC(s->st->node, TcpExtTCPWinProbe);
    if (s->snd_max != s->snd_una || !send_pending(s)) {
        /* The window had opened: data went out, the RTO takes over. */
        s->probes = 0;
        s->probes_tstamp_ms = 0;
        s->backoff = 0;
        ln_tcp_ensure_rtx(s);
        return;
    }
    s->probes++;
    if (s->backoff < c->retries2 && s->backoff < 31) s->backoff++;
    arm_rtx(s, LN_RTX_PERSIST, persist_when(s));
}

static void rtx_fire(void *arg)
{
    ln_tcp_sock *s = arg;
    ln_tcp_stack *st = s->st;
    ln_rtx_kind kind = (ln_rtx_kind)s->rtx_kind;
    s->rtx_kind = LN_RTX_NONE;
    ln_tcp_batch_begin(st);
    if (kind == LN_RTX_PERSIST) probe_timer(s);
    else if (kind == LN_RTX_PROBE) ln_tcp_send_loss_probe(s);
    else if (kind == LN_RTX_REO) ln_tcp_rack_reo_timeout(s);
    else retransmit_timer(s);
    ln_tcp_batch_end(st);
}

/* Linux's tcp_delack_timer_handler, and the compressed-SACK timer
 * (tcp_compressed_ack_kick) that shares it here. */
static void delack_fire(void *arg)
{
    ln_tcp_sock *s = arg;
    ln_tcp_stack *st = s->st;
    if (s->state == LN_TCP_CLOSED || s->state == LN_TCP_LISTEN) return;
    ln_tcp_batch_begin(st);
    if (s->ack_pending & LN_ACK_COMP) {
        s->ack_pending &= (uint8_t)~LN_ACK_COMP;
        if (s->xf->compressed_ack) {
            /* The ACK that goes is not one of the compressed ones. */
            s->xf->compressed_ack--;
            ln_tcp_send_ack(s);
        }
    } else if (s->ack_pending & LN_ACK_SCHED) {
        ln_tcp_emit_timer(s, "delack", 0, 0);
        if (!(s->flags & LN_TF_PINGPONG)) {
            /* The delayed ACK was missed: inflate ato. */
            s->ato = tmin(s->ato << 1, s->rto);
        } else {
            /* ... or, interactive: leave pingpong mode, deflate ato. */
            s->flags &= ~LN_TF_PINGPONG;
            s->ato = st->cfg.delack_min;
        }
        ln_tcp_send_ack(s);
        LN_MIB_INC(st->node, TcpExtDelayedACKs);
    }
    ln_tcp_batch_end(st);
}

/* Linux's tcp_keepalive_timer (RFC 1122 4.2.3.6). */
static void keepalive(ln_tcp_sock *s)
{
    ln_time now = ln_tcp_now(s), next = s->keepidle;
    if (!(s->flags & LN_TF_KEEPALIVE) || s->state < LN_TCP_ESTABLISHED ||
        s->state == LN_TCP_TIME_WAIT)
        return;
    if (s->snd_max != s->snd_una || ln_seq_lt(s->snd_nxt, ln_tcp_data_end(s))) {
        /* Alive without keepalives: data is moving (or stuck in RTO). */
    } else {
        ln_time idle = now - tmax(s->lrcvtime, s->rcv_tstamp);
        if (idle >= s->keepidle) {
            ln_tcp_emit_timer(s, "keepalive", s->probes, 0);
            /* TCP_USER_TIMEOUT bounds keepalive too: once that long without
             * a word from the peer, and a probe sent, instead of keepcnt
             * probes (tcp_keepalive_timer). */
            bool dead = s->user_timeout_ms ? s->probes > 0 && idle >= (ln_time)s->user_timeout_ms * LN_MSEC
                                           : s->probes >= s->keepcnt;
            if (dead) {
                ln_tcp_send_rst(s);
                ln_tcp_write_err(s);
                return;
            }
            ln_tcp_send_probe(s, LN_PKT_KIND_KEEPALIVE);
            LN_MIB_INC(s->st->node, TcpExtTCPKeepAlive);
            s->probes++;
            next = s->keepintvl;
        } else {
            next = s->keepidle - idle;
        }
    }
    s->keep_kind = LN_KEEP_ALIVE;
    ln_timer_arm_in(sim_of(s), &s->t_keep, next);
}

static void keep_fire(void *arg)
{
    ln_tcp_sock *s = arg;
    ln_tcp_stack *st = s->st;
    ln_keep_kind kind = (ln_keep_kind)s->keep_kind;
    if (kind == LN_KEEP_FREE) {
        ln_tcp_sock_free(s);
        return;
    }
    s->keep_kind = LN_KEEP_NONE;
    ln_tcp_batch_begin(st);
    switch (kind) {
    case LN_KEEP_TIME_WAIT:
        ln_tcp_emit_timer(s, "timewait", 0, 0);
        ln_tcp_done(s);
        break;
    case LN_KEEP_FIN_WAIT_2:
        /* Linux's timewait sock in its FIN_WAIT_2 substate expires
         * silently. */
        ln_tcp_emit_timer(s, "fin_wait_2", 0, 0);
        ln_tcp_done(s);
        break;
    case LN_KEEP_ALIVE:
        keepalive(s);
        break;
    default:
        break;
    }
    ln_tcp_batch_end(st);
}

void ln_tcp_timers_init(ln_tcp_sock *s)
{
    ln_timer_init(&s->t_rtx, rtx_fire, s);
    ln_timer_init(&s->t_keep, keep_fire, s);
}

void ln_tcp_delack_init(ln_tcp_sock *s)
{
    ln_timer_init(&s->xf->t_delack, delack_fire, s);
}

void ln_tcp_timers_cancel(ln_tcp_sock *s)
{
    ln_sim *sim = sim_of(s);
    ln_timer_cancel(sim, &s->t_rtx);
    if (s->xf) ln_timer_cancel(sim, &s->xf->t_delack);
    ln_timer_cancel(sim, &s->t_keep);
    s->rtx_kind = LN_RTX_NONE;
    s->keep_kind = LN_KEEP_NONE;
    s->ack_pending &= (uint8_t)~(LN_ACK_TIMER | LN_ACK_COMP);
}
