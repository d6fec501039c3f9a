/* tcp_harness.h - a two-host network for TCP tests, smoltcp style.
 *
 *   a (10.0.0.1, "client") <--- link, no delay, infinitely fast ---> b (10.0.0.2)
 *
 * The network is a world (world.h); th_init_on puts the two hosts on
 * another one (addresses, link, ARP).  By default ARP entries are static,
 * so the wire carries TCP only.  Every TCP frame that starts onto the
 * link is captured (LN_EV_TX) and parsed into a th_seg; tests then take
 * a's (or b's) segments one by one and assert them exactly, and finally
 * that nothing more was sent.
 *
 * With `raw_b`, b's TCP is replaced by a sink: b sends only what the test
 * builds (th_send: header fields, options, payload, through ln_tcp_push_hdr
 * and ln_ip_output), so a's socket can be driven into any state with any
 * segment.  Without it, both hosts run the real stack (whole-conversation
 * tests against the reference captures).
 *
 * th_free() aborts every socket, lets the network drain, and checks that
 * the packet pool is back where it started: no buffer leaked.
 *
 * tcp_conn.h builds on this: the ISN 1000/2000 connection most tests use,
 * b's side of it, and a connection brought to any state. */
#ifndef LN_TCP_HARNESS_H
#define LN_TCP_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "eth.h"
#include "icmp.h"
#include "ip.h"
#include "tcp.h"
#include "tcp_int.h"
#include "world.h"

#define TH_A 0x0a000001u            /* 10.0.0.1 */
#define TH_B 0x0a000002u            /* 10.0.0.2 */
#define TH_MAXSEG 4096              /* segments th_init captures */

typedef struct th_seg {
    ln_time t;
    uint32_t src, dst;
    uint16_t sport, dport;
    ln_seq seq, ack;
    uint8_t flags;
    uint16_t wnd;                   /* raw field */
    uint32_t len;                   /* payload */
    uint16_t ipid;
    bool df;
    uint8_t ttl;
    bool has_mss, has_ws, sack_perm, has_ts;
    uint16_t mss;
    uint8_t ws;
    uint32_t tsval, tsecr;
    uint8_t n_sack;
    ln_tcp_sackblk sack[4];
    uint8_t hdr[20];                /* the fixed header as sent */
    uint8_t opt[40];
    uint8_t optlen;
    uint8_t ts_at;                  /* where TSval sits in opt, if has_ts */
    uint8_t kind;                   /* LN_PKT_KIND_*: what a sent it as */
} th_seg;

typedef struct th {
    world *w;
    ln_net *net;                    /* net ... link: the world's, for short */
    ln_node *a, *b;
    ln_iface *ia, *ib;
    ln_link *link;
    th_seg *seg;
    uint32_t n, max;                /* captured, room for */
    uint32_t cur[2];                /* next unread segment from a / from b */
    int sub;                        /* the capture's subscription */
    uint64_t pool0;
    bool raw_b;
} th;

/* 0 for a's address, 1 for b's. */
static inline int th_side(const th *t, uint32_t addr) { return addr == t->w->cfg.addr[0] ? 0 : 1; }
static inline uint32_t th_addr(const th *t, int side) { return t->w->cfg.addr[side]; }

static inline void th_parse_opts(th_seg *s, const uint8_t *p, uint32_t n)
{
    memcpy(s->opt, p, n);
    s->optlen = (uint8_t)n;
    while (n > 0) {
        uint8_t k = p[0];
        if (k == 0) break;
        if (k == 1) { p++; n--; continue; }
        if (n < 2 || p[1] < 2 || p[1] > n) break;
        uint8_t sz = p[1];
        if (k == 2 && sz == 4) { s->has_mss = true; s->mss = ln_get16(p + 2); }
        if (k == 3 && sz == 3) { s->has_ws = true; s->ws = p[2]; }
        if (k == 4 && sz == 2) s->sack_perm = true;
        if (k == 8 && sz == 10) {
            s->has_ts = true;
            s->ts_at = (uint8_t)(s->optlen - n + 2);
            s->tsval = ln_get32(p + 2);
            s->tsecr = ln_get32(p + 6);
        }
        if (k == 5 && sz >= 10) {
            s->n_sack = (uint8_t)((sz - 2) / 8);
            for (int i = 0; i < s->n_sack && i < 4; i++) {
                s->sack[i].start = ln_get32(p + 2 + 8 * i);
                s->sack[i].end = ln_get32(p + 6 + 8 * i);
            }
        }
        p += sz;
        n -= sz;
    }
}

