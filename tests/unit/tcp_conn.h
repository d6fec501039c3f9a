/* tcp_conn.h - the connection most TCP tests are about, b's side of it,
 * and a builder for each state it can be brought to, smoltcp style.
 *
 * A test that needs FIN_WAIT_2 calls th_fin_wait_2 rather than writing
 * the handshake and the close again: what it asserts is then what the
 * state does, and a change to the way there is made in one place. */
#ifndef LN_TCP_CONN_H
#define LN_TCP_CONN_H

#include "tcp_harness.h"

/* ---- b's side -------------------------------------------------------------------- */

/* The conventional connection: a:40000 (ISN 1000) with b:80 (ISN 2000),
 * b played by the test with Linux's options: MSS 1460, SACK, timestamps
 * (b's clock: 5000 at its SYN, 6000 + ms after), window scale 10. */
#define TH_PORT_A 40000
#define TH_PORT_B 80
#define TH_ISS_A 1000u
#define TH_ISS_B 2000u

/* b's segment on the conventional connection, window 64 (<< 10). */
static inline th_tx th_bseg(const th *t, uint8_t flags, ln_seq seq, ln_seq ack, uint32_t len)
{
    th_tx x = { .sport = TH_PORT_B, .dport = TH_PORT_A, .seq = seq, .ack = ack, .flags = flags,
                .wnd = 64, .len = len, .ts = true, .tsval = 6000 + (uint32_t)(th_now(t) / LN_MSEC),
                .tsecr = th_last_tsval(t) };
    return x;
}

static inline void th_bsend(th *t, uint8_t flags, ln_seq seq, ln_seq ack, uint32_t len)
{
    th_tx x = th_bseg(t, flags, seq, ack, len);
    th_deliver(t, &x);
}

/* b's SYN-ACK (ISN irs) to a's SYN (ISN iss, from lport to port): Linux's
 * options and window 65160, or MSS alone and 64240. */
static inline th_tx th_synack(const th *t, uint16_t lport, uint16_t port, ln_seq iss, ln_seq irs, bool opts)
{
    th_tx x = { .sport = port, .dport = lport, .seq = irs, .ack = iss + 1, .flags = F_SA,
                .wnd = opts ? 65160 : 64240, .syn_opts = true, .mss = 1460, .sack_perm = opts,
                .ws = opts ? 10 : -1, .ts = opts, .tsval = 5000, .tsecr = th_last_tsval(t) };
    return x;
}

/* ... on the conventional connection. */
static inline th_tx th_bsynack(const th *t)
{
    return th_synack(t, TH_PORT_A, TH_PORT_B, TH_ISS_A, TH_ISS_B, true);
}

/* b opening to a (a simultaneous open, or a listener on 40000). */
static inline th_tx th_bsyn(void)
{
    th_tx x = { .sport = TH_PORT_B, .dport = TH_PORT_A, .seq = TH_ISS_B, .flags = F_S, .wnd = 64240,
                .syn_opts = true, .mss = 1460, .sack_perm = true, .ws = 10, .ts = true, .tsval = 5000 };
    return x;
}

/* ---- a connection brought to a state ------------------------------------------------ */

/* Each builder takes a fresh harness (raw b) to its state the way a peer
 * would, asserting every segment a sends on the way and the state it
 * ends in, and consumes those segments: a test starts in the state with
 * nothing unread.  On the conventional connection the windows are
 * asserted too: 64240 before the handshake, 63 (x 1024) after it, as
 * Linux's (reference 1, 2). */

static inline void th_in_state(ln_tcp_sock *s, ln_tcp_state want)
{
    CHECK_EQ(ln_tcp_get_state(s), want);
}

/* An active open from lport to b:port with ISN iss: the SYN. */
static inline ln_tcp_sock *th_connect(th *t, uint16_t lport, uint16_t port, ln_seq iss)
{
    ln_tcp_cfg_of(t->a)->fixed_isn = iss;
    ln_tcp_sock *s = ln_tcp_socket(t->a);
    ln_tcp_bind(s, 0, lport);
    ln_tcp_connect(s, th_addr(t, 1), port);
    th_settle(t);
    TH_EXPECT(t, th_addr(t, 0), F_S, iss, 0, 0, -1);
    th_in_state(s, LN_TCP_SYN_SENT);
    return s;
}

