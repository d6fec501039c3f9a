/* bench_engine.c - prints the engine's speed: scheduler events per second,
 * and forwarded packet-hops per second for a ping flood across a chain of
 * routers.  A benchmark, not a test: it prints figures and asserts nothing
 * but that the flood was answered.
 *
 * The scheduler runs two patterns: timers that fire and re-arm themselves
 * (every arm fires), and a TCP-like one where most arms are pushed back
 * before they fire (a retransmission timer re-armed by every ACK).  Rates
 * are given per second of CPU time (what perf stat's task-clock counts),
 * which a busy machine disturbs less than wall time.
 *
 * Usage: bench_engine [echo_requests] [routers] [scheduler_events] [timers]
 * (0 echo requests skips the flood, 0 scheduler_events the scheduler; a
 * small count of events suits callgrind;
 * timers runs both patterns with about that many pending timers only,
 * instead of 1,000 and 100,000) */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "icmp.h"
#include "link.h"
#include "net.h"
#include "node.h"
#include "route.h"

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* --- 1. the bare scheduler: N timers that re-arm themselves ------------ */

typedef struct ticker {
    ln_timer t;
    ln_sim *s;
    ln_time period;
    uint64_t left;
} ticker;

static void tick(void *arg)
{
    ticker *k = arg;
    if (--k->left) ln_timer_arm_in(k->s, &k->t, k->period);
}

static void bench_scheduler(uint64_t total, uint32_t timers)
{
    ln_sim s;
    ln_sim_init(&s);
    ticker *k = calloc(timers, sizeof *k);
    for (uint32_t i = 0; i < timers; i++) {
        k[i] = (ticker){ .s = &s, .period = 1000 + i % 97, .left = total / timers };
        ln_timer_init(&k[i].t, tick, &k[i]);
        ln_timer_arm(&s, &k[i].t, i);
    }
    double t0 = wall(), c0 = cpu();
    uint64_t ev = ln_sim_run(&s);
    double dt = wall() - t0, dc = cpu() - c0;
    printf("scheduler: %u timers, %llu events in %.3f s (%.3f s CPU): %.2f M events/s\n",
           timers, (unsigned long long)ev, dt, dc, (double)ev / dc / 1e6);
    free(k);
    ln_sim_destroy(&s);
}

/* --- 1b. TCP-like: retransmission timers pushed back by every ACK ------- */

/* Each connection has an ACK clock (about one ACK per millisecond) and a
 * retransmission timer of 200 ms that every ACK re-arms, as TCP does on
 * every ACK of new data.  One ACK in 64 is lost and the clock stalls
 * until the retransmission timer fires and restarts it: so nearly every
 * arm of the long timer is a re-arm of a pending one, and few fire. */
typedef struct conn {
    ln_timer ack, rto;
    ln_sim *s;
    uint64_t rnd;
    uint64_t *left;
} conn;

static uint64_t next_rnd(conn *c)
{
    c->rnd = c->rnd * 6364136223846793005ull + 1442695040888963407ull;
    return c->rnd >> 33;
}

static void conn_ack(void *arg)
{
    conn *c = arg;
    if (!*c->left) return;
    --*c->left;
    ln_timer_arm_in(c->s, &c->rto, 200 * LN_MSEC);
    uint64_t r = next_rnd(c);
    if (r % 64) ln_timer_arm_in(c->s, &c->ack, LN_MSEC - 50 * LN_USEC + r % (100 * LN_USEC));
}

static void conn_rto(void *arg)
{
    conn *c = arg;
    if (!*c->left) return;
    --*c->left;
    ln_timer_arm_in(c->s, &c->ack, LN_MSEC);
}

