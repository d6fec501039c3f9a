/* tcp.h - TCP sockets: the contract between the TCP stack and its users
 * (the Lua binding, C applications, benchmarks, tests).
 *
 * Read with: RFC 9293 (the protocol), RFC 7323 (window scale, timestamps),
 * RFC 2018 and RFC 6675 (SACK and loss recovery), RFC 6298 (RTO),
 * RFC 5681 and RFC 6582 (congestion control, NewReno), RFC 9438 (CUBIC),
 * RFC 6928 (initial window), RFC 5961 (blind attacks), RFC 6528 (ISNs),
 * RFC 4987 (SYN flooding and cookies).  Where they leave a choice the stack
 * does what Linux does; reference/linux-tcp.md in the project notes records
 * what that is.
 *
 * Sockets never block: an operation that cannot complete returns LN_EAGAIN
 * and the socket's notify callback reports when to try again (readable,
 * writable, connected, acceptable, error).  The Lua binding builds its
 * coroutine calls on that.
 *
 * Lifetime: ln_tcp_socket() returns a socket owned by its user.
 * ln_tcp_close() (graceful) and ln_tcp_abort() (RST) hand it back to the
 * stack, which frees it once the connection is over (after TIME_WAIT, say):
 * the user must not touch it after either call.  A socket the peer reset
 * stays valid, in CLOSED with its error set, until the user closes it. */
#ifndef LN_TCP_H
#define LN_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "in6.h"
#include "seq.h"
#include "sim.h"

struct ln_node;
struct ln_iface;

/* RFC 9293 3.3.2, in the RFC's order. */
typedef enum {
    LN_TCP_CLOSED, LN_TCP_LISTEN, LN_TCP_SYN_SENT, LN_TCP_SYN_RCVD,
    LN_TCP_ESTABLISHED, LN_TCP_FIN_WAIT_1, LN_TCP_FIN_WAIT_2,
    LN_TCP_CLOSE_WAIT, LN_TCP_CLOSING, LN_TCP_LAST_ACK, LN_TCP_TIME_WAIT,
    LN_TCP__NSTATES
} ln_tcp_state;

/* "SYN_SENT", "ESTABLISHED", ... (the names of RFC 9293 and of the notes). */
const char *ln_tcp_state_name(ln_tcp_state s);

typedef struct ln_tcp_sock ln_tcp_sock;

/* Events for the notify callback (a bit mask). */
#define LN_TCP_EV_READABLE  0x01u  /* data, EOF or an error to read */
#define LN_TCP_EV_WRITABLE  0x02u  /* room in the send buffer */
#define LN_TCP_EV_CONNECTED 0x04u  /* active open completed */
#define LN_TCP_EV_ACCEPT    0x08u  /* the accept queue is not empty */
#define LN_TCP_EV_ERROR     0x10u  /* error set: see ln_tcp_error() */
#define LN_TCP_EV_CLOSED    0x20u  /* reached CLOSED */

typedef void (*ln_tcp_notify_fn)(ln_tcp_sock *s, unsigned events, void *arg);

/* A new socket in CLOSED with the node's current settings. */
ln_tcp_sock *ln_tcp_socket(struct ln_node *n);
void ln_tcp_set_notify(ln_tcp_sock *s, ln_tcp_notify_fn fn, void *arg);
struct ln_node *ln_tcp_node(const ln_tcp_sock *s);

/* addr 0 = any local address; port 0 = an ephemeral port.  LN_EADDRINUSE
 * as Linux decides it (a TIME_WAIT holder blocks the port unless both it
 * and the new socket have SO_REUSEADDR); LN_EADDRNOTAVAIL if addr is not
 * ours or the ephemeral range is exhausted; LN_EINVAL if already bound. */
int ln_tcp_bind(ln_tcp_sock *s, uint32_t addr, uint16_t port);
/* backlog is clamped to somaxconn, as listen(2) does. */
int ln_tcp_listen(ln_tcp_sock *s, int backlog);
/* Start the active open (binds an ephemeral port if needed).  Completion
 * comes as CONNECTED, or ERROR with refused / timeout / unreachable. */
int ln_tcp_connect(ln_tcp_sock *s, uint32_t addr, uint16_t port);
/* IPv6 (RFC 8200; Linux's tcp_ipv6.c): a socket's family is set by its
 * first bind or connect.  An IPv6 socket on :: also takes IPv4
 * connections unless V6ONLY is set (net.ipv6.bindv6only = 0); those
 * children are IPv4 sockets.  An IPv4-mapped address is refused
 * (LN_ENOTSUP): use the IPv4 calls for IPv4.  The IPv4 calls on an IPv6
 * socket (and the IPv6 ones on an IPv4 socket) are LN_ENOTSUP too. */
