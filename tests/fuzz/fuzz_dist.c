/* fuzz_dist.c - libFuzzer target for what one rank of a split run hands
 * another (dist.h): any buffer given to ln_dist_deliver must be refused
 * (LN_EINVAL, or LN_ENOMEM for a frame no packet buffer holds) or armed,
 * and never crash, read or write out of bounds (ASan), hit undefined
 * behaviour (UBSan) or lose a packet buffer.
 *
 *   a 10.0.1.2 ---- eth0 10.0.1.1  r  eth1 10.0.2.1 ---- b 10.0.2.2
 *   rank 0          rank 1                               rank 1
 *
 * Both wires: 10 Mbit/s, 1 ms, min_delay 1 ms (a--r is cut, its lookahead
 * 1 ms); static ARP everywhere; a and b each have a UDP socket on 53
 * joined to 239.1.2.3 and a TCP listener on 80 (fz_listen), as in
 * fuzz_router.c.  Links are created a--r then r--b, so link 0 direction 0
 * is a -> r (received on rank 1), direction 1 r -> a (received on rank 0).
 *
 * Byte 0, bit 0: clear, the rest is what rank 0 sent rank 1 (which owns r
 * and b); set, what rank 1 sent rank 0 (which owns a).  The rest is the
 * buffer as the transport hands it over: records of dist.c's header and
 * frame bytes, native-endian.  It is delivered, the network runs a
 * second, the same buffer is delivered again (now mostly in the past:
 * arrivals late, notices heard at once), and the network is run dry
 * (fz_finish).
 *
 * Seeds (tests/fuzz/corpus/fuzz_dist) are real windows' outboxes, written
 * by this file's own generator, which must be run again if dist.c's
 * record layout changes:
 *
 *   cc -std=c11 -DFUZZ_DIST_WRITE_SEEDS -Icore -Itests/fuzz tests/fuzz/fuzz_dist.c \
 *      -Lbuild -llunetcore -lpcap -lm -o /tmp/fuzz_dist_seeds
 *   /tmp/fuzz_dist_seeds tests/fuzz/corpus/fuzz_dist
 *
 * With clang: make fuzz, or cmake -DLUNET_FUZZ=ON and ./fuzz_dist DIR.
 * ctest runs it as fuzz.fuzz_dist through fuzz_replay.c. */
#include "arp.h"
#include "dist.h"
#include "err.h"
#include "fuzz_util.h"

typedef struct fd_world {
    ln_net *net;
    ln_node *a, *r, *b;
    ln_iface *ai, *r0, *r1, *bi;
    fz_socks sa, sb;
} fd_world;

/* The whole network, as every rank builds it, then split as `rank`. */
static void fd_build(fd_world *w, uint32_t rank)
{
    char err[256];
    ln_linkcfg c;
    ln_linkcfg_default(&c);
    c.bandwidth = 10000000;
    c.delay = LN_MSEC;
    c.min_delay = LN_MSEC;
    w->net = ln_net_new(1);
    w->a = fz_node(w->net, "a", false);
    w->r = fz_node(w->net, "r", true);
    w->b = fz_node(w->net, "b", false);
    w->ai = fz_iface(w->a, FZ_IP(10, 0, 1, 2), 24, 0);
    w->r0 = fz_iface(w->r, FZ_IP(10, 0, 1, 1), 24, 0);
    w->r1 = fz_iface(w->r, FZ_IP(10, 0, 2, 1), 24, 0);
    w->bi = fz_iface(w->b, FZ_IP(10, 0, 2, 2), 24, 0);
    if (!ln_link_new(w->net, &w->ai->port, &w->r0->port, &c, NULL, err, sizeof err) ||
        !ln_link_new(w->net, &w->r1->port, &w->bi->port, &c, NULL, err, sizeof err))
        fz_die("fuzz_dist", err);
    fz_route(w->a, 0, 0, FZ_IP(10, 0, 1, 1), w->ai);
    fz_route(w->b, 0, 0, FZ_IP(10, 0, 2, 1), w->bi);
    if (ln_arp_set(w->a, w->ai, FZ_IP(10, 0, 1, 1), w->r0->mac) ||
        ln_arp_set(w->r, w->r0, FZ_IP(10, 0, 1, 2), w->ai->mac) ||
        ln_arp_set(w->r, w->r1, FZ_IP(10, 0, 2, 2), w->bi->mac) ||
        ln_arp_set(w->b, w->bi, FZ_IP(10, 0, 2, 1), w->r1->mac))
        fz_die("fuzz_dist", "arp");
    fz_listen(w->a, &w->sa);
    fz_listen(w->b, &w->sb);
    /* The joins' reports, sent and answered whole: nothing is on its way
     * when the network is split, so what a rank holds afterwards comes
     * from the input alone (a frame in flight to another rank's actor
     * would stay with this rank's inert copy until ln_net_free). */
    ln_sim_run(&w->net->sim);
    /* a is actor 1, r 2, b 3 (creation order). */
    static const uint32_t rank_of[4] = { 0, 0, 1, 1 };
    ln_dist *d = ln_dist_new(w->net, rank, 2, rank_of, err, sizeof err);
    if (!d) fz_die("fuzz_dist", err);
    ln_net_set_dist(w->net, d);
}

static void fd_free(fd_world *w)
{
    fz_unlisten(&w->sa);
    fz_unlisten(&w->sb);
    fz_finish(w->net, "fuzz_dist");
}