/* ... answered by b's SYN-ACK (see th_synack): a's ACK. */
static inline ln_tcp_sock *th_open_active(th *t, uint16_t lport, uint16_t port, ln_seq iss, ln_seq irs,
                                          bool opts)
{
    ln_tcp_sock *s = th_connect(t, lport, port, iss);
    th_tx x = th_synack(t, lport, port, iss, irs, opts);
    th_deliver(t, &x);
    TH_EXPECT(t, th_addr(t, 0), F_A, iss + 1, irs + 1, 0, -1);
    th_in_state(s, LN_TCP_ESTABLISHED);
    return s;
}

/* The conventional connection, from here on. */
static inline ln_tcp_sock *th_syn_sent(th *t)
{
    ln_tcp_sock *s = th_connect(t, TH_PORT_A, TH_PORT_B, TH_ISS_A);
    th_seg *syn = th_last(t);
    CHECK(syn && syn->wnd == 64240);
    return s;
}

static inline ln_tcp_sock *th_established(th *t)
{
    ln_tcp_sock *s = th_open_active(t, TH_PORT_A, TH_PORT_B, TH_ISS_A, TH_ISS_B, true);
    th_seg *ack = th_last(t);
    CHECK(ack && ack->wnd == 63);
    return s;
}

/* b's SYN crosses a's (simultaneous open): a's SYN,ACK. */
static inline ln_tcp_sock *th_syn_rcvd(th *t)
{
    ln_tcp_sock *s = th_syn_sent(t);
    th_tx x = th_bsyn();
    th_deliver(t, &x);
    TH_EXPECT(t, th_addr(t, 0), F_SA, TH_ISS_A, TH_ISS_B + 1, 0, 64240);
    th_in_state(s, LN_TCP_SYN_RCVD);
    return s;
}

/* The two moves that close the conventional connection, each asserting
 * what a sends at once and the state s is left in, and returning s: a's
 * shutdown(SHUT_WR) sends its FIN (acknowledging rcv_nxt); b's FIN
 * (acknowledging `ack` of a's sequence space) gets a's ACK straight away,
 * from a's SND.NXT = ack. */
static inline ln_tcp_sock *th_shut_wr(th *t, ln_tcp_sock *s, ln_seq rcv_nxt, ln_tcp_state want)
{
    ln_tcp_shutdown(s, LN_SHUT_WR);
    th_settle(t);
    TH_EXPECT(t, th_addr(t, 0), F_FA, TH_ISS_A + 1, rcv_nxt, 0, 63);
    th_in_state(s, want);
    return s;
}

static inline ln_tcp_sock *th_bfin(th *t, ln_tcp_sock *s, ln_seq ack, ln_tcp_state want)
{
    th_bsend(t, F_FA, TH_ISS_B + 1, ack, 0);
    TH_EXPECT(t, th_addr(t, 0), F_A, ack, TH_ISS_B + 2, 0, 63);
    th_in_state(s, want);
    return s;
}

/* shutdown(SHUT_WR): a's FIN.  (close() would orphan the socket.) */
static inline ln_tcp_sock *th_fin_wait_1(th *t)
{
    return th_shut_wr(t, th_established(t), TH_ISS_B + 1, LN_TCP_FIN_WAIT_1);
}

/* b acknowledges a's FIN. */
static inline ln_tcp_sock *th_fin_wait_2(th *t)
{
    ln_tcp_sock *s = th_fin_wait_1(t);
    th_bsend(t, F_A, TH_ISS_B + 1, TH_ISS_A + 2, 0);
    th_in_state(s, LN_TCP_FIN_WAIT_2);
    return s;
}

/* b's FIN,ACK of a's FIN: a's ACK. */
static inline ln_tcp_sock *th_time_wait(th *t)
{
    return th_bfin(t, th_fin_wait_1(t), TH_ISS_A + 2, LN_TCP_TIME_WAIT);
}

/* b's FIN: a's ACK, at once here, right after the handshake (after data
 * it would wait: test_established_fin). */
static inline ln_tcp_sock *th_close_wait(th *t)
{
    return th_bfin(t, th_established(t), TH_ISS_A + 1, LN_TCP_CLOSE_WAIT);
}

/* shutdown(SHUT_WR) in CLOSE_WAIT: a's FIN. */
static inline ln_tcp_sock *th_last_ack(th *t)
{
    return th_shut_wr(t, th_close_wait(t), TH_ISS_B + 2, LN_TCP_LAST_ACK);
}

#endif
