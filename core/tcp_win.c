/* tcp_win.c - window and segment-size arithmetic: one function per
 * quantity, used by every other TCP file.
 *
 *   the receive buffer    ln_tcp_win_from_space, ln_tcp_full_space,
 *                         ln_tcp_space (payload a buffer can hold),
 *                         ln_tcp_set_window_clamp (and rcv_ssthresh with it)
 *   the receive window    ln_tcp_receive_window (what is still open of the
 *                         last offer), ln_tcp_raw_window (what the buffer
 *                         allows now), ln_tcp_select_window (the offer that
 *                         goes out), ln_tcp_select_initial_window (SYN and
 *                         SYN-ACK), ln_tcp_init_buffer_space (ESTABLISHED)
 *   the send window       ln_tcp_seg_wnd (SEG.WND in bytes)
 *   segment sizes         ln_tcp_route_mtu, ln_tcp_adv_mss_for (the MSS we
 *                         announce), ln_tcp_advmss, ln_tcp_sync_mss (what
 *                         we send), ln_tcp_current_mss (less SACK blocks,
 *                         at most half the peer's window), ln_tcp_init_rcv_mss
 *                         (the guess of the peer's), ln_tcp_sndbuf_expand
 *
 * Nothing here sends or queues: callers are tcp.c (connect, a passive
 * open's child, ESTABLISHED), tcp_listen.c (SYN-ACK windows), tcp_out.c
 * (every segment's window and size), tcp_rcv.c (window growth and
 * autotuning, which change rcv_ssthresh, window_clamp and rcvbuf that
 * these functions read), tcp_in.c (acceptability tests) and tcp_timer.c
 * (TIME_WAIT's frozen window).
 *
 * Read: RFC 9293 3.8.6 (managing the window), RFC 1122 4.2.3.3 (receiver
 * SWS avoidance), RFC 7323 2 (window scale), RFC 9293 3.7.1 and RFC 6691
 * (MSS), and Linux's tcp_output.c (tcp_select_initial_window,
 * __tcp_select_window, tcp_select_window, tcp_sync_mss, tcp_current_mss)
 * and tcp_input.c (tcp_init_buffer_space, tcp_sndbuf_expand,
 * tcp_initialize_rcv_mss), whose arithmetic lunet copies. */

#include "ip.h"
#include "net.h"
#include "node.h"
#include "route.h"
#include "ip6.h"
#include "tcp_int.h"

static uint32_t umin(uint32_t a, uint32_t b) { return a < b ? a : b; }
static uint32_t umax(uint32_t a, uint32_t b) { return a > b ? a : b; }


/* ---- the receive buffer ------------------------------------------------ */

/* Linux's tcp_win_from_space: the payload `space` bytes of buffer hold, at
 * the payload/buffer ratio learnt from the peer's segments. */
uint32_t ln_tcp_win_from_space(const ln_tcp_sock *s, uint32_t space)
{
    return (uint32_t)(((uint64_t)space * s->scaling_ratio) >> 8);
}

/* tcp_full_space: what the whole receive buffer can hold. */
uint32_t ln_tcp_full_space(const ln_tcp_sock *s)
{
    return ln_tcp_win_from_space(s, s->rcvbuf);
}

/* tcp_space(): what the free part of the receive buffer can hold in
 * payload.  lunet charges queued payload at the same ratio it learnt from
 * the first full segment, so this is full_space less the bytes held. */
uint32_t ln_tcp_space(const ln_tcp_sock *s)
{
    uint32_t full = ln_tcp_full_space(s);
    uint32_t held = s->xf ? s->xf->rcv.len + s->xf->ofo.bytes : 0;
    return full > held ? full - held : 0;
}

/* Linux's tcp_set_window_clamp (net/ipv4/tcp.c), which
 * tcp_measure_rcv_mss calls when a segment changes the scaling ratio
 * (6.14 on, "tcp: adjust rcvq_space after updating scaling ratio"; it
 * used to write window_clamp alone).  Never below SOCK_MIN_RCVBUF / 2.
 * Shrinking the clamp pulls rcv_ssthresh down with it
 * (__tcp_adjust_rcv_ssthresh; lunet has no SO_RESERVE_MEM).  Raising it
 * lifts rcv_ssthresh to the window already offered, rcv_wnd, which
 * __tcp_select_window rounded up to the scale's granularity: growth
 * (tcp_grow_window) then starts from the 63 x 1024 = 64512 the peer was
 * offered, not the 64088 behind it, so the fourth step is 75 x 1024, not
 * 74 (half_close.pcap and loss_recovery.pcap: 66, 69, 72, 75, ...). */