static inline void th_on_tx(const ln_event *ev, void *arg)
{
    th *t = arg;
    const ln_pkt *p = ev->pkt;
    if (!p || ev->layer != LN_LAYER_L2 || p->len < 14 + 20 + 20) return;
    const uint8_t *d = p->data;
    if (ln_get16(d + 12) != LN_ETHERTYPE_IPV4) return;
    const uint8_t *ip = d + 14;
    if (ip[LN_IP_PROTO] != LN_IPPROTO_TCP) return;
    uint32_t ihl = (uint32_t)(ip[0] & 15) * 4, tot = ln_get16(ip + LN_IP_LEN);
    const uint8_t *tc = ip + ihl;
    uint32_t hl = (uint32_t)(tc[12] >> 4) * 4;
    if (t->n >= t->max) return;
    th_seg *s = &t->seg[t->n++];
    memset(s, 0, sizeof *s);
    s->t = ev->time;
    s->kind = p->kind;
    memcpy(s->hdr, tc, sizeof s->hdr);
    s->src = ln_get32(ip + LN_IP_SRC);
    s->dst = ln_get32(ip + LN_IP_DST);
    s->ipid = ln_get16(ip + LN_IP_ID);
    s->df = (ln_get16(ip + LN_IP_FRAG) & LN_IP_DF) != 0;
    s->ttl = ip[LN_IP_TTL];
    s->sport = ln_get16(tc);
    s->dport = ln_get16(tc + 2);
    s->seq = ln_get32(tc + 4);
    s->ack = ln_get32(tc + 8);
    s->flags = tc[13];
    s->wnd = ln_get16(tc + 14);
    s->len = tot - ihl - hl;
    th_parse_opts(s, tc + 20, hl - 20);
}

/* b's TCP handler when raw: swallow (the test plays b), or answer each
 * segment with the ICMP error set here (type 0: none; info: next-hop MTU
 * for "fragmentation needed"). */
static uint8_t th_icmp_type, th_icmp_code;
static uint32_t th_icmp_info;

static inline void th_sink(ln_node *n, ln_pkt *pkt, const ln_ip_info *ip)
{
    if (th_icmp_type && ln_pkt_push(pkt, ip->hlen))
        ln_icmp_error(n, pkt, th_icmp_type, th_icmp_code, th_icmp_info);
    ln_pkt_free(pkt);
}

/* TH_A and TH_B on an instant wire, static ARP, seed 42. */
static inline world_cfg th_world(void)
{
    world_cfg c = { .seed = 42, .addr = { TH_A, TH_B }, .unlimited = true, .static_arp = true };
    return c;
}

/* The harness on the two hosts of `c`, capturing up to max segments. */
static inline void th_init_on(th *t, const world_cfg *c, bool raw_b, uint32_t max)
{
    memset(t, 0, sizeof *t);
    world_cfg q = *c;
    q.quiet = true;                 /* the harness records TCP its own way */
    t->w = world_new(&q);
    t->net = t->w->net;
    t->a = t->w->a;
    t->b = t->w->b;
    t->ia = t->w->ia;
    t->ib = t->w->ib;
    t->link = t->w->link;
    t->max = max;
    t->seg = calloc(max, sizeof *t->seg);
    t->sub = ln_net_subscribe(t->net, LN_EV_MASK(LN_EV_TX), th_on_tx, t);
    t->raw_b = raw_b;
    th_icmp_type = th_icmp_code = 0;
    th_icmp_info = 0;
    if (raw_b) ln_ip_register(t->b, LN_IPPROTO_TCP, th_sink);
    t->pool0 = ln_pktpool_in_use(t->net->pool);
}

static inline void th_init(th *t, bool raw_b)
{
    world_cfg c = th_world();
    th_init_on(t, &c, raw_b, TH_MAXSEG);
}

static inline ln_time th_now(const th *t) { return ln_net_now(t->net); }
static inline void th_run(th *t, ln_time dt) { ln_sim_run_until(&t->net->sim, th_now(t) + dt); }
static inline void th_run_until(th *t, ln_time when) { ln_sim_run_until(&t->net->sim, when); }
/* Let everything due now happen (zero-delay hops, deferred frees). */
static inline void th_settle(th *t) { th_run(t, 0); }

/* The next segment sent by addr (a's or b's), or NULL. */
static inline th_seg *th_next(th *t, uint32_t from)
{
    int k = th_side(t, from);
    while (t->cur[k] < t->n && t->seg[t->cur[k]].src != from) t->cur[k]++;
    if (t->cur[k] >= t->n) return NULL;
    return &t->seg[t->cur[k]++];
}