static void bench_scheduler_tcp(uint64_t total, uint32_t conns)
{
    ln_sim s;
    ln_sim_init(&s);
    uint64_t left = total;
    conn *c = calloc(conns, sizeof *c);
    for (uint32_t i = 0; i < conns; i++) {
        c[i] = (conn){ .s = &s, .rnd = i, .left = &left };
        ln_timer_init(&c[i].ack, conn_ack, &c[i]);
        ln_timer_init(&c[i].rto, conn_rto, &c[i]);
        ln_timer_arm(&s, &c[i].ack, (ln_time)i * LN_MSEC / conns);
    }
    double t0 = wall(), c0 = cpu();
    uint64_t ev = ln_sim_run(&s);
    double dt = wall() - t0, dc = cpu() - c0;
    printf("scheduler, TCP-like: %u connections (%u timers), %llu events in %.3f s (%.3f s CPU): "
           "%.2f M events/s\n", conns, 2 * conns, (unsigned long long)ev, dt, dc,
           (double)ev / dc / 1e6);
    free(c);
    ln_sim_destroy(&s);
}

/* --- 2. a ping flood across a chain of routers ------------------------- */

typedef struct flood {
    ln_net *net;
    ln_icmp_sock *sock;
    uint32_t dst;
    uint64_t sent, total, replies;
    ln_time gap;
    ln_timer t;
} flood;

static void on_reply(ln_icmp_sock *s, const ln_icmp_msg *m, void *arg)
{
    flood *f = arg;
    if (!m->error) f->replies++;
}

static void send_next(void *arg)
{
    flood *f = arg;
    ln_icmp_echo(f->sock, f->dst, (uint16_t)f->sent, 56, 0, false);
    if (++f->sent < f->total) ln_timer_arm_in(&f->net->sim, &f->t, f->gap);
}

static void die(const char *what, const char *err)
{
    fprintf(stderr, "bench: %s: %s\n", what, err);
    exit(1);
}