#ifndef FUZZ_DIST_WRITE_SEEDS

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > (1u << 17)) return 0;
    uint32_t rank = data[0] & 1 ? 0 : 1;
    data++, size--;

    fd_world w;
    fd_build(&w, rank);
    ln_dist *d = w.net->dist;
    for (int round = 0; round < 2; round++) {
        int rc = ln_dist_deliver(d, 1 - rank, data, size);
        if (rc != 0 && rc != LN_EINVAL && rc != LN_ENOMEM) fz_die("fuzz_dist", ln_strerror(rc));
        ln_sim_run_until(&w.net->sim, ln_net_now(w.net) + LN_SEC);
        /* What this rank sends back goes nowhere: no other rank here. */
        ln_dist_clear_outboxes(d);
    }
    fd_free(&w);
    return 0;
}

#else

/* The seed generator: both ranks in one process, exchanging in memory as
 * tests/unit/test_dist.c does, with a UDP datagram, a TCP connection and
 * a down of a's direction to r from a's side, and a UDP datagram from b's;
 * every window's outbox becomes a seed (byte 0: which rank receives it). */
#include <errno.h>

typedef struct fd_act { ln_timer t; fd_world *w; int what; } fd_act;
enum { SEND_A, BURST_A, CONNECT_A, DOWN_A, UP_A, SEND_B };

static ln_tcp_sock *seed_cli;

static void act(void *arg)
{
    fd_act *x = arg;
    fd_world *w = x->w;
    ln_udp_sock *ua = w->sa.udp, *ub = w->sb.udp;
    switch (x->what) {
    case SEND_A: ln_udp_sendto(ua, "seed datagram", 13, FZ_IP(10, 0, 2, 2), FZ_UDP_PORT); break;
    case BURST_A:
        for (int i = 0; i < 3; i++) ln_udp_sendto(ua, "burst", 5, FZ_IP(10, 0, 2, 2), FZ_UDP_PORT);
        break;
    case CONNECT_A:
        seed_cli = ln_tcp_socket(w->a);
        ln_tcp_connect(seed_cli, FZ_IP(10, 0, 2, 2), FZ_TCP_PORT);
        break;
    case DOWN_A: ln_link_set_up(w->net->links[0], 0, false); break;
    case UP_A: ln_link_set_up(w->net->links[0], 0, true); break;
    case SEND_B: ln_udp_sendto(ub, "seed reply", 10, FZ_IP(10, 0, 1, 2), FZ_UDP_PORT); break;
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    fd_world w[2];
    fd_act acts[2][6];
    static const struct { int what; uint32_t owner; ln_time at; } plan[6] = {
        { SEND_A, 1, 10 * LN_MSEC },  { BURST_A, 1, 20 * LN_MSEC }, { CONNECT_A, 1, 30 * LN_MSEC },
        { DOWN_A, 1, 50 * LN_MSEC },  { UP_A, 1, 60 * LN_MSEC },    { SEND_B, 3, 70 * LN_MSEC },
    };
    for (uint32_t k = 0; k < 2; k++) {
        fd_build(&w[k], k);
        for (int i = 0; i < 6; i++) {
            acts[k][i] = (fd_act){ .w = &w[k], .what = plan[i].what };
            ln_timer_init(&acts[k][i].t, act, &acts[k][i]);
            ln_timer_own(&acts[k][i].t, plan[i].owner);
            ln_timer_arm(&w[k].net->sim, &acts[k][i].t, ln_net_now(w[k].net) + plan[i].at);
        }
    }
    int files = 0;
    ln_time stop = ln_net_now(w[0].net) + 200 * LN_MSEC;
    for (int round = 0; round < 200; round++) {
        ln_time next = ln_sim_next(&w[0].net->sim);
        if (ln_sim_next(&w[1].net->sim) < next) next = ln_sim_next(&w[1].net->sim);
        if (next == LN_NEVER || next > stop) break;
        for (uint32_t k = 0; k < 2; k++) {
            ln_sim *s = &w[k].net->sim;
            ln_time end = ln_dist_window_end(w[k].net->dist, next, LN_NEVER);
            while (s->len && ln_sim_next(s) < end) ln_sim_step(s);
        }
        for (uint32_t k = 0; k < 2; k++) {
            size_t len;
            const uint8_t *b = ln_dist_outbox(w[k].net->dist, 1 - k, &len);
            if (!len) continue;
            /* Byte 0: bit 0 set when rank 0 receives. */
            uint8_t sel = k == 1;
            char path[512];
            snprintf(path, sizeof path, "%s/window-%02d-to-rank%u", argv[1], files++, 1 - k);
            FILE *f = fopen(path, "wb");
            if (!f || fwrite(&sel, 1, 1, f) != 1 || fwrite(b, 1, len, f) != len || fclose(f) != 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return 1;
            }
            if (ln_dist_deliver(w[1 - k].net->dist, k, b, len)) fz_die("seeds", "deliver");
            ln_dist_clear_outboxes(w[k].net->dist);
        }
    }
    if (seed_cli) ln_tcp_abort(seed_cli);
    for (int k = 0; k < 2; k++) {
        ln_dist_clear_outboxes(w[k].net->dist);
        fd_free(&w[k]);
    }
    printf("%d seeds in %s\n", files, argv[1]);
    return 0;
}

#endif
