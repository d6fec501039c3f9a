/* test_firewall.c - per-node packet filter rules (core/firewall.h).
 *
 * Two hosts on one link with static ARP entries, so nothing but the
 * frames under test crosses the wire.  Frames are built by hand and
 * injected at h2's port (the "in" hook), or sent by h1's stack (the "out"
 * hook); each test asserts the exact frames h2 sent back, the drop
 * counters and the rule counters, then that no packet buffer leaked. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "err.h"
#include "event.h"
#include "firewall.h"
#include "icmp.h"
#include "tcp_wire.h"
#include "world.h"

#define H1 IP(10, 0, 0, 1)
#define H2 IP(10, 0, 0, 2)

/* ---- harness ----------------------------------------------------------------- */

static const world_cfg hosts = { .seed = 1, .name = { "h1", "h2" }, .addr = { H1, H2 },
                                 .delay = 100 * LN_USEC, .static_arp = true };

/* Prepend IPv4 and Ethernet headers (h1 -> h2) to pkt (data at L4). */
static void ip_eth(world *w, ln_pkt *p, uint8_t proto)
{
    uint8_t *ip = ln_pkt_push(p, LN_IP_HLEN);
    if (!ip) return;                  /* cannot happen: ln_net_pkt leaves headroom */
    memset(ip, 0, LN_IP_HLEN);
    ip[LN_IP_VHL] = 0x45;
    ln_put16(ip + LN_IP_LEN, (uint16_t)p->len);
    ln_put16(ip + LN_IP_ID, 77);
    ln_put16(ip + LN_IP_FRAG, LN_IP_DF);
    ip[LN_IP_TTL] = 64;
    ip[LN_IP_PROTO] = proto;
    ln_put32(ip + LN_IP_SRC, H1);
    ln_put32(ip + LN_IP_DST, H2);
    ln_put16(ip + LN_IP_CSUM, ln_csum(ip, LN_IP_HLEN));
    uint8_t *e = ln_pkt_push(p, LN_ETH_HLEN);
    if (!e) return;
    memcpy(e + LN_ETH_DST, w->ib->mac, 6);
    memcpy(e + LN_ETH_SRC, w->ia->mac, 6);
    ln_put16(e + LN_ETH_TYPE, LN_ETHERTYPE_IPV4);
}

/* A TCP segment 10.0.0.1:40000 -> 10.0.0.2:dport with `len` payload bytes. */
static ln_pkt *tcp_frame(world *w, uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack,
                         uint32_t len)
{
    ln_pkt *p = ln_net_pkt(w->net, len);
    memset(p->data, 'x', len);
    ln_tcp_hdr h = { .saddr = H1, .daddr = H2, .sport = 40000, .dport = dport,
                     .seq = seq, .ack = ack, .flags = flags, .wnd = 1000, .ws = -1 };
    CHECK_EQ(ln_tcp_push_hdr(p, &h), 0);
    ip_eth(w, p, LN_IPPROTO_TCP);
    return p;
}

static ln_pkt *udp_frame(world *w, uint16_t dport)
{
    ln_pkt *p = ln_net_pkt(w->net, 8 + 4);
    uint8_t *u = p->data;
    ln_put16(u, 5000);
    ln_put16(u + 2, dport);
    ln_put16(u + 4, 12);
    ln_put16(u + 6, 0);               /* no checksum: allowed for UDP over IPv4 */
    memcpy(u + 8, "ping", 4);
    ip_eth(w, p, LN_IPPROTO_UDP);
    return p;
}

static void inject(world *w, ln_pkt *p) { w->ib->port.rx(&w->ib->port, p); }

/* Frames h2 transmitted. */
static int from_h2(const world *w, const world_frame **out, int max)
{
    return world_frames(w, &w->ib->port, 0, out, max);
}

static int add(world *w, ln_node *n, ln_fw_hook hook, const char *filter, ln_fw_action a,
               ln_fw_reject with)
{
    char err[256] = "";
    int rc = ln_fw_add(n, hook, NULL, filter, a, with, err, sizeof err);
    if (rc < 0) fprintf(stderr, "ln_fw_add: %s\n", err);
    return rc;
}

