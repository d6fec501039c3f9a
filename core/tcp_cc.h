/* tcp_cc.h - congestion control algorithms behind one small interface,
 * shaped like Linux's struct tcp_congestion_ops.
 *
 * The TCP core owns loss detection and recovery (fast retransmit, SACK
 * recovery with PRR, RTO); an algorithm only says how cwnd grows on ACKs
 * and what ssthresh becomes on a loss.  cwnd and ssthresh count segments,
 * as in Linux (`ss` prints cwnd:10).  The core reports every change of
 * cwnd or ssthresh on the event stream; algorithms never emit.
 *
 *   algorithm   growth                       on loss (ssthresh)
 *   reno        RFC 5681 slow start + AIMD   max(cwnd/2, 2)
 *   newreno     same as reno; the core handles partial ACKs per RFC 6582
 *   cubic       RFC 9438 (Linux's tcp_cubic.c: beta 717/1024, C 0.4,
 *               fast convergence, TCP-friendly region, HyStart)
 */
#ifndef LN_TCP_CC_H
#define LN_TCP_CC_H

#include <stdbool.h>
#include <stdint.h>
#include "seq.h"
#include "sim.h"

/* Linux's tcp_ca_state. */
typedef enum { LN_CA_OPEN, LN_CA_DISORDER, LN_CA_CWR, LN_CA_RECOVERY, LN_CA_LOSS } ln_ca_state;

/* The state the core and the algorithm share.  The core keeps the fields
 * marked "core" current before every call, as Linux's algorithms read
 * them from tcp_sock. */
typedef struct ln_tcp_cc {
    uint32_t cwnd;              /* segments */
    uint32_t ssthresh;          /* segments; "infinite" = 0x7fffffff */
    uint32_t cwnd_cnt;          /* additive-increase counter (snd_cwnd_cnt) */
    uint32_t cwnd_clamp;        /* upper bound on cwnd (0: none) */
    uint32_t in_flight;         /* core: most segments in flight during the
                                 * last window (Linux's max_packets_out) */
    uint32_t mss;               /* core: bytes */
    ln_time srtt;               /* core: smoothed RTT (0 until measured) */
    ln_time min_rtt;            /* core: lowest RTT seen */
    bool app_limited;           /* core: the sender did not fill cwnd last
                                 * window (Linux's !is_cwnd_limited) */
    ln_seq snd_una, snd_nxt;    /* core: after the ACK is applied (CUBIC's
                                 * HyStart rounds end when snd_una passes
                                 * the snd_nxt of the round's start) */
    ln_time lsndtime;           /* core: last data sent, before the send
                                 * that raises TX_START (CUBIC's idle shift) */
    uint64_t priv[10];          /* algorithm-private state (CUBIC's epoch, K, ...) */
} ln_tcp_cc;

#define LN_TCP_INFINITE_SSTHRESH 0x7fffffffu

/* CA events (Linux's tcp_ca_event). */
typedef enum { LN_CA_EVENT_TX_START, LN_CA_EVENT_CWND_RESTART, LN_CA_EVENT_LOSS } ln_ca_event;

/* Every hook is non-NULL (algorithms fill the ones they do not need with
 * no-ops), so the core calls them unconditionally. */
typedef struct ln_tcp_cc_ops {
    const char *name;
    /* Connection established (or cwnd reset): set up priv. */
    void (*init)(ln_tcp_cc *cc, ln_time now);
    /* A loss was detected (fast retransmit or RTO): return the new ssthresh.
     * The core then sets cwnd (PRR in recovery, 1 after RTO). */
    uint32_t (*ssthresh)(ln_tcp_cc *cc, ln_time now);
    /* `acked` segments of new data were ACKed while in Open/Disorder state:
     * grow cwnd (slow start below ssthresh, then the algorithm's rule). */
    void (*cong_avoid)(ln_tcp_cc *cc, uint32_t acked, ln_time now);
    /* Every ACK that advanced snd_una: acked segments and an RTT sample (0 if
     * none, Karn's rule applied by the core). */
    void (*pkts_acked)(ln_tcp_cc *cc, uint32_t acked, ln_time rtt, ln_time now);
    /* The core's ca_state changed (LOSS resets CUBIC's epoch). */
    void (*set_state)(ln_tcp_cc *cc, ln_ca_state state, ln_time now);
    void (*cwnd_event)(ln_tcp_cc *cc, ln_ca_event ev, ln_time now);
    /* cwnd to restore when a loss proves spurious (undo): Linux's
     * tcp_reno_undo_cwnd, max(cwnd, cwnd when ssthresh() was last called),
     * for all three. */
    uint32_t (*undo_cwnd)(ln_tcp_cc *cc);
    /* RFC 6582 partial-ACK handling in fast recovery without SACK: true for
     * newreno, false for reno (which leaves recovery on the first new ACK). */
    bool newreno;
} ln_tcp_cc_ops;

/* "reno", "newreno", "cubic"; NULL if unknown. */
const ln_tcp_cc_ops *ln_tcp_cc_find(const char *name);
/* Space-separated list of known names, for error messages. */
const char *ln_tcp_cc_names(void);

/* Shared by the algorithms (Linux's tcp_slow_start / tcp_cong_avoid_ai):
 * slow start returns the acked segments left over once cwnd reaches
 * ssthresh; AI adds 1 segment per w segments ACKed. */
uint32_t ln_tcp_slow_start(ln_tcp_cc *cc, uint32_t acked);
void ln_tcp_cong_avoid_ai(ln_tcp_cc *cc, uint32_t w, uint32_t acked);
/* Linux's tcp_is_cwnd_limited: may cwnd grow on this ACK?  True unless
 * app-limited; in slow start also while cwnd < 2 * in_flight. */
bool ln_tcp_is_cwnd_limited(const ln_tcp_cc *cc);
static inline bool ln_tcp_in_slow_start(const ln_tcp_cc *cc) { return cc->cwnd < cc->ssthresh; }

/* The algorithms, for the registry and for tests. */
extern const ln_tcp_cc_ops ln_tcp_cc_reno, ln_tcp_cc_newreno, ln_tcp_cc_cubic;

#endif
