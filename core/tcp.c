/* tcp.c - TCP sockets: the user calls (socket, listen, connect, accept,
 * send, recv, shutdown, close, abort), a socket's life from birth (by
 * connect or from a listener's handshake) to its free, state changes,
 * notifications and events, and the per-node stack (attach, detach).
 *
 * Place in the call chain:
 *   users (Lua binding, C) -> ln_tcp_socket/listen/connect/send/recv/
 *     close ... -> ln_tcp_output (tcp_out.c), tcp_rcv.c's read-side
 *     helpers; tables and ports in tcp_table.c, windows in tcp_win.c
 *   tcp_listen.c -> ln_tcp_child_new (the passive open's full socket)
 *   tcp_in.c, tcp_timer.c, tcp_icmp.c -> ln_tcp_set_state (counters,
 *     events), ln_tcp_done (the end), ln_tcp_set_error, ln_tcp_notify
 *   settings and socket options: tcp_opt.c
 *
 * Read: RFC 9293 3.3.2 (states), 3.5 and 3.6 (open, close), RFC 1122
 * 4.2.2.13 (close with unread data), RFC 5681 4.1 (restart after idle),
 * and Linux's tcp.c (tcp_close, tcp_shutdown, tcp_set_state), tcp_input.c
 * (tcp_init_transfer), tcp_minisocks.c (tcp_create_openreq_child) and
 * tcp_ipv4.c (tcp_v4_connect).
 *
 * Notifications are held while the stack is busy (segment input, timers,
 * API calls: a "batch") and delivered when it ends, so a callback always
 * sees a consistent socket and may call back into the API. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ip.h"
#include "ip6.h"
#include "net.h"
#include "node.h"
#include "tcp_int.h"
#include "wire.h"

static const char *const state_names[LN_TCP__NSTATES] = {
    "CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1",
    "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT",
};

const char *ln_tcp_state_name(ln_tcp_state s)
{
    return (unsigned)s < LN_TCP__NSTATES ? state_names[s] : "?";
}

static ln_net *net_of(const ln_tcp_stack *st) { return st->node->net; }
static uint32_t umin(uint32_t a, uint32_t b) { return a < b ? a : b; }
static uint32_t umax(uint32_t a, uint32_t b) { return a > b ? a : b; }

/* ---- batches and notifications ---------------------------------------------- */

void ln_tcp_batch_begin(ln_tcp_stack *st) { st->batch++; }

/* The outermost batch ends: deliver what was held, in the order the
 * sockets first got an event.  Callbacks run inside a batch of their own,
 * so what they cause is delivered by this same loop. */
void ln_tcp_batch_end(ln_tcp_stack *st)
{
    if (st->batch > 1) {
        st->batch--;
        return;
    }
    while (st->ev_head) {
        ln_tcp_sock *s = st->ev_head;
        st->ev_head = s->ev_next;
        if (!st->ev_head) st->ev_tail = NULL;
        s->ev_next = NULL;
        unsigned ev = s->ev_pending;
        s->ev_pending = 0;
        if (s->notify && !(s->flags & LN_TF_ORPHAN)) s->notify(s, ev, s->notify_arg);
    }
    st->batch = 0;
}

void ln_tcp_notify(ln_tcp_sock *s, unsigned events)
{
    ln_tcp_stack *st = s->st;
    if (!events || (s->flags & LN_TF_ORPHAN)) return;
    if (!s->ev_pending) {
        s->ev_next = NULL;
        if (st->ev_tail) st->ev_tail->ev_next = s;
        else st->ev_head = s;
        st->ev_tail = s;
    }
    s->ev_pending |= (uint8_t)events;
    if (!st->batch) {
        ln_tcp_batch_begin(st);
        ln_tcp_batch_end(st);
    }
}

void ln_tcp_set_error(ln_tcp_sock *s, int err)
{
    s->error = (int16_t)err;
    ln_tcp_notify(s, LN_TCP_EV_ERROR | LN_TCP_EV_READABLE | LN_TCP_EV_WRITABLE);
}

/* ---- events ------------------------------------------------------------------- */

static ln_flow flow_of(const ln_tcp_sock *s)
{
    ln_flow f = { .src = s->laddr, .dst = s->raddr, .sport = s->lport, .dport = s->rport,
                  .proto = LN_IPPROTO_TCP };
    if (s->flags & LN_TF_V6) {
        f.src = f.dst = 0;
        f.src6 = &s->v6->laddr;
        f.dst6 = &s->v6->raddr;
    }
    return f;
}

void ln_tcp_emit_state(ln_tcp_stack *st, const ln_flow *flow, ln_tcp_state from, ln_tcp_state to)
{
    ln_net *net = net_of(st);
    if (!ln_net_wants(net, LN_EV_TCP_STATE)) return;
    ln_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = LN_EV_TCP_STATE;
    ev.node = st->node;
    ev.value = from;
    ev.value2 = to;
    ev.text = ln_tcp_state_name(to);
    ev.flow = *flow;
    ln_net_emit(net, &ev);
}

/* A socket's event, the fields every one has set (the caller checked
 * ln_net_wants). */
static ln_event sock_event(ln_tcp_sock *s, ln_ev_type type)
{
    ln_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    ev.node = s->st->node;
    ev.obj = s;
    ev.flow = flow_of(s);
    return ev;
}

void ln_tcp_emit_cwnd(ln_tcp_sock *s, const char *why)
{
    ln_net *net = net_of(s->st);
    if (!ln_net_wants(net, LN_EV_TCP_CWND)) return;
    ln_event ev = sock_event(s, LN_EV_TCP_CWND);
    ev.value = ln_tcp_cwnd(s);
    ev.value2 = ln_tcp_ssthresh(s);
    ev.text = why;
    ln_net_emit(net, &ev);
}

