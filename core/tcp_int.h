/* tcp_int.h - inside the TCP stack: the control block and the contracts
 * between the files that implement it.  Users include tcp.h only.
 *
 *   tcp.c         the user calls and a socket's life: birth (connect, a
 *                 passive open's child), state changes, notifications,
 *                 events, the end; the per-node stack
 *   tcp_table.c   connection, listener and bind tables, bind rules,
 *                 ephemeral ports, ISNs and TS offsets
 *   tcp_opt.c     node settings, socket options, tcp_info, ss counts
 *   tcp_in.c      ln_tcp_input (IP handler) -> parse -> demux ->
 *                 ln_tcp_listen_input | ln_tcp_process: RFC 9293 3.10.7
 *                 in the RFC's order, one function per step; TIME_WAIT
 *   tcp_ack.c     the fifth step for ESTABLISHED and on: ACK range, send
 *                 window, RTT samples, SACK, loss recovery, PRR, cwnd
 *   tcp_rcv.c     the seventh and eighth steps: receive and OFO queues,
 *                 FIN, delayed / quick / compressed ACKs, DRS
 *   tcp_win.c     window and MSS arithmetic, one function per quantity
 *   tcp_out.c     ln_tcp_output: the one function that decides what to send
 *                 next (retransmissions in recovery, new data under cwnd,
 *                 receive window and Nagle, FIN); control segments (ACK,
 *                 RST, SYN, probes)
 *   tcp_timer.c   retransmission (RFC 6298), SYN retries, persist,
 *                 delayed ACK, keepalive, FIN_WAIT_2, TIME_WAIT
 *   tcp_listen.c  SYN queue (request sockets), accept queue; when SYN
 *                 cookies are used
 *   tcp_cookie.c  SYN cookies: making and checking them, the TSval that
 *                 carries the options
 *   tcp_icmp.c    ICMP errors about our segments (path MTU, unreachables)
 *   tcp_wire.c    header and option parsing and building
 *   tcp_buf.c     rings and the out-of-order queue
 *   tcp_sack.c    the sender's scoreboard, RFC 6675
 *   tcp_rack.c    RACK-TLP (RFC 8985): per-segment loss marking by time,
 *                 the reordering timer, tail-loss probes
 *   tcp_undo.c    undoing spurious retransmissions (D-SACK, Eifel) and
 *                 F-RTO (RFC 5682)
 *   tcp_cc*.c     congestion control algorithms
 *
 * Sockets in SYN_RCVD from a passive open are not full sockets: like
 * Linux's request socks, they are small ln_tcp_req entries owned by
 * tcp_listen.c until the handshake's ACK arrives; then ln_tcp_child_new()
 * makes the full socket.  A full socket is in SYN_RCVD only after a
 * simultaneous open. */
#ifndef LN_TCP_INT_H
#define LN_TCP_INT_H

#include <stdbool.h>
#include <stdint.h>
#include "icmp.h"
#include "node.h"
#include "sim.h"
#include "tcp.h"
#include "tcp_buf.h"
#include "tcp_cc.h"
#include "tcp_sack.h"
#include "tcp_wire.h"
#include "trace.h"

typedef struct ln_tcp_stack ln_tcp_stack;
typedef struct ln_tcp_req ln_tcp_req;

/* Which job the retransmission timer is doing: Linux's icsk_pending
 * (ICSK_TIME_RETRANS, ICSK_TIME_PROBE0, ICSK_TIME_LOSS_PROBE,
 * ICSK_TIME_REO_TIMEOUT share one timer there too). */
typedef enum { LN_RTX_NONE, LN_RTX_RTO, LN_RTX_PERSIST, LN_RTX_PROBE, LN_RTX_REO } ln_rtx_kind;
/* Which job the keepalive timer is doing (LN_KEEP_FREE: a released socket
 * is freed from a zero-delay timer, so nothing on the current call stack
 * still points at it). */
typedef enum { LN_KEEP_NONE, LN_KEEP_ALIVE, LN_KEEP_FIN_WAIT_2, LN_KEEP_TIME_WAIT,
               LN_KEEP_FREE } ln_keep_kind;

/* Socket flags. */
#define LN_TF_ORPHAN      0x0001u  /* user closed it: the stack frees it at CLOSED */
#define LN_TF_REUSEADDR   0x0002u
#define LN_TF_NODELAY     0x0004u
#define LN_TF_KEEPALIVE   0x0008u
#define LN_TF_LINGER0     0x0010u
#define LN_TF_SHUT_RD     0x0020u  /* user will not read */
#define LN_TF_SHUT_WR     0x0040u  /* user will not write: FIN queued after the data */
#define LN_TF_FIN_SENT    0x0080u  /* our FIN has a sequence number (snd_max counts it) */
#define LN_TF_RCVD_FIN    0x0100u  /* peer's FIN consumed into rcv_nxt */
#define LN_TF_TS          0x0200u  /* timestamps negotiated */
#define LN_TF_SACK        0x0400u  /* SACK negotiated */
#define LN_TF_WSCALE      0x0800u  /* window scaling negotiated */
#define LN_TF_RCVBUF_LOCK 0x1000u  /* SO_RCVBUF set: no autotuning, wscale from it */
#define LN_TF_SNDBUF_LOCK 0x2000u
#define LN_TF_PINGPONG    0x4000u  /* interactive: delay ACKs (Linux icsk_ack.pingpong) */
#define LN_TF_HASHED      0x8000u  /* in the connection hash */
#define LN_TF_BOUND      0x10000u  /* in the bind hash */
#define LN_TF_LISTENING  0x20000u  /* in the listener table */
#define LN_TF_DSACK      0x40000u  /* next ACK carries a D-SACK block (dsack[]) */
#define LN_TF_FROM_COOKIE 0x80000u /* created from a SYN cookie */
#define LN_TF_PORT_AUTO  0x100000u /* port chosen by connect(): others may share it */
#define LN_TF_DEAD       0x200000u /* released and CLOSED: waiting to be freed */
#define LN_TF_PASSIVE    0x400000u /* came from a listener (RFC 9293: passive OPEN) */
#define LN_TF_CORK       0x800000u /* TCP_CORK: only full segments (and a FIN) go */
#define LN_TF_CONNECTED 0x1000000u /* CONNECTED was reported (active open done) */
#define LN_TF_NOSPACE   0x2000000u /* a send found the buffer full: WRITABLE when room */
#define LN_TF_OFO_FIN   0x4000000u /* a FIN is waiting at ofo_fin_seq */
#define LN_TF_PROBE_RTX 0x8000000u /* a tail-loss probe is resending: no copy counted in retrans_out */
#define LN_TF_V6       0x10000000u /* an IPv6 socket: s->v6 holds its addresses */
#define LN_TF_V6ONLY   0x20000000u /* IPV6_V6ONLY: a socket on :: takes no IPv4 */
#define LN_TF_CC_INIT  0x40000000u /* init_transfer ran without xf: the algorithm starts with xf */

/* Sizes with Linux's names (include/net/tcp.h). */
#define LN_TCP_MIN_MSS        88u   /* TCP_MIN_MSS: the smallest MSS we use */
#define LN_TCP_MSS_DEFAULT   536u   /* TCP_MSS_DEFAULT, RFC 9293 3.7.1 */
#define LN_TCPOLEN_TS_ALIGNED 12u   /* TCPOLEN_TSTAMP_ALIGNED: the TS option, padded */
#define LN_TCP_SOCK_MIN_RCVBUF 2304u /* SOCK_MIN_RCVBUF: one 2048-byte skb and its sk_buff */