/* ---- tests ----------------------------------------------------------------------- */

static void test_drop_counted(void)
{
    world *w = world_new(&hosts);
    CHECK(w->b->fw == NULL);
    CHECK_EQ(add(w, w->b, LN_FW_IN, "tcp dst port 80 and tcp[tcpflags] & tcp-syn != 0",
                 LN_FW_DROP, LN_FW_PORT_UNREACH), 0);
    ln_pkt *p = tcp_frame(w, 80, LN_TCP_SYN, 1000, 0, 0);
    uint32_t len = p->len;
    inject(w, p);
    world_run_for(w, LN_SEC);
    const world_frame *f[4];
    CHECK_EQ(from_h2(w, f, 4), 0);    /* silent: without the rule h2 would RST */
    CHECK_U64(w->drops[LN_DROP_FIREWALL], 1);
    CHECK_U64(w->b->drops[LN_DROP_FIREWALL], 1);
    const ln_fw_rule_info *r = ln_fw_rule(w->b, LN_FW_IN, 0);
    CHECK_U64(r->packets, 1);
    CHECK_U64(r->bytes, len);
    /* a segment the filter does not select goes on: the closed port RSTs */
    inject(w, tcp_frame(w, 81, LN_TCP_SYN, 1000, 0, 0));
    world_run_for(w, LN_SEC);
    CHECK_EQ(from_h2(w, f, 4), 1);
    CHECK_U64(r->packets, 1);
    world_free(w);
}

static void test_accept_before_drop(void)
{
    world *w = world_new(&hosts);
    CHECK_EQ(add(w, w->b, LN_FW_IN, "tcp dst port 22", LN_FW_ACCEPT, 0), 0);
    CHECK_EQ(add(w, w->b, LN_FW_IN, "tcp", LN_FW_DROP, 0), 1);
    CHECK_EQ(ln_fw_count(w->b, LN_FW_IN), 2);
    inject(w, tcp_frame(w, 22, LN_TCP_SYN, 1, 0, 0));
    inject(w, tcp_frame(w, 80, LN_TCP_SYN, 1, 0, 0));
    world_run_for(w, LN_SEC);
    const world_frame *f[4];
    CHECK_EQ(from_h2(w, f, 4), 1);    /* the RST about port 22 only */
    CHECK_EQ(ln_get16(f[0]->b + LN_ETH_HLEN + LN_IP_HLEN + LN_TCPH_SPORT), 22);
    CHECK_U64(ln_fw_rule(w->b, LN_FW_IN, 0)->packets, 1);
    CHECK_U64(ln_fw_rule(w->b, LN_FW_IN, 1)->packets, 1);
    CHECK_U64(w->drops[LN_DROP_FIREWALL], 1);
    world_free(w);
}

static void test_reject_icmp_port_unreachable(void)
{
    world *w = world_new(&hosts);
    CHECK_EQ(add(w, w->b, LN_FW_IN, "udp", LN_FW_REJECT, LN_FW_PORT_UNREACH), 0);
    /* a listening UDP socket would make no difference: the rule runs first */
    inject(w, udp_frame(w, 53));
    world_run_for(w, LN_SEC);
    const world_frame *f[4];
    CHECK_EQ(from_h2(w, f, 4), 1);
    const uint8_t *ip = f[0]->b + LN_ETH_HLEN;
    CHECK_EQ(ln_get16(f[0]->b + LN_ETH_TYPE), LN_ETHERTYPE_IPV4);
    CHECK(memcmp(f[0]->b + LN_ETH_DST, w->ia->mac, 6) == 0);
    CHECK_EQ(ip[LN_IP_PROTO], LN_IPPROTO_ICMP);
    CHECK_U64(ln_get32(ip + LN_IP_SRC), H2);
    CHECK_U64(ln_get32(ip + LN_IP_DST), H1);
    const uint8_t *icmp = ip + LN_IP_HLEN;
    CHECK_EQ(icmp[LN_ICMP_TYPE], LN_ICMP_UNREACH);
    CHECK_EQ(icmp[LN_ICMP_CODE], LN_ICMP_UNREACH_PORT);
    uint32_t icmp_len = ln_get16(ip + LN_IP_LEN) - LN_IP_HLEN;
    CHECK_EQ(ln_csum(icmp, icmp_len), 0);
    /* the quote: the rejected datagram's header and UDP header */
    const uint8_t *q = icmp + LN_ICMP_HLEN;
    CHECK_U64(ln_get32(q + LN_IP_SRC), H1);
    CHECK_EQ(q[LN_IP_PROTO], LN_IPPROTO_UDP);
    CHECK_EQ(ln_get16(q + LN_IP_HLEN + 2), 53);
    CHECK_U64(w->drops[LN_DROP_FIREWALL], 1);
    world_free(w);
}