int ln_tcp_bind6(ln_tcp_sock *s, const ln_in6 *addr, uint16_t port);
/* oif: a link-local addr's zone (fe80::1%eth1, RFC 4007 11): the socket
 * sends every segment out of it, as Linux binds it to sin6_scope_id's
 * device; NULL: the route's interface. */
int ln_tcp_connect6(ln_tcp_sock *s, const ln_in6 *addr, uint16_t port, struct ln_iface *oif);
/* True for an IPv6 socket; then l and r (either may be NULL) get its
 * local and remote addresses. */
bool ln_tcp_addrs6(const ln_tcp_sock *s, ln_in6 *l, ln_in6 *r);
/* The interface an IPv6 socket is tied to (its peer's zone: the one it
 * connected with, or a link-local peer's arrival interface), or NULL. */
struct ln_iface *ln_tcp_zone6(const ln_tcp_sock *s);

/* The next established connection, or NULL (LN_EAGAIN) if none waits. */
ln_tcp_sock *ln_tcp_accept(ln_tcp_sock *listener);

/* Queue up to len bytes for sending (data NULL: len bytes of a generated
 * pattern, for bulk senders that do not care about content).  Returns the
 * bytes queued (> 0), LN_EAGAIN when the send buffer is full, or an error
 * (LN_ENOTCONN, LN_ECLOSED after shutdown, LN_ECONNRESET, ...). */
int64_t ln_tcp_send(ln_tcp_sock *s, const void *data, size_t len);
/* Read up to len bytes (buf NULL: discard them).  > 0 bytes, 0 at EOF,
 * LN_EAGAIN when nothing waits, or the pending error. */
int64_t ln_tcp_recv(ln_tcp_sock *s, void *buf, size_t len);
/* Are the bytes waiting to be read the generated pattern of ln_tcp_send
 * (every one of them), and if so the value of the first: a reader that
 * only digests them need not look at them (as the stack itself never
 * stored them, tcp_buf.h). */
bool ln_tcp_recv_gen(const ln_tcp_sock *s, uint8_t *first);
/* Bytes ready to read, and whether EOF follows them. */
size_t ln_tcp_readable(const ln_tcp_sock *s, bool *eof);
/* Room left in the send buffer. */
size_t ln_tcp_writable(const ln_tcp_sock *s);

#define LN_SHUT_RD   1
#define LN_SHUT_WR   2
#define LN_SHUT_RDWR 3
int ln_tcp_shutdown(ln_tcp_sock *s, int how);
/* Graceful close (FIN after queued data); unread data makes it an abort
 * with RST, as RFC 2525 2.17 and Linux do.  Releases the socket. */
int ln_tcp_close(ln_tcp_sock *s);
/* Send RST if synchronized, drop everything.  Releases the socket. */
void ln_tcp_abort(ln_tcp_sock *s);

/* Pending error (0, LN_ECONNREFUSED, LN_ECONNRESET, LN_ETIMEDOUT,
 * LN_EHOSTUNREACH, LN_ENETUNREACH, ...); reading it does not clear it. */
int ln_tcp_error(const ln_tcp_sock *s);
ln_tcp_state ln_tcp_get_state(const ln_tcp_sock *s);

typedef enum {
    LN_TCP_OPT_NODELAY,        /* bool: no Nagle */
    LN_TCP_OPT_REUSEADDR,      /* bool: SO_REUSEADDR */
    LN_TCP_OPT_RCVBUF,         /* bytes: SO_RCVBUF (doubled and locked, as Linux) */
    LN_TCP_OPT_SNDBUF,         /* bytes: SO_SNDBUF (doubled and locked, as Linux) */
    LN_TCP_OPT_KEEPALIVE,      /* bool: SO_KEEPALIVE */
    LN_TCP_OPT_KEEPIDLE,       /* ns */
    LN_TCP_OPT_KEEPINTVL,      /* ns */
    LN_TCP_OPT_KEEPCNT,        /* probes */
    LN_TCP_OPT_MAXSEG,         /* bytes: TCP_MAXSEG, before connect/listen */
    LN_TCP_OPT_QUICKACK,       /* bool */
    LN_TCP_OPT_LINGER0,        /* bool: SO_LINGER {1, 0}: close sends RST */
    LN_TCP_OPT_CORK,           /* bool: TCP_CORK, partial segments wait */
    LN_TCP_OPT_USER_TIMEOUT,   /* ns, 0 = off: TCP_USER_TIMEOUT (kept in ms, as Linux) */
    LN_TCP_OPT_V6ONLY,         /* bool: IPV6_V6ONLY, before bind (EINVAL after) */
    LN_TCP_OPT__COUNT
} ln_tcp_opt;

