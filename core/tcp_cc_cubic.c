/* tcp_cc_cubic.c - "cubic": a port of Linux 6.x's net/ipv4/tcp_cubic.c
 * (CUBIC with HyStart), the default congestion control of Linux.
 *
 * Place in the call chain: tcp_ack.c ACK processing -> ops->pkts_acked
 * (RTT samples: delay_min, HyStart) -> ops->cong_avoid (growth); loss
 * detection -> ops->ssthresh; ca_state changes -> ops->set_state; the
 * first send after idle -> ops->cwnd_event(TX_START).
 *
 * Read: RFC 9438 (CUBIC), the HyStart paper (Ha and Rhee, "Taming the
 * Elephants: New TCP Slow Start", 2011), and Linux's tcp_cubic.c, whose
 * integer arithmetic is kept as is so that cwnd evolves exactly like
 * Linux's.  Where Linux and RFC 9438 agree and where they part:
 *   - W_cubic(t) = C * (t - K)^3 + W_max (RFC 9438 4.2, eq. 1) with
 *     K = cbrt((W_max - cwnd_epoch) / C) (eq. 2): both; C = 0.4 is
 *     bic_scale 41/1024 * 10, t and K in 1/1024 s.
 *   - The target: the RFC evaluates W_cubic(t + RTT) with the smoothed
 *     RTT and clamps it to [cwnd, 1.5 cwnd] (4.2).  Linux uses t +
 *     delay_min (the minimum RTT), lets a target below cwnd still grow
 *     cwnd by 1 per 100 * cwnd ACKs, and caps growth at 1.5x per RTT
 *     through cnt >= 2.  Before the first loss (W_max = 0) Linux also
 *     grows at least 5% per RTT (cnt <= 20), which the RFC does not have.
 *   - Reno-friendly region (4.3): both estimate W_est with alpha =
 *     3(1 - beta)/(1 + beta) (Linux: one segment per cwnd * 15/8 ACKed
 *     segments, beta_scale = 15); the RFC switches alpha to 1 once W_est
 *     reaches W_max, Linux never does.
 *   - Multiplicative decrease (4.6): beta = 0.7 (717/1024) in both; the
 *     RFC multiplies the flight size, Linux multiplies cwnd, min 2.
 *   - Fast convergence (4.7): W_max = cwnd * (1 + beta) / 2 when cwnd is
 *     below the previous W_max: both.
 *   - Timeout (4.8): Linux resets all of CUBIC's state on entering Loss.
 *   - Spurious losses (4.9): undo to max(cwnd, prior cwnd) (Linux's
 *     tcp_reno_undo_cwnd); the RFC also restores W_max and K, Linux not.
 *   - Slow start (4.10): the RFC suggests HyStart++ (RFC 9406); Linux
 *     runs the original HyStart (ACK train and delay increase), which is
 *     what is here.
 *   - Application-limited idle (RFC 9438 5.8): Linux shifts epoch_start
 *     by the idle time on TX_START, so the curve resumes where it was.
 *
 * Time.  Linux measures the epoch in jiffies and RTTs in microseconds.
 * Both are derived here from the virtual time `now`: jiffies at HZ = 250
 * (the reference kernel's CONFIG_HZ, also Debian's), so the curve is
 * quantised to 4 ms steps and cnt is recomputed at most once per jiffy,
 * exactly as on the reference machine.  Jiffies start at 1, not at
 * Linux's INITIAL_JIFFIES, so the "epoch_start == 0 means no epoch"
 * convention never collides with a real time. */
#include "tcp_cc.h"

#include <stddef.h>
#include <string.h>