static void test_reject_other_icmp_codes(void)
{
    static const struct { ln_fw_reject with; uint8_t code; } cases[] = {
        { LN_FW_HOST_UNREACH, LN_ICMP_UNREACH_HOST },
        { LN_FW_ADMIN_PROHIB, LN_ICMP_UNREACH_ADMIN },
        { LN_FW_NET_UNREACH, LN_ICMP_UNREACH_NET },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        world *w = world_new(&hosts);
        CHECK_EQ(add(w, w->b, LN_FW_IN, "udp", LN_FW_REJECT, cases[i].with), 0);
        inject(w, udp_frame(w, 53));
        world_run_for(w, LN_SEC);
        const world_frame *f[4];
        CHECK_EQ(from_h2(w, f, 4), 1);
        CHECK_EQ(f[0]->b[LN_ETH_HLEN + LN_IP_HLEN + LN_ICMP_CODE], cases[i].code);
        world_free(w);
    }
}

/* RFC 9293 3.10.7.1: no ACK -> <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>;
 * with ACK -> <SEQ=SEG.ACK><CTL=RST>; never a RST about a RST. */
static void test_reject_tcp_reset(void)
{
    world *w = world_new(&hosts);
    CHECK_EQ(add(w, w->b, LN_FW_IN, "tcp port 80", LN_FW_REJECT, LN_FW_TCP_RESET), 0);
    inject(w, tcp_frame(w, 80, LN_TCP_SYN, 1000, 0, 0));
    world_run_for(w, LN_SEC);
    const world_frame *f[4];
    CHECK_EQ(from_h2(w, f, 4), 1);
    const uint8_t *ip = f[0]->b + LN_ETH_HLEN, *t = ip + LN_IP_HLEN;
    CHECK_EQ(ip[LN_IP_PROTO], LN_IPPROTO_TCP);
    CHECK_U64(ln_get32(ip + LN_IP_SRC), H2);
    CHECK_U64(ln_get32(ip + LN_IP_DST), H1);
    CHECK(ln_get16(ip + LN_IP_FRAG) & LN_IP_DF);
    CHECK_EQ(ip[LN_IP_TTL], 64);
    CHECK_EQ(ln_get16(t + LN_TCPH_SPORT), 80);
    CHECK_EQ(ln_get16(t + LN_TCPH_DPORT), 40000);
    CHECK_EQ(t[LN_TCPH_FLAGS], LN_TCP_RST | LN_TCP_ACK);
    CHECK_U64(ln_get32(t + LN_TCPH_SEQ), 0);
    CHECK_U64(ln_get32(t + LN_TCPH_ACK), 1001);
    CHECK_EQ(ln_get16(t + LN_TCPH_WND), 0);
    uint32_t tl = ln_get16(ip + LN_IP_LEN) - LN_IP_HLEN;
    CHECK_EQ(tl, LN_TCP_HLEN);
    CHECK_EQ(ln_csum_fold(ln_csum_partial(t, tl, ln_csum_pseudo(H2, H1, LN_IPPROTO_TCP,
                                                                 (uint16_t)tl))), 0);

    /* data with ACK: the RST takes its sequence number from SEG.ACK */
    inject(w, tcp_frame(w, 80, LN_TCP_ACK | LN_TCP_PSH, 1001, 5000, 10));
    /* a RST is not answered, and a FIN,ACK counts the FIN */
    inject(w, tcp_frame(w, 80, LN_TCP_RST, 1011, 0, 0));
    inject(w, tcp_frame(w, 80, LN_TCP_FIN, 2000, 0, 3));
    world_run_for(w, LN_SEC);
    CHECK_EQ(from_h2(w, f, 4), 3);
    t = f[1]->b + LN_ETH_HLEN + LN_IP_HLEN;
    CHECK_EQ(t[LN_TCPH_FLAGS], LN_TCP_RST);
    CHECK_U64(ln_get32(t + LN_TCPH_SEQ), 5000);
    CHECK_U64(ln_get32(t + LN_TCPH_ACK), 0);
    t = f[2]->b + LN_ETH_HLEN + LN_IP_HLEN;
    CHECK_EQ(t[LN_TCPH_FLAGS], LN_TCP_RST | LN_TCP_ACK);
    CHECK_U64(ln_get32(t + LN_TCPH_ACK), 2004);
    CHECK_U64(ln_fw_rule(w->b, LN_FW_IN, 0)->packets, 4);
    CHECK_U64(w->drops[LN_DROP_FIREWALL], 4);

    /* tcp-reset on something that is not TCP: a silent drop */
    ln_fw_flush(w->b, LN_FW_IN);
    CHECK_EQ(add(w, w->b, LN_FW_IN, "udp", LN_FW_REJECT, LN_FW_TCP_RESET), 0);
    inject(w, udp_frame(w, 53));
    world_run_for(w, LN_SEC);
    CHECK_EQ(from_h2(w, f, 4), 3);
    world_free(w);
}

