/* tcp_opt.c - TCP's knobs and what they read back: the node's settings
 * (sysctl defaults), socket options (setsockopt / getsockopt, congestion
 * control by name), and the views `ss` gives (tcp_info, the stack's
 * counts and memory).
 *
 * Place in the call chain: users (the Lua binding, C) -> ln_tcp_setopt,
 * ln_tcp_getopt, ln_tcp_set_cc, ln_tcp_get_info, ln_tcp_foreach,
 * ln_tcp_stack_info_get; ln_tcp_attach (tcp.c) -> ln_tcp_cfg_default.
 * Options that act at once (TCP_NODELAY, TCP_QUICKACK, SO_KEEPALIVE) call
 * into tcp_out.c and tcp_timer.c inside a batch, like any API call.
 *
 * Read: Linux's Documentation/networking/ip-sysctl.rst, tcp.c
 * (do_tcp_setsockopt, tcp_get_info), sock.c (SO_RCVBUF, SO_SNDBUF) and
 * ss(8). */
#include <string.h>

#include "err.h"
#include "net.h"
#include "node.h"
#include "tcp_int.h"


#define SOCK_MIN_SNDBUF 4608u
#define MAX_TCP_WINDOW  32767u

static ln_net *net_of(const ln_tcp_stack *st) { return st->node->net; }
static uint32_t umax(uint32_t a, uint32_t b) { return a > b ? a : b; }

/* ---- settings ---------------------------------------------------------- */

void ln_tcp_cfg_default(ln_tcp_cfg *c)
{
    /* Linux 6.x defaults (Documentation/networking/ip-sysctl.rst, and the
     * reference kernel's sysctl.txt). */
    memset(c, 0, sizeof *c);
    c->syn_retries = 6;
    c->synack_retries = 5;
    c->syn_linear_timeouts = 4;
    c->retries1 = 3;
    c->retries2 = 15;
    c->orphan_retries = 0;
    c->fin_timeout = 60 * LN_SEC;
    c->msl = 30 * LN_SEC;
    c->max_syn_backlog = 2048;
    c->somaxconn = 4096;
    c->syncookies = 1;
    c->sack = c->dsack = c->timestamps = c->window_scaling = true;
    c->rmem[0] = 4096; c->rmem[1] = 131072; c->rmem[2] = 33554432;
    c->wmem[0] = 4096; c->wmem[1] = 16384; c->wmem[2] = 4194304;
    c->rmem_max = c->wmem_max = 4194304;
    c->rto_min = 200 * LN_MSEC;
    c->rto_max = 120 * LN_SEC;
    c->rto_initial = 1 * LN_SEC;
    c->delack_min = 40 * LN_MSEC;
    c->delack_max = 200 * LN_MSEC;
    /* Debian and most distributions build cubic as the default (the
     * reference kernel's bbr is the exception, see its notes 0). */
    strcpy(c->congestion, "cubic");
    c->initial_cwnd = 10;
    c->reordering = 3;
    c->recovery = 1;
    c->early_retrans = 3;
    c->frto = 2;
    c->keepalive_time = 7200 * LN_SEC;
    c->keepalive_intvl = 75 * LN_SEC;
    c->keepalive_probes = 9;
    c->invalid_ratelimit = 500 * LN_MSEC;
    /* Linux 6.x: INT_MAX (the global limit is off; the per-socket 500 ms
     * limit does the work). */
    c->challenge_ack_limit = 0x7fffffffu;
    c->slow_start_after_idle = true;
    c->max_tw_buckets = 131072;
    c->fixed_isn = -1;
    c->base_mss = 536;               /* TCP_MSS_DEFAULT, RFC 9293 3.7.1 */
}

ln_tcp_cfg *ln_tcp_cfg_of(ln_node *n) { return n->tcp ? &n->tcp->cfg : NULL; }

/* ---- socket options ---------------------------------------------------- */

static int set_flag(ln_tcp_sock *s, uint32_t flag, int64_t v)
{
    if (v) s->flags |= flag;
    else s->flags &= ~flag;
    return 0;
}