#define BICTCP_BETA_SCALE 1024u          /* beta is in 1/1024 */
#define BICTCP_HZ         10             /* t and K in 1/2^10 s */
#define HZ                250u
#define JIFFY             (LN_SEC / HZ)
#define BETA              717u           /* 0.7 (RFC 9438 4.6) */
#define BIC_SCALE         41u            /* C = 41 * 10 / 1024 = 0.4 (RFC 9438 5) */
#define FAST_CONVERGENCE  1
#define TCP_FRIENDLINESS  1
#define HYSTART           1
#define HYSTART_ACK_TRAIN 0x1
#define HYSTART_DELAY     0x2
#define HYSTART_DETECT    (HYSTART_ACK_TRAIN | HYSTART_DELAY)
#define HYSTART_LOW_WINDOW   16u         /* no HyStart below 16 segments */
#define HYSTART_ACK_DELTA_US 2000        /* ACKs closer than this form a train */
#define HYSTART_MIN_SAMPLES  8           /* RTT samples per round for the delay test */
#define HYSTART_DELAY_MIN    4000u       /* delay threshold bounds, us */
#define HYSTART_DELAY_MAX    16000u
#define GSO_MAX_SIZE      65536u         /* sk_gso_max_size with software GSO */

/* Linux's precomputed scale factors (cubictcp_register). */
#define CUBE_RTT_SCALE    (BIC_SCALE * 10u)                       /* 1024 * C */
#define BETA_SCALE        (8u * (BICTCP_BETA_SCALE + BETA) / 3u / (BICTCP_BETA_SCALE - BETA))
#define CUBE_FACTOR       ((1ull << (10 + 3 * BICTCP_HZ)) / (BIC_SCALE * 10u))   /* 2^40 / (1024 C) */

/* Linux's struct bictcp, plus prior_cwnd (tcp_sock's, for undo). */
typedef struct cubic {
    uint32_t cnt;              /* increase cwnd by 1 after cnt ACKed segments */
    uint32_t last_max_cwnd;    /* W_max */
    uint32_t last_cwnd;        /* cwnd when cnt was last computed */
    uint32_t last_time;        /* jiffies, same */
    uint32_t bic_origin_point; /* the plateau the curve is centred on */
    uint32_t bic_K;            /* time from the epoch start to the plateau, 1/1024 s */
    uint32_t delay_min;        /* min RTT, us */
    uint32_t epoch_start;      /* jiffies; 0: no epoch */
    uint32_t ack_cnt;          /* segments ACKed, for the Reno estimate */
    uint32_t tcp_cwnd;         /* W_est, the Reno-friendly estimate */
    /* bictcp_reset clears everything above this line */
    uint8_t sample_cnt;        /* HyStart: RTT samples this round */
    uint8_t found;             /* HyStart: exit point found */
    uint32_t round_start;      /* HyStart: us */
    uint32_t end_seq;          /* HyStart: the round ends when snd_una passes it */
    uint32_t last_ack;         /* HyStart: us, last ACK of the current train */
    uint32_t curr_rtt;         /* HyStart: min RTT of this round, us */
    uint32_t prior_cwnd;
} cubic;

_Static_assert(sizeof(cubic) <= sizeof(((ln_tcp_cc *)0)->priv), "cubic state fits in priv");

/* priv is uint64_t[]: copy in and out rather than alias it. */
static cubic load(const ln_tcp_cc *cc)
{
    cubic ca;
    memcpy(&ca, cc->priv, sizeof ca);
    return ca;
}

static void store(ln_tcp_cc *cc, const cubic *ca)
{
    memcpy(cc->priv, ca, sizeof *ca);
}

static uint32_t jiffies(ln_time t) { return (uint32_t)(t / JIFFY) + 1u; }
static uint32_t clock_us(ln_time t) { return (uint32_t)(t / LN_USEC); }
/* usecs_to_jiffies rounds up. */
static uint32_t us_to_jiffies(uint32_t us) { return (uint32_t)(((uint64_t)us + 1000000u / HZ - 1) / (1000000u / HZ)); }

static void bictcp_reset(cubic *ca)
{
    memset(ca, 0, offsetof(cubic, sample_cnt));
    ca->found = 0;
}

static void hystart_reset(cubic *ca, const ln_tcp_cc *cc, ln_time now)
{
    ca->round_start = ca->last_ack = clock_us(now);
    ca->end_seq = cc->snd_nxt;
    ca->curr_rtt = ~0u;
    ca->sample_cnt = 0;
}

static void cubic_init(ln_tcp_cc *cc, ln_time now)
{
    cubic ca;
    memset(&ca, 0, sizeof ca);
    bictcp_reset(&ca);
    if (HYSTART) hystart_reset(&ca, cc, now);
    /* initial_ssthresh is 0 by default: ssthresh stays as the core set it. */
    store(cc, &ca);
}