static void test_policy_drop(void)
{
    world *w = world_new(&hosts);
    CHECK_EQ(ln_fw_set_policy(w->b, LN_FW_IN, LN_FW_REJECT), LN_EINVAL);
    CHECK_EQ(ln_fw_set_policy(w->b, LN_FW_IN, LN_FW_DROP), 0);
    CHECK(w->b->fw != NULL);
    CHECK_EQ(ln_fw_policy(w->b, LN_FW_IN), LN_FW_DROP);
    inject(w, tcp_frame(w, 80, LN_TCP_SYN, 1, 0, 0));
    inject(w, udp_frame(w, 53));
    world_run_for(w, LN_SEC);
    const world_frame *f[4];
    CHECK_EQ(from_h2(w, f, 4), 0);
    CHECK_U64(w->drops[LN_DROP_FIREWALL], 2);
    /* an accept rule opens a hole in the policy */
    CHECK_EQ(add(w, w->b, LN_FW_IN, "udp", LN_FW_ACCEPT, 0), 0);
    inject(w, udp_frame(w, 53));       /* closed port: h2's own ICMP error */
    world_run_for(w, LN_SEC);
    CHECK_EQ(from_h2(w, f, 4), 1);
    /* back to accept with no rules: the firewall is gone (zero cost) */
    ln_fw_flush(w->b, -1);
    CHECK(w->b->fw != NULL);
    CHECK_EQ(ln_fw_set_policy(w->b, LN_FW_IN, LN_FW_ACCEPT), 0);
    CHECK(w->b->fw == NULL);
    world_free(w);
}

static void on_icmp(ln_icmp_sock *s, const ln_icmp_msg *m, void *arg) { (*(int *)arg)++; }
static void on_echo_reply(ln_icmp_sock *s, const ln_icmp_msg *m, void *arg)
{
    if (!m->error) (*(int *)arg)++;
}

