/* tcp_icmp.c - ICMP errors about segments we sent (Linux's tcp_v4_err):
 * path MTU discovery, and what the user sees when the network says a
 * connection cannot go on.
 *
 * Place in the call chain:
 *   icmp.c or icmp6.c, an error quoting a TCP header -> ln_tcp_icmp_err (registered
 *     by ln_tcp_attach) -> ln_tcp_lookup_conn (tcp_table.c)
 *       no connection          -> ln_tcp_listen_icmp (a request's SYN-ACK)
 *       fragmentation needed   -> smaller mss_cache, ln_tcp_simple_retransmit
 *       an opening connection  -> ln_tcp_set_error + ln_tcp_done
 *       an established one     -> soft_error, reported on a timeout
 *
 * Read: RFC 5927 (ICMP attacks against TCP: the sequence check), RFC 1191
 * (path MTU discovery), RFC 1122 4.2.3.9, and Linux's tcp_ipv4.c
 * tcp_v4_err and icmp_err_convert. */

#include "err.h"
#include "ip.h"
#include "net.h"
#include "node.h"
#include "tcp_int.h"
#include "wire.h"

static uint32_t umax(uint32_t a, uint32_t b) { return a > b ? a : b; }

/* icmpv6_err_convert: the error an ICMPv6 message means, and whether it
 * is fatal (hard).  Linux says EACCES for the administrative codes;
 * lunet's vocabulary has no such word and says "host unreachable". */
static int err6_convert(uint8_t type, uint8_t code, bool *hard)
{
    *hard = false;
    switch (type) {
    case LN_ICMP6_DST_UNREACH:
        switch (code) {
        case LN_ICMP6_UNREACH_NOROUTE: return LN_ENETUNREACH;
        case LN_ICMP6_UNREACH_BEYONDSCOPE:
        case LN_ICMP6_UNREACH_ADDR: return LN_EHOSTUNREACH;
        case LN_ICMP6_UNREACH_PORT: *hard = true; return LN_ECONNREFUSED;
        default: *hard = true; return LN_EHOSTUNREACH;    /* 1, 5, 6: EACCES */
        }
    case LN_ICMP6_PARAM_PROB: *hard = true; return LN_EPROTO;
    case LN_ICMP6_TIME_EXCEED: return LN_EHOSTUNREACH;
    default: return LN_EPROTO;
    }
}

/* tcp_v6_err: the same rules over IPv6.  Packet Too Big lowers the MSS to
 * the new path MTU less 60 and resends what is in flight
 * (tcp_v6_mtu_reduced); icmp6.c has recorded the path MTU already. */
static void icmp6_err(ln_tcp_stack *st, const ln_icmp_msg *m)
{
    if (m->quote_len < m->l4_off + 8) return;
    const uint8_t *th = m->quote + m->l4_off;
    uint16_t sport = ln_get16(th), dport = ln_get16(th + 2);
    ln_seq seq = ln_get32(th + 4);
    ln_tcp6 a = { .laddr = m->orig_src6, .raddr = m->orig_dst6 };
    ln_tcp_sock *s = ln_tcp_lookup_conn6(st, &a, dport, sport);
    bool hard;
    int err = err6_convert(m->type, m->code, &hard);
    if (!s) {
        if (m->type == LN_ICMP6_PKT_TOOBIG) return;
        ln_tcp_listen_icmp(st, ln_tcp6_fold(st, &a.laddr), sport, ln_tcp6_fold(st, &a.raddr), dport, &a,
                           seq, hard);
        return;
    }
    if (s->state == LN_TCP_TIME_WAIT) return;
    if (s->state != LN_TCP_SYN_SENT && !ln_seq_in(seq, s->snd_una, s->snd_max + 1)) {
        LN_MIB_INC(st->node, TcpExtOutOfWindowIcmps);
        return;
    }
    ln_tcp_batch_begin(st);
    if (m->type == LN_ICMP6_PKT_TOOBIG) {
        /* RFC 8201 4: never below 1280 (ln_ip6_pmtu_update keeps that
         * floor too). */
        uint32_t mtu = m->mtu < LN_IP6_MIN_MTU ? LN_IP6_MIN_MTU : m->mtu;
        uint32_t mss = mtu - 60 - ((s->flags & LN_TF_TS) ? LN_TCPOLEN_TS_ALIGNED : 0);
        if (mss < s->mss_cache) {
            LN_TCP_TRACE(s, "packet too big: path MTU %u, MSS %u -> %u", mtu, s->mss_cache, mss);
            s->mss_cache = (uint16_t)mss;
            if (s->xf) s->xf->cc.mss = s->mss_cache;
            /* Something in flight after the handshake: xf holds it. */
            if (s->state >= LN_TCP_ESTABLISHED && s->snd_max != s->snd_una) ln_tcp_simple_retransmit(s);
        }
    } else if (s->state == LN_TCP_SYN_SENT || s->state == LN_TCP_SYN_RCVD) {
        ln_tcp_set_error(s, err);
        ln_tcp_done(s);
    } else {
        s->soft_error = (int16_t)err;
    }
    ln_tcp_batch_end(st);
}

