/* bench_tcp.c - the transport layer's speed and memory, on the issue's
 * three workloads.  A benchmark, not a test: it prints figures.
 *
 * Topology: client 10.1.1.1 - router - server 10.1.2.2, two point-to-point
 * links of 1 Gbit/s and 5 ms, MTU 1500, queues of 100,000 packets, no
 * capture, buffers of 4 MiB, the default congestion control (cubic).
 *
 *   W1 bulk        one connection sends 200,000,000 bytes to a sink
 *   W2 many flows  1000 connections opened at t=0 each send 100,000 bytes
 *   W3 SYN load    100,000 bare SYNs, one every 10 us, to a listener:
 *                  from the client's own address (its stack answers each
 *                  SYN-ACK with RST), then from random spoofed sources of a
 *                  /16 routed nowhere, SYN cookies off and on
 *
 * Usage: bench_tcp [w1|w2|w3|all] [scale]   (scale < 1 shortens the runs)
 *
 * W1 runs 5 times under `all` and prints issue 15's goal for it from the
 * best (the first run also pays for first touches of memory, and the
 * others may be slowed by other tenants of the machine); once when asked
 * for alone, as bench_ns3.sh and bench_lua_w1.sh do to time the whole
 * process.  BENCH_TCP_W1_RUNS=<n> (1 to 16) changes the count under
 * `all`, and only there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "arp.h"
#include "err.h"
#include "ip.h"
#include "link.h"
#include "net.h"
#include "node.h"
#include "route.h"
#include "tcp.h"
#include "tcp_wire.h"
#include "wire.h"

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Current resident set size in KiB (peak is reported by getrusage; the
 * current one shows whether memory stays flat during a flood). */
static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        fclose(f);
    }
    return resident * 4;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void die(const char *what, const char *err)
{
    fprintf(stderr, "bench_tcp: %s: %s\n", what, err);
    exit(1);
}

typedef struct topo {
    ln_net *net;
    ln_node *client, *router, *server;
    uint32_t caddr, saddr;
} topo;

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
    return a << 24 | b << 16 | c << 8 | d;
}

static void route(ln_node *n, uint32_t prefix, uint8_t plen, uint32_t gw)
{
    ln_route r = { .prefix = prefix, .plen = plen, .gateway = gw, .iface = n->ifaces[0],
                   .kind = LN_RT_STATIC };
    if (ln_route_add(&n->routes, &r) != 0) die("route", "cannot add");
}

static void tune(ln_node *n)
{
    ln_tcp_cfg *c = ln_tcp_cfg_of(n);
    c->rmem[1] = c->rmem[2] = 4u << 20;
    c->wmem[1] = c->wmem[2] = 4u << 20;
    c->rmem_max = c->wmem_max = 4u << 20;
}

