/* tcp_listen.c - the passive side of the handshake: the SYN queue (request
 * sockets) and the accept queue, and the decision to answer with a SYN
 * cookie instead of a request (tcp_cookie.c makes and checks them).
 *
 * Read with: RFC 9293 3.5 and 3.10.7.2 (LISTEN), RFC 4987 (SYN flooding),
 * RFC 7323 (options in the SYN-ACK), and Linux, whose behaviour this
 * file copies: net/ipv4/tcp_input.c tcp_conn_request(), tcp_minisocks.c
 * tcp_check_req(), inet_connection_sock.c reqsk_timer_handler() and
 * inet_csk_listen_stop(), cookie_v4_check() in syncookies.c.
 *
 * Call chain:
 *   ln_tcp_input (tcp_in.c): no connection for the 4-tuple, a listener
 *   -> ln_tcp_listen_input
 *        a request matches  -> req_input (tcp_check_req): retransmitted SYN
 *                              -> SYN-ACK again; the handshake's ACK ->
 *                              ln_tcp_child_new (tcp.c) -> ln_tcp_process
 *                              (tcp_in.c) -> ESTABLISHED ->
 *                              ln_tcp_accept_enqueue (here)
 *        RST                -> ignored (RFC 9293 3.10.7.2)
 *        ACK                -> ln_tcp_cookie_check (tcp_cookie.c), if this
 *                              listener sent cookies lately -> child as
 *                              above, or RST
 *        SYN                -> conn_request (tcp_conn_request): a request
 *                              and its SYN-ACK, a cookie SYN-ACK
 *                              (ln_tcp_cookie_make, ln_tcp_cookie_tsval),
 *                              or a drop
 *   req_timer (reqsk_timer_handler): SYN-ACK retransmissions 1, 2, 4, 8,
 *     16 s, pruning under flood, silent expiry
 *   ln_tcp_accept (tcp.c) -> ln_tcp_accept_dequeue
 *   ln_tcp_close of a listener (tcp.c) -> ln_tcp_listen_stop
 *
 * A request is a small entry in the stack's rhash (by 4-tuple), not a
 * socket: a flood costs 128 bytes per queued SYN, and nothing at all
 * once cookies take over.  Requests live in no list of their listener;
 * the rare whole-listener operations (close, the young count under flood)
 * walk the table. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ip.h"
#include "net.h"
#include "node.h"
#include "route.h"
#include "tcp_int.h"
#include "wire.h"

/* Request flags. */
#define RQ_SACK    0x01u
#define RQ_TS      0x02u
#define RQ_RETRANS 0x04u       /* a SYN-ACK went out again: no RTT sample (Karn) */

struct ln_tcp_req {
    ln_tcp_hl hl;               /* rhash chain */
    uint32_t laddr, raddr;
    uint16_t lport, rport;
    ln_tcp_sock *l;             /* the listener that owns it */
    ln_timer timer;             /* SYN-ACK retransmission, then expiry */
    ln_seq iss;                 /* our ISN: the same in every SYN-ACK */
    ln_seq irs;                 /* the SYN's sequence number; RCV.NXT = irs + 1 */
    uint32_t ts_recent;         /* peer's latest TSval, echoed as TSecr */
    uint32_t ts_offset;         /* our TSval offset */
    uint32_t rcv_wnd;           /* window of the SYN-ACK (never scaled, <= 65535) */
    uint32_t last_oow;          /* ms + 1 of the last rate-limited reply, 0: none */
    ln_time synack_time;        /* when the last SYN-ACK left (tcp_synack_rtt_meas) */
    uint16_t peer_mss;          /* the SYN's MSS (or base_mss), clamped by TCP_MAXSEG */
    uint16_t adv_mss;           /* MSS option of our SYN-ACK */
    int8_t snd_wscale;          /* peer's shift, -1: no window scaling */
    uint8_t rcv_wscale;         /* ours, sent in the SYN-ACK when snd_wscale >= 0 */
    uint8_t num_timeout;        /* timer expiries so far; 0 = "young" */
    uint8_t flags;              /* RQ_* */
    const ln_tcp6 *v6;          /* IPv6: its addresses, allocated after the
                                 * request itself; NULL: IPv4 */
};
/* A lookup reads the chain link and the 4-tuple, in the first line of a
 * request (64-byte aligned, for the bucket's filter bits too). */
_Static_assert(offsetof(struct ln_tcp_req, rport) + 2 <= 64, "a request's key must fit its first line");

/* A flood with cookies off keeps up to backlog + 1 of these per listener. */
_Static_assert(sizeof(struct ln_tcp_req) <= 128, "a request must stay small");

/* ---- small helpers -------------------------------------------------------- */

static ln_net *net_of(const ln_tcp_stack *st) { return st->node->net; }
static ln_time now_of(const ln_tcp_stack *st) { return ln_net_now(net_of(st)); }
static uint32_t ms_of(const ln_tcp_stack *st) { return (uint32_t)(now_of(st) / LN_MSEC); }
static uint32_t umax(uint32_t a, uint32_t b) { return a > b ? a : b; }
static uint32_t umin(uint32_t a, uint32_t b) { return a < b ? a : b; }