/* Delayed-ACK engine state, Linux's icsk_ack.pending. */
#define LN_ACK_SCHED   0x01u       /* an ACK is owed */
#define LN_ACK_TIMER   0x02u       /* the delayed-ACK timer is armed for it */
#define LN_ACK_PUSHED  0x04u       /* a small pushed segment arrived */
#define LN_ACK_PUSHED2 0x08u       /* ... twice */
#define LN_ACK_NOW     0x10u       /* send it at once (one-shot) */
#define LN_ACK_COMP    0x20u       /* the timer is the SACK-compression one */

/* One segment of new data in flight, in sequence order: what Linux keeps
 * in each skb of its retransmission queue.  Its send time gives the RTT
 * samples (tcp_clean_rtx_queue) and RACK's clock (RFC 8985 5.2); its
 * flags are Linux's TCPCB_* "sacked" bits, and the socket's sacked_out,
 * lost_out and retrans_out count them (SACK connections; without SACK
 * lost_out and retrans_out are NewReno's counts of the head). */
typedef struct ln_tcp_txts {
    ln_seq end;                     /* sequence number after the segment */
    uint32_t rtx : 1;               /* retransmitted since (Karn: no sample;
                                     * TCPCB_EVER_RETRANS) */
    uint32_t psh : 1;               /* it carried PSH: so do its retransmissions */
    uint32_t sacked : 1;            /* TCPCB_SACKED_ACKED */
    uint32_t lost : 1;              /* TCPCB_LOST: marked lost, to be resent */
    uint32_t retrans : 1;           /* TCPCB_SACKED_RETRANS: a resent copy is in flight */
    uint32_t ever : 1;              /* TCPCB_EVER_RETRANS: really sent again */
    ln_time t;                      /* last (re)transmission */
} ln_tcp_txts;

/* RACK-TLP state (RFC 8985 5.2 and 7; Linux's tp->rack, tlp_*, undo_*,
 * frto).  Times are virtual, RTTs in us as Linux keeps them. */
typedef struct ln_tcp_rack {
    ln_time xmit_ts;                /* RACK.xmit_ts: latest send time delivered */
    ln_seq end_seq;                 /* RACK.end_seq */
    uint32_t rtt_us;                /* RACK.rtt */
    ln_seq reo_seq;                 /* SND.MAX when reo_wnd last grew (rack.last_delivered) */
    ln_seq tlp_high_seq;            /* TLP.end_seq: SND.NXT when the probe left */
    ln_seq undo_marker;             /* SND.UNA when the reduction began (valid: undo_on) */
    int32_t undo_retrans;           /* retransmissions not yet D-SACKed (-1: none sent) */
    uint32_t undo_tsval;            /* TSval of the episode's first retransmission */
    uint8_t reo_steps;              /* RACK.reo_wnd_mult */
    uint8_t reo_persist;            /* RACK.reo_wnd_persist */
    uint8_t reord_seen;             /* reordering events seen (tp->reord_seen, capped) */
    uint8_t advanced : 1;           /* RACK.xmit_ts moved: look for losses */
    uint8_t dsack_seen : 1;         /* a D-SACK arrived since reo_wnd last changed */
    uint8_t tlp_on : 1;             /* a probe is out (tlp_high_seq valid) */
    uint8_t tlp_retrans : 1;        /* ... and it was a retransmission */
    uint8_t undo_on : 1;            /* undo_marker valid */
    uint8_t frto : 1;               /* F-RTO in progress (RFC 5682 3.1) */
    uint8_t frto_new : 1;           /* F-RTO step 2b: send new data next */
    uint8_t undo_ts_on : 1;         /* undo_tsval valid */
} ln_tcp_rack;

/* What only a connection that moves data, recovers from loss or listens
 * needs: the congestion and loss-recovery state, the buffers and the
 * send-time records, the receiver's RTT and SACK-compression state, the
 * accept queue, the byte counters.  Like Linux's request and timewait
 * socks, which keep a half-open and a closing connection small, this
 * keeps an idle one small: a million established connections that never
 * send a byte hold none of it.  It is made on first use (ln_tcp_xfer_get:
 * the first byte queued or received, a FIN, an ACK past the handshake,
 * listen()) and lives as long as the socket, since what it holds (cwnd,
 * CUBIC's epoch, RACK's reordering window, the counters) outlives idle
 * periods on Linux too.  Until it exists every field reads as what it
 * would hold: xfer_new (tcp.c) makes it from the socket's own fields
 * (see there), and the readers that may run without it (the handshake,
 * an idle connection's ACKs and RSTs, tcp_info) take the defaults. */
typedef struct ln_tcp_xfer {
    /* Congestion control and loss recovery. */
    ln_tcp_cc cc;
    uint32_t dupacks;
    ln_seq high_seq;                /* recovery point (RFC 6582 "recover") */
    uint32_t prr_delivered, prr_out;               /* RFC 6937 PRR */
    uint32_t prior_cwnd, prior_ssthresh;           /* for undo */
    uint32_t retrans_out, lost_out; /* segments */
    uint32_t sacked_out;            /* segments (SACK: txq entries SACKed) */
    ln_tcp_rack rack;
    ln_tcp_sb *sb;                  /* SACK scoreboard, allocated on first use */
    struct ln_tcp_txts *txq;        /* send times of segments in flight (RTT samples) */
    uint32_t txq_head, txq_len, txq_cap;

    /* Buffers. */
    ln_ring snd;                    /* bytes from SND.UNA on (SYN/FIN excluded) */
    ln_ring rcv;                    /* in-order bytes not read yet */
    ln_tcp_ofo ofo;
    ln_tcp_sackblk dsack;           /* D-SACK block to report once (RFC 2883) */
    ln_seq ofo_fin_seq;             /* sequence number of a FIN that came out of order */

    /* The receiver's RTT (tcp_rcv_rtt_est), for DRS. */
    uint32_t rcv_rtt_us;            /* estimate x8 */
    ln_seq rcv_rtt_seq;             /* ... without timestamps: the segment timed */
    ln_time rcv_rtt_time;

    /* SACK compression (out-of-order data only). */
    uint8_t dup_ack_counter;        /* immediate dupacks so far */
    uint8_t compressed_ack;         /* ACKs held back */
    ln_seq compressed_ack_rcv_nxt;  /* RCV.NXT the dupacks are for */

    ln_timer t_delack;              /* delayed ACK, compressed SACK: only data arms it */

    /* Listening. */
    ln_tcp_sock *acc_head, *acc_tail;   /* accept queue */
    uint32_t acc_len, backlog;
    uint32_t syn_qlen;              /* requests of this listener (tcp_listen.c) */

    /* Statistics (tcp_info). */
    uint64_t bytes_acked, bytes_received, bytes_sent, bytes_retrans;
    uint32_t data_segs_out, data_segs_in;
} ln_tcp_xfer;

/* A link in a bucket's chain, the first member of what the chain holds
 * (a connection, a request, a port), so that a bucket and a link point
 * at an entry alike.  pprev is the next that points here, NULL for the
 * chain's head, which the bucket points at with its filter bits: an
 * entry leaves in O(1), as from Linux's hlist_nulls, writing to its
 * neighbours but reading none of them (long cold in a large run).  See
 * ln_tcp_hl_push and ln_tcp_hl_del below. */
typedef struct ln_tcp_hl {
    struct ln_tcp_hl *next, **pprev;
} ln_tcp_hl;