void ln_tcp_emit_rtt(ln_tcp_sock *s, ln_time rtt)
{
    ln_net *net = net_of(s->st);
    if (!ln_net_wants(net, LN_EV_TCP_RTT)) return;
    ln_event ev = sock_event(s, LN_EV_TCP_RTT);
    ev.value = (int64_t)rtt;
    ev.value2 = (int64_t)s->srtt;
    ev.value3 = (int64_t)s->rto;
    ln_net_emit(net, &ev);
}

void ln_tcp_emit_timer(ln_tcp_sock *s, const char *what, int64_t value, int64_t value2)
{
    ln_net *net = net_of(s->st);
    if (!ln_net_wants(net, LN_EV_TIMER)) return;
    ln_event ev = sock_event(s, LN_EV_TIMER);
    ev.text = what;
    ev.value = value;
    ev.value2 = value2;
    ln_net_emit(net, &ev);
}

char *ln_tcp_fmt_ep(const ln_tcp_sock *s, bool remote, char *buf)
{
    char a[LN_IN6_FMTLEN];
    uint16_t port = remote ? s->rport : s->lport;
    if (s->flags & LN_TF_V6)
        snprintf(buf, LN_TCP_EPLEN, "[%s]:%u", ln_ip6_fmt(remote ? &s->v6->raddr : &s->v6->laddr, a), port);
    else
        snprintf(buf, LN_TCP_EPLEN, "%s:%u", ln_ip_fmt(remote ? s->raddr : s->laddr, a), port);
    return buf;
}