/* Requests come from the network's slabs (net.h): line-aligned, as the
 * filter needs, and reused last-freed first. */
size_t ln_tcp_req_size(bool v6) { return sizeof(ln_tcp_req) + (v6 ? sizeof(ln_tcp6) : 0); }

static ln_slab *req_slab(const ln_tcp_stack *st, bool v6)
{
    return v6 ? &net_of(st)->tcp_reqs6 : &net_of(st)->tcp_reqs;
}

static ln_flow req_flow(const ln_tcp_req *r)
{
    ln_flow f = { .src = r->laddr, .dst = r->raddr, .sport = r->lport,
                  .dport = r->rport, .proto = LN_IPPROTO_TCP };
    if (r->v6) {
        f.src = f.dst = 0;
        f.src6 = &r->v6->laddr;
        f.dst6 = &r->v6->raddr;
    }
    return f;
}

/* Linux tcp_listendrop(): every segment a listener refuses counts. */
static void listen_drop(ln_tcp_sock *l, ln_tcp_seg *seg, ln_drop_reason why)
{
    LN_MIB_INC(l->st->node, TcpExtListenDrops);
    ln_tcp_seg_drop(l->st, seg, why);
}

/* sk_acceptq_is_full(): "full" only once it holds more than backlog. */
static bool acceptq_full(const ln_tcp_sock *l) { return l->xf->acc_len > l->xf->backlog; }

/* The last SYN-queue overflow of a listener (the last cookie sent).
 * Linux keeps it in the listener's otherwise unused ts_recent_stamp
 * (tcp_synq_overflow()); so does lunet, as time + 1 (0: never).  It is
 * refreshed at most once a second, and ACKs are checked as cookies only
 * for TCP_SYNCOOKIE_VALID = 2 minutes after it (tcp_synq_no_recent_overflow),
 * so a stray ACK to a quiet listener gets its RST without a
 * SyncookiesFailed. */
static void synq_overflow(ln_tcp_sock *l)
{
    ln_time now = ln_tcp_now(l) + 1;
    if (l->ts_recent_stamp == 0 || now - l->ts_recent_stamp > LN_SEC)
        l->ts_recent_stamp = now;
}

static bool synq_recent_overflow(const ln_tcp_sock *l)
{
    ln_time now = ln_tcp_now(l) + 1;
    return l->ts_recent_stamp != 0 &&
           now - l->ts_recent_stamp <= LN_TCP_COOKIE_AGE * LN_TCP_COOKIE_PERIOD;
}

/* The MSS we advertise to raddr: the route's MTU - 40 (Linux
 * ipv4_default_advmss, at least ip_rt_min_advmss = 256, and loopback's
 * 65536 MTU capped to IP's 65535), lowered by TCP_MAXSEG (tcp_mss_clamp).
 * 0 when there is no route back: Linux's route_req fails and the SYN is
 * dropped. */
static uint16_t adv_mss_to(const ln_tcp_sock *l, const ln_tcp_seg *seg)
{
    uint32_t mtu = seg->v6 ? ln_tcp_route_mtu6(l->st->node, &seg->v6->raddr)
                           : ln_tcp_route_mtu(l->st->node, seg->saddr);
    return mtu ? ln_tcp_mss_for_mtu(mtu, seg->v6 != NULL, l->user_mss) : 0;
}

/* Linux tcp_oow_rate_limited(): at most one reply to an out-of-window
 * segment or a retransmitted SYN per tcp_invalid_ratelimit (500 ms), so a
 * forged stream cannot turn us into an amplifier.  Data without SYN is
 * never part of an ACK loop and is always answered. */
static bool oow_limited(const ln_tcp_stack *st, const ln_tcp_seg *seg, uint32_t *last)
{
    if (seg->seg_len && !(seg->flags & LN_TCP_SYN)) return false;
    uint32_t now = ms_of(st) + 1;
    uint32_t limit = (uint32_t)(st->cfg.invalid_ratelimit / LN_MSEC);
    if (*last) {
        int32_t elapsed = (int32_t)(now - *last);
        if (elapsed >= 0 && (uint32_t)elapsed < limit) return true;
    }
    *last = now;
    return false;
}

/* ---- the request table ------------------------------------------------------ */

static uint32_t rhash_of(const ln_tcp_stack *st, uint32_t laddr, uint16_t lport,
                         uint32_t raddr, uint16_t rport)
{
    return ln_tcp_tuple_hash(st, raddr, rport, laddr, lport);
}

/* The request table's buckets filter as the connection table's do
 * (tcp_int.h, tcp_table.c): a SYN looks for a request it nearly never
 * finds, and the requests in its chain are cold on a busy server. */
static inline ln_tcp_req *rq_head(uintptr_t b) { return ln_tcp_hb_head(b, LN_TCP_HB_BITS); }

static inline ln_tcp_req *rq_next(const ln_tcp_req *r) { return (ln_tcp_req *)r->hl.next; }