/* The control block: what an idle connection needs, 512 bytes; the rest
 * is in xf.  The SACK scoreboard (272 bytes) is allocated the first time
 * SACK blocks arrive, the rings on the first byte. */
struct ln_tcp_sock {
    /* A lookup walks hl and compares the 4-tuple: both in the first
     * cache line, with the state (bench_scale's million connections set
     * up no faster for it on this machine: page faults dominate there). */
    ln_tcp_hl hl;                   /* connection-hash chain, or the listeners
                                     * (next alone: ln_tcp_listener_add) */
    uint32_t laddr, raddr;          /* host order; laddr 0 = any */
    uint16_t lport, rport;
    uint8_t state;                  /* ln_tcp_state */
    uint8_t ca_state;               /* ln_ca_state */
    uint8_t rtx_kind, keep_kind;
    ln_tcp_stack *st;
    ln_tcp_sock *bnext, **bpprev;   /* the other owners of its local port (ln_tcp_port):
                                     * unlinked in O(1), however many share it */
    struct ln_tcp_port *bport;      /* its local port's entry, while LN_TF_BOUND */
    ln_tcp_sock *prev, *next;       /* every socket of the stack */
    ln_tcp_sock *ev_next;           /* stack's list of sockets with held events */

    uint32_t flags;                 /* LN_TF_* */
    int16_t error;                  /* pending LN_E* */
    int16_t soft_error;             /* ICMP error kept for a timeout (sk_err_soft) */
    uint16_t ip_id;                 /* next IP ID: per socket, like Linux */
    uint8_t ev_pending;             /* LN_TCP_EV_* held until the batch ends */
    uint8_t ack_pending;            /* LN_ACK_* */

    /* Send sequence space (RFC 9293 3.3.1). */
    ln_seq iss;
    ln_seq snd_una;                 /* SND.UNA: oldest unacknowledged */
    ln_seq snd_nxt;                 /* SND.NXT: next to send (rewinds after RTO) */
    ln_seq snd_max;                 /* highest SND.NXT so far */
    ln_seq snd_wl1, snd_wl2;        /* SEG.SEQ / SEG.ACK of the last window update */
    uint32_t snd_wnd;               /* SND.WND, bytes, scaled */
    uint32_t max_window;            /* largest SND.WND seen (sender SWS, RFC 1122 4.2.3.4) */
    ln_seq snd_sml;                 /* end of the last small segment sent (Minshall's Nagle) */

    /* Receive sequence space. */
    ln_seq irs;
    ln_seq rcv_nxt;                 /* RCV.NXT */
    ln_seq rcv_wup;                 /* RCV.NXT when the window was last advertised */
    uint32_t rcv_wnd;               /* window last advertised, bytes */
    uint32_t rcv_ssthresh;          /* Linux's window growth limit */
    uint32_t window_clamp;          /* largest window we will ever offer */
    uint32_t rcvbuf, sndbuf;        /* sk_rcvbuf / sk_sndbuf, bytes (the rings' limits) */
    uint8_t scaling_ratio;          /* payload per buffer byte << 8 (tp->scaling_ratio) */
    uint8_t snd_wscale, rcv_wscale; /* shifts: peer's, ours */
    bool cwnd_limited;              /* the last window was cwnd-limited */
    ln_seq rcvq_seq;                /* DRS (tcp_rcv_space_adjust): bytes read at start */
    uint32_t rcvq_space;            /* DRS: bytes read in the last measured RTT */
    ln_time rcvq_time;

    /* Options. */
    uint16_t mss_cache;             /* payload bytes per full segment we send (minus TS) */
    uint16_t adv_mss;               /* MSS option we advertise (MTU - 40) */
    uint16_t peer_mss;              /* MSS option received (or base_mss) */
    uint16_t rcv_mss;               /* estimate of the peer's segment size */
    uint16_t user_mss;              /* TCP_MAXSEG, 0 if unset */
    uint16_t last_seg_size;         /* icsk_ack.last_seg_size */
    uint32_t ts_recent;             /* TS.Recent (RFC 7323 4.3) */
    ln_time ts_recent_stamp;        /* when ts_recent was updated (PAWS 24-day rule) */
    uint32_t ts_offset;             /* random per-connection TSval offset */
    uint32_t rcv_tsecr;             /* TSecr of the last segment (receiver RTT) */
    ln_seq cwnd_usage_seq;          /* Linux tcp_cwnd_validate: end of the window measured */

    /* Congestion control: the algorithm, and the cwnd its state starts
     * from when xf is made (the settings' initial_cwnd, or what
     * ln_tcp_init_transfer chose). */
    uint32_t init_cwnd;
    const ln_tcp_cc_ops *cc_ops;

    /* RTT and RTO (RFC 6298, with Linux's estimator). */
    ln_time srtt, rttvar, rto, min_rtt;
    ln_seq rtt_epoch;               /* Linux's tp->rtt_seq: one mdev_max per window */
    uint32_t mdev_us, mdev_max_us;  /* Linux's tcp_rtt_estimator state */
    uint32_t total_retrans;         /* tcp_info: SYN retransmissions count too */
    ln_time retrans_stamp;          /* when the head was first sent in this episode;
                                     * LN_NEVER when none (0 is a real time) */
    uint8_t backoff;                /* RTO doublings */
    uint8_t retransmits;            /* consecutive timeouts (SYN retries too) */
    uint8_t probes;                 /* unanswered persist/keepalive probes */
    uint8_t quick;                  /* quick ACKs left (Linux icsk_ack.quick) */
    uint32_t probes_tstamp_ms;      /* first zero-window probe of this stall, in
                                     * virtual ms; 0: none (icsk_probes_tstamp) */

    /* Timers (the delayed ACK's is in xf). */
    ln_timer t_rtx;                 /* RTO, SYN retries, persist */
    ln_timer t_keep;                /* keepalive, FIN_WAIT_2, TIME_WAIT, deferred free */
    ln_time ato;                    /* delayed-ACK timeout */
    ln_time lrcvtime, lsndtime;     /* last data received / sent (lsndtime: without
                                     * xf, when ln_tcp_init_transfer ran) */
    ln_time rcv_tstamp;             /* last acceptable ACK (keepalive idle time) */
    ln_time last_oow_ack;           /* last reply to an out-of-window segment */
    ln_time keepidle, keepintvl;
    uint32_t user_timeout_ms;       /* TCP_USER_TIMEOUT (icsk_user_timeout), 0: off */
    uint8_t keepcnt;

    /* A child: its listener and its link in the listener's accept queue,
     * until accepted. */
    ln_tcp_sock *listener, *acc_next;

    /* IPv6 (LN_TF_V6): the addresses, allocated with the family, so that
     * an IPv4 socket pays one pointer for it; laddr and raddr hold their
     * digests (ln_tcp6_fold). */
    ln_tcp6 *v6;
    ln_tcp_xfer *xf;                /* NULL until first used (see ln_tcp_xfer) */

    /* The user. */
    ln_tcp_notify_fn notify;
    void *notify_arg;

    uint32_t segs_out, segs_in;     /* tcp_info: the handshake's count */
    ln_ip_rcache rcache;            /* the route its segments take (sk_dst_cache) */
};

/* A bucket of the connection, request and bound-port tables: its chain's
 * first entry with a filter in the pointer's low bits, `bits` of them
 * (entries aligned to 2^bits bytes); bit k set when some entry in the
 * chain has ln_tcp_hb_bit k (tcp_table.c says why).  Connections and
 * requests have six bits (64-byte aligned), ports five. */