int ln_tcp_setopt(ln_tcp_sock *s, ln_tcp_opt opt, int64_t value);
int ln_tcp_getopt(const ln_tcp_sock *s, ln_tcp_opt opt, int64_t *value);
/* TCP_CONGESTION: "reno", "newreno", "cubic".  LN_ENOENT if unknown. */
int ln_tcp_set_cc(ln_tcp_sock *s, const char *name);

/* What `ss -tin` shows, and more.  Sequence numbers are raw. */
typedef struct ln_tcp_info {
    ln_tcp_state state;
    uint32_t laddr, raddr;            /* IPv4 (v6 false) */
    bool v6;                          /* IPv6: the addresses are these */
    ln_in6 laddr6, raddr6;
    uint16_t lport, rport;
    ln_seq iss, irs, snd_una, snd_nxt, snd_max, rcv_nxt;
    uint32_t snd_wnd, rcv_wnd;        /* bytes, scaled */
    uint32_t cwnd, ssthresh;          /* segments */
    uint32_t mss, rcv_mss, adv_mss;
    uint8_t snd_wscale, rcv_wscale;   /* 0xff: window scaling off */
    bool ts, sack, nodelay;
    ln_time srtt, rttvar, rto, min_rtt;
    uint32_t backoff;                 /* RTO doublings so far */
    uint32_t retransmits;             /* unrecovered timeouts (tcpi_retransmits) */
    uint64_t total_retrans;
    uint32_t unacked, sacked, lost, retrans_out;  /* segments */
    uint64_t bytes_acked, bytes_received, bytes_sent, bytes_retrans;
    uint64_t segs_out, segs_in, data_segs_out, data_segs_in;
    uint32_t send_q, recv_q;          /* bytes: not yet acked / not yet read */
    const char *ca_state;             /* "open", "disorder", "recovery", "loss" */
    const char *cc;                   /* algorithm name */
    const char *timer;                /* "on", "persist", "keepalive", "timewait", "delack" or NULL */
    ln_time timer_left;               /* until that timer fires */
    uint32_t probes;                  /* unanswered zero-window/keepalive probes */
    uint32_t syn_queue;               /* listener: half-open requests */
    uint32_t accept_queue, backlog;   /* listener: established, not yet accepted */
    int error;
} ln_tcp_info;

void ln_tcp_get_info(const ln_tcp_sock *s, ln_tcp_info *out);

/* Every socket of the node, listeners, connections in any state, requests
 * excluded (ln_tcp_foreach_req lists those). */
void ln_tcp_foreach(struct ln_node *n, void (*fn)(ln_tcp_sock *s, void *arg), void *arg);

/* A half-open request of a passive open (SYN_RCVD), as `ss` lists SYN-RECV. */
typedef struct ln_tcp_req_view {
    uint32_t laddr, raddr;
    bool v6;                         /* IPv6: the addresses are these */
    ln_in6 laddr6, raddr6;
    uint16_t lport, rport;
    uint32_t retransmits;            /* SYN-ACKs sent again so far */
    ln_time timer_left;              /* until the next SYN-ACK or expiry */
} ln_tcp_req_view;
void ln_tcp_foreach_req(struct ln_node *n, void (*fn)(const ln_tcp_req_view *r, void *arg), void *arg);

/* Per-node settings, named after Linux's sysctls (net.ipv4.tcp_*), with
 * Linux 6.x defaults.  Times in ns. */
