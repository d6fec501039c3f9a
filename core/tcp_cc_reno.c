/* tcp_cc_reno.c - "reno" and "newreno": RFC 5681 slow start and AIMD, as
 * Linux's tcp_reno_cong_avoid, tcp_reno_ssthresh and tcp_reno_undo_cwnd.
 *
 * Place in the call chain: tcp_ack.c -> ops->cong_avoid / ssthresh /
 * undo_cwnd; the two differ only in the `newreno` flag, which tells the
 * core to handle partial ACKs in fast recovery as RFC 6582 says (without
 * SACK); the growth and the reduction are the same.
 *
 * Read: RFC 5681 3.1 and 3.2, RFC 6582. */
#include "tcp_cc.h"

#include <string.h>

/* What Linux keeps in tcp_sock for undo: cwnd when ssthresh() ran (Linux
 * sets tp->prior_cwnd right before every ssthresh call). */
typedef struct reno {
    uint32_t prior_cwnd;
} reno;

_Static_assert(sizeof(reno) <= sizeof(((ln_tcp_cc *)0)->priv), "reno state fits in priv");

static void reno_init(ln_tcp_cc *cc, ln_time now)
{
    memset(cc->priv, 0, sizeof cc->priv);
}

/* RFC 5681 (4): ssthresh = max(FlightSize / 2, 2 * SMSS); Linux halves
 * cwnd rather than FlightSize. */
static uint32_t reno_ssthresh(ln_tcp_cc *cc, ln_time now)
{
    reno r = { cc->cwnd };
    memcpy(cc->priv, &r, sizeof r);
    uint32_t half = cc->cwnd >> 1;
    return half > 2 ? half : 2;
}

static void reno_cong_avoid(ln_tcp_cc *cc, uint32_t acked, ln_time now)
{
    if (!ln_tcp_is_cwnd_limited(cc)) return;
    if (ln_tcp_in_slow_start(cc)) {
        acked = ln_tcp_slow_start(cc, acked);
        if (!acked) return;
    }
    /* RFC 5681 3.1: about one segment per RTT (cwnd segments ACKed). */
    ln_tcp_cong_avoid_ai(cc, cc->cwnd, acked);
}

static uint32_t reno_undo_cwnd(ln_tcp_cc *cc)
{
    reno r;
    memcpy(&r, cc->priv, sizeof r);
    return cc->cwnd > r.prior_cwnd ? cc->cwnd : r.prior_cwnd;
}

static void reno_pkts_acked(ln_tcp_cc *cc, uint32_t acked, ln_time rtt, ln_time now) {}
static void reno_set_state(ln_tcp_cc *cc, ln_ca_state state, ln_time now) {}
static void reno_cwnd_event(ln_tcp_cc *cc, ln_ca_event ev, ln_time now) {}

/* Reno and NewReno share every hook; the flag tells recovery (tcp_ack.c)
 * whether a partial ACK keeps it going (RFC 6582). */
#define RENO_OPS(nm, nr)                                                        \
    {                                                                          \
        .name = nm, .init = reno_init, .ssthresh = reno_ssthresh,              \
        .cong_avoid = reno_cong_avoid, .pkts_acked = reno_pkts_acked,          \
        .set_state = reno_set_state, .cwnd_event = reno_cwnd_event,            \
        .undo_cwnd = reno_undo_cwnd, .newreno = nr,                            \
    }

const ln_tcp_cc_ops ln_tcp_cc_reno = RENO_OPS("reno", false);
const ln_tcp_cc_ops ln_tcp_cc_newreno = RENO_OPS("newreno", true);