#define LN_TCP_HB_BITS 6u
static inline uintptr_t ln_tcp_hb_mask(unsigned bits) { return ((uintptr_t)1 << bits) - 1; }
static inline void *ln_tcp_hb_head(uintptr_t b, unsigned bits) { return (void *)(b & ~ln_tcp_hb_mask(bits)); }
/* One of the bits, from the top byte of h, which a bucket index does not
 * use (for tables up to 2^24 buckets). */
static inline uintptr_t ln_tcp_hb_bit(uint32_t h, unsigned bits)
{
    return (uintptr_t)1 << (((h >> 24) * bits) >> 8);
}
/* e becomes the chain's head (the caller has linked the old head behind
 * it), with its bit added; and a new head after the old one left, the
 * filter kept (a leaving entry's bit stays until the chain empties). */
static inline void ln_tcp_hb_push(uintptr_t *b, const void *e, uint32_t h, unsigned bits)
{
    *b = (uintptr_t)e | (*b & ln_tcp_hb_mask(bits)) | ln_tcp_hb_bit(h, bits);
}
static inline void ln_tcp_hb_behead(uintptr_t *b, const void *next, unsigned bits)
{
    /* A chain left empty (the usual case at a load of one) is a store
     * alone: no wait for a cold bucket's old bits. */
    if (!next) *b = 0;
    else *b = (uintptr_t)next | (*b & ln_tcp_hb_mask(bits));
}

/* e (hashed h) becomes the head of bucket b's chain. */
static inline void ln_tcp_hl_push(uintptr_t *b, ln_tcp_hl *e, uint32_t h, unsigned bits)
{
    ln_tcp_hl *old = ln_tcp_hb_head(*b, bits);
    e->next = old;
    e->pprev = NULL;
    if (old) old->pprev = &e->next;
    ln_tcp_hb_push(b, e, h, bits);
}

/* e leaves its chain.  b is its bucket, needed only when e is the head
 * (e->pprev NULL; pass NULL otherwise, and skip the hash).  The filter
 * keeps e's bit until the chain empties or the table doubles (the
 * others' bits would have to be read back). */
static inline void ln_tcp_hl_del(uintptr_t *b, ln_tcp_hl *e, unsigned bits)
{
    if (e->pprev) *e->pprev = e->next;
    else ln_tcp_hb_behead(b, e->next, bits);
    if (e->next) e->next->pprev = e->pprev;
    e->next = NULL;
    e->pprev = NULL;
}

/* The next socket in a chain (hl is a socket's first member). */
static inline ln_tcp_sock *ln_tcp_hnext(const ln_tcp_sock *s) { return (ln_tcp_sock *)s->hl.next; }

/* A node's TCP stack. */
struct ln_tcp_stack {
    ln_node *node;
    ln_tcp_cfg cfg;
    uintptr_t *ehash;               /* connections by 4-tuple (any state but LISTEN/CLOSED):
                                     * each bucket a chain's head with a filter in its
                                     * low bits (tcp_table.c) */
    uint32_t ehash_mask, n_conns;
    uintptr_t *bhash;               /* bound ports, each with its owners: filtered
                                     * buckets (tcp_table.c) */
    uint32_t bhash_mask, n_ports;
    struct ln_tcp_port *port_free;  /* emptied ports, reused: no malloc per connect */
    struct port_chunk *port_chunks; /* where ports come from (tcp_table.c) */
    uint32_t port_chunk_used;       /* of the first chunk */
    ln_tcp_hl *listeners;           /* LISTEN sockets, through hl.next */
    ln_tcp_sock *all;
    uintptr_t *rhash;               /* requests by 4-tuple, filtered buckets as
                                     * ehash's (tcp_listen.c) */
    uint32_t rhash_mask, n_reqs;
    uint64_t isn_key, ts_key, cookie_key[2];
    uint16_t port_hint;             /* where the ephemeral search starts */
    ln_time challenge_stamp;        /* per-second challenge ACK budget (RFC 5961 7) */
    uint32_t challenge_count;
    uint32_t n_socks, n_estab, n_tw, n_orphans;
    ln_icmp_sock *icmp;             /* ICMP errors about our segments */
    ln_rng rng;                     /* "tcp:<node>": keys, IP ID starts */
    uint32_t batch;                 /* nesting of input/timer/API calls */
    ln_tcp_sock *ev_head, *ev_tail; /* sockets with notifications held */
    char cc_name[sizeof ((ln_tcp_cfg *)0)->congestion];   /* cc_ops is for this setting */
    const ln_tcp_cc_ops *cc_ops;    /* (tcp.c, cc_default) */
};

static inline ln_tcp_stack *ln_tcp_stack_of(ln_node *n) { return n->tcp; }
static inline ln_time ln_tcp_now(const ln_tcp_sock *s) { return ln_net_now(s->st->node->net); }

/* What a request (or a SYN cookie) knows when it becomes a socket. */
typedef struct ln_tcp_req_params {
    uint32_t laddr, raddr;
    const ln_tcp6 *v6;              /* IPv6 addresses (copied), NULL: IPv4 */
    uint16_t lport, rport;
    ln_seq iss, irs;
    uint16_t peer_mss;
    int8_t snd_wscale;              /* peer's shift, -1: no window scaling */
    uint8_t rcv_wscale;             /* ours, as sent in the SYN-ACK */
    bool sack, ts;
    uint32_t ts_recent;
    uint32_t ts_offset;
    uint32_t rcv_wnd;               /* window sent in the SYN-ACK */
    bool from_cookie;
    ln_time synack_time;            /* when the (only) SYN-ACK left, LN_NEVER if
                                     * unknown or retransmitted (0 is a real
                                     * time): the first RTT sample (Linux
                                     * tcp_synack_rtt_meas) */
} ln_tcp_req_params;

/* What one ACK did, for the loss-recovery rules (Linux's FLAG_* bits of
 * tcp_ack). */
typedef struct ln_tcp_ackstate {
    uint32_t tsecr;                 /* its TSecr, 0 if none */
    ln_seq newest_end;              /* end of the latest segment it delivered ... */
    bool delivered;                 /* ... if it delivered any */
    bool una_advanced;              /* FLAG_SND_UNA_ADVANCED */
    bool not_dup;                   /* FLAG_NOT_DUP: data, window update or new ACK */
    bool data_sacked;               /* FLAG_DATA_SACKED */
    bool dsack;                     /* FLAG_DSACKING_ACK */
    bool dsack_tlp;                 /* FLAG_DSACK_TLP: the D-SACK is the probe's */
    bool orig_sack_acked;           /* FLAG_ORIG_SACK_ACKED */
    bool lost_retrans;              /* FLAG_LOST_RETRANS */
    bool newly_lost;                /* it marked segments lost (Linux's rs->losses > 0) */
    bool reo_armed;                 /* RACK armed its timer (no FLAG_SET_XMIT_TIMER) */
    bool is_dup;                    /* a duplicate ACK (RFC 5681 2) */
} ln_tcp_ackstate;

/* The send-time records (txq) of tcp_out.c: the i-th from SND.UNA, and
 * the index of the first whose end is after seq (txq_len if none). */
static inline ln_tcp_txts *ln_tcp_txq_at(const ln_tcp_sock *s, uint32_t i)
{
    return &s->xf->txq[(s->xf->txq_head + i) & (s->xf->txq_cap - 1)];
}
static inline uint32_t ln_tcp_txq_after(const ln_tcp_sock *s, ln_seq seq)
{
    uint32_t lo = 0, hi = s->xf->txq_len;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ln_seq_le(ln_tcp_txq_at(s, mid)->end, seq)) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* ---- tcp.c ----------------------------------------------------------- */