static ln_tcp_req *req_lookup(const ln_tcp_stack *st, const ln_tcp_seg *seg)
{
    if (!st->rhash) return NULL;
    uint32_t h = seg->has_hash ? seg->hash : rhash_of(st, seg->daddr, seg->dport, seg->saddr, seg->sport);
    uintptr_t b = st->rhash[h & st->rhash_mask];
    if (!(b & ln_tcp_hb_bit(h, LN_TCP_HB_BITS))) return NULL;
    for (ln_tcp_req *r = rq_head(b); r; r = rq_next(r))
        if (r->raddr == seg->saddr && r->rport == seg->sport &&
            r->laddr == seg->daddr && r->lport == seg->dport &&
            (seg->v6 ? r->v6 && ln_in6_eq(&r->v6->raddr, &seg->v6->raddr) &&
                           ln_in6_eq(&r->v6->laddr, &seg->v6->laddr)
                     : !r->v6))
            return r;
    return NULL;
}

/* Double the table (or make the first one) once it holds as many requests
 * as buckets.  Returns false if out of memory (the old table stays). */
static bool rhash_grow(ln_tcp_stack *st)
{
    uint32_t old_n = st->rhash ? st->rhash_mask + 1 : 0;
    if (st->rhash && st->n_reqs < old_n) return true;
    uint32_t n = old_n ? old_n * 2 : 64;
    uintptr_t *t = calloc(n, sizeof *t);
    if (!t) return st->rhash != NULL;
    for (uint32_t i = 0; i < old_n; i++) {
        ln_tcp_req *r = rq_head(st->rhash[i]), *next;
        for (; r; r = next) {
            next = rq_next(r);
            uint32_t h = rhash_of(st, r->laddr, r->lport, r->raddr, r->rport);
            ln_tcp_hl_push(&t[h & (n - 1)], &r->hl, h, LN_TCP_HB_BITS);
        }
    }
    free(st->rhash);
    st->rhash = t;
    st->rhash_mask = n - 1;
    return true;
}

/* As ln_tcp_unhash: in O(1), with no look at the chain's other requests. */
static void rhash_del(ln_tcp_stack *st, ln_tcp_req *r)
{
    uintptr_t *b = NULL;
    if (!r->hl.pprev)
        b = &st->rhash[rhash_of(st, r->laddr, r->lport, r->raddr, r->rport) & st->rhash_mask];
    ln_tcp_hl_del(b, &r->hl, LN_TCP_HB_BITS);
}

/* Unlink and free a request.  `emit`: show SYN_RCVD -> CLOSED (the request
 * died) rather than nothing (it became a socket, which goes on from
 * SYN_RCVD itself). */
static void req_free(ln_tcp_req *r, bool emit)
{
    ln_tcp_stack *st = r->l->st;
    ln_timer_cancel(&net_of(st)->sim, &r->timer);
    rhash_del(st, r);
    st->n_reqs--;
    r->l->xf->syn_qlen--;
    if (emit) {
        ln_flow f = req_flow(r);
        ln_tcp_emit_state(st, &f, LN_TCP_SYN_RCVD, LN_TCP_CLOSED);
    }
    ln_slab_free(req_slab(st, r->v6 != NULL), r);
}

/* Requests of l that never timed out (Linux's reqsk_queue_len_young).
 * Linux keeps a counter; lunet counts when it needs the figure, which is
 * only while a queue is more than half full. */
static uint32_t young_of(const ln_tcp_stack *st, const ln_tcp_sock *l)
{
    uint32_t young = 0;
    if (!st->rhash) return 0;
    for (uint32_t i = 0; i <= st->rhash_mask; i++)
        for (const ln_tcp_req *r = rq_head(st->rhash[i]); r; r = rq_next(r))
            if (r->l == l && r->num_timeout == 0) young++;
    return young;
}

/* ---- SYN-ACKs ----------------------------------------------------------------- */

/* Send the SYN-ACK of r (tcp_make_synack): ISN, ack of the SYN, the
 * request's window unscaled (RFC 7323 2.2), options mirroring the SYN in
 * Linux's order, IP ID 0.  Returns 0 or an LN_E* code. */
static int send_synack(ln_tcp_stack *st, ln_tcp_req *r, uint32_t tsval, uint8_t kind)
{
    ln_tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.saddr = r->laddr; h.daddr = r->raddr;
    h.sport = r->lport; h.dport = r->rport;
    h.seq = r->iss;
    h.ack = r->irs + 1;
    h.flags = LN_TCP_SYN | LN_TCP_ACK;
    h.wnd = (uint16_t)r->rcv_wnd;
    h.syn_opts = true;
    h.mss = r->adv_mss;
    h.sack_perm = (r->flags & RQ_SACK) != 0;
    h.ws = r->snd_wscale >= 0 ? (int8_t)r->rcv_wscale : -1;
    h.ts = (r->flags & RQ_TS) != 0;
    h.tsval = tsval;
    h.tsecr = r->ts_recent;
    r->synack_time = now_of(st);
    return ln_tcp_send_ctl(st, &h, r->v6, kind);
}

/* Retransmit it (inet_rtx_syn_ack / tcp_rtx_synack): the same segment but
 * for a fresh TSval, counted as a retransmission. */