void ln_tcp_set_window_clamp(ln_tcp_sock *s, uint32_t val)
{
    uint32_t old = s->window_clamp;
    uint32_t clamp = umax(val, LN_TCP_SOCK_MIN_RCVBUF / 2);
    if (clamp == old) return;
    s->window_clamp = clamp;
    if (clamp < old) s->rcv_ssthresh = umin(s->rcv_ssthresh, clamp);
    else s->rcv_ssthresh = umax(s->rcv_ssthresh, umin(s->rcv_wnd, clamp));
}

/* ---- the receive window ------------------------------------------------ */

/* RCV.WND still open from what we last advertised (tcp_receive_window). */
uint32_t ln_tcp_receive_window(const ln_tcp_sock *s)
{
    int32_t w = (int32_t)(s->rcv_wup + s->rcv_wnd - s->rcv_nxt);
    return w < 0 ? 0 : (uint32_t)w;
}

/* The window the buffer allows now.  Receiver SWS avoidance (RFC 1122
 * 4.2.3.3) is Linux's: when less than half the buffer is free the offer
 * drops to 0 rather than creep up by less than a segment (or 1/16 of the
 * buffer); without window scaling it moves in whole segments.  Above that
 * it grows no faster than rcv_ssthresh (tcp_grow_window). */
uint32_t ln_tcp_raw_window(ln_tcp_sock *s)
{
    int32_t mss = s->rcv_mss;
    int32_t free_space = (int32_t)ln_tcp_space(s);
    int32_t allowed = (int32_t)ln_tcp_full_space(s);
    int32_t full = (int32_t)umin(s->window_clamp, (uint32_t)allowed);
    int32_t ws = s->rcv_wscale, window;
    if (mss > full) {
        mss = full;
        if (mss <= 0) return 0;
    }
    if (free_space < (full >> 1)) {
        s->quick = 0;
        free_space &= ~((1 << ws) - 1);
        if (free_space < (allowed >> 4) || free_space < mss) return 0;
    }
    if (free_space > (int32_t)s->rcv_ssthresh) free_space = (int32_t)s->rcv_ssthresh;
    if (ws) {
        window = free_space;
        window = (window + (1 << ws) - 1) & ~((1 << ws) - 1);
    } else {
        window = (int32_t)s->rcv_wnd;
        if (window <= free_space - mss || window > free_space)
            window = free_space / mss * mss;
        else if (mss == full && free_space > window + (full >> 1))
            window = free_space;
    }
    return (uint32_t)window;
}

/* Linux's tcp_select_window: RFC 9293 3.8.6.2.2 -- the right edge never
 * moves left (tcp_shrink_window = 0), so an offer smaller than what is
 * still open is rounded up to it.  Counts the zero-window transitions. */
uint16_t ln_tcp_select_window(ln_tcp_sock *s)
{
    ln_node *n = s->st->node;
    uint32_t old = s->rcv_wnd;
    uint32_t cur = ln_tcp_receive_window(s);
    uint32_t nw = ln_tcp_raw_window(s);
    uint32_t ws = s->rcv_wscale;
    if (nw < cur) {
        if (nw == 0) LN_MIB_INC(n, TcpExtTCPWantZeroWindowAdv);
        nw = (cur + (1u << ws) - 1) & ~((1u << ws) - 1);
    }
    s->rcv_wnd = nw;
    s->rcv_wup = s->rcv_nxt;
    uint32_t max = 65535u << ws;
    if (nw > max) nw = max;
    nw >>= ws;
    if (nw == 0) {
        if (old) LN_MIB_INC(n, TcpExtTCPToZeroWindowAdv);
    } else if (old == 0) {
        LN_MIB_INC(n, TcpExtTCPFromZeroWindowAdv);
    }
    return (uint16_t)nw;
}

static int ilog2(uint32_t v) { return v ? 31 - __builtin_clz(v) : -1; }

/* Linux's tcp_select_initial_window: a whole number of segments up to
 * the buffer, never more than 65535 unscaled; the scale is chosen for the
 * largest buffer autotuning could reach (tcp_rmem[2], rmem_max), capped by
 * the clamp (a locked SO_RCVBUF: 0). */
static void initial_window(const ln_tcp_sock *s, uint32_t space, uint32_t mss, uint32_t *rcv_wnd,
                           uint32_t *clamp, bool wscale_ok, uint8_t *rcv_wscale)
{
    const ln_tcp_cfg *c = &s->st->cfg;
    if (*clamp == 0) *clamp = 65535u << LN_TCP_MAX_WSCALE;
    space = umin(*clamp, space);
    if (space > mss && mss) space = space / mss * mss;
    *rcv_wnd = umin(space, 65535u);
    *rcv_wscale = 0;
    if (wscale_ok) {
        space = umax(space, c->rmem[2]);
        space = umax(space, c->rmem_max);
        space = umin(space, *clamp);
        int ws = ilog2(space) - 15;
        *rcv_wscale = (uint8_t)(ws < 0 ? 0 : ws > LN_TCP_MAX_WSCALE ? LN_TCP_MAX_WSCALE : ws);
    }
    *clamp = umin(65535u << *rcv_wscale, *clamp);
}