static void topo_build(topo *t)
{
    char err[256];
    t->net = ln_net_new(1);
    ln_linkcfg cfg;
    ln_linkcfg_default(&cfg);
    cfg.bandwidth = 1000000000ull;
    cfg.delay = 5 * LN_MSEC;
    cfg.queue_pkts = 100000;
    if (!(t->client = ln_node_new(t->net, "client", false, err, sizeof err)) ||
        !(t->router = ln_node_new(t->net, "router", true, err, sizeof err)) ||
        !(t->server = ln_node_new(t->net, "server", false, err, sizeof err)))
        die("node", err);
    ln_iface *c0 = ln_iface_new(t->client, NULL, err, sizeof err);
    ln_iface *r0 = ln_iface_new(t->router, NULL, err, sizeof err);
    ln_iface *r1 = ln_iface_new(t->router, NULL, err, sizeof err);
    ln_iface *s0 = ln_iface_new(t->server, NULL, err, sizeof err);
    if (!c0 || !r0 || !r1 || !s0) die("iface", err);
    t->caddr = ip4(10, 1, 1, 1);
    t->saddr = ip4(10, 1, 2, 2);
    ln_iface_set_addr(c0, t->caddr, 24);
    ln_iface_set_addr(r0, ip4(10, 1, 1, 254), 24);
    ln_iface_set_addr(r1, ip4(10, 1, 2, 254), 24);
    ln_iface_set_addr(s0, t->saddr, 24);
    if (!ln_link_new(t->net, &c0->port, &r0->port, &cfg, NULL, err, sizeof err) ||
        !ln_link_new(t->net, &r1->port, &s0->port, &cfg, NULL, err, sizeof err))
        die("link", err);
    route(t->client, 0, 0, ip4(10, 1, 1, 254));
    route(t->server, 0, 0, ip4(10, 1, 2, 254));
    tune(t->client);
    tune(t->server);
    /* Resolve ARP along the path first, so no workload starts with frames
     * queued behind an ARP request (101 at most, then dropped). */
    ln_arp_set(t->client, c0, ip4(10, 1, 1, 254), r0->mac);
    ln_arp_set(t->router, r0, t->caddr, c0->mac);
    ln_arp_set(t->router, r1, t->saddr, s0->mac);
    ln_arp_set(t->server, s0, ip4(10, 1, 2, 254), r1->mac);
}

/* ---- figures ------------------------------------------------------------ */

typedef struct mark {
    double wall;
    ln_time now;
    uint64_t events, hops, delivered;
} mark;

static uint64_t link_hops(ln_net *net)
{
    uint64_t h = 0;
    for (uint32_t i = 0; i < net->n_links; i++)
        h += net->links[i]->d[0].rx.st.delivered + net->links[i]->d[1].rx.st.delivered;
    return h;
}

static uint64_t delivered(ln_net *net)
{
    uint64_t d = 0;
    for (uint32_t i = 0; i < net->n_nodes; i++) d += net->nodes[i]->mib[LN_MIB_IpInDelivers];
    return d;
}

static mark take(ln_net *net)
{
    return (mark){ wall(), ln_net_now(net), net->sim.events, link_hops(net), delivered(net) };
}

static void report(const char *name, ln_net *net, const mark *a, const char *extra)
{
    mark b = take(net);
    double w = b.wall - a->wall;
    printf("%s\n  simulated %.3f s, wall %.3f s, packets delivered %llu, link hops %llu, "
           "events %llu\n  %.2f M packet-hops per wall second, %.2f M events/s, peak RSS %ld KiB%s%s\n",
           name, (double)(b.now - a->now) / 1e9, w, (unsigned long long)(b.delivered - a->delivered),
           (unsigned long long)(b.hops - a->hops), (unsigned long long)(b.events - a->events),
           (double)(b.hops - a->hops) / w / 1e6, (double)(b.events - a->events) / w / 1e6,
           peak_rss_kb(), extra ? "\n  " : "", extra ? extra : "");
}

/* ---- a sink: accepts every connection and reads everything ------------- */

typedef struct sink {
    ln_net *net;
    ln_tcp_sock *listener;
    uint64_t bytes, target_bytes;
    uint32_t flows_done, target_flows;
} sink;

static void sink_conn(ln_tcp_sock *s, unsigned ev, void *arg)
{
    sink *k = arg;
    for (;;) {
        int64_t n = ln_tcp_recv(s, NULL, 1 << 20);
        if (n > 0) {
            k->bytes += (uint64_t)n;
            continue;
        }
        if (n == 0 || (n < 0 && n != LN_EAGAIN)) {
            ln_tcp_close(s);
            k->flows_done++;
            if ((k->target_flows && k->flows_done == k->target_flows))
                ln_sim_stop(&k->net->sim);
        }
        break;
    }
    if (k->target_bytes && k->bytes >= k->target_bytes) ln_sim_stop(&k->net->sim);
}