void ln_tcp_trace(const ln_tcp_sock *s, const char *fmt, ...)
{
    char msg[400], a[LN_TCP_EPLEN], b[LN_TCP_EPLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ln_trace_emit(s->st->node->net, LN_TR_TCP, s->st->node->name, "%s>%s %s", ln_tcp_fmt_ep(s, false, a),
                  ln_tcp_fmt_ep(s, true, b), msg);
}

/* Linux's tcp_set_state: the MIB gauges and counters follow the state. */
void ln_tcp_set_state(ln_tcp_sock *s, ln_tcp_state state)
{
    ln_tcp_state old = (ln_tcp_state)s->state;
    ln_tcp_stack *st = s->st;
    ln_node *n = st->node;
    if (old == state) return;
    LN_TCP_TRACE(s, "%s -> %s", ln_tcp_state_name(old), ln_tcp_state_name(state));
    switch (state) {
    case LN_TCP_ESTABLISHED:
        LN_MIB_INC(n, TcpCurrEstab);
        break;
    case LN_TCP_CLOSE_WAIT:
        /* RFC 1213: CurrEstab counts ESTABLISHED and CLOSE_WAIT. */
        if (old == LN_TCP_SYN_RCVD) LN_MIB_INC(n, TcpCurrEstab);
        break;
    case LN_TCP_CLOSED:
        if (old == LN_TCP_ESTABLISHED || old == LN_TCP_CLOSE_WAIT) LN_MIB_INC(n, TcpEstabResets);
        /* fall through */
    default:
        if (old == LN_TCP_ESTABLISHED || old == LN_TCP_CLOSE_WAIT) {
            if (n->mib[LN_MIB_TcpCurrEstab]) ln_node_mib(n)[LN_MIB_TcpCurrEstab]--;
        }
        break;
    }
    if (old == LN_TCP_ESTABLISHED) st->n_estab--;
    if (state == LN_TCP_ESTABLISHED) st->n_estab++;
    if (old == LN_TCP_TIME_WAIT) st->n_tw--;
    if (state == LN_TCP_TIME_WAIT) st->n_tw++;
    s->state = (uint8_t)state;
    ln_flow f = flow_of(s);
    if (ln_net_wants(net_of(st), LN_EV_TCP_STATE)) {
        ln_event ev;
        memset(&ev, 0, sizeof ev);
        ev.type = LN_EV_TCP_STATE;
        ev.node = n;
        ev.value = old;
        ev.value2 = state;
        ev.text = ln_tcp_state_name(state);
        ev.obj = s;
        ev.flow = f;
        ln_net_emit(net_of(st), &ev);
    }
}

/* Linux's tcp_init_transfer: buffers and congestion control start when
 * the connection is established (either side).  Without xf (nothing was
 * sent or received yet, the usual case) the algorithm's state starts when
 * xf is made, as of now: lsndtime keeps the time (xfer_new). */
void ln_tcp_init_transfer(ln_tcp_sock *s)
{
    ln_time now = ln_tcp_now(s);
    ln_tcp_init_buffer_space(s);
    /* RFC 6928 / tcp_init_cwnd; RFC 6298 5.7: after a retransmitted SYN
     * the window starts at 1 (Linux: cwnd 1 when the SYN timed out). */
    s->init_cwnd = s->retransmits || s->total_retrans ? 1 : s->st->cfg.initial_cwnd;
    ln_tcp_xfer *x = s->xf;
    if (x) {
        x->cc.cwnd = s->init_cwnd;
        x->cc.ssthresh = LN_TCP_INFINITE_SSTHRESH;
        x->cc.cwnd_cnt = 0;
        x->cc.mss = s->mss_cache;
        x->cc.snd_una = s->snd_una;
        x->cc.snd_nxt = s->snd_max;
        s->cc_ops->init(&x->cc, now);
    } else {
        s->flags |= LN_TF_CC_INIT;
    }
    s->lsndtime = now;
    s->lrcvtime = now;
    s->rcv_tstamp = now;
    s->retransmits = 0;
    s->backoff = 0;
    ln_tcp_emit_cwnd(s, "init");
    if (s->flags & LN_TF_KEEPALIVE) ln_tcp_arm_keepalive(s);
}

/* ---- sockets ---------------------------------------------------------------------- */

/* tcp_congestion_control's algorithm (reno when the name is unknown),
 * looked up again only when the setting changed: a million sockets made
 * with one setting would compare names a million times. */
static const ln_tcp_cc_ops *cc_default(ln_tcp_stack *st)
{
    const char *name = st->cfg.congestion;
    if (!st->cc_ops || memcmp(st->cc_name, name, sizeof st->cc_name) != 0) {
        memcpy(st->cc_name, name, sizeof st->cc_name);
        st->cc_ops = ln_tcp_cc_find(name);
        if (!st->cc_ops) st->cc_ops = ln_tcp_cc_find("reno");
    }
    return st->cc_ops;
}

ln_tcp_sock *ln_tcp_sock_new(ln_tcp_stack *st)
{
    ln_tcp_sock *s = ln_slab_alloc(&st->node->net->tcp_socks);
    if (!s) return NULL;
    s->retrans_stamp = LN_NEVER;
    const ln_tcp_cfg *c = &st->cfg;
    s->st = st;
    s->state = LN_TCP_CLOSED;
    s->rcvbuf = c->rmem[1];
    s->sndbuf = c->wmem[1];
    /* Linux's TCP_DEFAULT_SCALING_RATIO: half of the buffer is assumed to
     * be payload until a full-sized segment shows the real ratio. */
    s->scaling_ratio = 128;
    ln_tcp_timers_init(s);
    s->cc_ops = cc_default(st);
    s->init_cwnd = c->initial_cwnd;
    s->rto = c->rto_initial;
    s->min_rtt = LN_NEVER;
    s->ato = 0;
    s->keepidle = c->keepalive_time;
    s->keepintvl = c->keepalive_intvl;
    s->keepcnt = (uint8_t)umin(c->keepalive_probes, 255);
    s->ip_id = (uint16_t)ln_rng_next(&st->rng);
    s->next = st->all;
    if (st->all) st->all->prev = s;
    st->all = s;
    st->n_socks++;
    return s;
}

/* Free a socket now: it must be in no table a segment could reach. */
void ln_tcp_sock_free(ln_tcp_sock *s)
{
    ln_tcp_stack *st = s->st;
    ln_tcp_timers_cancel(s);
    ln_tcp_unhash(s);
    ln_tcp_bind_del(s);
    ln_tcp_listener_del(s);
    if (s->ev_pending) {
        ln_tcp_sock *prev = NULL;
        for (ln_tcp_sock *x = st->ev_head; x; prev = x, x = x->ev_next) {
            if (x != s) continue;
            if (prev) prev->ev_next = x->ev_next;
            else st->ev_head = x->ev_next;
            if (st->ev_tail == s) st->ev_tail = prev;
            break;
        }
    }
    if (s->prev) s->prev->next = s->next;
    else st->all = s->next;
    if (s->next) s->next->prev = s->prev;
    if (s->flags & LN_TF_ORPHAN) st->n_orphans--;
    if (s->state == LN_TCP_ESTABLISHED) st->n_estab--;
    if (s->state == LN_TCP_TIME_WAIT) st->n_tw--;
    st->n_socks--;
    ln_tcp_free_buffers(s);
    free(s->xf);
    free(s->v6);
    ln_slab_free(&st->node->net->tcp_socks, s);
}

/* Buffers a socket no longer needs once it cannot send or receive data
 * (TIME_WAIT, orphans): memory goes back at once, as Linux's small
 * timewait socks do.  xf itself stays: tcp_info still reads it. */
void ln_tcp_free_buffers(ln_tcp_sock *s)
{
    ln_tcp_xfer *x = s->xf;
    if (!x) return;
    ln_ring_free(&x->rcv);
    ln_ring_free(&x->snd);
    ln_tcp_ofo_free(&x->ofo);
    free(x->sb);
    x->sb = NULL;
    free(x->txq);
    x->txq = NULL;
    x->txq_head = x->txq_len = x->txq_cap = 0;
}

/* The transfer part, from what the socket holds: each field as
 * ln_tcp_sock_new, ln_tcp_connect or ln_tcp_child_new and
 * ln_tcp_init_transfer would have set it, none of which needs xf; and
 * nothing that would change one of them later runs without xf (the
 * congestion state's fields the core keeps current are copied: srtt,
 * which the handshake's RTT sample set, and mss). */
static ln_tcp_xfer *xfer_new(ln_tcp_sock *s)
{
    ln_tcp_xfer *x = calloc(1, sizeof *x);
    if (!x) return NULL;
    ln_ring_init(&x->snd, s->sndbuf);
    ln_ring_init(&x->rcv, s->rcvbuf);
    ln_tcp_ofo_init(&x->ofo);
    x->high_seq = s->iss;
    x->cc.cwnd = s->init_cwnd;
    x->cc.ssthresh = LN_TCP_INFINITE_SSTHRESH;
    x->cc.mss = s->mss_cache;
    x->cc.srtt = s->srtt;
    s->xf = x;
    ln_tcp_delack_init(s);
    if (s->flags & LN_TF_CC_INIT) {
        /* ln_tcp_init_transfer ran at lsndtime (nothing was sent since:
         * that needs xf), with SND.UNA and SND.MAX as they still are. */
        s->flags &= ~LN_TF_CC_INIT;
        x->cc.snd_una = s->snd_una;
        x->cc.snd_nxt = s->snd_max;
        s->cc_ops->init(&x->cc, s->lsndtime);
    }
    return x;
}

ln_tcp_xfer *ln_tcp_xfer_get(ln_tcp_sock *s)
{
    return s->xf ? s->xf : xfer_new(s);
}

/* A released socket reached CLOSED: free it after the current event, so
 * no caller up the stack holds a dangling pointer. */
static void free_later(ln_tcp_sock *s)
{
    if (s->flags & LN_TF_DEAD) return;
    s->flags |= LN_TF_DEAD;
    ln_tcp_timers_cancel(s);
    ln_tcp_unhash(s);
    ln_tcp_bind_del(s);
    ln_tcp_listener_del(s);
    s->keep_kind = LN_KEEP_FREE;
    ln_timer_arm_in(&net_of(s->st)->sim, &s->t_keep, 0);
}

/* Linux's tcp_done: the connection is over. */
void ln_tcp_done(ln_tcp_sock *s)
{
    ln_tcp_state old = (ln_tcp_state)s->state;
    if (old == LN_TCP_SYN_SENT || old == LN_TCP_SYN_RCVD) LN_MIB_INC(s->st->node, TcpAttemptFails);
    ln_tcp_timers_cancel(s);
    ln_tcp_set_state(s, LN_TCP_CLOSED);
    ln_tcp_unhash(s);
    ln_tcp_listener_del(s);
    /* A port connect() or listen() picked goes back to the pool; one the
     * user bound stays with the socket until it is closed (Linux's
     * SOCK_BINDPORT_LOCK). */
    if ((s->flags & (LN_TF_PORT_AUTO | LN_TF_PASSIVE)) || (s->flags & LN_TF_ORPHAN)) ln_tcp_bind_del(s);
    s->flags |= LN_TF_SHUT_RD | LN_TF_SHUT_WR;
    if (s->flags & LN_TF_ORPHAN) {
        free_later(s);
        return;
    }
    ln_tcp_notify(s, LN_TCP_EV_CLOSED | LN_TCP_EV_READABLE | LN_TCP_EV_WRITABLE);
}

/* ---- passive open ----------------------------------------------------------------- */

ln_tcp_sock *ln_tcp_child_new(ln_tcp_sock *l, const ln_tcp_req_params *p)
{
    ln_tcp_stack *st = l->st;
    ln_tcp_sock *s = ln_tcp_sock_new(st);
    if (!s) return NULL;
    ln_time now = ln_tcp_now(s);
    /* What a child inherits from its listener (sk_clone_lock). */
    s->flags |= l->flags & (LN_TF_REUSEADDR | LN_TF_NODELAY | LN_TF_KEEPALIVE | LN_TF_LINGER0 |
                            LN_TF_RCVBUF_LOCK | LN_TF_SNDBUF_LOCK);
    s->flags |= LN_TF_PASSIVE | (p->from_cookie ? LN_TF_FROM_COOKIE : 0);
    s->rcvbuf = l->rcvbuf;
    s->sndbuf = l->sndbuf;
    s->keepidle = l->keepidle;
    s->keepintvl = l->keepintvl;
    s->keepcnt = l->keepcnt;
    s->user_mss = l->user_mss;
    s->cc_ops = l->cc_ops;

    s->laddr = p->laddr; s->raddr = p->raddr;
    s->lport = p->lport; s->rport = p->rport;
    if (p->v6) {
        /* Out of memory: the child is IPv4-shaped; free it and let the
         * peer retry, as a failed sk_clone_lock does. */
        if (ln_tcp6_set(s)) {
            ln_tcp_sock_free(s);
            return NULL;
        }
        s->v6->laddr = p->v6->laddr;
        s->v6->raddr = p->v6->raddr;
        s->v6->oif = p->v6->oif;
        s->v6->flow = ln_tcp6_flow(st, p->v6, s->lport, s->rport);
    }
    s->iss = p->iss;
    s->irs = p->irs;
    s->snd_una = p->iss;
    s->snd_nxt = s->snd_max = p->iss + 1;
    s->snd_wl1 = p->irs;
    s->snd_wl2 = p->iss;
    s->rcv_nxt = s->rcv_wup = p->irs + 1;
    s->snd_sml = s->snd_una;
    s->rtt_epoch = s->snd_max;
    s->cwnd_usage_seq = s->snd_max;

    if (p->ts) {
        s->flags |= LN_TF_TS;
        s->ts_recent = p->ts_recent;
        s->ts_recent_stamp = now;
        s->ts_offset = p->ts_offset;
    }
    if (p->sack) s->flags |= LN_TF_SACK;
    if (p->snd_wscale >= 0) {
        s->flags |= LN_TF_WSCALE;
        s->snd_wscale = (uint8_t)p->snd_wscale;
        s->rcv_wscale = p->rcv_wscale;
    }
    uint32_t mtu = ln_tcp_sock_mtu(s);
    s->adv_mss = ln_tcp_adv_mss_for(s, mtu ? mtu : 1500);
    s->peer_mss = p->peer_mss;
    ln_tcp_sync_mss(s);

    /* req->rsk_window_clamp as tcp_openreq_init_rwin left it. */
    uint32_t clamp = l->window_clamp, wnd;
    uint8_t ws;
    ln_tcp_initial_window(s, ln_tcp_advmss(s), p->snd_wscale >= 0 && st->cfg.window_scaling, &wnd,
                          &clamp, &ws);
    s->window_clamp = clamp;
    s->rcv_wnd = p->rcv_wnd;
    s->rcv_ssthresh = p->rcv_wnd;
    ln_tcp_init_rcv_mss(s);

    /* The first RTT sample comes from the handshake (tcp_synack_rtt_meas). */
    if (p->synack_time != LN_NEVER && p->synack_time <= now) ln_tcp_rtt_sample(s, now - p->synack_time);

    s->state = LN_TCP_SYN_RCVD;             /* the request already showed LISTEN -> SYN_RCVD */
    s->listener = l;
    ln_tcp_hash(s);
    ln_tcp_bind_add(s);
    return s;
}

/* ---- the user API ------------------------------------------------------------------ */

ln_tcp_sock *ln_tcp_socket(ln_node *n)
{
    return n && n->tcp ? ln_tcp_sock_new(n->tcp) : NULL;
}

void ln_tcp_set_notify(ln_tcp_sock *s, ln_tcp_notify_fn fn, void *arg)
{
    s->notify = fn;
    s->notify_arg = arg;
}

ln_node *ln_tcp_node(const ln_tcp_sock *s) { return s->st->node; }

int ln_tcp_listen(ln_tcp_sock *s, int backlog)
{
    ln_tcp_stack *st = s->st;
    if (s->state == LN_TCP_LISTEN) {
        /* listen() again only changes the backlog, as on Linux. */
        s->xf->backlog = (uint32_t)(backlog < 0 ? 0 : umin((uint32_t)backlog, st->cfg.somaxconn));
        return 0;
    }
    if (s->state != LN_TCP_CLOSED || (s->flags & LN_TF_ORPHAN)) return LN_EINVAL;
    if (!(s->flags & LN_TF_BOUND)) {
        int rc = ln_tcp_bind(s, 0, 0);
        if (rc) return rc;
        s->flags |= LN_TF_PORT_AUTO;
    } else if (ln_tcp_bind_conflict(s, s->laddr, s->lport)) {
        /* inet_csk_get_port again at listen(): two listeners never share. */
        return LN_EADDRINUSE;
    }
    /* The accept queue is in xf. */
    if (!ln_tcp_xfer_get(s)) return LN_ENOMEM;
    s->xf->backlog = (uint32_t)(backlog < 0 ? 0 : umin((uint32_t)backlog, st->cfg.somaxconn));
    ln_tcp_listener_add(s);
    ln_tcp_set_state(s, LN_TCP_LISTEN);
    return 0;
}

static void connect_init(ln_tcp_sock *s, uint32_t mtu);

int ln_tcp_connect(ln_tcp_sock *s, uint32_t addr, uint16_t port)
{
    ln_tcp_stack *st = s->st;
    ln_node *n = st->node;
    if (s->state != LN_TCP_CLOSED || (s->flags & LN_TF_ORPHAN)) return LN_EINVAL;
    if (s->error) return LN_EINVAL;                 /* a used socket is not reusable */
    if (port == 0) return LN_EINVAL;
    if (s->flags & LN_TF_V6) return LN_ENOTSUP;
    if (addr == 0) addr = 0x7f000001u;              /* Linux: 0.0.0.0 means this host */
    uint32_t mtu = ln_tcp_route_mtu(n, addr);
    uint32_t laddr = s->laddr ? s->laddr : ln_ip_src_for(n, addr);
    if (!mtu || !laddr) return LN_ENETUNREACH;

    ln_tcp_batch_begin(st);
    if (!(s->flags & LN_TF_BOUND)) {
        uint16_t p = ln_tcp_connect_port(st, laddr, addr, port, NULL);
        if (!p) {
            ln_tcp_batch_end(st);
            return LN_EADDRNOTAVAIL;
        }
        /* The connection's bucket, which connect_init fills: on a client
         * with thousands of connections it is cold, and the port's
         * binding, the ISN and the TS offset come first. */
        ln_tcp_prefetch(st, ln_tcp_tuple_hash(st, addr, port, laddr, p));
        s->lport = p;
        s->flags |= LN_TF_PORT_AUTO;
        s->laddr = laddr;
        ln_tcp_bind_add(s);
    } else {
        if (ln_tcp_lookup_conn(st, addr, port, laddr, s->lport)) {
            ln_tcp_batch_end(st);
            return LN_EADDRNOTAVAIL;
        }
        s->laddr = laddr;
    }
    s->raddr = addr;
    s->rport = port;
    s->rcache = (ln_ip_rcache){0};
    connect_init(s, mtu);
    return 0;
}

uint32_t ln_tcp6_flow(const ln_tcp_stack *st, const ln_tcp6 *a, uint16_t lport, uint16_t rport)
{
    uint8_t w[36];
    memcpy(w, a->laddr.b, 16);
    memcpy(w + 16, a->raddr.b, 16);
    ln_put16(w + 32, lport);
    ln_put16(w + 34, rport);
    uint32_t f = (uint32_t)ln_hash64(w, sizeof w, st->cookie_key[0] ^ st->isn_key) & 0xfffffu;
    return f ? f : 1;
}

int ln_tcp_connect6(ln_tcp_sock *s, const ln_in6 *addr, uint16_t port, ln_iface *oif)
{
    ln_tcp_stack *st = s->st;
    ln_node *n = st->node;
    if (s->state != LN_TCP_CLOSED || (s->flags & LN_TF_ORPHAN)) return LN_EINVAL;
    if (s->error) return LN_EINVAL;
    if (port == 0) return LN_EINVAL;
    if ((s->flags & LN_TF_BOUND) && !(s->flags & LN_TF_V6)) return LN_ENOTSUP;
    if (ln_in6_is_v4mapped(addr) || ln_in6_is_unspec(addr) || ln_in6_is_mcast(addr)) return LN_ENOTSUP;
    uint32_t mtu = ln_tcp_route_mtu6(n, addr);
    ln_in6 src;
    if ((s->flags & LN_TF_V6) && !ln_in6_is_unspec(&s->v6->laddr)) src = s->v6->laddr;
    else if (ln_ip6_is_local(n, addr)) src = *addr;
    else if (!ln_ip6_src_via(n, addr, oif, &src)) return LN_ENETUNREACH;
    if (!mtu) return LN_ENETUNREACH;
    if (ln_tcp6_set(s)) return LN_ENOMEM;
    ln_tcp6 a = { .laddr = src, .raddr = *addr, .oif = oif };
    uint32_t lf = ln_tcp6_fold(st, &src), rf = ln_tcp6_fold(st, addr);

    ln_tcp_batch_begin(st);
    if (!(s->flags & LN_TF_BOUND)) {
        uint16_t p = ln_tcp_connect_port(st, lf, rf, port, &a);
        if (!p) {
            ln_tcp_batch_end(st);
            return LN_EADDRNOTAVAIL;
        }
        s->lport = p;
        s->flags |= LN_TF_PORT_AUTO;
    } else if (ln_tcp_lookup_conn6(st, &a, port, s->lport)) {
        ln_tcp_batch_end(st);
        return LN_EADDRNOTAVAIL;
    }
    s->laddr = lf;
    s->v6->laddr = src;
    if (!(s->flags & LN_TF_BOUND)) ln_tcp_bind_add(s);
    s->raddr = rf;
    s->v6->raddr = *addr;
    s->v6->oif = oif;
    s->rport = port;
    /* Linux's auto_flowlabels: one label per connection (RFC 6437). */
    s->v6->flow = ln_tcp6_flow(st, &a, s->lport, port);
    connect_init(s, mtu);
    return 0;
}

ln_iface *ln_tcp_zone6(const ln_tcp_sock *s)
{
    return (s->flags & LN_TF_V6) ? s->v6->oif : NULL;
}

bool ln_tcp_addrs6(const ln_tcp_sock *s, ln_in6 *l, ln_in6 *r)
{
    if (!(s->flags & LN_TF_V6)) return false;
    if (l) *l = s->v6->laddr;
    if (r) *r = s->v6->raddr;
    return true;
}

/* tcp_connect_init and the SYN, inside the caller's batch (ended here). */
static void connect_init(ln_tcp_sock *s, uint32_t mtu)
{
    ln_tcp_stack *st = s->st;
    ln_node *n = st->node;
    const ln_tcp6 *v6 = (s->flags & LN_TF_V6) ? s->v6 : NULL;
    const ln_tcp_cfg *c = &st->cfg;
    s->adv_mss = ln_tcp_adv_mss_for(s, mtu);
    s->peer_mss = 0;
    s->iss = ln_tcp_isn(st, s->laddr, s->lport, s->raddr, s->rport, v6);
    s->ts_offset = c->timestamps ? ln_tcp_ts_offset(st, s->laddr, s->raddr, v6) : 0;
    s->ip_id = (uint16_t)ln_rng_next(&st->rng);
    ln_tcp_select_initial_window(s, s->adv_mss, &s->rcv_wnd, &s->window_clamp, &s->rcv_wscale);
    s->rcv_ssthresh = s->rcv_wnd;
    s->snd_una = s->iss;
    s->snd_nxt = s->snd_max = s->iss;
    s->snd_sml = s->iss;
    s->snd_wl2 = s->iss;
    s->rtt_epoch = s->iss;
    if (s->xf) s->xf->high_seq = s->iss;
    s->cwnd_usage_seq = s->iss;
    s->rcv_nxt = s->rcv_wup = 0;
    s->rto = c->rto_initial;
    s->backoff = s->retransmits = 0;
    s->mss_cache = (uint16_t)(s->adv_mss - (c->timestamps ? LN_TCPOLEN_TS_ALIGNED : 0));
    if (s->xf) s->xf->cc.mss = s->mss_cache;

    ln_tcp_hash(s);
    ln_tcp_set_state(s, LN_TCP_SYN_SENT);
    LN_MIB_INC(n, TcpActiveOpens);
    ln_tcp_send_syn(s);
    s->retrans_stamp = ln_tcp_now(s);
    ln_tcp_rearm_rtx(s);
    ln_tcp_batch_end(st);
}

ln_tcp_sock *ln_tcp_accept(ln_tcp_sock *l)
{
    if (l->state != LN_TCP_LISTEN) return NULL;
    return ln_tcp_accept_dequeue(l);
}

/* Linux's tcp_slow_start_after_idle_check / tcp_cwnd_restart (RFC 5681
 * 4.1, RFC 7661's predecessor RFC 2861): after an idle period longer than
 * the RTO the window is halved once per RTO idle, down to the initial
 * window. */
static void restart_after_idle(ln_tcp_sock *s)
{
    if (!s->st->cfg.slow_start_after_idle || s->snd_max != s->snd_una) return;
    ln_time now = ln_tcp_now(s), rto = s->rto;
    if (!rto || now - s->lsndtime <= rto) return;
    int64_t delta = (int64_t)(now - s->lsndtime);
    ln_tcp_cc *cc = &s->xf->cc;
    uint32_t restart = umin(s->st->cfg.initial_cwnd, cc->cwnd);
    uint32_t cwnd = cc->cwnd;
    s->cc_ops->cwnd_event(cc, LN_CA_EVENT_CWND_RESTART, now);
    /* tcp_current_ssthresh */
    uint32_t cur = (cwnd >> 1) + (cwnd >> 2);
    if (s->ca_state < LN_CA_CWR && cur > cc->ssthresh) cc->ssthresh = cur;
    while ((delta -= (int64_t)rto) > 0 && cwnd > restart) cwnd >>= 1;
    cc->cwnd = umax(cwnd, restart);
    cc->cwnd_cnt = 0;
    ln_tcp_emit_cwnd(s, "idle restart");
}

int64_t ln_tcp_send(ln_tcp_sock *s, const void *data, size_t len)
{
    if (s->flags & LN_TF_ORPHAN) return LN_EINVAL;
    if (s->error) return s->error;
    if (s->flags & LN_TF_SHUT_WR) return LN_ECLOSED;
    switch (s->state) {
    case LN_TCP_ESTABLISHED:
    case LN_TCP_CLOSE_WAIT:
        break;
    case LN_TCP_SYN_SENT:
    case LN_TCP_SYN_RCVD:
        return LN_EAGAIN;           /* a non-blocking send before CONNECTED */
    default:
        return LN_ENOTCONN;
    }
    if (len == 0) return 0;
    /* Out of memory for xf: as for a ring that cannot grow, nothing is
     * taken (LN_EAGAIN below). */
    ln_tcp_xfer *x = ln_tcp_xfer_get(s);
    uint32_t room = x ? ln_ring_room(&x->snd) : 0;
    uint32_t want = len > room ? room : (uint32_t)len;
    uint32_t n = want ? ln_ring_write(&x->snd, data, want) : 0;
    if (n < len) s->flags |= LN_TF_NOSPACE;
    if (!n) return LN_EAGAIN;
    ln_tcp_batch_begin(s->st);
    restart_after_idle(s);
    ln_tcp_output(s);
    ln_tcp_batch_end(s->st);
    return n;
}

bool ln_tcp_recv_gen(const ln_tcp_sock *s, uint8_t *first)
{
    return s->xf && s->xf->rcv.len && ln_ring_gen(&s->xf->rcv, 0, first);
}

int64_t ln_tcp_recv(ln_tcp_sock *s, void *buf, size_t len)
{
    if (s->flags & LN_TF_ORPHAN) return LN_EINVAL;
    uint32_t avail = ln_tcp_rcv_queued(s);
    if (avail == 0 || len == 0) {
        if (s->error) return s->error;
        if (s->flags & (LN_TF_RCVD_FIN | LN_TF_SHUT_RD)) return 0;
        if (s->state == LN_TCP_CLOSED || s->state == LN_TCP_LISTEN) return LN_ENOTCONN;
        return len == 0 ? 0 : LN_EAGAIN;
    }
    uint32_t n = len < avail ? (uint32_t)len : avail;
    ln_ring_read(&s->xf->rcv, buf, n);
    ln_tcp_batch_begin(s->st);
    ln_tcp_rcv_space_adjust(s);
    ln_tcp_cleanup_rbuf(s, n);
    ln_tcp_batch_end(s->st);
    return n;
}

size_t ln_tcp_readable(const ln_tcp_sock *s, bool *eof)
{
    if (eof) *eof = (s->flags & (LN_TF_RCVD_FIN | LN_TF_SHUT_RD)) != 0 || s->error != 0;
    return ln_tcp_rcv_queued(s);
}

size_t ln_tcp_writable(const ln_tcp_sock *s)
{
    if ((s->flags & LN_TF_SHUT_WR) || s->error) return 0;
    if (s->state != LN_TCP_ESTABLISHED && s->state != LN_TCP_CLOSE_WAIT) return 0;
    /* Without xf the ring would be empty, its limit sndbuf. */
    return s->xf ? ln_ring_room(&s->xf->snd) : s->sndbuf;
}

/* Linux's tcp_close_state: the state after our FIN is queued; true if a
 * FIN must be sent. */
static bool close_state(ln_tcp_sock *s)
{
    switch (s->state) {
    case LN_TCP_ESTABLISHED:
    case LN_TCP_SYN_RCVD:
        ln_tcp_set_state(s, LN_TCP_FIN_WAIT_1);
        return true;
    case LN_TCP_CLOSE_WAIT:
        ln_tcp_set_state(s, LN_TCP_LAST_ACK);
        return true;
    default:
        return false;
    }
}

int ln_tcp_shutdown(ln_tcp_sock *s, int how)
{
    if (how < LN_SHUT_RD || how > LN_SHUT_RDWR) return LN_EINVAL;
    if (s->flags & LN_TF_ORPHAN) return LN_EINVAL;
    if (s->state == LN_TCP_CLOSED || s->state == LN_TCP_LISTEN) return LN_ENOTCONN;
    ln_tcp_batch_begin(s->st);
    if (how & LN_SHUT_RD) s->flags |= LN_TF_SHUT_RD;
    if ((how & LN_SHUT_WR) && !(s->flags & LN_TF_SHUT_WR)) {
        s->flags |= LN_TF_SHUT_WR;
        /* In SYN_SENT the FIN waits for the handshake (ln_tcp_process
         * moves on to FIN_WAIT_1 then). */
        if (close_state(s)) ln_tcp_output(s);
    }
    ln_tcp_batch_end(s->st);
    return 0;
}

/* Linux's tcp_need_reset: states where an abort tells the peer. */
static bool need_reset(ln_tcp_state st)
{
    return st == LN_TCP_ESTABLISHED || st == LN_TCP_CLOSE_WAIT || st == LN_TCP_FIN_WAIT_1 ||
           st == LN_TCP_FIN_WAIT_2 || st == LN_TCP_SYN_RCVD;
}

static void release(ln_tcp_sock *s)
{
    if (!(s->flags & LN_TF_ORPHAN)) {
        s->flags |= LN_TF_ORPHAN;
        s->st->n_orphans++;
    }
    s->notify = NULL;
    s->notify_arg = NULL;
}

/* Linux's tcp_close. */
int ln_tcp_close(ln_tcp_sock *s)
{
    ln_tcp_stack *st = s->st;
    if (s->flags & LN_TF_ORPHAN) return LN_EINVAL;
    ln_tcp_batch_begin(st);
    release(s);
    s->flags |= LN_TF_SHUT_RD;
    if (s->state == LN_TCP_LISTEN) {
        ln_tcp_listener_del(s);
        ln_tcp_listen_stop(s);
        ln_tcp_done(s);
        ln_tcp_batch_end(st);
        return 0;
    }
    if (s->state == LN_TCP_CLOSED) {
        free_later(s);
        ln_tcp_batch_end(st);
        return 0;
    }
    /* RFC 2525 2.17 / RFC 1122 4.2.2.13: closing with data unread resets
     * the connection, so the peer knows it was not delivered. */
    uint32_t unread = ln_tcp_rcv_queued(s);
    if (s->xf) {
        ln_ring_free(&s->xf->rcv);
        ln_tcp_ofo_purge(&s->xf->ofo);
    }
    if (unread) {
        LN_MIB_INC(st->node, TcpExtTCPAbortOnClose);
        if (s->state != LN_TCP_SYN_SENT) ln_tcp_send_rst(s);
        ln_tcp_done(s);
    } else if (s->flags & LN_TF_LINGER0) {
        /* SO_LINGER {1, 0}: tcp_disconnect, which Linux counts as
         * TCPAbortOnData. */
        if (need_reset((ln_tcp_state)s->state)) {
            LN_MIB_INC(st->node, TcpExtTCPAbortOnData);
            ln_tcp_send_rst(s);
        }
        ln_tcp_done(s);
    } else if (s->state == LN_TCP_SYN_SENT) {
        ln_tcp_done(s);
    } else {
        s->flags |= LN_TF_SHUT_WR;
        if (close_state(s)) ln_tcp_output(s);
        if (s->state == LN_TCP_FIN_WAIT_2) ln_tcp_arm_fin_wait_2(s);
    }
    ln_tcp_batch_end(st);
    return 0;
}

void ln_tcp_abort(ln_tcp_sock *s)
{
    ln_tcp_stack *st = s->st;
    ln_tcp_batch_begin(st);
    release(s);
    if (s->state == LN_TCP_LISTEN) {
        ln_tcp_listener_del(s);
        ln_tcp_listen_stop(s);
        ln_tcp_done(s);
    } else if (s->state == LN_TCP_CLOSED) {
        free_later(s);
    } else {
        if (need_reset((ln_tcp_state)s->state)) ln_tcp_send_rst(s);
        ln_tcp_done(s);
    }
    ln_tcp_batch_end(st);
}

int ln_tcp_error(const ln_tcp_sock *s) { return s->error; }
ln_tcp_state ln_tcp_get_state(const ln_tcp_sock *s) { return (ln_tcp_state)s->state; }

/* ---- the node's stack -------------------------------------------------------------------- */

void ln_tcp_attach(ln_node *n)
{
    ln_tcp_stack *st = calloc(1, sizeof *st);
    if (!st) return;
    st->node = n;
    ln_tcp_cfg_default(&st->cfg);
    /* A stream of its own, so TCP's draws leave the node's other random
     * numbers (IP IDs, ARP) as they were. */
    char label[64];
    strcpy(label, "tcp:");
    strncat(label, n->name, sizeof label - 5);
    ln_rng_derive(&st->rng, n->net->seed, label);
    st->isn_key = ln_rng_next(&st->rng);
    st->ts_key = ln_rng_next(&st->rng);
    st->cookie_key[0] = ln_rng_next(&st->rng);
    st->cookie_key[1] = ln_rng_next(&st->rng);
    /* The connection and port tables come with the first socket that
     * needs them (tcp_table.c): most hosts of a large network, and every
     * host another rank runs in a split run, never bind a port. */
    n->tcp = st;
    ln_ip_register(n, LN_IPPROTO_TCP, ln_tcp_input);
    st->icmp = ln_icmp_sock_open_proto(n, LN_IPPROTO_TCP, ln_tcp_icmp_err, st);
    if (n->ip6) ln_tcp_attach6(n);
}

void ln_tcp_attach6(ln_node *n)
{
    if (n->tcp && n->ip6) ln_ip6_register(n, LN_IPPROTO_TCP, ln_tcp6_input);
}

void ln_tcp_detach(ln_node *n)
{
    ln_tcp_stack *st = n->tcp;
    if (!st) return;
    ln_ip_register(n, LN_IPPROTO_TCP, NULL);
    if (st->icmp) ln_icmp_sock_close(st->icmp);
    ln_tcp_listen_free_stack(st);
    while (st->all) {
        ln_tcp_sock *s = st->all;
        s->flags &= ~(LN_TF_HASHED | LN_TF_BOUND | LN_TF_LISTENING);
        s->ev_pending = 0;
        ln_tcp_sock_free(s);
    }
    free(st->ehash);
    ln_tcp_ports_free(st);
    free(st);
    n->tcp = NULL;
}