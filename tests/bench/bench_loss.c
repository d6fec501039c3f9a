/* bench_loss.c - the reference loss scenario (reference section 7,
 * loss_recovery.pcap) run on lunet, with the Linux capture's figures
 * beside it.  A report, not a timed test: it prints figures.
 *
 *   client 10.99.0.1 ===== server 10.99.0.2
 *   server -> client: 10 ms, losses; client -> server: clean, no delay
 *
 * The server sends 2,000,000 bytes with cubic.  Two runs:
 *   replay  the 26 segments Linux lost (loss_recovery.txt, "impair DROP":
 *           relative sequence numbers), each dropped on its first
 *           transmission: the same losses, so every figure compares
 *   random  2% independent loss on the link (seed 1): lunet's own pattern
 *
 * Usage: bench_loss [replay|random|all] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "intercept.h"
#include "link.h"
#include "net.h"
#include "node.h"
#include "tcp.h"
#include "mib.h"
#include "wire.h"

#define BYTES 2000000u
#define PORT 5001

/* loss_recovery.txt: server ISN + 1 = 4223426262; the drops' seq_raw less
 * that, plus 1. */
static const uint32_t linux_drops[] = {
    17377, 128873, 175209, 176657, 211409, 250505, 283809, 360553, 393857, 545897,
    655945, 710969, 725449, 748617, 802193, 951337, 1233697, 1297409, 1401665, 1482753,
    1614521, 1639137, 1753529, 1763665, 1805657, 1944665,
};
#define N_DROPS (sizeof linux_drops / sizeof linux_drops[0])

static void die(const char *what, const char *err)
{
    fprintf(stderr, "bench_loss: %s: %s\n", what, err);
    exit(1);
}

typedef struct run {
    ln_net *net;
    ln_node *c, *s;
    ln_tcp_sock *srv, *conn;
    uint64_t left, got;
    ln_time t_accept, t_acked;
    ln_seq iss;                     /* the server's, from its SYN-ACK */
    bool have_iss, dropped[N_DROPS];
} run;

/* Drop Linux's lost segments, once each (REWRITE returning false). */
static bool replay_drop(void *arg, const ln_ic_ctx *ctx, ln_pkt **frame)
{
    (void)ctx;
    run *r = arg;
    const uint8_t *d = (*frame)->data;
    uint32_t len = (*frame)->len;
    if (len < 14 + 20 + 20 || ln_get16(d + 12) != 0x0800 || d[14 + 9] != 6) return true;
    const uint8_t *ip = d + 14, *tcp = ip + (ip[0] & 15) * 4;
    uint32_t tot = ln_get16(ip + 2), hl = (uint32_t)(tcp[12] >> 4) * 4;
    uint32_t payload = tot - (uint32_t)(tcp - ip) - hl, seq = ln_get32(tcp + 4);
    if ((tcp[13] & 0x12) == 0x12) {
        r->iss = seq;
        r->have_iss = true;
        return true;
    }
    if (!r->have_iss || !payload) return true;
    uint32_t rel = seq - r->iss;
    for (size_t i = 0; i < N_DROPS; i++)
        if (linux_drops[i] == rel && !r->dropped[i]) {
            r->dropped[i] = true;
            return false;
        }
    return true;
}

static void server_conn(ln_tcp_sock *s, unsigned ev, void *arg)
{
    run *r = arg;
    (void)ev;
    while (r->left) {
        int64_t n = ln_tcp_send(s, NULL, r->left);
        if (n <= 0) break;
        r->left -= (uint64_t)n;
    }
}

static void server_accept(ln_tcp_sock *l, unsigned ev, void *arg)
{
    run *r = arg;
    (void)ev;
    ln_tcp_sock *c = ln_tcp_accept(l);
    if (!c) return;
    r->conn = c;
    r->t_accept = ln_net_now(r->net);
    ln_tcp_set_notify(c, server_conn, r);
    server_conn(c, LN_TCP_EV_WRITABLE, r);
}

static void client_ev(ln_tcp_sock *s, unsigned ev, void *arg)
{
    run *r = arg;
    (void)ev;
    int64_t n;
    while ((n = ln_tcp_recv(s, NULL, 1 << 20)) > 0) r->got += (uint64_t)n;
}