static void sink_accept(ln_tcp_sock *l, unsigned ev, void *arg)
{
    ln_tcp_sock *c;
    while ((c = ln_tcp_accept(l))) {
        ln_tcp_set_notify(c, sink_conn, arg);
        sink_conn(c, LN_TCP_EV_READABLE, arg);
    }
}

static void sink_open(sink *k, topo *t, uint16_t port, int backlog)
{
    k->net = t->net;
    k->listener = ln_tcp_socket(t->server);
    if (ln_tcp_bind(k->listener, 0, port) || ln_tcp_listen(k->listener, backlog))
        die("listen", "cannot listen");
    ln_tcp_set_notify(k->listener, sink_accept, k);
}

/* ---- a sender: connects and writes `left` bytes, then closes ------------ */

typedef struct sender {
    ln_tcp_sock *s;
    uint64_t left;
    int failed;
} sender;

static void sender_ev(ln_tcp_sock *s, unsigned ev, void *arg)
{
    sender *d = arg;
    if (ev & LN_TCP_EV_ERROR) {
        d->failed = ln_tcp_error(s);
        return;
    }
    while (d->left) {
        int64_t n = ln_tcp_send(s, NULL, d->left > (1u << 20) ? (1u << 20) : (size_t)d->left);
        if (n <= 0) return;
        d->left -= (uint64_t)n;
    }
    if (d->s) {
        d->s = NULL;
        ln_tcp_close(s);
    }
}

static void sender_start(sender *d, topo *t, uint16_t port, uint64_t bytes)
{
    d->left = bytes;
    d->s = ln_tcp_socket(t->client);
    ln_tcp_set_notify(d->s, sender_ev, d);
    if (ln_tcp_connect(d->s, t->saddr, port)) die("connect", "cannot start");
}

/* ---- W1, W2 -------------------------------------------------------------- */

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One W1 transfer; the first run prints the full report.  Returns its
 * packet-hops per CPU second. */
static double w1_once(double scale, bool print)
{
    topo t;
    topo_build(&t);
    sink k = { 0 };
    sink_open(&k, &t, 5001, 128);
    uint64_t total = (uint64_t)(200000000.0 * scale);
    k.target_bytes = total;
    sender d = { 0 };
    mark m = take(t.net);
    double c0 = cpu();
    sender_start(&d, &t, 5001, total);
    ln_sim_run(&t.net->sim);
    double c = cpu() - c0;
    uint64_t hops = link_hops(t.net) - m.hops;
    if (k.bytes != total) die("w1", "the sink did not receive everything");
    if (print) {
        char extra[200];
        snprintf(extra, sizeof extra,
                 "received %llu of %llu bytes: goodput %.1f Mbit/s of virtual time",
                 (unsigned long long)k.bytes, (unsigned long long)total,
                 (double)k.bytes * 8 / ((double)(ln_net_now(t.net) - m.now) / 1e9) / 1e6);
        report("W1 bulk: 1 connection, 200 MB", t.net, &m, extra);
    }
    ln_net_free(t.net);
    return c > 0 ? (double)hops / c / 1e6 : 0;
}

/* Issue 15's goal for W1 is a rate on one core: packet-hops per CPU
 * second of this (single-threaded) process.  A run is a tenth of a
 * second, in which another tenant's turn on the core shows, so the goal
 * takes the best of `runs` (the others are printed). */
#define W1_GOAL 5.5

static void w1(double scale, int runs)
{
    double best = 0, rate[16];
    for (int i = 0; i < runs; i++) {
        rate[i] = w1_once(scale, i == 0);
        if (rate[i] > best) best = rate[i];
    }
    printf("  issue 15's goal, W1 >= %.1f M packet-hops/s on one core: %.2f M per CPU second, "
           "the best of %d run%s (", W1_GOAL, best, runs, runs == 1 ? "" : "s");
    for (int i = 0; i < runs; i++) printf("%s%.2f", i ? " " : "", rate[i]);
    if (scale != 1.0) printf("): not judged at scale %g (the goal is for 200 MB)\n", scale);
    else printf("): %s\n", best >= W1_GOAL ? "met" : "NOT met");
}