static int rtx_synack(ln_tcp_stack *st, ln_tcp_req *r)
{
    int err = send_synack(st, r, ln_tcp_tsval(st, r->ts_offset), LN_PKT_KIND_RETRANS);
    if (err == 0) {
        r->flags |= RQ_RETRANS;
        LN_MIB_INC(st->node, TcpRetransSegs);
        LN_MIB_INC(st->node, TcpExtTCPSynRetrans);
    }
    return err;
}

/* The ACK a request sends to an unacceptable segment
 * (tcp_v4_reqsk_send_ack): SND.NXT = ISS + 1, RCV.NXT, the SYN-ACK's
 * window scaled down, TS only when there is something to echo. */
static void send_req_ack(ln_tcp_stack *st, const ln_tcp_req *r)
{
    ln_tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.saddr = r->laddr; h.daddr = r->raddr;
    h.sport = r->lport; h.dport = r->rport;
    h.seq = r->iss + 1;
    h.ack = r->irs + 1;
    h.flags = LN_TCP_ACK;
    h.wnd = (uint16_t)(r->rcv_wnd >> (r->snd_wscale >= 0 ? r->rcv_wscale : 0));
    h.ws = -1;
    if (r->ts_recent) {
        h.ts = true;
        h.tsval = ln_tcp_tsval(st, r->ts_offset);
        h.tsecr = r->ts_recent;
    }
    ln_tcp_send_ctl(st, &h, r->v6, LN_PKT_KIND_NONE);
}

/* ---- the request timer ---------------------------------------------------------- */

/* reqsk_timeout(): TCP_TIMEOUT_INIT doubled per expiry, capped at
 * TCP_RTO_MAX.  Exponential from the first retry: tcp_syn_linear_timeouts
 * applies to SYNs, not SYN-ACKs (reference 6). */
static ln_time req_timeout(const ln_tcp_stack *st, const ln_tcp_req *r)
{
    ln_time t = st->cfg.rto_initial;
    for (unsigned i = 0; i < r->num_timeout && t < st->cfg.rto_max; i++) t *= 2;
    return t < st->cfg.rto_max ? t : st->cfg.rto_max;
}

/* The request timers follow Linux's timer wheel (ln_tcp_wheel_expiry)
 * because the flood's outcome depends on it: requests armed within one
 * 256 ms bucket expire together, so pruning removes a batch of them
 * before the flood can refill a single slot, which is what gives
 * reference 9's 26 requests and 1982 / 68 / 86 (exact timers give 20
 * requests and 1988 / 62 / 74). */
static void req_arm(ln_tcp_stack *st, ln_tcp_req *r)
{
    ln_time now = now_of(st);
    ln_timer_arm(&net_of(st)->sim, &r->timer, ln_tcp_wheel_expiry(now, req_timeout(st, r)));
}

static void emit_timer(ln_tcp_stack *st, const ln_tcp_req *r)
{
    ln_net *net = net_of(st);
    if (!ln_net_wants(net, LN_EV_TIMER)) return;
    ln_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = LN_EV_TIMER;
    ev.node = st->node;
    ev.text = "synack";
    ev.value = r->num_timeout;
    ev.flow = req_flow(r);
    ln_net_emit(net, &ev);
}

/* Linux reqsk_timer_handler().  Normally a request retransmits its SYN-ACK
 * tcp_synack_retries times (1, 2, 4, 8, 16 s) and dies silently at the
 * next expiry (63 s nominal, 65.5 s with the wheel).  Under a flood the queue fills with requests nobody
 * will answer, so while the queue is more than half full
 * (2 * qlen > max(8, backlog)) and young requests (never timed out) are
 * fewer than qlen / 2, qlen / 4, ..., the retry limit drops by one per
 * halving, down to 2: old requests then die after 3 SYN-ACKs, about 7 s,
 * leaving room for new ones.  "We reserve half of room for young embrions;
 * and abort old ones without pity, if old ones are about to clog our
 * table." */
static void req_timer(void *arg)
{
    ln_tcp_req *r = arg;
    ln_tcp_sock *l = r->l;
    ln_tcp_stack *st = l->st;
    uint32_t max_retries = st->cfg.synack_retries;
    uint32_t qlen = l->xf->syn_qlen;

    emit_timer(st, r);
    LN_MIB_INC(st->node, TcpExtTCPTimeouts);    /* tcp_syn_ack_timeout() */
    if ((qlen << 1) > umax(8, l->xf->backlog)) {
        uint32_t young = young_of(st, l) << 1;
        while (max_retries > 2) {
            if (qlen < young) break;
            max_retries--;
            young <<= 1;
        }
    }
    /* Expired, or the SYN-ACK could not leave (no route any more): Linux
     * drops the request either way. */
    if (r->num_timeout >= max_retries || rtx_synack(st, r) != 0) {
        req_free(r, true);
        return;
    }
    r->num_timeout++;
    req_arm(st, r);
}

/* ---- a request from a SYN --------------------------------------------------------- */

/* Fill r from the SYN and the node's settings (tcp_parse_options,
 * tcp_openreq_init, tcp_openreq_init_rwin).  A cookie cannot remember
 * options without timestamps, so a cookie SYN-ACK to a SYN without TS
 * offers MSS only (tcp_conn_request: tcp_clear_options).  Returns false
 * when there is no route back to the peer. */