/* The ICMP socket's callback: `m` quotes the IP header and at least the
 * first 8 bytes of one of our segments (ports and sequence number). */
void ln_tcp_icmp_err(ln_icmp_sock *is, const ln_icmp_msg *m, void *arg)
{
    ln_tcp_stack *st = arg;
    (void)is;
    if (m->v6) {
        icmp6_err(st, m);
        return;
    }
    const uint8_t *q = m->quote;
    uint32_t qhl = (uint32_t)(q[LN_IP_VHL] & 0x0f) * 4;
    if (m->quote_len < qhl + 8) return;
    const uint8_t *th = q + qhl;
    uint16_t sport = ln_get16(th), dport = ln_get16(th + 2);
    ln_seq seq = ln_get32(th + 4);
    ln_tcp_sock *s = ln_tcp_lookup_conn(st, m->orig_dst, dport, m->orig_src, sport);
    if (!s) {
        /* Perhaps about a request's SYN-ACK (Linux's tcp_req_err); the
         * errors tcp_v4_err calls hard for it drop the request. */
        bool hard = m->type == LN_ICMP_TIMXCEED || m->type == LN_ICMP_PARAMPROB ||
                    (m->type == LN_ICMP_UNREACH &&
                     (m->code == LN_ICMP_UNREACH_NET || m->code == LN_ICMP_UNREACH_HOST));
        ln_tcp_listen_icmp(st, m->orig_src, sport, m->orig_dst, dport, NULL, seq, hard);
        return;
    }
    if (s->state == LN_TCP_TIME_WAIT) return;
    /* Only about something we have in flight (RFC 5927 4.1; Linux counts
     * the rest as OutOfWindowIcmps). */
    if (s->state != LN_TCP_SYN_SENT && !ln_seq_in(seq, s->snd_una, s->snd_max + 1)) {
        LN_MIB_INC(st->node, TcpExtOutOfWindowIcmps);
        return;
    }
    /* icmp_err_convert: what the user would see. */
    int err;
    if (m->type == LN_ICMP_UNREACH) {
        switch (m->code) {
        case LN_ICMP_UNREACH_NEEDFRAG: {
            /* RFC 1191 path MTU discovery: smaller segments from now on,
             * and what is in flight goes again (tcp_v4_mtu_reduced,
             * tcp_simple_retransmit). */
            uint32_t mtu = m->mtu;
            if (mtu < 68 || mtu >= 0xffff) return;
            uint32_t mss = mtu - 40 - ((s->flags & LN_TF_TS) ? LN_TCPOLEN_TS_ALIGNED : 0);
            if (mss < s->mss_cache) {
                ln_tcp_batch_begin(st);
                s->mss_cache = (uint16_t)umax(mss, 48);
                if (s->xf) s->xf->cc.mss = s->mss_cache;
                if (s->state >= LN_TCP_ESTABLISHED && s->snd_max != s->snd_una)
                    ln_tcp_simple_retransmit(s);
                ln_tcp_batch_end(st);
            }
            return;
        }
        case LN_ICMP_UNREACH_NET: err = LN_ENETUNREACH; break;
        case LN_ICMP_UNREACH_HOST: err = LN_EHOSTUNREACH; break;
        case LN_ICMP_UNREACH_PROTO:
        case LN_ICMP_UNREACH_PORT: err = LN_ECONNREFUSED; break;
        default: err = LN_EHOSTUNREACH; break;
        }
    } else if (m->type == LN_ICMP_TIMXCEED) {
        err = LN_EHOSTUNREACH;
    } else {
        err = LN_EPROTO;
    }
    ln_tcp_batch_begin(st);
    if (s->state == LN_TCP_SYN_SENT || s->state == LN_TCP_SYN_RCVD) {
        /* Linux aborts an opening connection on any ICMP error about it
         * (tcp_done_with_error): connect() fails at once. */
        ln_tcp_set_error(s, err);
        ln_tcp_done(s);
    } else {
        /* Established: only remembered (sk_err_soft), reported if the
         * connection times out; Linux aborts only with IP_RECVERR. */
        s->soft_error = (int16_t)err;
    }
    ln_tcp_batch_end(st);
}