static void w2(double scale)
{
    topo t;
    topo_build(&t);
    uint32_t flows = (uint32_t)(1000 * scale);
    if (flows < 1) flows = 1;
    sink k = { 0 };
    sink_open(&k, &t, 5001, 4096);
    k.target_flows = flows;
    sender *d = calloc(flows, sizeof *d);
    mark m = take(t.net);
    for (uint32_t i = 0; i < flows; i++) sender_start(&d[i], &t, 5001, 100000);
    ln_sim_run(&t.net->sim);
    uint32_t failed = 0;
    for (uint32_t i = 0; i < flows; i++) failed += d[i].failed != 0;
    /* The receiver's segments are its ACKs (and one SYN-ACK and one FIN
     * a flow); the sender's, data (and one SYN, one ACK, one FIN). */
    uint64_t acks = t.server->mib[LN_MIB_TcpOutSegs] - 2ull * flows;
    uint64_t data = t.client->mib[LN_MIB_TcpOutSegs] - 3ull * flows;
    char extra[900];
    snprintf(extra, sizeof extra,
             "%u flows finished, %u failed, %llu bytes received\n"
             "  ACKs: %llu for %llu data segments (%.2f a segment).  Linux's receiver does the\n"
             "  same when it takes segments one at a time: tcp_grow_window re-arms quick ACKs\n"
             "  (icsk_ack.quick) for as long as the offered window grows, the whole of a 100 kB\n"
             "  flow.  tests/bench/ack_pattern.sh measures Linux 6.x behind a bridge: 62-64 ACKs\n"
             "  for 70 segments on an idle machine, fewer on a busy one, where segments that\n"
             "  wait in the socket's backlog while the reader holds it are merged and ACKed\n"
             "  together.  ns-3 has no quick-ACK rule and ACKs every second segment.",
             k.flows_done, failed, (unsigned long long)k.bytes, (unsigned long long)acks,
             (unsigned long long)data, data ? (double)acks / (double)data : 0.0);
    report("W2 many flows: 1000 connections x 100 kB", t.net, &m, extra);
    free(d);
    ln_net_free(t.net);
}

/* ---- W3 ------------------------------------------------------------------- */

typedef struct flood {
    topo *t;
    ln_timer timer;
    uint32_t sent, total;
    bool spoof;
    ln_rng rng;
    long rss_mid;
} flood;

static void send_syn(void *arg)
{
    flood *f = arg;
    ln_net *net = f->t->net;
    ln_pkt *p = ln_net_pkt(net, 0);
    uint32_t src = f->t->caddr;
    if (f->spoof) src = ip4(10, 200, 0, 0) | (uint32_t)ln_rng_below(&f->rng, 65536);
    ln_tcp_hdr h = { .saddr = src, .daddr = f->t->saddr,
                     .sport = (uint16_t)(1024 + f->sent % 64512), .dport = 80,
                     .seq = (ln_seq)ln_rng_next(&f->rng), .flags = LN_TCP_SYN, .wnd = 64240,
                     .syn_opts = true, .mss = 1460, .ws = -1 };
    ln_ip_opts o = { .any_src = true };
    if (ln_tcp_push_hdr(p, &h) == 0) ln_ip_output(f->t->client, p, src, f->t->saddr, LN_IPPROTO_TCP, &o);
    else ln_pkt_free(p);
    if (++f->sent == f->total / 2) f->rss_mid = rss_kb();
    if (f->sent < f->total) ln_timer_arm_in(&net->sim, &f->timer, 10 * LN_USEC);
}