static bool req_from_syn(ln_tcp_sock *l, const ln_tcp_seg *seg, bool want_cookie, ln_tcp_req *r)
{
    ln_tcp_stack *st = l->st;
    const ln_tcp_cfg *cfg = &st->cfg;

    memset(r, 0, sizeof *r);
    r->l = l;
    r->laddr = seg->daddr; r->raddr = seg->saddr;
    r->v6 = seg->v6;                    /* the caller copies it to keep it */
    r->lport = seg->dport; r->rport = seg->sport;
    r->irs = seg->seq;
    r->adv_mss = adv_mss_to(l, seg);
    if (!r->adv_mss) return false;

    bool ts = seg->has_ts && cfg->timestamps;
    bool sack = seg->sack_perm && cfg->sack;
    int ws = seg->has_ws && cfg->window_scaling ? (int)umin(seg->ws, LN_TCP_MAX_WSCALE) : -1;
    if (want_cookie && !ts) { sack = false; ws = -1; }
    uint32_t mss = seg->has_mss && seg->mss ? seg->mss : cfg->base_mss;
    if (l->user_mss && l->user_mss < mss) mss = l->user_mss;
    r->peer_mss = (uint16_t)mss;
    r->snd_wscale = (int8_t)ws;
    r->flags = (sack ? RQ_SACK : 0) | (ts ? RQ_TS : 0);
    if (ts) {
        r->ts_recent = seg->tsval;
        r->ts_offset = ln_tcp_ts_offset(st, r->laddr, r->raddr, r->v6);
    }

    /* The window is a whole number of segments of the size the peer will
     * send: our MSS less the TS option (65160 = 45 x 1448 with TS,
     * 64240 = 44 x 1460 without). */
    uint32_t wnd = 0, clamp = l->window_clamp;
    uint8_t wscale = 0;
    ln_tcp_select_initial_window(l, r->adv_mss - (ts ? LN_TCPOLEN_TS_ALIGNED : 0),
                                 &wnd, &clamp, &wscale);
    r->rcv_wnd = umin(wnd, 65535);
    r->rcv_wscale = ws >= 0 ? wscale : 0;
    return true;
}

static void params_of_req(const ln_tcp_req *r, ln_tcp_req_params *p)
{
    memset(p, 0, sizeof *p);
    p->laddr = r->laddr; p->raddr = r->raddr;
    p->v6 = r->v6;
    p->lport = r->lport; p->rport = r->rport;
    p->iss = r->iss; p->irs = r->irs;
    p->peer_mss = r->peer_mss;
    p->snd_wscale = r->snd_wscale;
    p->rcv_wscale = r->rcv_wscale;
    p->sack = (r->flags & RQ_SACK) != 0;
    p->ts = (r->flags & RQ_TS) != 0;
    p->ts_recent = r->ts_recent;
    p->ts_offset = r->ts_offset;
    p->rcv_wnd = r->rcv_wnd;
    p->from_cookie = false;
    /* The handshake's RTT, unless the SYN-ACK was sent more than once
     * (Karn); a cookie gives none, its connection samples the TS echo. */
    p->synack_time = (r->flags & RQ_RETRANS) ? LN_NEVER : r->synack_time;
}