static void test_out_hook(void)
{
    world *w = world_new(&hosts);
    int replies = 0;
    ln_icmp_sock *s = ln_icmp_sock_open(w->a, 0, on_icmp, &replies);
    CHECK_EQ(add(w, w->a, LN_FW_OUT, "icmp[icmptype] == icmp-echo", LN_FW_DROP, 0), 0);
    CHECK_EQ(ln_icmp_echo(s, H2, 1, 56, 0, false), 0);
    world_run_for(w, LN_SEC);
    CHECK_EQ(w->n_tx, 0);             /* nothing reached the wire */
    CHECK_EQ(replies, 0);
    CHECK_U64(w->a->drops[LN_DROP_FIREWALL], 1);
    CHECK_U64(w->ia->st.tx_packets, 0);
    CHECK_U64(ln_fw_rule(w->a, LN_FW_OUT, 0)->packets, 1);
    /* the in hook of the same node is not involved */
    CHECK_EQ(ln_fw_count(w->a, LN_FW_IN), 0);
    ln_fw_flush(w->a, LN_FW_OUT);
    CHECK(w->a->fw == NULL);
    CHECK_EQ(ln_icmp_echo(s, H2, 2, 56, 0, false), 0);
    world_run_for(w, LN_SEC);
    CHECK_EQ(replies, 1);
    ln_icmp_sock_close(s);
    world_free(w);
}

/* REJECT on the out hook of the sender: the error is delivered locally. */
static void test_out_hook_reject_local(void)
{
    world *w = world_new(&hosts);
    int msgs = 0;
    ln_icmp_sock *s = ln_icmp_sock_open(w->a, 0, on_icmp, &msgs);
    CHECK_EQ(add(w, w->a, LN_FW_OUT, "icmp", LN_FW_REJECT, LN_FW_ADMIN_PROHIB), 0);
    CHECK_EQ(ln_icmp_echo(s, H2, 1, 56, 0, false), 0);
    world_run_for(w, LN_SEC);
    CHECK_EQ(w->n_tx, 0);
    CHECK_EQ(msgs, 1);                /* the admin-prohibited error, to ourselves */
    ln_icmp_sock_close(s);
    world_free(w);
}

static void test_bad_filter_and_arp(void)
{
    world_cfg c = hosts;
    c.static_arp = false;             /* the "arp" rule needs ARP on the wire */
    world *w = world_new(&c);
    char err[256] = "";
    CHECK(ln_fw_add(w->b, LN_FW_IN, NULL, "tcp port", LN_FW_DROP, 0, err, sizeof err) < 0);
    CHECK(strstr(err, "syntax error") != NULL);
    CHECK(w->b->fw == NULL);         /* a failed first rule leaves nothing behind */
    /* "arp" matches ARP frames: h1 broadcasts a request, h2 never answers */
    CHECK_EQ(add(w, w->b, LN_FW_IN, "arp", LN_FW_DROP, 0), 0);
    /* interface-restricted rule that does not apply to eth0 */
    CHECK_EQ(ln_fw_add(w->b, LN_FW_IN, "eth1", "", LN_FW_DROP, 0, err, sizeof err), 1);
    int replies = 0;
    ln_icmp_sock *s = ln_icmp_sock_open(w->a, 0, on_echo_reply, &replies);
    CHECK_EQ(ln_icmp_echo(s, H2, 1, 56, 0, false), 0);
    ln_sim_run_until(&w->net->sim, 5 * LN_SEC);
    CHECK_EQ(replies, 0);
    CHECK_U64(ln_fw_rule(w->b, LN_FW_IN, 0)->packets, 3);   /* arp_mcast_solicit */
    CHECK_U64(ln_fw_rule(w->b, LN_FW_IN, 1)->packets, 0);
    ln_icmp_sock_close(s);
    world_free(w);                    /* rules freed by ln_node_free */
}

int main(void)
{
    test_drop_counted();
    test_accept_before_drop();
    test_reject_icmp_port_unreachable();
    test_reject_other_icmp_codes();
    test_reject_tcp_reset();
    test_policy_drop();
    test_out_hook();
    test_out_hook_reject_local();
    test_bad_filter_and_arp();
    return check_report("test_firewall");
}