ln_tcp_sock *ln_tcp_sock_new(ln_tcp_stack *st);
/* s->xf, made now if s has none yet; NULL when memory runs out (the
 * caller fails the way a ring that cannot grow does). */
ln_tcp_xfer *ln_tcp_xfer_get(ln_tcp_sock *s);
/* What the fields of xf read as for the paths that may run without it
 * (the handshake, an idle connection, tcp_info). */
static inline uint32_t ln_tcp_cwnd(const ln_tcp_sock *s)
{
    return s->xf ? s->xf->cc.cwnd : s->init_cwnd;
}
static inline uint32_t ln_tcp_ssthresh(const ln_tcp_sock *s)
{
    return s->xf ? s->xf->cc.ssthresh : LN_TCP_INFINITE_SSTHRESH;
}
static inline uint32_t ln_tcp_snd_queued(const ln_tcp_sock *s) { return s->xf ? s->xf->snd.len : 0; }
static inline uint32_t ln_tcp_rcv_queued(const ln_tcp_sock *s) { return s->xf ? s->xf->rcv.len : 0; }
/* Change state; emits LN_EV_TCP_STATE, keeps TcpCurrEstab and the stack's
 * counts, notifies the user on CLOSED. */
void ln_tcp_set_state(ln_tcp_sock *s, ln_tcp_state state);
/* Emit a state change for something that is not a full socket (a request
 * going LISTEN -> SYN_RCVD), so ladders and timelines show it. */
void ln_tcp_emit_state(ln_tcp_stack *st, const ln_flow *flow, ln_tcp_state from, ln_tcp_state to);
void ln_tcp_emit_cwnd(ln_tcp_sock *s, const char *why);
/* LN_EV_TCP_RTT after the estimator took the sample `rtt`: value = rtt,
 * value2 = SRTT, value3 = RTO as they are now. */
void ln_tcp_emit_rtt(ln_tcp_sock *s, ln_time rtt);
/* The connection is over: cancel timers, unhash, state CLOSED, notify;
 * free it if the user has released it. */
void ln_tcp_done(ln_tcp_sock *s);
void ln_tcp_notify(ln_tcp_sock *s, unsigned events);
void ln_tcp_set_error(ln_tcp_sock *s, int err);    /* + notify ERROR|READABLE|WRITABLE */
/* A full socket for a completed handshake (state SYN_RCVD, hashed, bound
 * to the listener's port, s->listener set). */
ln_tcp_sock *ln_tcp_child_new(ln_tcp_sock *listener, const ln_tcp_req_params *p);

/* Batches: segment input, timers and API calls hold notifications until
 * the outermost one ends (see tcp.c). */
void ln_tcp_batch_begin(ln_tcp_stack *st);
void ln_tcp_batch_end(ln_tcp_stack *st);
/* LN_EV_TIMER for the socket: text "rto", "persist", ..., value, value2
 * (the RTO's next timeout, else 0). */
void ln_tcp_emit_timer(ln_tcp_sock *s, const char *what, int64_t value, int64_t value2);
/* Free now (no table may reach it any more) / drop the buffers of a
 * socket that will move no more data (TIME_WAIT). */
void ln_tcp_sock_free(ln_tcp_sock *s);
void ln_tcp_free_buffers(ln_tcp_sock *s);
/* tcp_init_transfer: buffers and congestion control at ESTABLISHED. */
void ln_tcp_init_transfer(ln_tcp_sock *s);

/* ---- tcp_table.c ----------------------------------------------------- */
/* Connection lookup by the segment's 4-tuple (remote = seg source):
 * IPv4 connections only. */
ln_tcp_sock *ln_tcp_lookup_conn(ln_tcp_stack *st, uint32_t raddr, uint16_t rport,
                                uint32_t laddr, uint16_t lport);
/* The same with the tuple's ln_tcp_tuple_hash already made. */
ln_tcp_sock *ln_tcp_lookup_conn_hashed(ln_tcp_stack *st, uint32_t hash, uint32_t raddr,
                                       uint16_t rport, uint32_t laddr, uint16_t lport);
/* Start fetching the buckets of both tables (connections, requests) that
 * lookups of the tuple with this hash will read. */
void ln_tcp_prefetch(const ln_tcp_stack *st, uint32_t hash);
/* The IPv4 listener for laddr:lport: an IPv4 one, else an IPv6 one on ::
 * without V6ONLY (Linux's compute_score prefers AF_INET). */
ln_tcp_sock *ln_tcp_lookup_listener(ln_tcp_stack *st, uint32_t laddr, uint16_t lport);
/* The same for IPv6 (a's laddr is the segment's destination). */
ln_tcp_sock *ln_tcp_lookup_conn6(ln_tcp_stack *st, const ln_tcp6 *a, uint16_t rport, uint16_t lport);
ln_tcp_sock *ln_tcp_lookup_listener6(ln_tcp_stack *st, const ln_in6 *laddr, uint16_t lport);
/* The keyed 32-bit digest an IPv6 address is hashed by (0 for ::, so
 * that a socket on :: reads as a wildcard, never for anything else). */
uint32_t ln_tcp6_fold(const ln_tcp_stack *st, const ln_in6 *a);
/* Does s (IPv6 or not) have exactly the addresses of a (or none, a NULL)? */
static inline bool ln_tcp6_match(const ln_tcp_sock *s, const ln_tcp6 *a)
{
    if (!a) return !(s->flags & LN_TF_V6);
    return (s->flags & LN_TF_V6) && ln_in6_eq(&s->v6->raddr, &a->raddr) &&
           ln_in6_eq(&s->v6->laddr, &a->laddr);
}
/* Make s an IPv6 socket (its addresses unspecified).  LN_ENOMEM. */
int ln_tcp6_set(ln_tcp_sock *s);
/* The flow label of a connection (tcp.c): a keyed hash of its 4-tuple,
 * never 0, as Linux's auto_flowlabels gives each flow its own. */
uint32_t ln_tcp6_flow(const ln_tcp_stack *st, const ln_tcp6 *a, uint16_t lport, uint16_t rport);
/* Keyed hash of a 4-tuple (remote first): the connection table's and the
 * request table's bucket index. */
uint32_t ln_tcp_tuple_hash(const ln_tcp_stack *st, uint32_t raddr, uint16_t rport,
                           uint32_t laddr, uint16_t lport);
void ln_tcp_hash(ln_tcp_sock *s);          /* into ehash (needs the 4-tuple) */
void ln_tcp_unhash(ln_tcp_sock *s);
void ln_tcp_listener_add(ln_tcp_sock *l);
void ln_tcp_listener_del(ln_tcp_sock *l);  /* no-op if not listening */
/* The bind hash: every socket that owns a local port. */
void ln_tcp_bind_add(ln_tcp_sock *s);
void ln_tcp_bind_del(ln_tcp_sock *s);      /* no-op if not bound */
void ln_tcp_ports_free(ln_tcp_stack *st);  /* the port table, at detach */
/* Would s on addr:port clash with another socket (inet_bind_conflict)?
 * For an IPv6 socket, addr is the digest of s->v6->laddr. */
bool ln_tcp_bind_conflict(const ln_tcp_sock *s, uint32_t addr, uint16_t port);
/* An ephemeral port for connect() to raddr:rport, 0 if none is free
 * (v6: the IPv6 addresses, laddr and raddr their digests). */
uint16_t ln_tcp_connect_port(ln_tcp_stack *st, uint32_t laddr, uint32_t raddr, uint16_t rport,
                             const ln_tcp6 *v6);