/* Linux tcp_conn_request(): a SYN for a listener with no request for it. */
static void conn_request(ln_tcp_sock *l, ln_tcp_seg *seg)
{
    ln_tcp_stack *st = l->st;
    const ln_tcp_cfg *cfg = &st->cfg;
    bool want_cookie = false;
    /* The SYN-ACK goes back through the client's neighbour entry, whose
     * bucket IP input started on (neigh.h). */
    if (!seg->v6 && seg->pkt->in_if)
        ln_neigh_prefetch_entry(&st->node->arp, seg->pkt->in_if->index, &seg->saddr);

    /* The SYN queue counts as full once it holds more than backlog
     * (inet_csk_reqsk_queue_is_full): a backlog of 16 keeps 17 requests.
     * Then cookies if enabled, else a silent drop (tcp_syn_flood_action);
     * tcp_syncookies = 2 sends cookies always and keeps no request. */
    if (cfg->syncookies == 2 || l->xf->syn_qlen > l->xf->backlog) {
        if (LN_TRACE_ON(st->node->net, LN_TR_TCP)) {
            char a[LN_IN6_FMTLEN];
            if (seg->v6) ln_ip6_fmt(&seg->v6->raddr, a);
            else ln_ip_fmt(seg->saddr, a);
            ln_tcp_trace(l, "SYN from %s%s%s:%u: SYN queue full (%u > backlog %u): %s", seg->v6 ? "[" : "", a,
                         seg->v6 ? "]" : "", seg->sport, l->xf->syn_qlen, l->xf->backlog,
                         cfg->syncookies ? "SYN cookie" : "dropped (tcp_syncookies 0)");
        }
        if (!cfg->syncookies) {
            LN_MIB_INC(st->node, TcpExtTCPReqQFullDrop);
            listen_drop(l, seg, LN_DROP_BACKLOG_FULL);
            return;
        }
        LN_MIB_INC(st->node, TcpExtTCPReqQFullDoCookies);
        want_cookie = true;
    }
    /* No room to accept the connection even if it completes. */
    if (acceptq_full(l)) {
        LN_TCP_TRACE(l, "SYN dropped: the accept queue is full (nobody calls accept fast enough)");
        LN_MIB_INC(st->node, TcpExtListenOverflows);
        listen_drop(l, seg, LN_DROP_BACKLOG_FULL);
        return;
    }

    ln_tcp_req tmp;
    if (!req_from_syn(l, seg, want_cookie, &tmp)) {
        listen_drop(l, seg, LN_DROP_NO_ROUTE);
        return;
    }

    if (want_cookie) {
        /* No state: the ISN and the TSval carry everything
         * (cookie_init_sequence), and nothing is allocated. */
        uint16_t cmss;
        synq_overflow(l);
        LN_MIB_INC(st->node, TcpExtSyncookiesSent);
        tmp.iss = ln_tcp_cookie_make(st, seg, &cmss);
        uint32_t tsval = (tmp.flags & RQ_TS)
            ? ln_tcp_cookie_tsval(st, tmp.snd_wscale, tmp.flags & RQ_SACK, tmp.ts_offset) : 0;
        send_synack(st, &tmp, tsval, LN_PKT_KIND_NONE);
        ln_tcp_seg_done(seg);
        return;
    }

    /* Without cookies the last quarter of tcp_max_syn_backlog is kept for
     * peers proven alive (tcp_peer_is_proven: lunet keeps no metrics
     * cache, so nobody is). */
    if (!cfg->syncookies &&
        (int64_t)cfg->max_syn_backlog - l->xf->syn_qlen < (int64_t)(cfg->max_syn_backlog >> 2)) {
        listen_drop(l, seg, LN_DROP_BACKLOG_FULL);
        return;
    }

    /* An IPv6 request carries its addresses right after it: one
     * allocation, and IPv4 requests stay as small as they were. */
    ln_tcp_req *r = ln_slab_alloc(req_slab(st, seg->v6 != NULL));
    if (!r || !rhash_grow(st)) {
        ln_slab_free(req_slab(st, seg->v6 != NULL), r);
        listen_drop(l, seg, LN_DROP_NO_BUFFER);
        return;
    }
    *r = tmp;
    if (seg->v6) {
        ln_tcp6 *a = (ln_tcp6 *)(r + 1);
        *a = *seg->v6;
        a->flow = ln_tcp6_flow(st, a, r->lport, r->rport);
        r->v6 = a;
    }
    r->iss = ln_tcp_isn(st, r->laddr, r->lport, r->raddr, r->rport, r->v6);
    uint32_t h = rhash_of(st, r->laddr, r->lport, r->raddr, r->rport);
    ln_tcp_hl_push(&st->rhash[h & st->rhash_mask], &r->hl, h, LN_TCP_HB_BITS);
    st->n_reqs++;
    l->xf->syn_qlen++;
    ln_timer_init(&r->timer, req_timer, r);
    req_arm(st, r);

    ln_flow f = req_flow(r);
    ln_tcp_emit_state(st, &f, LN_TCP_LISTEN, LN_TCP_SYN_RCVD);
    send_synack(st, r, ln_tcp_tsval(st, r->ts_offset), LN_PKT_KIND_NONE);
    ln_tcp_seg_done(seg);
}

/* ---- segments for a request ----------------------------------------------------------- */

/* A full socket for a completed handshake, fed the segment that completed
 * it; r (NULL for a cookie) is the request it replaces.  Linux
 * tcp_v4_syn_recv_sock(): with the accept queue full the ACK is dropped
 * and the request kept (tcp_abort_on_overflow = 0), so the next SYN-ACK
 * retransmission gives the client another chance. */
static void make_child(ln_tcp_sock *l, const ln_tcp_req_params *p, ln_tcp_req *r,
                       ln_tcp_seg *seg)
{
    ln_tcp_stack *st = l->st;
    if (acceptq_full(l)) {
        LN_MIB_INC(st->node, TcpExtListenOverflows);
        listen_drop(l, seg, LN_DROP_BACKLOG_FULL);
        return;
    }
    ln_tcp_sock *child = ln_tcp_child_new(l, p);
    if (!child) {
        listen_drop(l, seg, LN_DROP_NO_BUFFER);
        return;
    }
    if (r) req_free(r, false);
    ln_tcp_process(child, seg);
}

/* Linux tcp_check_req(): a segment for a request.  Returns false if the
 * listener must handle it as if there were no request (an ACK of
 * something we never sent: RST). */