static void w3_run(const char *name, bool spoof, uint32_t cookies, double scale)
{
    topo t;
    topo_build(&t);
    if (spoof) route(t.router, ip4(10, 200, 0, 0), 16, ip4(10, 1, 1, 253));  /* nowhere */
    ln_tcp_cfg_of(t.server)->syncookies = cookies;
    sink k = { 0 };
    sink_open(&k, &t, 80, 4096);
    flood f = { .t = &t, .total = (uint32_t)(100000 * scale), .spoof = spoof };
    ln_rng_seed(&f.rng, 7);
    ln_timer_init(&f.timer, send_syn, &f);
    mark m = take(t.net);
    long rss0 = rss_kb();
    ln_timer_arm(&t.net->sim, &f.timer, ln_net_now(t.net));
    /* Stop 40 ms after the last SYN: its SYN-ACK and the client's RST have
     * crossed the 10 ms path by then (30 ms plus serialization).  What is
     * left is SYN-ACK retransmission to spoofed sources, which is not part
     * of the workload. */
    ln_sim_run_until(&t.net->sim, ln_net_now(t.net) + (ln_time)f.total * 10 * LN_USEC + 40 * LN_MSEC);
    ln_tcp_stack_info si;
    ln_tcp_stack_info_get(t.server, &si);
    const uint64_t *mib = t.server->mib;
    char extra[400];
    snprintf(extra, sizeof extra,
             "server: %u half-open requests; SyncookiesSent %llu, TCPReqQFullDrop %llu, "
             "ListenDrops %llu, TcpOutRsts(client) %llu; RSS %ld KiB at start, %ld mid-flood, "
             "%ld at end",
             si.requests, (unsigned long long)mib[LN_MIB_TcpExtSyncookiesSent],
             (unsigned long long)mib[LN_MIB_TcpExtTCPReqQFullDrop],
             (unsigned long long)mib[LN_MIB_TcpExtListenDrops],
             (unsigned long long)t.client->mib[LN_MIB_TcpOutRsts], rss0, f.rss_mid, rss_kb());
    report(name, t.net, &m, extra);
    ln_net_free(t.net);
}

static void w3(double scale)
{
    w3_run("W3 SYN load: 100k SYNs from the client's own address", false, 1, scale);
    w3_run("W3 SYN load: 100k spoofed SYNs, syncookies off", true, 0, scale);
    w3_run("W3 SYN load: 100k spoofed SYNs, syncookies on (1)", true, 1, scale);
}

/* ---- idle connection memory --------------------------------------------- */

static void idle_memory(void)
{
    topo t;
    topo_build(&t);
    sink k = { 0 };
    sink_open(&k, &t, 5001, 128);
    ln_tcp_sock *c = ln_tcp_socket(t.client);
    ln_tcp_connect(c, t.saddr, 5001);
    ln_sim_run_until(&t.net->sim, ln_net_now(t.net) + LN_SEC);
    ln_tcp_stack_info si;
    ln_tcp_stack_info_get(t.client, &si);
    printf("idle established connection: control block %zu bytes, buffers held %llu bytes (state %s)\n",
           ln_tcp_sock_size(), (unsigned long long)si.mem_buffers, ln_tcp_state_name(ln_tcp_get_state(c)));
    ln_net_free(t.net);
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "all";
    double scale = argc > 2 ? atof(argv[2]) : 1.0;
    if (scale <= 0) scale = 1.0;
    int all = strcmp(which, "all") == 0;
    /* Only under `all`: the scripts that time a lone w1 as a whole
     * process compare it with one transfer of the other side. */
    const char *r = all ? getenv("BENCH_TCP_W1_RUNS") : NULL;
    int runs = r ? atoi(r) : all ? 5 : 1;
    if (runs < 1 || runs > 16) {
        fprintf(stderr, "bench_tcp: BENCH_TCP_W1_RUNS must be 1 to 16, not \"%s\"\n", r);
        return 2;
    }
    idle_memory();
    if (all || strcmp(which, "w1") == 0) w1(scale, runs);
    if (all || strcmp(which, "w2") == 0) w2(scale);
    if (all || strcmp(which, "w3") == 0) w3(scale);
    return 0;
}