int ln_tcp_setopt(ln_tcp_sock *s, ln_tcp_opt opt, int64_t v)
{
    const ln_tcp_cfg *c = &s->st->cfg;
    int rc = 0;
    ln_tcp_batch_begin(s->st);
    switch (opt) {
    case LN_TCP_OPT_NODELAY:
        set_flag(s, LN_TF_NODELAY, v);
        if (v) ln_tcp_output(s);            /* TCP_NODELAY pushes what waits */
        break;
    case LN_TCP_OPT_REUSEADDR: set_flag(s, LN_TF_REUSEADDR, v); break;
    case LN_TCP_OPT_KEEPALIVE:
        set_flag(s, LN_TF_KEEPALIVE, v);
        if (v) ln_tcp_arm_keepalive(s);
        else if (s->keep_kind == LN_KEEP_ALIVE) ln_timer_cancel(&net_of(s->st)->sim, &s->t_keep);
        break;
    case LN_TCP_OPT_KEEPIDLE:
        if (v < (int64_t)LN_SEC || v > 32767 * (int64_t)LN_SEC) { rc = LN_EINVAL; break; }
        s->keepidle = (ln_time)v;
        if (s->flags & LN_TF_KEEPALIVE) ln_tcp_arm_keepalive(s);
        break;
    case LN_TCP_OPT_KEEPINTVL:
        if (v < (int64_t)LN_SEC || v > 32767 * (int64_t)LN_SEC) { rc = LN_EINVAL; break; }
        s->keepintvl = (ln_time)v;
        break;
    case LN_TCP_OPT_KEEPCNT:
        if (v < 1 || v > 127) { rc = LN_EINVAL; break; }
        s->keepcnt = (uint8_t)v;
        break;
    case LN_TCP_OPT_MAXSEG:
        if (v && (v < LN_TCP_MIN_MSS || v > MAX_TCP_WINDOW)) { rc = LN_EINVAL; break; }
        s->user_mss = (uint16_t)v;
        break;
    case LN_TCP_OPT_QUICKACK:
        /* TCP_QUICKACK, as on Linux not a lasting mode: 1 leaves delayed-ACK
         * (pingpong) mode and sends an owed ACK now, 0 enters it; the
         * stack switches again by itself as traffic goes on. */
        if (v) {
            s->flags &= ~LN_TF_PINGPONG;
            if ((s->ack_pending & LN_ACK_SCHED) &&
                (s->state == LN_TCP_ESTABLISHED || s->state == LN_TCP_CLOSE_WAIT))
                ln_tcp_send_ack(s);
        } else {
            s->flags |= LN_TF_PINGPONG;
        }
        break;
    case LN_TCP_OPT_LINGER0: set_flag(s, LN_TF_LINGER0, v); break;
    case LN_TCP_OPT_CORK:
        /* Linux's __tcp_sock_set_cork: uncorking pushes what waits, under
         * the usual Nagle rule (TCP_NODELAY lets everything go). */
        set_flag(s, LN_TF_CORK, v);
        if (!v) ln_tcp_output(s);
        break;
    case LN_TCP_OPT_USER_TIMEOUT:
        /* Linux keeps milliseconds, at most INT_MAX; negative is EINVAL. */
        if (v < 0 || v / (int64_t)LN_MSEC > INT32_MAX) { rc = LN_EINVAL; break; }
        s->user_timeout_ms = (uint32_t)(v / (int64_t)LN_MSEC);
        break;
    case LN_TCP_OPT_V6ONLY:
        /* do_ipv6_setsockopt: only before the socket is bound. */
        if (s->flags & LN_TF_BOUND) { rc = LN_EINVAL; break; }
        set_flag(s, LN_TF_V6ONLY, v);
        break;
    case LN_TCP_OPT_RCVBUF: {
        /* sock_setsockopt SO_RCVBUF: capped at rmem_max, doubled for
         * overhead, locked (no autotuning). */
        if (v < 0) { rc = LN_EINVAL; break; }
        uint64_t b = (uint64_t)v > c->rmem_max ? c->rmem_max : (uint64_t)v;
        s->rcvbuf = (uint32_t)umax((uint32_t)(b * 2), LN_TCP_SOCK_MIN_RCVBUF);
        s->flags |= LN_TF_RCVBUF_LOCK;
        if (s->xf) ln_ring_set_limit(&s->xf->rcv, s->rcvbuf);
        break;
    }
    case LN_TCP_OPT_SNDBUF: {
        if (v < 0) { rc = LN_EINVAL; break; }
        uint64_t b = (uint64_t)v > c->wmem_max ? c->wmem_max : (uint64_t)v;
        s->sndbuf = (uint32_t)umax((uint32_t)(b * 2), SOCK_MIN_SNDBUF);
        s->flags |= LN_TF_SNDBUF_LOCK;
        if (s->xf) ln_ring_set_limit(&s->xf->snd, s->sndbuf);
        break;
    }
    default:
        rc = LN_EINVAL;
    }
    ln_tcp_batch_end(s->st);
    return rc;
}