static void bench_flood(uint64_t requests, uint32_t routers)
{
    char err[256];
    ln_net *net = ln_net_new(1);
    ln_linkcfg cfg;
    ln_linkcfg_default(&cfg);
    cfg.bandwidth = 10000000000ull;           /* 10 Gbit/s */
    cfg.delay = 1 * LN_USEC;

    /* h1 - r1 - ... - rN - h2, subnet 10.0.i.0/24 between hop i and i+1. */
    uint32_t nn = routers + 2;
    ln_node **n = calloc(nn, sizeof *n);
    for (uint32_t i = 0; i < nn; i++) {
        char name[16];
        if (i == 0) snprintf(name, sizeof name, "h1");
        else if (i == nn - 1) snprintf(name, sizeof name, "h2");
        else snprintf(name, sizeof name, "r%u", i);
        n[i] = ln_node_new(net, name, i != 0 && i != nn - 1, err, sizeof err);
        if (!n[i]) die("node", err);
    }
    for (uint32_t i = 0; i + 1 < nn; i++) {
        ln_iface *a = ln_iface_new(n[i], NULL, err, sizeof err);
        ln_iface *b = ln_iface_new(n[i + 1], NULL, err, sizeof err);
        if (!a || !b) die("iface", err);
        uint32_t sub = 10u << 24 | (i + 1) << 8;
        ln_iface_set_addr(a, sub | 1, 24);
        ln_iface_set_addr(b, sub | 2, 24);
        if (!ln_link_new(net, &a->port, &b->port, &cfg, NULL, err, sizeof err)) die("link", err);
    }
    /* Default routes: towards h2 on the way out, h1 on the way back. */
    for (uint32_t i = 0; i < nn; i++) {
        if (i + 1 < nn) {
            ln_iface *out = n[i]->ifaces[n[i]->n_ifaces - 1];
            ln_route r = { .prefix = 0, .plen = 0, .gateway = (out->addr & ~0xffu) | 2,
                           .iface = out, .kind = LN_RT_STATIC };
            if (i == 0) ln_route_add(&n[i]->routes, &r);
            else {
                /* towards h2's side: every subnet beyond */
                for (uint32_t j = i + 1; j + 1 < nn; j++) {
                    ln_route rr = r;
                    rr.prefix = 10u << 24 | (j + 1) << 8;
                    rr.plen = 24;
                    ln_route_add(&n[i]->routes, &rr);
                }
            }
        }
        if (i > 0) {
            ln_iface *in = n[i]->ifaces[0];
            ln_route r = { .prefix = 0, .plen = 0, .gateway = (in->addr & ~0xffu) | 1,
                           .iface = in, .kind = LN_RT_STATIC };
            ln_route_add(&n[i]->routes, &r);
        }
    }

    flood f = { .net = net, .dst = n[nn - 1]->ifaces[0]->addr, .total = requests,
                .gap = 100 };                  /* 10 M requests/s: under the 78 ns/frame line rate */
    f.sock = ln_icmp_sock_open(n[0], 1, on_reply, &f);
    ln_timer_init(&f.t, send_next, &f);

    /* Warm up: resolve ARP along the path, fill the pools. */
    f.total = 1000;
    ln_timer_arm(&net->sim, &f.t, 0);
    ln_sim_run(&net->sim);
    if (f.replies != 1000) fprintf(stderr, "bench: warm-up: %llu of 1000 replies\n",
                                   (unsigned long long)f.replies);

    uint64_t hops0 = 0;
    for (uint32_t i = 0; i < net->n_links; i++)
        hops0 += net->links[i]->d[0].rx.st.delivered + net->links[i]->d[1].rx.st.delivered;
    uint64_t ev0 = net->sim.events, alloc0 = ln_pktpool_allocated(net->pool);
    ln_time v0 = ln_net_now(net);
    long rss0 = peak_rss_kb();

    f.sent = 0;
    f.replies = 0;
    f.total = requests;
    ln_timer_arm(&net->sim, &f.t, ln_net_now(net));
    double t0 = wall();
    ln_sim_run(&net->sim);
    double dt = wall() - t0;

    uint64_t hops = 0;
    for (uint32_t i = 0; i < net->n_links; i++)
        hops += net->links[i]->d[0].rx.st.delivered + net->links[i]->d[1].rx.st.delivered;
    hops -= hops0;
    uint64_t ev = net->sim.events - ev0;
    printf("ping flood: %u routers, %llu echo requests, %llu replies, %.3f ms virtual\n", routers,
           (unsigned long long)requests, (unsigned long long)f.replies,
           (double)(ln_net_now(net) - v0) / 1e6);
    printf("  %llu packet-hops, %llu events in %.3f s wall: %.2f M packet-hops/s, %.2f M events/s\n",
           (unsigned long long)hops, (unsigned long long)ev, dt, (double)hops / dt / 1e6,
           (double)ev / dt / 1e6);
    printf("  packet buffers malloc'ed during the flood: %llu (pool total %llu); peak RSS %ld KiB (%+ld KiB during the flood)\n",
           (unsigned long long)(ln_pktpool_allocated(net->pool) - alloc0),
           (unsigned long long)ln_pktpool_allocated(net->pool), peak_rss_kb(), peak_rss_kb() - rss0);
    if (f.replies != requests) {
        fprintf(stderr, "bench: only %llu of %llu requests answered\n",
                (unsigned long long)f.replies, (unsigned long long)requests);
        exit(1);
    }
    ln_icmp_sock_close(f.sock);
    free(n);
    ln_net_free(net);
}

int main(int argc, char **argv)
{
    uint64_t requests = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    uint32_t routers = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 4;
    uint64_t sched = argc > 3 ? strtoull(argv[3], NULL, 10) : 20000000;
    uint32_t timers = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 10) : 0;
    if (sched && timers) {
        bench_scheduler(sched, timers);
        bench_scheduler_tcp(sched, timers / 2 ? timers / 2 : 1);
    } else if (sched) {
        bench_scheduler(sched, 1000);
        bench_scheduler(sched, 100000);
        bench_scheduler_tcp(sched, 500);
        bench_scheduler_tcp(sched, 50000);
    }
    if (requests) bench_flood(requests, routers);
    return 0;
}