static inline uint32_t th_pending(th *t, uint32_t from)
{
    int k = th_side(t, from);
    uint32_t c = 0;
    for (uint32_t i = t->cur[k]; i < t->n; i++)
        if (t->seg[i].src == from) c++;
    return c;
}

/* Forget what was captured so far (a test's setup phase). */
static inline void th_skip(th *t)
{
    t->cur[0] = t->cur[1] = t->n;
}

/* The latest segment a sent, read or not; or NULL. */
static inline th_seg *th_last(th *t)
{
    for (uint32_t i = t->n; i-- > 0;)
        if (th_side(t, t->seg[i].src) == 0) return &t->seg[i];
    return NULL;
}

/* a's latest TSval, for b to echo; 0 before any. */
static inline uint32_t th_last_tsval(const th *t)
{
    for (uint32_t i = t->n; i-- > 0;)
        if (th_side(t, t->seg[i].src) == 0 && t->seg[i].has_ts) return t->seg[i].tsval;
    return 0;
}

/* What b sends in raw mode. */
typedef struct th_tx {
    uint16_t sport, dport;
    ln_seq seq, ack;
    uint8_t flags;
    uint16_t wnd;
    uint32_t len;                   /* payload bytes (pattern) */
    const void *data;               /* or these bytes */
    bool ts;
    uint32_t tsval, tsecr;
    bool syn_opts;
    uint16_t mss;
    bool sack_perm;
    int8_t ws;                      /* -1: none (0 means shift 0) */
    uint8_t n_sack;
    ln_tcp_sackblk sack[4];
    uint32_t from, to;              /* default b -> a; from may be anybody's */
    bool no_df;                     /* as a raw socket without path MTU discovery */
} th_tx;

/* must: CHECK that each step worked (the segment left); without it a
 * test may send what the stack refuses to build or route. */
static inline int th_send_(th *t, const th_tx *x, bool must)
{
    uint32_t from = x->from ? x->from : th_addr(t, 1), to = x->to ? x->to : th_addr(t, 0);
    ln_node *n = from == th_addr(t, 0) ? t->a : t->b;
    ln_pkt *p = ln_net_pkt(t->net, x->len);
    if (must) CHECK(p != NULL);
    if (!p) return -1;
    for (uint32_t i = 0; i < x->len; i++)
        p->data[i] = x->data ? ((const uint8_t *)x->data)[i] : (uint8_t)(x->seq + i);
    ln_tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.saddr = from; h.daddr = to;
    h.sport = x->sport; h.dport = x->dport;
    h.seq = x->seq; h.ack = x->ack;
    h.flags = x->flags;
    h.wnd = x->wnd;
    h.syn_opts = x->syn_opts;
    h.mss = x->mss;
    h.sack_perm = x->sack_perm;
    h.ws = x->syn_opts ? x->ws : -1;
    h.ts = x->ts;
    h.tsval = x->tsval;
    h.tsecr = x->tsecr;
    h.n_sack = x->n_sack;
    memcpy(h.sack, x->sack, sizeof h.sack);
    int rc = ln_tcp_push_hdr(p, &h);
    if (must) CHECK_EQ(rc, 0);
    if (rc) {
        ln_pkt_free(p);
        return -1;
    }
    ln_ip_opts o;
    memset(&o, 0, sizeof o);
    o.df = o.df_set = !x->no_df;
    o.any_src = true;
    rc = ln_ip_output(n, p, from, to, LN_IPPROTO_TCP, &o);
    if (must) CHECK_EQ(rc, 0);
    return rc;
}
static inline int th_send(th *t, const th_tx *x) { return th_send_(t, x, false); }
static inline void th_send_ok(th *t, const th_tx *x) { th_send_(t, x, true); }

/* Send x and let a answer whatever it answers at once (b's side). */
static inline void th_deliver(th *t, const th_tx *x)
{
    th_send(t, x);
    th_settle(t);
}

/* Assert the next segment from `from`: flags, seq, ack, payload length
 * and raw window (wnd < 0: any).  Failures name the caller's line. */