int ln_tcp_getopt(const ln_tcp_sock *s, ln_tcp_opt opt, int64_t *v)
{
    switch (opt) {
    case LN_TCP_OPT_NODELAY: *v = (s->flags & LN_TF_NODELAY) != 0; return 0;
    case LN_TCP_OPT_REUSEADDR: *v = (s->flags & LN_TF_REUSEADDR) != 0; return 0;
    case LN_TCP_OPT_KEEPALIVE: *v = (s->flags & LN_TF_KEEPALIVE) != 0; return 0;
    case LN_TCP_OPT_KEEPIDLE: *v = (int64_t)s->keepidle; return 0;
    case LN_TCP_OPT_KEEPINTVL: *v = (int64_t)s->keepintvl; return 0;
    case LN_TCP_OPT_KEEPCNT: *v = s->keepcnt; return 0;
    case LN_TCP_OPT_MAXSEG:
        /* TCP_MAXSEG reads the current MSS once connected. */
        *v = s->state >= LN_TCP_ESTABLISHED ? s->mss_cache : (s->user_mss ? s->user_mss : 536);
        return 0;
    case LN_TCP_OPT_QUICKACK: *v = !(s->flags & LN_TF_PINGPONG); return 0;
    case LN_TCP_OPT_LINGER0: *v = (s->flags & LN_TF_LINGER0) != 0; return 0;
    case LN_TCP_OPT_CORK: *v = (s->flags & LN_TF_CORK) != 0; return 0;
    case LN_TCP_OPT_USER_TIMEOUT: *v = (int64_t)s->user_timeout_ms * (int64_t)LN_MSEC; return 0;
    case LN_TCP_OPT_RCVBUF: *v = s->rcvbuf; return 0;
    case LN_TCP_OPT_SNDBUF: *v = s->sndbuf; return 0;
    case LN_TCP_OPT_V6ONLY: *v = (s->flags & LN_TF_V6ONLY) != 0; return 0;
    default: return LN_EINVAL;
    }
}

int ln_tcp_set_cc(ln_tcp_sock *s, const char *name)
{
    const ln_tcp_cc_ops *ops = ln_tcp_cc_find(name);
    if (!ops) return LN_ENOENT;
    /* tcp_reinit_congestion_control: a running connection starts the new
     * algorithm's state afresh, cwnd and ssthresh stay.  The state is in
     * xf. */
    bool running = s->state >= LN_TCP_ESTABLISHED && s->state != LN_TCP_TIME_WAIT;
    if (running && !ln_tcp_xfer_get(s)) return LN_ENOMEM;
    s->cc_ops = ops;
    if (running) ops->init(&s->xf->cc, ln_tcp_now(s));
    return 0;
}

/* ---- what ss shows ----------------------------------------------------- */

static const char *const ca_names[] = { "open", "disorder", "cwr", "recovery", "loss" };

/* What xf reads as before it is made: all zero but cwnd and ssthresh
 * (ln_tcp_cwnd, ln_tcp_ssthresh). */
static const ln_tcp_xfer no_xfer;