/* RFC 6528 ISN (or cfg.fixed_isn); v6 non-NULL: over the IPv6 addresses. */
ln_seq ln_tcp_isn(ln_tcp_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport,
                  const ln_tcp6 *v6);
/* Per-connection TSval offset (Linux derives it from a keyed hash). */
uint32_t ln_tcp_ts_offset(ln_tcp_stack *st, uint32_t laddr, uint32_t raddr, const ln_tcp6 *v6);
/* TSval now: virtual milliseconds + offset. */
uint32_t ln_tcp_tsval(ln_tcp_stack *st, uint32_t ts_offset);

/* ---- tcp_icmp.c ------------------------------------------------------ */
/* ICMP errors quoting our segments (tcp_v4_err); ln_tcp_attach registers
 * it with the stack as `arg`. */
void ln_tcp_icmp_err(ln_icmp_sock *is, const ln_icmp_msg *m, void *arg);

/* ---- tcp_win.c ------------------------------------------------------- */
/* Linux's receive-buffer arithmetic: tcp_win_from_space (payload `space`
 * bytes of buffer hold), tcp_full_space / tcp_space (payload the whole
 * buffer / its free part can take). */
uint32_t ln_tcp_win_from_space(const ln_tcp_sock *s, uint32_t space);
uint32_t ln_tcp_full_space(const ln_tcp_sock *s);
uint32_t ln_tcp_space(const ln_tcp_sock *s);
/* tcp_set_window_clamp: the largest window we will offer, at least
 * SOCK_MIN_RCVBUF / 2; rcv_ssthresh follows it down, or up to rcv_wnd. */
void ln_tcp_set_window_clamp(ln_tcp_sock *s, uint32_t val);
/* RCV.WND still open from what we last advertised (tcp_receive_window). */
uint32_t ln_tcp_receive_window(const ln_tcp_sock *s);
/* The window the buffer allows now, unscaled, without committing to it
 * (Linux's __tcp_select_window; it may end quick-ACK mode). */
uint32_t ln_tcp_raw_window(ln_tcp_sock *s);
/* The window to advertise now, already scaled; never moves the right edge
 * left (RFC 9293 3.8.6.2.2; tcp_shrink_window = 0). */
uint16_t ln_tcp_select_window(ln_tcp_sock *s);
/* Initial receive window and our window scale for a new connection
 * (tcp_select_initial_window; scaling as the node's settings say, or as
 * the caller says). */
void ln_tcp_select_initial_window(const ln_tcp_sock *s, uint32_t mss, uint32_t *rcv_wnd,
                                  uint32_t *window_clamp, uint8_t *rcv_wscale);
void ln_tcp_initial_window(const ln_tcp_sock *s, uint32_t mss, bool wscale_ok, uint32_t *rcv_wnd,
                           uint32_t *window_clamp, uint8_t *rcv_wscale);
/* tcp_init_buffer_space: the window clamp and DRS state at ESTABLISHED. */
void ln_tcp_init_buffer_space(ln_tcp_sock *s);
/* SEG.WND in bytes (scaled once window scaling is agreed). */
uint32_t ln_tcp_seg_wnd(const ln_tcp_sock *s, const ln_tcp_seg *seg);
/* The MTU of the route to raddr (loopback: 65535), 0 if there is none;
 * the MSS we announce over it (ipv4_default_advmss, TCP_MAXSEG). */
uint32_t ln_tcp_route_mtu(ln_node *n, uint32_t raddr);
/* The same towards an IPv6 address: the path MTU (Packet Too Big). */
uint32_t ln_tcp_route_mtu6(ln_node *n, const ln_in6 *raddr);
/* The route MTU towards s's peer, either family. */
uint32_t ln_tcp_sock_mtu(const ln_tcp_sock *s);
uint16_t ln_tcp_adv_mss_for(const ln_tcp_sock *s, uint32_t mtu);
/* The same for a family and a TCP_MAXSEG (0: none). */
uint16_t ln_tcp_mss_for_mtu(uint32_t mtu, bool v6, uint16_t user_mss);
/* tp->advmss: our announced MSS less the TS option when it is used. */
uint32_t ln_tcp_advmss(const ln_tcp_sock *s);
/* tcp_sync_mss: mss_cache from our MSS, the peer's and the options. */
void ln_tcp_sync_mss(ln_tcp_sock *s);
/* tcp_current_mss: a segment's payload now (SACK blocks, half the
 * largest window the peer offered). */
uint32_t ln_tcp_current_mss(const ln_tcp_sock *s);
/* tcp_initialize_rcv_mss: rcv_mss until the peer's data shows it. */
void ln_tcp_init_rcv_mss(ln_tcp_sock *s);
/* tcp_sndbuf_expand: room for twice the congestion window. */
void ln_tcp_sndbuf_expand(ln_tcp_sock *s);

/* ---- tcp_in.c -------------------------------------------------------- */
/* The IP protocol handler (consumes pkt). */
void ln_tcp_input(ln_node *n, ln_pkt *pkt, const ln_ip_info *ip);
/* The IPv6 one (registered when IPv6 comes on). */
struct ln_ip6_info;
void ln_tcp6_input(ln_node *n, ln_pkt *pkt, const struct ln_ip6_info *ip);
/* A segment for a full socket in any state but CLOSED and LISTEN
 * (RFC 9293 3.10.7.3 and on).  Consumes seg->pkt. */
void ln_tcp_process(ln_tcp_sock *s, ln_tcp_seg *seg);
/* The end of a segment: a drop (counted, with its reason, the DROP event
 * showing the TCP header) or used up.  Both consume seg->pkt. */
void ln_tcp_seg_drop(ln_tcp_stack *st, ln_tcp_seg *seg, ln_drop_reason why);
void ln_tcp_seg_done(ln_tcp_seg *seg);
/* Does [seq, end) fall in the window [s_win, e_win] (tcp_in_window)? */
bool ln_tcp_in_window(ln_seq seq, ln_seq end, ln_seq s_win, ln_seq e_win);
/* May this RFC 5961 challenge ACK go out (per-node budget)? */
bool ln_tcp_challenge_ok(ln_tcp_stack *st);
/* An RFC 5961 challenge ACK, within the per-socket and node budgets. */
void ln_tcp_challenge_ack(ln_tcp_sock *s);

/* ---- tcp_ack.c ------------------------------------------------------- */
/* RFC 9293 3.10.7.4 fifth for ESTABLISHED and on (Linux's tcp_ack).
 * Returns 0 when the segment goes on to the text and FIN steps, 1 when
 * it does too but its ACK is an old duplicate (ignored), -1 when it is to
 * be dropped. */
int ln_tcp_ack(ln_tcp_sock *s, ln_tcp_seg *seg);
/* RFC 9293 3.10.7.4's window update rule (tcp_may_update_window). */
bool ln_tcp_may_update_window(const ln_tcp_sock *s, ln_seq ack, ln_seq seq, uint32_t nwin);
/* RTO expired (tcp_enter_loss): ssthresh, cwnd 1, everything lost. */
void ln_tcp_enter_loss(ln_tcp_sock *s);
/* Path MTU fell (tcp_simple_retransmit): resend what is in flight at the
 * new MSS now, cwnd unchanged. */
void ln_tcp_simple_retransmit(ln_tcp_sock *s);
/* Enter fast recovery (tcp_enter_recovery + tcp_init_cwnd_reduction). */
void ln_tcp_enter_recovery(ln_tcp_sock *s, bool sacking);
/* RFC 6937 PRR (tcp_cwnd_reduction): cwnd for what `newly` delivered. */
void ln_tcp_cwnd_reduction(ln_tcp_sock *s, uint32_t newly, bool una_advanced);
/* A loss repaired by a tail-loss probe: one reduction, over at once
 * (tcp_init_cwnd_reduction, CWR, tcp_end_cwnd_reduction). */