static void cubic_cwnd_event(ln_tcp_cc *cc, ln_ca_event ev, ln_time now)
{
    if (ev != LN_CA_EVENT_TX_START) return;
    cubic ca = load(cc);
    uint32_t j = jiffies(now);
    int32_t delta = (int32_t)(j - jiffies(cc->lsndtime));
    /* Idle (application limited) for a while: shift the epoch so the
     * growth resumes on the cubic curve where it left off. */
    if (ca.epoch_start && delta > 0) {
        ca.epoch_start += (uint32_t)delta;
        if ((int32_t)(ca.epoch_start - j) > 0) ca.epoch_start = j;
    }
    store(cc, &ca);
}

static uint32_t fls64(uint64_t a)
{
    uint32_t b = 0;
    while (a) {
        b++;
        a >>= 1;
    }
    return b;
}

/* Linux's cubic_root: a table lookup for the top bits, then one
 * Newton-Raphson step; average error about 0.2%. */
static uint32_t cubic_root(uint64_t a)
{
    /* For x in [0..63]: v = cbrt(x << 18) - 1, cbrt(x) = (v[x] + 10) >> 6 */
    static const uint8_t v[] = {
        /* 0x00 */    0,   54,   54,   54,  118,  118,  118,  118,
        /* 0x08 */  123,  129,  134,  138,  143,  147,  151,  156,
        /* 0x10 */  157,  161,  164,  168,  170,  173,  176,  179,
        /* 0x18 */  181,  185,  187,  190,  192,  194,  197,  199,
        /* 0x20 */  200,  202,  204,  206,  209,  211,  213,  215,
        /* 0x28 */  217,  219,  221,  222,  224,  225,  227,  229,
        /* 0x30 */  231,  232,  234,  236,  237,  239,  240,  242,
        /* 0x38 */  244,  245,  246,  248,  250,  251,  252,  254,
    };
    uint32_t b = fls64(a);
    if (b < 7) return ((uint32_t)v[(uint32_t)a] + 35) >> 6;
    b = ((b * 84) >> 8) - 1;
    uint32_t shift = (uint32_t)(a >> (b * 3));
    uint32_t x = ((uint32_t)(((uint32_t)v[shift] + 10) << b)) >> 6;
    /* x' = (2x + a / x^2) / 3, with x(x - 1) for x^2 and 341/1024 for 1/3 */
    x = 2 * x + (uint32_t)(a / ((uint64_t)x * (uint64_t)(x - 1)));
    return (x * 341) >> 10;
}

/* Linux's bictcp_update: compute cnt, the number of ACKed segments per
 * one-segment increase, from the cubic curve (RFC 9438 4.2, 4.4, 4.5)
 * and the Reno-friendly estimate (4.3). */
