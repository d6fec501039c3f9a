/* tcp_cc.c - the congestion control registry and the growth rules every
 * algorithm shares (Linux's tcp_cong.c).
 *
 * Place in the call chain:
 *   ln_tcp_set_cc / socket creation (tcp.c) -> ln_tcp_cc_find
 *   tcp_ack.c ACK processing -> ops->cong_avoid -> ln_tcp_slow_start,
 *                                                ln_tcp_cong_avoid_ai
 *
 * Read: RFC 5681 3.1 (slow start and congestion avoidance), RFC 3465
 * (counting ACKed segments, not ACKs: Linux's slow start adds one segment
 * per segment ACKed, capped at ssthresh), RFC 7661 (cwnd validation, the
 * reason for ln_tcp_is_cwnd_limited), and Linux's tcp_cong.c. */
#include "tcp_cc.h"

#include <stddef.h>
#include <string.h>

static const ln_tcp_cc_ops *const algos[] = { &ln_tcp_cc_reno, &ln_tcp_cc_newreno, &ln_tcp_cc_cubic };

const ln_tcp_cc_ops *ln_tcp_cc_find(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; i < sizeof algos / sizeof algos[0]; i++)
        if (strcmp(algos[i]->name, name) == 0) return algos[i];
    return NULL;
}

const char *ln_tcp_cc_names(void)
{
    return "reno newreno cubic";
}

/* cwnd_clamp 0 means "none" (Linux's default clamp is ~0). */
static uint32_t clamp_of(const ln_tcp_cc *cc) { return cc->cwnd_clamp ? cc->cwnd_clamp : UINT32_MAX; }

/* Linux's tcp_slow_start: grow by the segments ACKed, up to ssthresh, and
 * hand back what is left for congestion avoidance (RFC 5681 3.1 with RFC
 * 3465's byte counting at L = infinity: Linux does not cap at 2 SMSS). */
uint32_t ln_tcp_slow_start(ln_tcp_cc *cc, uint32_t acked)
{
    uint32_t cwnd = cc->cwnd + acked;
    if (cwnd > cc->ssthresh) cwnd = cc->ssthresh;
    acked -= cwnd - cc->cwnd;
    cc->cwnd = cwnd < clamp_of(cc) ? cwnd : clamp_of(cc);
    return acked;
}

/* Linux's tcp_cong_avoid_ai: one segment per w segments ACKed, credits
 * counted in cwnd_cnt.  Credits left from a larger w are spent first
 * ("apply them gently"). */
void ln_tcp_cong_avoid_ai(ln_tcp_cc *cc, uint32_t w, uint32_t acked)
{
    if (!w) w = 1;
    if (cc->cwnd_cnt >= w) {
        cc->cwnd_cnt = 0;
        cc->cwnd++;
    }
    cc->cwnd_cnt += acked;
    if (cc->cwnd_cnt >= w) {
        uint32_t delta = cc->cwnd_cnt / w;
        cc->cwnd_cnt -= delta * w;
        cc->cwnd += delta;
    }
    if (cc->cwnd > clamp_of(cc)) cc->cwnd = clamp_of(cc);
}

bool ln_tcp_is_cwnd_limited(const ln_tcp_cc *cc)
{
    if (!cc->app_limited) return true;
    /* In slow start, let cwnd grow to twice what was in flight. */
    if (ln_tcp_in_slow_start(cc)) return cc->cwnd < 2 * cc->in_flight;
    return false;
}