void ln_tcp_cwr_once(ln_tcp_sock *s);
/* Open, or Disorder while SACKed, lost or retransmitted segments are
 * out (tcp_try_keep_open). */
void ln_tcp_try_keep_open(ln_tcp_sock *s);
void ln_tcp_set_ca_state(ln_tcp_sock *s, ln_ca_state st);

/* ---- tcp_rack.c ------------------------------------------------------ */
/* RACK on for this connection: SACK and tcp_recovery bit 0. */
bool ln_tcp_rack_on(const ln_tcp_sock *s);
/* Linux's packets_out and tcp_packets_in_flight, in segments. */
uint32_t ln_tcp_rack_packets_out(const ln_tcp_sock *s);
uint32_t ln_tcp_rack_in_flight(const ln_tcp_sock *s);
/* [seq, end) left again now: its records' send times; with `mark`, a
 * copy in flight (retrans_out) as Linux's tcp_retransmit_skb counts it. */
void ln_tcp_rack_sent(ln_tcp_sock *s, ln_seq seq, ln_seq end, bool mark);
/* The cumulative ACK took record e (which began at start) off the queue;
 * prior_fack: the highest SACKed sequence before this ACK. */
void ln_tcp_rack_acked(ln_tcp_sock *s, const ln_tcp_txts *e, ln_seq start, ln_seq prior_fack,
                       ln_tcp_ackstate *as);
/* The ACK's SACK blocks (D-SACK excluded): mark the records they cover. */
void ln_tcp_rack_sacked(ln_tcp_sock *s, const ln_tcp_sackblk *b, int n, ln_seq prior_fack,
                        ln_tcp_ackstate *as);
/* RFC 8985 6.2 step 5 if RACK advanced; arms the reordering timer (and
 * returns true) when some segment may yet be lost. */
bool ln_tcp_rack_mark_lost(ln_tcp_sock *s, ln_tcp_ackstate *as);
/* The reordering timer fired (RFC 8985 6.3). */
void ln_tcp_rack_reo_timeout(ln_tcp_sock *s);
/* RFC 8985 6.2 step 4: the reordering window after D-SACKs. */
void ln_tcp_rack_update_reo_wnd(ln_tcp_sock *s, const ln_tcp_ackstate *as);
/* The txq index of the first segment marked lost and not yet resent,
 * or -1. */
int ln_tcp_rack_next_lost(const ln_tcp_sock *s);
/* Forget lost and retransmitted marks (go-back-N without SACK). */
void ln_tcp_rack_clear_marks(ln_tcp_sock *s);
/* An RTO: mark the head and what timed out lost (tcp_timeout_mark_lost). */
void ln_tcp_rack_timeout_mark_lost(ln_tcp_sock *s);
/* The path MTU fell below mss: mark longer segments lost; any lost? */
bool ln_tcp_rack_mark_oversized(ln_tcp_sock *s, uint32_t mss);
/* RFC 8985 7.2: arm the probe timeout instead of the RTO (advancing: on
 * an ACK of new data).  False if no probe applies. */
bool ln_tcp_schedule_loss_probe(ln_tcp_sock *s, bool advancing);
/* RFC 8985 7.3: the probe timeout fired. */
void ln_tcp_send_loss_probe(ln_tcp_sock *s);
/* RFC 8985 7.4: does this ACK end the probe's episode, and how? */
void ln_tcp_process_tlp_ack(ln_tcp_sock *s, ln_seq ack, const ln_tcp_ackstate *as);

/* ---- tcp_undo.c ------------------------------------------------------ */
/* A reduction begins: remember where (tcp_init_undo). */
void ln_tcp_init_undo(ln_tcp_sock *s);
/* A retransmission left: one more to be proven spurious. */
void ln_tcp_undo_note_rtx(ln_tcp_sock *s);
/* The ACK's first block is a D-SACK (RFC 2883): count it, note what it
 * proves (tcp_check_dsack, tcp_dsack_seen). */
void ln_tcp_undo_dsack(ln_tcp_sock *s, const ln_tcp_sackblk *b, ln_seq ack, ln_tcp_ackstate *as);
/* Linux's tcp_try_undo_dsack, tcp_try_undo_recovery, tcp_try_undo_partial. */
bool ln_tcp_try_undo_dsack(ln_tcp_sock *s);
bool ln_tcp_try_undo_recovery(ln_tcp_sock *s, const ln_tcp_ackstate *as);
bool ln_tcp_try_undo_partial(ln_tcp_sock *s, const ln_tcp_ackstate *as);
/* An ACK in Loss (after an RTO): F-RTO (RFC 5682), undo, the end of Loss
 * (tcp_process_loss). */
void ln_tcp_process_loss(ln_tcp_sock *s, const ln_tcp_ackstate *as);

/* ---- tcp_rcv.c ------------------------------------------------------- */
/* RFC 9293 3.10.7.4 seventh and eighth (Linux's tcp_data_queue): the
 * segment's text into the receive or out-of-order queue, its FIN once in
 * order.  Consumes seg->pkt. */
void ln_tcp_data_queue(ln_tcp_sock *s, ln_tcp_seg *seg);
/* After a segment: ACK now, later (delayed-ACK timer) or compressed
 * (Linux's __tcp_ack_snd_check). */
void ln_tcp_ack_snd_check(ln_tcp_sock *s);
/* An ACK for an unacceptable segment, with a D-SACK for old data
 * (tcp_send_dupack). */
void ln_tcp_send_dupack(ln_tcp_sock *s, const ln_tcp_seg *seg);
/* The receiver's RTT from a timestamp echo (tcp_rcv_rtt_measure_ts). */
void ln_tcp_rcv_rtt_measure_ts(ln_tcp_sock *s, const ln_tcp_seg *seg);
/* The user read `copied` bytes: window update if it opened a lot
 * (tcp_cleanup_rbuf), receive-buffer autotuning (tcp_rcv_space_adjust). */
void ln_tcp_cleanup_rbuf(ln_tcp_sock *s, uint32_t copied);
void ln_tcp_rcv_space_adjust(ln_tcp_sock *s);

/* ---- tcp_out.c ------------------------------------------------------- */
void ln_tcp_output(ln_tcp_sock *s);
void ln_tcp_send_ack(ln_tcp_sock *s);
/* Received data: ACK now (quickack, out-of-order, every 2nd full segment)
 * or arm the delayed-ACK timer. */
void ln_tcp_ack_soon(ln_tcp_sock *s, bool now);
int ln_tcp_send_syn(ln_tcp_sock *s);        /* SYN (SYN_SENT) or SYN-ACK (SYN_RCVD) */
void ln_tcp_send_rst(ln_tcp_sock *s);       /* abort a synchronized connection */
/* RST answering a segment no socket takes (RFC 9293 3.10.7.1). */
void ln_tcp_send_rst_reply(ln_tcp_stack *st, const ln_tcp_seg *seg);
/* A bare control segment with IP ID 0 (SYN-ACKs of requests and cookies,
 * RSTs, TIME_WAIT ACKs), as Linux sends them; kind: LN_PKT_KIND_*.  v6:
 * the IPv6 addresses (laddr the source), NULL for IPv4. */