static inline th_seg *th_expect_(th *t, uint32_t from, uint8_t flags, ln_seq seq, ln_seq ack,
                                 uint32_t len, long wnd, const char *file, int line)
{
    th_seg *s = th_next(t, from);
    if (!s) {
        check_fail++;
        fprintf(stderr, "%s:%d: expected a segment from %s, none was sent\n", file, line,
                th_side(t, from) ? "b" : "a");
        return NULL;
    }
    bool ok = s->flags == flags && s->seq == seq && (!(flags & LN_TCP_ACK) || s->ack == ack) &&
              s->len == len && (wnd < 0 || s->wnd == wnd);
    if (ok) {
        check_pass++;
    } else {
        check_fail++;
        fprintf(stderr, "%s:%d: segment at %.6f s: flags %02x seq %u ack %u len %u win %u; "
                "expected flags %02x seq %u ack %u len %u win %ld\n", file, line, s->t / 1e9,
                s->flags, s->seq, s->ack, s->len, s->wnd, flags, seq, ack, len, wnd);
    }
    return s;
}
#define TH_EXPECT(t, from, flags, seq, ack, len, wnd) \
    th_expect_((t), (from), (flags), (seq), (ack), (len), (wnd), __FILE__, __LINE__)
/* ... and then nothing more from `from`. */
#define TH_NONE(tt, from) do {                                                   \
    uint32_t th_n_ = th_pending((tt), (from));                                   \
    if (th_n_) {                                                                 \
        th_seg *th_s_ = th_next((tt), (from));                                   \
        fprintf(stderr, "%s:%d: %u unexpected segment(s), first at %.6f s flags %02x seq %u ack %u len %u\n", \
                __FILE__, __LINE__, th_n_, th_s_->t / 1e9, th_s_->flags, th_s_->seq, th_s_->ack, th_s_->len); \
        check_fail++;                                                            \
        th_skip(tt);                                                             \
    } else {                                                                     \
        check_pass++;                                                            \
    }                                                                            \
} while (0)

#define F_S  LN_TCP_SYN
#define F_SA (LN_TCP_SYN | LN_TCP_ACK)
#define F_A  LN_TCP_ACK
#define F_PA (LN_TCP_PSH | LN_TCP_ACK)
#define F_FA (LN_TCP_FIN | LN_TCP_ACK)
#define F_R  LN_TCP_RST
#define F_RA (LN_TCP_RST | LN_TCP_ACK)

/* Notifications, recorded per socket by th_watch. */
typedef struct th_notes {
    unsigned ev;                    /* union of all events */
    uint32_t n;                     /* callbacks */
    ln_tcp_sock *accepted;          /* last socket accept()ed by th_accept_all */
} th_notes;

static inline void th_note(ln_tcp_sock *s, unsigned ev, void *arg)
{
    (void)s;
    th_notes *n = arg;
    n->ev |= ev;
    n->n++;
}

static inline void th_watch(ln_tcp_sock *s, th_notes *n)
{
    memset(n, 0, sizeof *n);
    ln_tcp_set_notify(s, th_note, n);
}

static inline void th_accept_cb(ln_tcp_sock *l, unsigned ev, void *arg)
{
    th_notes *n = arg;
    n->ev |= ev;
    n->n++;
    ln_tcp_sock *c;
    if (ev & LN_TCP_EV_ACCEPT)
        while ((c = ln_tcp_accept(l)) != NULL) n->accepted = c;
}

/* A listener on node n, port, that accepts everything into notes->accepted. */
static inline ln_tcp_sock *th_listen(ln_node *n, uint16_t port, th_notes *notes)
{
    ln_tcp_sock *l = ln_tcp_socket(n);
    ln_tcp_bind(l, 0, port);
    ln_tcp_listen(l, 128);
    memset(notes, 0, sizeof *notes);
    ln_tcp_set_notify(l, th_accept_cb, notes);
    return l;
}

/* Node counters. */
#define TH_MIB(node, name) ((node)->mib[LN_MIB_##name])

static inline void th_abort_one(ln_tcp_sock *s, void *arg)
{
    (void)arg;
    if (!(s->flags & LN_TF_ORPHAN)) ln_tcp_abort(s);
}

/* Abort everything, drain, and check the pool is back to its start. */
static inline void th_free(th *t)
{
    for (int i = 0; i < 2; i++) {
        ln_node *n = i ? t->b : t->a;
        if (n->tcp) ln_tcp_foreach(n, th_abort_one, NULL);
    }
    /* Orphans still in TIME_WAIT or FIN_WAIT_2 hold no packets; let the
     * RSTs and deferred frees go. */
    th_run(t, LN_SEC);
    uint64_t ofo = 0;
    for (int i = 0; i < 2; i++) {
        ln_node *n = i ? t->b : t->a;
        if (!n->tcp) continue;
        for (ln_tcp_sock *s = n->tcp->all; s; s = s->next) ofo += s->xf ? s->xf->ofo.n_segs : 0;
    }
    CHECK_U64(ln_pktpool_in_use(t->net->pool), t->pool0 + ofo);
    CHECK_U64(ofo, 0);
    free(t->seg);
    world_release(t->w);
}

#endif