static void bictcp_update(cubic *ca, uint32_t cwnd, uint32_t acked, ln_time now)
{
    uint32_t j = jiffies(now);
    ca->ack_cnt += acked;

    if (ca->last_cwnd == cwnd && (int32_t)(j - ca->last_time) <= (int32_t)(HZ / 32)) return;

    /* At most once per jiffy; a reduction (epoch_start = 0) forces it. */
    if (ca->epoch_start && j == ca->last_time) goto tcp_friendliness;

    ca->last_cwnd = cwnd;
    ca->last_time = j;

    if (ca->epoch_start == 0) {
        ca->epoch_start = j;               /* record the beginning of an epoch */
        ca->ack_cnt = acked;
        ca->tcp_cwnd = cwnd;               /* W_est starts at cwnd_epoch (4.3) */
        if (ca->last_max_cwnd <= cwnd) {
            ca->bic_K = 0;
            ca->bic_origin_point = cwnd;
        } else {
            /* K = cbrt((W_max - cwnd) / C), eq. 2, in 1/1024 s */
            ca->bic_K = cubic_root(CUBE_FACTOR * (ca->last_max_cwnd - cwnd));
            ca->bic_origin_point = ca->last_max_cwnd;
        }
    }

    /* t = elapsed + min RTT, in 1/1024 s: the target is where the curve
     * will be one RTT from now. */
    uint64_t t = (uint64_t)(int64_t)(int32_t)(j - ca->epoch_start);
    t += us_to_jiffies(ca->delay_min);
    t <<= BICTCP_HZ;
    t /= HZ;

    uint64_t offs = t < ca->bic_K ? ca->bic_K - t : t - ca->bic_K;
    /* C * (t - K)^3; no overflow below about 340 s from the plateau */
    uint32_t delta = (uint32_t)((CUBE_RTT_SCALE * offs * offs * offs) >> (10 + 3 * BICTCP_HZ));
    uint32_t bic_target = t < ca->bic_K ? ca->bic_origin_point - delta : ca->bic_origin_point + delta;

    if (bic_target > cwnd) ca->cnt = cwnd / (bic_target - cwnd);
    else ca->cnt = 100 * cwnd;             /* very small increment */

    /* Before the first loss the available bandwidth is unknown: grow at
     * least 5% per RTT. */
    if (ca->last_max_cwnd == 0 && ca->cnt > 20) ca->cnt = 20;

tcp_friendliness:
    if (TCP_FRIENDLINESS) {
        /* W_est grows one segment per cwnd * 15/8 segments ACKed. */
        uint32_t d = (cwnd * BETA_SCALE) >> 3;
        if (!d) d = 1;                     /* cwnd 0 cannot happen; never loop forever */
        while (ca->ack_cnt > d) {
            ca->ack_cnt -= d;
            ca->tcp_cwnd++;
        }
        if (ca->tcp_cwnd > cwnd) {         /* CUBIC is slower than Reno */
            uint32_t max_cnt = cwnd / (ca->tcp_cwnd - cwnd);
            if (ca->cnt > max_cnt) ca->cnt = max_cnt;
        }
    }

    /* At most 1 segment per 2 ACKed: 1.5x per RTT (RFC 9438 4.2's cap). */
    if (ca->cnt < 2) ca->cnt = 2;
}

static void cubic_cong_avoid(ln_tcp_cc *cc, uint32_t acked, ln_time now)
{
    if (!ln_tcp_is_cwnd_limited(cc)) return;
    if (ln_tcp_in_slow_start(cc)) {
        acked = ln_tcp_slow_start(cc, acked);
        if (!acked) return;
    }
    cubic ca = load(cc);
    bictcp_update(&ca, cc->cwnd, acked, now);
    store(cc, &ca);
    ln_tcp_cong_avoid_ai(cc, ca.cnt, acked);
}

/* RFC 9438 4.6 and 4.7. */
static uint32_t cubic_ssthresh(ln_tcp_cc *cc, ln_time now)
{
    cubic ca = load(cc);
    uint32_t cwnd = cc->cwnd;
    ca.epoch_start = 0;                    /* end of epoch */
    /* Fast convergence: release bandwidth for a newer flow. */
    if (cwnd < ca.last_max_cwnd && FAST_CONVERGENCE)
        ca.last_max_cwnd = (cwnd * (BICTCP_BETA_SCALE + BETA)) / (2 * BICTCP_BETA_SCALE);
    else
        ca.last_max_cwnd = cwnd;
    ca.prior_cwnd = cwnd;
    store(cc, &ca);
    uint32_t s = (cwnd * BETA) / BICTCP_BETA_SCALE;
    return s > 2 ? s : 2;
}

static void cubic_set_state(ln_tcp_cc *cc, ln_ca_state state, ln_time now)
{
    if (state != LN_CA_LOSS) return;
    cubic ca = load(cc);
    bictcp_reset(&ca);
    hystart_reset(&ca, cc, now);
    store(cc, &ca);
}

/* Linux's hystart_ack_delay: slack for TSO/GRO batching, the time to send
 * 4 GSO-sized bursts at the pacing rate, at most 1 ms.  The pacing rate is
 * tcp_update_pacing_rate's: 200% of cwnd * mss / srtt in the first half
 * of slow start, 120% after. */