/* With a locked SO_RCVBUF the window never exceeds the buffer
 * (tcp_connect_init, tcp_openreq_init_rwin). */
static uint32_t clamp_for(const ln_tcp_sock *s, uint32_t clamp)
{
    uint32_t full = ln_tcp_full_space(s);
    if ((s->flags & LN_TF_RCVBUF_LOCK) && (clamp == 0 || clamp > full)) clamp = full;
    return clamp;
}

/* Linux's tcp_select_initial_window with the caller's say on window
 * scaling (a passive open's child scales only if the SYN offered it). */
void ln_tcp_initial_window(const ln_tcp_sock *s, uint32_t mss, bool wscale_ok, uint32_t *rcv_wnd,
                           uint32_t *window_clamp, uint8_t *rcv_wscale)
{
    *window_clamp = clamp_for(s, *window_clamp);
    initial_window(s, ln_tcp_full_space(s), mss, rcv_wnd, window_clamp, wscale_ok, rcv_wscale);
}

void ln_tcp_select_initial_window(const ln_tcp_sock *s, uint32_t mss, uint32_t *rcv_wnd,
                                  uint32_t *window_clamp, uint8_t *rcv_wscale)
{
    ln_tcp_initial_window(s, mss, s->st->cfg.window_scaling, rcv_wnd, window_clamp, rcv_wscale);
}

/* tcp_init_buffer_space: at ESTABLISHED, the window clamp keeps one
 * segment of the buffer in reserve (tcp_app_win), which is why the first
 * window after the handshake is 64088 rounded up to 63 x 1024. */
void ln_tcp_init_buffer_space(ln_tcp_sock *s)
{
    uint32_t advmss = ln_tcp_advmss(s);
    ln_tcp_sndbuf_expand(s);
    s->rcvq_time = ln_tcp_now(s);
    s->rcvq_seq = s->rcv_nxt;
    uint32_t maxwin = ln_tcp_full_space(s);
    if (s->window_clamp >= maxwin) {
        s->window_clamp = maxwin;
        if (maxwin > 4 * advmss) s->window_clamp = umax(maxwin, 4 * advmss);
    }
    if (s->window_clamp > 2 * advmss && s->window_clamp + advmss > maxwin)
        s->window_clamp = umax(2 * advmss, maxwin - advmss);
    s->rcv_ssthresh = umin(s->rcv_ssthresh, s->window_clamp);
    s->rcvq_space = umin(umin(s->rcv_ssthresh, s->rcv_wnd), s->st->cfg.initial_cwnd * advmss);
}

/* ---- the send window --------------------------------------------------- */

/* SEG.WND in bytes: shifted by the peer's scale once both sides agreed
 * to scaling (RFC 7323 2.3; the window of a SYN itself never is). */
uint32_t ln_tcp_seg_wnd(const ln_tcp_sock *s, const ln_tcp_seg *seg)
{
    return (uint32_t)seg->wnd << ((s->flags & LN_TF_WSCALE) ? s->snd_wscale : 0);
}

/* ---- segment sizes ----------------------------------------------------- */

/* tp->advmss: the MSS we announced less the TS option when it is in use
 * (Linux subtracts TCPOLEN_TSTAMP_ALIGNED once timestamps are agreed). */
uint32_t ln_tcp_advmss(const ln_tcp_sock *s)
{
    return s->adv_mss - ((s->flags & LN_TF_TS) ? LN_TCPOLEN_TS_ALIGNED : 0);
}

/* The MTU of the route to raddr (loopback: IP's 65535), 0 if none. */
uint32_t ln_tcp_route_mtu(ln_node *n, uint32_t raddr)
{
    if (ln_ip_is_local(n, raddr)) return 65535;
    const ln_route *rt = ln_route_lookup(&n->routes, raddr);
    return rt && rt->iface ? rt->iface->mtu : 0;
}

uint32_t ln_tcp_route_mtu6(ln_node *n, const ln_in6 *raddr)
{
    /* Linux's loopback has an MTU of 65536: MSS 65476 over IPv6. */
    if (ln_ip6_is_local(n, raddr) || ln_in6_is_loopback(raddr)) return 65536;
    ln_in6 nh;
    ln_iface *ifc = n->ip6 ? ln_ip6_route(n, raddr, NULL, &nh) : NULL;
    return ifc ? ln_ip6_pmtu(n, raddr, ln_ip6_if_mtu(ifc)) : 0;
}