int ln_tcp_send_ctl(ln_tcp_stack *st, const ln_tcp_hdr *h, const ln_tcp6 *v6, uint8_t kind);
/* Zero-window or keepalive probe (seq = snd_una - 1), kind saying which. */
void ln_tcp_send_probe(ln_tcp_sock *s, uint8_t kind);
/* The send-time records (tcp_txq.c).  Push: [.., end) left at t. */
void ln_tcp_txq_push(ln_tcp_sock *s, ln_seq end, ln_time t, bool psh);
/* Karn's rule (RFC 6298 3): [seq, end) went again; and for everything in
 * flight (RTO, path MTU change). */
void ln_tcp_txq_mark_rtx(ln_tcp_sock *s, ln_seq seq, ln_seq end);
void ln_tcp_txq_no_samples(ln_tcp_sock *s);
/* Did the segment that ended at `end` carry PSH?  -1: no record of it. */
int ln_tcp_txq_psh(const ln_tcp_sock *s, ln_seq end);
/* Cut record i at `at` (false: no room); merge the short records after
 * it into it while they fit `room` from seq (see tcp_txq.c). */
bool ln_tcp_txq_split(ln_tcp_sock *s, uint32_t i, ln_seq at);
void ln_tcp_txq_collapse(ln_tcp_sock *s, uint32_t i, ln_seq seq, uint32_t room, ln_seq end, uint32_t *len,
                         bool *fin);
/* Retransmit the first unacknowledged segment (RTO). */
void ln_tcp_retransmit_una(ln_tcp_sock *s);
/* Tail-loss probe: one segment of new data if the peer's window allows
 * (1 sent, 0 none, -1 failed), or the last segment sent again (true if
 * it left). */
int ln_tcp_send_probe_data(ln_tcp_sock *s);
bool ln_tcp_retransmit_tail(ln_tcp_sock *s);
/* Segments in flight (RFC 6675 pipe in segments, Linux's
 * tcp_packets_in_flight). */
uint32_t ln_tcp_in_flight(const ln_tcp_sock *s);
/* End of the data the user queued (FIN excluded). */
ln_seq ln_tcp_data_end(const ln_tcp_sock *s);
/* Persist / keepalive timer: send what the window allows, else a probe
 * (tcp_write_wakeup).  Returns true if a segment left. */
bool ln_tcp_write_wakeup(ln_tcp_sock *s);

/* ---- tcp_timer.c ----------------------------------------------------- */
void ln_tcp_timers_init(ln_tcp_sock *s);
void ln_tcp_delack_init(ln_tcp_sock *s);              /* xf's timer, when xf is made */
void ln_tcp_timers_cancel(ln_tcp_sock *s);
/* Arm the retransmission timer for data in flight, or the persist timer
 * for a zero window with data waiting, or cancel it. */
void ln_tcp_rearm_rtx(ln_tcp_sock *s);
/* After sending: start the RTO timer if it is not running for data in
 * flight, or the persist timer if nothing is in flight but data waits. */
void ln_tcp_ensure_rtx(ln_tcp_sock *s);
/* Linux's tcp_write_err: the connection timed out. */
void ln_tcp_write_err(ln_tcp_sock *s);
void ln_tcp_rtt_sample(ln_tcp_sock *s, ln_time rtt);   /* RFC 6298 2.2-2.3 */
void ln_tcp_arm_delack(ln_tcp_sock *s);
void ln_tcp_arm_keepalive(ln_tcp_sock *s);
void ln_tcp_enter_time_wait(ln_tcp_sock *s);           /* 2 * MSL */
void ln_tcp_arm_fin_wait_2(ln_tcp_sock *s);            /* orphaned: tcp_fin_timeout */
ln_time ln_tcp_rto_cur(const ln_tcp_sock *s);          /* rto << backoff, capped */
/* When Linux's timer wheel (HZ = 250) fires a timer armed `delay` from
 * `now`: rounded up to the bucket of its level (reference 0). */
ln_time ln_tcp_wheel_expiry(ln_time now, ln_time delay);

/* ---- tcp_listen.c ---------------------------------------------------- */
/* A segment for a listener (SYN, the handshake's ACK, RST).  Consumes
 * seg->pkt. */
void ln_tcp_listen_input(ln_tcp_sock *l, ln_tcp_seg *seg);
/* A child reached ESTABLISHED: queue it for accept and notify. */
void ln_tcp_accept_enqueue(ln_tcp_sock *l, ln_tcp_sock *child);
ln_tcp_sock *ln_tcp_accept_dequeue(ln_tcp_sock *l);
/* The listener closes: drop its requests, reset and free queued children. */
void ln_tcp_listen_stop(ln_tcp_sock *l);
void ln_tcp_listen_free_stack(ln_tcp_stack *st);       /* requests at teardown */
/* An ICMP error quoting a segment to raddr:rport from laddr:lport with
 * sequence number seq, for which no connection exists: if a request has
 * that 4-tuple, handle it as Linux's tcp_req_err (hard: the error aborts,
 * as tcp_v4_err decides) and return true. */
bool ln_tcp_listen_icmp(ln_tcp_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
                        uint16_t rport, const ln_tcp6 *v6, ln_seq seq, bool hard);

/* ---- tcp_cookie.c ---------------------------------------------------- */
/* SYN cookies (RFC 4987 3.6; Linux's encoding: MSS index in the low bits,
 * options in the TS value).  A cookie is valid in the minute it was made
 * and the next; tcp_listen.c checks ACKs as cookies only for as long
 * after its last SYN-queue overflow (tcp_synq_no_recent_overflow). */
#define LN_TCP_COOKIE_PERIOD (60 * LN_SEC) /* TCP_SYNCOOKIE_PERIOD: the counter ticks per minute */
#define LN_TCP_COOKIE_AGE    2             /* MAX_SYNCOOKIE_AGE: this minute and the last */
/* The cookie for syn: the SYN-ACK's ISN; *mss_out (if not NULL) gets
 * the MSS it carries. */
ln_seq ln_tcp_cookie_make(ln_tcp_stack *st, const ln_tcp_seg *syn, uint16_t *mss_out);
/* Valid cookie in the ACK? Fills the request parameters (all but rcv_wnd
 * and rcv_wscale, which depend on the listener) and counts
 * TcpExtSyncookiesRecv / TcpExtSyncookiesFailed like Linux. */
bool ln_tcp_cookie_check(ln_tcp_stack *st, const ln_tcp_seg *ack, ln_tcp_req_params *p);
/* TSval of a cookie SYN-ACK (Linux cookie_init_timestamp): the clock
 * rounded down to 64 ms with the peer's WS (0xf: none) and SACK in its
 * low 6 bits, plus ts_offset. */
uint32_t ln_tcp_cookie_tsval(ln_tcp_stack *st, int8_t snd_wscale, bool sack, uint32_t ts_offset);

/* "10.0.0.1:80" or "[2001:db8::1]:80" (Linux's ss form), into buf of at
 * least LN_TCP_EPLEN bytes. */
#define LN_TCP_EPLEN 56
char *ln_tcp_fmt_ep(const ln_tcp_sock *s, bool remote, char *buf);

/* The debug trace (trace.h) for a connection: "10.0.0.1:40000>10.0.0.2:80
 * <message>".  The arguments are evaluated only when "tcp" is on. */
#define LN_TCP_TRACE(s, ...)                                                        \
    do {                                                                            \
        if (LN_TRACE_ON((s)->st->node->net, LN_TR_TCP)) ln_tcp_trace((s), __VA_ARGS__); \
    } while (0)
void ln_tcp_trace(const ln_tcp_sock *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