static uint32_t hystart_ack_delay(const ln_tcp_cc *cc)
{
    if (!cc->srtt) return 0;               /* Linux: pacing rate still ~0 -> 0 */
    uint64_t srtt8 = cc->srtt * 8 / LN_USEC;          /* tcp_sock's srtt_us, << 3 */
    if (!srtt8) srtt8 = 1;
    uint32_t ratio = cc->cwnd < cc->ssthresh / 2 ? 200u : 120u;
    uint32_t pkts = cc->cwnd > cc->in_flight ? cc->cwnd : cc->in_flight;
    uint64_t rate = (uint64_t)cc->mss * ((1000000u / 100u) << 3) * ratio * pkts / srtt8;
    if (!rate) return 0;
    uint64_t d = (uint64_t)GSO_MAX_SIZE * 4u * 1000000u / rate;
    return d < 1000u ? (uint32_t)d : 1000u;
}

static void hystart_update(cubic *ca, ln_tcp_cc *cc, uint32_t delay, ln_time now)
{
    if (ln_seq_gt(cc->snd_una, ca->end_seq)) hystart_reset(ca, cc, now);

    /* HyStart triggers only above a minimum window. */
    if (cc->cwnd < HYSTART_LOW_WINDOW) return;

    if (HYSTART_DETECT & HYSTART_ACK_TRAIN) {
        uint32_t t = clock_us(now);
        /* ACK train: closely spaced ACKs reaching past delay_min / 2 since
         * the round began mean the pipe is full.  Halved because there is
         * no fq pacing (sk_pacing_status == SK_PACING_NONE). */
        if ((int32_t)(t - ca->last_ack) <= HYSTART_ACK_DELTA_US) {
            ca->last_ack = t;
            uint32_t threshold = (ca->delay_min + hystart_ack_delay(cc)) >> 1;
            if (t - ca->round_start > threshold) {
                ca->found = 1;
                cc->ssthresh = cc->cwnd;
            }
        }
    }

    if (HYSTART_DETECT & HYSTART_DELAY) {
        /* Delay increase: the round's minimum RTT over 8 samples exceeds
         * delay_min by delay_min / 8, clamped to [4, 16] ms. */
        if (ca->curr_rtt > delay) ca->curr_rtt = delay;
        if (ca->sample_cnt < HYSTART_MIN_SAMPLES) {
            ca->sample_cnt++;
        } else {
            uint32_t th = ca->delay_min >> 3;
            if (th < HYSTART_DELAY_MIN) th = HYSTART_DELAY_MIN;
            if (th > HYSTART_DELAY_MAX) th = HYSTART_DELAY_MAX;
            if (ca->curr_rtt > ca->delay_min + th) {
                ca->found = 1;
                cc->ssthresh = cc->cwnd;
            }
        }
    }
}

static void cubic_pkts_acked(ln_tcp_cc *cc, uint32_t acked, ln_time rtt, ln_time now)
{
    if (!rtt) return;                      /* no sample (Karn, or a duplicate) */
    cubic ca = load(cc);
    /* Discard delay samples right after fast recovery. */
    if (ca.epoch_start && (int32_t)(jiffies(now) - ca.epoch_start) < (int32_t)HZ) return;

    uint64_t us = rtt / LN_USEC;
    uint32_t delay = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
    if (!delay) delay = 1;
    if (ca.delay_min == 0 || ca.delay_min > delay) ca.delay_min = delay;

    if (!ca.found && ln_tcp_in_slow_start(cc) && HYSTART) hystart_update(&ca, cc, delay, now);
    store(cc, &ca);
}

static uint32_t cubic_undo_cwnd(ln_tcp_cc *cc)
{
    cubic ca = load(cc);
    return cc->cwnd > ca.prior_cwnd ? cc->cwnd : ca.prior_cwnd;
}

const ln_tcp_cc_ops ln_tcp_cc_cubic = {
    .name = "cubic",
    .init = cubic_init,
    .ssthresh = cubic_ssthresh,
    .cong_avoid = cubic_cong_avoid,
    .pkts_acked = cubic_pkts_acked,
    .set_state = cubic_set_state,
    .cwnd_event = cubic_cwnd_event,
    .undo_cwnd = cubic_undo_cwnd,
    .newreno = false,
};