static void build(run *r, bool replay)
{
    char err[256];
    memset(r, 0, sizeof *r);
    r->left = BYTES;
    r->net = ln_net_new(1);
    if (!(r->c = ln_node_new(r->net, "client", false, err, sizeof err)) ||
        !(r->s = ln_node_new(r->net, "server", false, err, sizeof err)))
        die("node", err);
    ln_iface *ic = ln_iface_new(r->c, NULL, err, sizeof err), *is = ln_iface_new(r->s, NULL, err, sizeof err);
    if (!ic || !is) die("iface", err);
    ln_iface_set_addr(ic, 0x0a630001u, 24);
    ln_iface_set_addr(is, 0x0a630002u, 24);
    ln_linkcfg cfg;
    ln_linkcfg_default(&cfg);
    ln_link *l = ln_link_new(r->net, &ic->port, &is->port, &cfg, NULL, err, sizeof err);
    if (!l) die("link", err);
    cfg.delay = 10 * LN_MSEC;                 /* server -> client (direction 1) */
    if (!replay) {
        cfg.loss.kind = LN_LOSS_RANDOM;
        cfg.loss.rate = 0.02;
    }
    if (ln_link_configure(l, 1, &cfg, err, sizeof err)) die("link", err);
    if (replay) {
        ln_ic_cfg h;
        ln_ic_cfg_default(&h);
        h.action = LN_IC_REWRITE;
        h.dir = 1;
        h.filter = "tcp";
        h.fn = replay_drop;
        h.arg = r;
        if (!ln_ic_add_link(l, &h, err, sizeof err)) die("hook", err);
    }
    r->srv = ln_tcp_socket(r->s);
    if (ln_tcp_bind(r->srv, 0, PORT) || ln_tcp_listen(r->srv, 128)) die("listen", "cannot");
    ln_tcp_set_notify(r->srv, server_accept, r);
    ln_tcp_sock *cs = ln_tcp_socket(r->c);
    ln_tcp_set_notify(cs, client_ev, r);
    if (ln_tcp_connect(cs, 0x0a630002u, PORT)) die("connect", "cannot");
}

#define MIB(n, name) ((unsigned long long)(n)->mib[LN_MIB_##name])

static void show(const char *name, bool replay)
{
    run r;
    build(&r, replay);
    /* Step in 100 us to see when the last byte is acknowledged. */
    ln_tcp_info in;
    memset(&in, 0, sizeof in);
    while (ln_net_now(r.net) < 60 * LN_SEC) {
        ln_sim_run_until(&r.net->sim, ln_net_now(r.net) + 100 * LN_USEC);
        if (!r.conn) continue;
        ln_tcp_get_info(r.conn, &in);
        if (in.bytes_acked >= BYTES) {
            r.t_acked = ln_net_now(r.net);
            break;
        }
    }
    ln_node *s = r.s, *c = r.c;
    double secs = r.t_acked ? (double)(r.t_acked - r.t_accept) / 1e9 : -1;
    printf("%s: %u bytes, 10 ms one way, %s\n", name, BYTES,
           replay ? "Linux's 26 losses replayed" : "2% random loss (seed 1)");
    printf("  %-28s %12s %12s\n", "", "lunet", "Linux 6.18");
    printf("  %-28s %12.3f %12s\n", "all data acked after (s)", secs, "1.929");
    printf("  %-28s %12llu %12s\n", "retransmitted segments", MIB(s, TcpRetransSegs), "26");
    printf("  %-28s %12llu %12s\n", "fast retransmits", MIB(s, TcpExtTCPFastRetrans), "26");
    printf("  %-28s %12llu %12s\n", "RTOs (TCPTimeouts)", MIB(s, TcpExtTCPTimeouts), "0");
    printf("  %-28s %12llu %12s\n", "tail-loss probes", MIB(s, TcpExtTCPLossProbes), "0");
    printf("  %-28s %12llu %12s\n", "SACK recovery episodes", MIB(s, TcpExtTCPSackRecovery), "24");
    printf("  %-28s %12llu %12s\n", "lost retransmissions", MIB(s, TcpExtTCPLostRetransmit), "0");
    printf("  %-28s %12llu %12s\n", "slow-start retransmits", MIB(s, TcpExtTCPSlowStartRetrans), "0");
    printf("  %-28s %12llu %12s\n", "TcpOutSegs", MIB(s, TcpOutSegs), "1385");
    printf("  %-28s %12llu %12s\n", "TCPSackMerged", MIB(s, TcpExtTCPSackMerged), "90");
    printf("  %-28s %12llu %12s\n", "TCPSackShifted", MIB(s, TcpExtTCPSackShifted), "44");
    printf("  %-28s %12llu %12s\n", "TCPHPAcks", MIB(s, TcpExtTCPHPAcks), "374");
    printf("  %-28s %12llu %12s\n", "TCPPureAcks", MIB(s, TcpExtTCPPureAcks), "305");
    printf("  %-28s %12llu %12s\n", "receiver TCPOFOQueue", MIB(c, TcpExtTCPOFOQueue), "235");
    printf("  %-28s %12llu %12s\n", "receiver TCPRcvCoalesce", MIB(c, TcpExtTCPRcvCoalesce), "594");
    printf("  %-28s %12llu %12s\n", "receiver TcpOutSegs (ACKs)", MIB(c, TcpOutSegs), "681");
    printf("  %-28s %7u/%-4u %12s\n", "final cwnd/ssthresh", in.cwnd, in.ssthresh, "8/7");
    printf("  %-28s %12llu %12s\n", "bytes retransmitted", (unsigned long long)in.bytes_retrans, "37648");
    if (r.got != BYTES) printf("  (the client read %llu bytes)\n", (unsigned long long)r.got);
    ln_net_free(r.net);
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "all";
    bool all = strcmp(which, "all") == 0;
    if (all || strcmp(which, "replay") == 0) show("loss_recovery (replay)", true);
    if (all || strcmp(which, "random") == 0) show("loss_recovery (random)", false);
    return 0;
}