typedef struct ln_tcp_cfg {
    uint32_t syn_retries;            /* tcp_syn_retries = 6 */
    uint32_t synack_retries;         /* tcp_synack_retries = 5 */
    uint32_t syn_linear_timeouts;    /* tcp_syn_linear_timeouts = 4 (Linux 6.7+) */
    uint32_t retries1, retries2;     /* tcp_retries1 = 3, tcp_retries2 = 15 */
    uint32_t orphan_retries;         /* tcp_orphan_retries = 0 (means 8) */
    ln_time fin_timeout;             /* tcp_fin_timeout = 60 s (orphaned FIN_WAIT_2) */
    ln_time msl;                     /* lunet: TIME_WAIT = 2 * msl = 60 s (Linux's TCP_TIMEWAIT_LEN) */
    uint32_t max_syn_backlog;        /* tcp_max_syn_backlog = 2048 */
    uint32_t somaxconn;              /* net.core.somaxconn = 4096 */
    uint32_t syncookies;             /* tcp_syncookies: 0 off, 1 on overflow, 2 always */
    bool sack, dsack, timestamps, window_scaling;  /* all 1 */
    uint32_t rmem[3];                /* tcp_rmem = 4096 131072 33554432 */
    uint32_t wmem[3];                /* tcp_wmem = 4096 16384 4194304 */
    uint32_t rmem_max, wmem_max;     /* net.core.[rw]mem_max = 4194304 */
    ln_time rto_min;                 /* tcp_rto_min_us = 200 ms */
    ln_time rto_max;                 /* tcp_rto_max_ms = 120 s */
    ln_time rto_initial;             /* TCP_TIMEOUT_INIT = 1 s */
    ln_time delack_min;              /* TCP_ATO_MIN = 40 ms */
    ln_time delack_max;              /* TCP_DELACK_MAX = 200 ms */
    char congestion[16];             /* tcp_congestion_control = "cubic" */
    uint32_t initial_cwnd;           /* TCP_INIT_CWND = 10 (RFC 6928) */
    uint32_t reordering;             /* tcp_reordering = 3 (DupThresh) */
    uint32_t recovery;               /* tcp_recovery = 1: bit 0 RACK loss detection */
    uint32_t early_retrans;          /* tcp_early_retrans = 3: tail-loss probes (3, 4) */
    uint32_t frto;                   /* tcp_frto = 2: F-RTO (RFC 5682), SACK-enhanced */
    ln_time keepalive_time;          /* tcp_keepalive_time = 7200 s */
    ln_time keepalive_intvl;         /* tcp_keepalive_intvl = 75 s */
    uint32_t keepalive_probes;       /* tcp_keepalive_probes = 9 */
    ln_time invalid_ratelimit;       /* tcp_invalid_ratelimit = 500 ms */
    uint32_t challenge_ack_limit;    /* tcp_challenge_ack_limit (per second, per node) */
    bool slow_start_after_idle;      /* tcp_slow_start_after_idle = 1 */
    uint32_t max_tw_buckets;         /* tcp_max_tw_buckets = 131072 */
    int64_t fixed_isn;               /* lunet: -1 = RFC 6528 ISNs; else every ISN */
    uint32_t base_mss;               /* MSS assumed without an MSS option = 536 */
    uint32_t ehash_entries;          /* tcp_ehash_entries: the connection table's
                                      * buckets from the start (rounded up to a
                                      * power of 2); 0 = start small and double */
} ln_tcp_cfg;

/* NULL for a node without a TCP stack. */
ln_tcp_cfg *ln_tcp_cfg_of(struct ln_node *n);
void ln_tcp_cfg_default(ln_tcp_cfg *c);

/* Counts of what a node's stack holds, for `ss -s`-style summaries and
 * memory checks in benchmarks. */
typedef struct ln_tcp_stack_info {
    uint32_t sockets, listeners, established, time_wait, orphans;
    uint32_t requests;               /* half-open (SYN_RCVD) requests */
    uint64_t mem_buffers;            /* bytes held by send/receive buffers */
} ln_tcp_stack_info;
void ln_tcp_stack_info_get(struct ln_node *n, ln_tcp_stack_info *out);

/* Register TCP with the node's IP layer (ln_node_new) / free it all
 * (ln_node_free). */
void ln_tcp_attach(struct ln_node *n);
void ln_tcp_detach(struct ln_node *n);
/* Register TCP with the node's IPv6 layer when IPv6 comes on. */
void ln_tcp_attach6(struct ln_node *n);

/* A hint from IP input, before its header checks: start fetching the
 * table buckets this segment's lookups will read (ln_tcp_input does it
 * again, too late on a busy server for a bucket to arrive in time).
 * Linux goes further at the same point (tcp_v4_early_demux, from
 * ip_rcv_finish_core, looks the socket up); this changes nothing. */
void ln_tcp_input_prefetch(struct ln_node *n, uint32_t src, uint32_t dst, const uint8_t *ports);

/* sizeof the control block, for the "memory of an idle connection" figure. */
size_t ln_tcp_sock_size(void);
/* And of a connection request, with its IPv6 addresses or without. */
size_t ln_tcp_req_size(bool v6);

#endif