uint32_t ln_tcp_sock_mtu(const ln_tcp_sock *s)
{
    if (s->flags & LN_TF_V6) return ln_tcp_route_mtu6(s->st->node, &s->v6->raddr);
    return ln_tcp_route_mtu(s->st->node, s->raddr);
}

/* ipv4_default_advmss (MTU - 40, at least 256) lowered by TCP_MAXSEG;
 * over IPv6 ip6_default_advmss: MTU - 60, at least ip6_rt_min_advmss =
 * 1220 (what the minimum IPv6 MTU of 1280 carries). */
uint16_t ln_tcp_mss_for_mtu(uint32_t mtu, bool v6, uint16_t user_mss)
{
    uint32_t mss;
    if (v6) {
        mss = mtu > 60 + 1220 ? mtu - 60 : 1220;
        if (mss > 65535 - 20) mss = 65535 - 20;
    } else {
        mss = mtu > 40 + 256 ? mtu - 40 : 256;
    }
    if (user_mss && user_mss < mss) mss = user_mss;
    return (uint16_t)mss;
}

uint16_t ln_tcp_adv_mss_for(const ln_tcp_sock *s, uint32_t mtu)
{
    return ln_tcp_mss_for_mtu(mtu, (s->flags & LN_TF_V6) != 0, s->user_mss);
}

/* tcp_sync_mss: what one of our segments carries, the smaller of our
 * path's and the peer's MSS, less the options every segment has. */
void ln_tcp_sync_mss(ln_tcp_sock *s)
{
    uint32_t mss = umin(s->adv_mss, s->peer_mss ? s->peer_mss : s->st->cfg.base_mss);
    if (s->user_mss) mss = umin(mss, s->user_mss);
    if (s->flags & LN_TF_TS) mss -= LN_TCPOLEN_TS_ALIGNED;
    if (mss < 48) mss = 48;
    s->mss_cache = (uint16_t)mss;
    if (s->xf) s->xf->cc.mss = mss;
}

/* tcp_current_mss with tcp_bound_to_half_wnd: never more than half the
 * largest window the peer offered (RFC 1122 4.2.3.4's spirit: a tiny
 * window is not filled by one segment). */
uint32_t ln_tcp_current_mss(const ln_tcp_sock *s)
{
    uint32_t mss = s->mss_cache ? s->mss_cache : 536;
    /* tcp_current_mss: SACK blocks riding on our segments take room from
     * the data (4 + 8 per block, at most 3 next to a TS option). */
    if (s->flags & LN_TF_SACK) {
        uint32_t n = (s->xf ? s->xf->ofo.n_sacks : 0) + ((s->flags & LN_TF_DSACK) ? 1 : 0);
        uint32_t max = (s->flags & LN_TF_TS) ? 3 : 4;
        if (n > max) n = max;
        if (n && mss > 4 + 8 * n + 48) mss -= 4 + 8 * n;
    }
    uint32_t cutoff = s->max_window > 536 ? s->max_window >> 1 : s->max_window;
    if (cutoff && mss > cutoff) {
        uint32_t floor = 68 - ((s->flags & LN_TF_TS) ? 32 : 20);
        mss = cutoff > floor ? cutoff : floor;
    }
    return mss;
}

/* tcp_initialize_rcv_mss: a guess of the peer's segment size until data
 * shows it, at most 536. */
void ln_tcp_init_rcv_mss(ln_tcp_sock *s)
{
    uint32_t hint = umin(ln_tcp_advmss(s), s->mss_cache);
    hint = umin(hint, s->rcv_wnd / 2);
    hint = umin(hint, 536);
    s->rcv_mss = (uint16_t)umax(hint, LN_TCP_MIN_MSS);
}

/* tcp_sndbuf_expand: room for twice the window in worst-case skbs
 * (Linux's per-segment memory: 4352 bytes for a 1500 MTU). */
void ln_tcp_sndbuf_expand(ln_tcp_sock *s)
{
    if (s->flags & LN_TF_SNDBUF_LOCK) return;
    uint32_t per_mss = umax(s->peer_mss, s->mss_cache) + 320 + 320;
    uint32_t p2 = 1;
    while (p2 < per_mss) p2 <<= 1;
    per_mss = p2 + 256;
    uint32_t segs = umax(s->st->cfg.initial_cwnd, ln_tcp_cwnd(s));
    segs = umax(segs, s->st->cfg.reordering + 1);
    uint64_t mem = 2ull * segs * per_mss;
    if (mem > s->st->cfg.wmem[2]) mem = s->st->cfg.wmem[2];
    if (mem > s->sndbuf) {
        s->sndbuf = (uint32_t)mem;
        if (s->xf) ln_ring_set_limit(&s->xf->snd, s->sndbuf);
    }
}