static bool req_input(ln_tcp_sock *l, ln_tcp_req *r, ln_tcp_seg *seg)
{
    ln_tcp_stack *st = l->st;
    uint8_t flg = seg->flags & (LN_TCP_RST | LN_TCP_SYN | LN_TCP_ACK);
    bool paws = false;

    /* PAWS (RFC 7323 5) against the SYN's TSval.  An RST escapes it only
     * once the request is a minute old (tcp_paws_reject, TCP_PAWS_MSL). */
    if (seg->has_ts && st->cfg.timestamps && r->ts_recent &&
        (int32_t)(r->ts_recent - seg->tsval) > 0)
        paws = !((flg & LN_TCP_RST) && req_timeout(st, r) >= 60 * LN_SEC);

    /* The SYN again (our SYN-ACK was lost): answer it at once and restart
     * the timer, rate-limited; RFC 1122 4.2.2.20 fixes RFC 793 here. */
    if (seg->seq == r->irs && flg == LN_TCP_SYN && !paws) {
        if (!oow_limited(st, seg, &r->last_oow) && rtx_synack(st, r) == 0)
            req_arm(st, r);
        ln_tcp_seg_done(seg);
        return true;
    }

    /* RFC 9293 3.10.7.3: an ACK of something not yet sent gets a reset,
     * which the listener sends. */
    if ((flg & LN_TCP_ACK) && seg->ack != r->iss + 1)
        return false;

    /* First check the sequence number: out of window gets an ACK. */
    ln_seq rcv_nxt = r->irs + 1;
    if (paws || !ln_tcp_in_window(seg->seq, seg->seq + seg->seg_len, rcv_nxt, rcv_nxt + r->rcv_wnd)) {
        if (!(flg & LN_TCP_RST) && !oow_limited(st, seg, &r->last_oow))
            send_req_ack(st, r);
        if (paws) LN_MIB_INC(st->node, TcpExtPAWSEstab);
        ln_tcp_seg_drop(st, seg, paws ? LN_DROP_TCP_PAWS : LN_DROP_TCP_OUT_OF_WINDOW);
        return true;
    }

    if (seg->has_ts && st->cfg.timestamps && ln_seq_le(seg->seq, rcv_nxt))
        r->ts_recent = seg->tsval;
    /* A SYN at the old ISN is out of the window that starts at ISN + 1. */
    if (seg->seq == r->irs) flg &= (uint8_t)~LN_TCP_SYN;

    /* RST or a new SYN in the window: the attempt is over (RFC 9293
     * 3.10.7.4 second and fourth checks); a SYN gets a reset. */
    if (flg & (LN_TCP_RST | LN_TCP_SYN)) {
        LN_MIB_INC(st->node, TcpAttemptFails);
        if (!(flg & LN_TCP_RST)) ln_tcp_send_rst_reply(st, seg);
        LN_MIB_INC(st->node, TcpExtEmbryonicRsts);
        req_free(r, true);
        /* The segment did its job (it ended the attempt): consumed, not a
         * drop, so the event stream does not call it lost. */
        ln_tcp_seg_done(seg);
        return true;
    }
    if (!(flg & LN_TCP_ACK)) {
        ln_tcp_seg_drop(st, seg, LN_DROP_TCP_BAD_SEGMENT);
        return true;
    }

    /* The handshake's ACK: the request becomes a socket. */
    ln_tcp_req_params p;
    params_of_req(r, &p);
    make_child(l, &p, r, seg);
    return true;
}

/* Linux tcp_req_err(): an ICMP error quoting a request's SYN-ACK.  A hard
 * error (net or host unreachable, time exceeded, parameter problem:
 * tcp_v4_err's list) about our ISN drops the request (counted as a
 * ListenDrop); soft ones change nothing, the SYN-ACK timer goes on; a
 * quote of some other sequence number is an OutOfWindowIcmp. */
bool ln_tcp_listen_icmp(ln_tcp_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
                        uint16_t rport, const ln_tcp6 *v6, ln_seq seq, bool hard)
{
    ln_tcp_seg key;
    memset(&key, 0, sizeof key);
    key.saddr = raddr; key.sport = rport;
    key.daddr = laddr; key.dport = lport;
    key.v6 = v6;
    ln_tcp_req *r = req_lookup(st, &key);
    if (!r) return false;
    if (seq != r->iss) {
        LN_MIB_INC(st->node, TcpExtOutOfWindowIcmps);
    } else if (hard) {
        LN_MIB_INC(st->node, TcpExtListenDrops);
        req_free(r, true);
    }
    return true;
}

/* ---- the listener ------------------------------------------------------------------------ */