void ln_tcp_get_info(const ln_tcp_sock *s, ln_tcp_info *o)
{
    const ln_tcp_xfer *x = s->xf ? s->xf : &no_xfer;
    memset(o, 0, sizeof *o);
    ln_time now = ln_tcp_now(s);
    o->state = (ln_tcp_state)s->state;
    if (s->flags & LN_TF_V6) {
        o->v6 = true;
        o->laddr6 = s->v6->laddr;
        o->raddr6 = s->v6->raddr;
    } else {
        o->laddr = s->laddr; o->raddr = s->raddr;
    }
    o->lport = s->lport; o->rport = s->rport;
    o->iss = s->iss; o->irs = s->irs;
    o->snd_una = s->snd_una; o->snd_nxt = s->snd_nxt; o->snd_max = s->snd_max;
    o->rcv_nxt = s->rcv_nxt;
    o->snd_wnd = s->snd_wnd;
    o->rcv_wnd = s->rcv_wnd;
    o->cwnd = ln_tcp_cwnd(s);
    o->ssthresh = ln_tcp_ssthresh(s);
    o->mss = s->mss_cache;
    o->rcv_mss = s->rcv_mss;
    o->adv_mss = ln_tcp_advmss(s);
    bool ws = (s->flags & LN_TF_WSCALE) != 0;
    o->snd_wscale = ws ? s->snd_wscale : 0xff;
    o->rcv_wscale = ws ? s->rcv_wscale : 0xff;
    o->ts = (s->flags & LN_TF_TS) != 0;
    o->sack = (s->flags & LN_TF_SACK) != 0;
    o->nodelay = (s->flags & LN_TF_NODELAY) != 0;
    o->srtt = s->srtt;
    o->rttvar = (ln_time)(s->mdev_us >> 2) * LN_USEC;   /* ss's "rtt:srtt/rttvar" */
    o->rto = ln_tcp_rto_cur(s);
    o->min_rtt = s->min_rtt == LN_NEVER ? 0 : s->min_rtt;
    o->backoff = s->backoff;
    o->retransmits = s->retransmits;
    o->total_retrans = s->total_retrans;
    uint32_t mss = s->mss_cache ? s->mss_cache : 536;
    o->unacked = (uint32_t)((s->snd_max - s->snd_una + mss - 1) / mss);
    o->sacked = x->sb ? (x->sb->sacked + mss - 1) / mss : 0;
    o->lost = x->lost_out;
    o->retrans_out = x->retrans_out;
    o->bytes_acked = x->bytes_acked;
    o->bytes_received = x->bytes_received;
    o->bytes_sent = x->bytes_sent;
    o->bytes_retrans = x->bytes_retrans;
    o->segs_out = s->segs_out;
    o->segs_in = s->segs_in;
    o->data_segs_out = x->data_segs_out;
    o->data_segs_in = x->data_segs_in;
    if (s->state == LN_TCP_LISTEN) {
        /* ss: Recv-Q is the accept queue, Send-Q the backlog. */
        o->recv_q = x->acc_len;
        o->send_q = x->backlog;
    } else {
        o->send_q = x->snd.len;
        o->recv_q = x->rcv.len;
    }
    o->ca_state = s->ca_state < 5 ? ca_names[s->ca_state] : "open";
    o->cc = s->cc_ops ? s->cc_ops->name : "";
    o->probes = s->probes;
    if (s->state == LN_TCP_LISTEN) {
        o->syn_queue = x->syn_qlen;
        o->accept_queue = x->acc_len;
        o->backlog = x->backlog;
    }
    o->error = s->error;
    /* ss's timer column: the first pending of retransmit/persist,
     * timewait, keepalive, delayed ACK. */
    const ln_timer *t = NULL;
    if (ln_timer_armed(&s->t_rtx)) {
        t = &s->t_rtx;
        o->timer = s->rtx_kind == LN_RTX_PERSIST ? "persist" : "on";
    } else if (ln_timer_armed(&s->t_keep) && s->keep_kind != LN_KEEP_FREE) {
        t = &s->t_keep;
        o->timer = s->keep_kind == LN_KEEP_ALIVE ? "keepalive" : "timewait";
    } else if (s->xf && ln_timer_armed(&x->t_delack)) {
        t = &x->t_delack;
        o->timer = "delack";
    }
    if (t) o->timer_left = t->when > now ? t->when - now : 0;
}

void ln_tcp_foreach(ln_node *n, void (*fn)(ln_tcp_sock *s, void *arg), void *arg)
{
    if (!n->tcp) return;
    ln_tcp_sock *next;
    for (ln_tcp_sock *s = n->tcp->all; s; s = next) {
        next = s->next;
        if (!(s->flags & LN_TF_DEAD)) fn(s, arg);
    }
}

void ln_tcp_stack_info_get(ln_node *n, ln_tcp_stack_info *o)
{
    memset(o, 0, sizeof *o);
    ln_tcp_stack *st = n->tcp;
    if (!st) return;
    for (ln_tcp_sock *s = st->all; s; s = s->next) {
        if (s->flags & LN_TF_DEAD) continue;
        o->sockets++;
        if (s->state == LN_TCP_LISTEN) o->listeners++;
        if (s->state == LN_TCP_ESTABLISHED) o->established++;
        if (s->state == LN_TCP_TIME_WAIT) o->time_wait++;
        if (s->flags & LN_TF_ORPHAN) o->orphans++;
        const ln_tcp_xfer *x = s->xf;
        if (!x) continue;
        o->mem_buffers += x->snd.cap + x->rcv.cap + x->ofo.bytes;
        if (x->sb) o->mem_buffers += sizeof *x->sb;
        o->mem_buffers += (uint64_t)x->txq_cap * sizeof(ln_tcp_txts);
    }
    o->requests = st->n_reqs;
}

size_t ln_tcp_sock_size(void) { return sizeof(ln_tcp_sock); }