void ln_tcp_listen_input(ln_tcp_sock *l, ln_tcp_seg *seg)
{
    ln_tcp_stack *st = l->st;
    ln_tcp_req *r = req_lookup(st, seg);
    if (r) ln_timer_prefetch(&net_of(st)->sim, &r->timer);   /* the ACK frees it */
    if (r && req_input(l, r, seg)) return;

    /* RFC 9293 3.10.7.2, LISTEN, in Linux's order (tcp_v4_do_rcv,
     * tcp_rcv_state_process). */
    if (seg->flags & LN_TCP_ACK) {
        /* A SYN cookie comes back in the ACK (cookie_v4_check), looked at
         * only if this listener sent cookies in the last 2 minutes. */
        if (!(seg->flags & (LN_TCP_SYN | LN_TCP_RST)) && st->cfg.syncookies &&
            synq_recent_overflow(l)) {
            ln_tcp_req_params p;
            if (ln_tcp_cookie_check(st, seg, &p)) {
                /* Redo what the SYN-ACK did (cookie_v4_check): the window
                 * for the cookie's MSS, without the TS allowance, hence
                 * 64240 and a first scaled window of 63 (x 1024) where a
                 * request gives 65160 and 64. */
                uint32_t wnd = 0, clamp = l->window_clamp;
                uint8_t wscale = 0;
                ln_tcp_select_initial_window(l, p.peer_mss, &wnd, &clamp, &wscale);
                p.rcv_wnd = umin(wnd, 65535);
                p.rcv_wscale = p.snd_wscale >= 0 ? wscale : 0;
                make_child(l, &p, NULL, seg);
                return;
            }
        }
        /* RFC 9293 3.10.7.2: an ACK in LISTEN gets <SEQ=SEG.ACK><CTL=RST>;
         * nothing answers a RST. */
        if (!(seg->flags & LN_TCP_RST)) ln_tcp_send_rst_reply(st, seg);
        ln_tcp_seg_drop(st, seg, LN_DROP_NO_SOCKET);
        return;
    }
    /* An RST is ignored; SYN with FIN makes no sense (Linux drops it). */
    if ((seg->flags & (LN_TCP_RST | LN_TCP_SYN | LN_TCP_FIN)) != LN_TCP_SYN) {
        ln_tcp_seg_drop(st, seg, LN_DROP_TCP_BAD_SEGMENT);
        return;
    }
    conn_request(l, seg);
}

/* ---- the accept queue ---------------------------------------------------------------------- */

void ln_tcp_accept_enqueue(ln_tcp_sock *l, ln_tcp_sock *child)
{
    child->acc_next = NULL;
    if (l->xf->acc_tail) l->xf->acc_tail->acc_next = child;
    else l->xf->acc_head = child;
    l->xf->acc_tail = child;
    l->xf->acc_len++;
    ln_tcp_notify(l, LN_TCP_EV_ACCEPT);
}

ln_tcp_sock *ln_tcp_accept_dequeue(ln_tcp_sock *l)
{
    ln_tcp_sock *c = l->xf->acc_head;
    if (!c) return NULL;
    l->xf->acc_head = c->acc_next;
    if (!l->xf->acc_head) l->xf->acc_tail = NULL;
    l->xf->acc_len--;
    c->acc_next = NULL;
    c->listener = NULL;
    return c;
}

/* inet_csk_listen_stop() leaves the requests to die unanswered
 * (reqsk_timer_handler on a closed listener); lunet frees them at once. */
static void free_reqs(ln_tcp_stack *st, ln_tcp_sock *l)
{
    if (!st->rhash) return;
    for (uint32_t i = 0; i <= st->rhash_mask; i++) {
        ln_tcp_req *r = rq_head(st->rhash[i]), *next;
        for (; r; r = next) {
            next = rq_next(r);
            if (r->l == l) req_free(r, true);
        }
    }
}

/* inet_csk_listen_stop(): the requests go quietly; every connection
 * waiting in the accept queue is reset (tcp_disconnect sends RST from
 * ESTABLISHED or CLOSE_WAIT) and freed, since nobody will accept it. */
void ln_tcp_listen_stop(ln_tcp_sock *l)
{
    free_reqs(l->st, l);
    ln_tcp_sock *c;
    while ((c = ln_tcp_accept_dequeue(l)) != NULL)
        ln_tcp_abort(c);
}

/* Node teardown: free every request without a word and without looking
 * at the listeners, which may be gone already. */
void ln_tcp_listen_free_stack(ln_tcp_stack *st)
{
    if (st->rhash) {
        ln_sim *sim = &net_of(st)->sim;
        for (uint32_t i = 0; i <= st->rhash_mask; i++) {
            ln_tcp_req *r = rq_head(st->rhash[i]), *next;
            for (; r; r = next) {
                next = rq_next(r);
                ln_timer_cancel(sim, &r->timer);
                ln_slab_free(req_slab(st, r->v6 != NULL), r);
            }
        }
    }
    free(st->rhash);
    st->rhash = NULL;
    st->rhash_mask = 0;
    st->n_reqs = 0;
}

void ln_tcp_foreach_req(ln_node *n, void (*fn)(const ln_tcp_req_view *r, void *arg), void *arg)
{
    ln_tcp_stack *st = n->tcp;
    if (!st || !st->rhash) return;
    ln_time now = ln_net_now(n->net);
    for (uint32_t i = 0; i <= st->rhash_mask; i++) {
        for (ln_tcp_req *r = rq_head(st->rhash[i]); r; r = rq_next(r)) {
            ln_tcp_req_view v = { .laddr = r->laddr, .raddr = r->raddr, .lport = r->lport,
                                  .rport = r->rport, .retransmits = r->num_timeout,
                                  .timer_left = ln_timer_armed(&r->timer) && r->timer.when > now
                                                    ? r->timer.when - now : 0 };
            if (r->v6) {
                v.laddr = v.raddr = 0;
                v.v6 = true;
                v.laddr6 = r->v6->laddr;
                v.raddr6 = r->v6->raddr;
            }
            fn(&v, arg);
        }
    }
}