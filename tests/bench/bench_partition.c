/* bench_partition.c - prints what ln_partition (partition.h) makes of the
 * graphs lunet runs, with each method built in: links cut, part weights,
 * time.  A benchmark, not a test: it asserts nothing but that every call
 * succeeded.  tests/unit/test_partition.c holds the expectations.
 *
 * 1. Sites in a ring, each a router with 4 switches of 25 hosts (105
 *    actors), joined by WAN links; every link cuttable (all links declare
 *    a min_delay), then the LANs fixed (no min_delay: each site one group).
 * 2. The same ring created in random orders: what the cut depends on.
 * 3. Bigger and other graphs: 1000 sites, a 100 x 100 grid, a k = 16 fat
 *    tree, 200 random sites of uneven size on a random WAN.
 *
 * Usage: bench_partition [sites, default 8] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "err.h"
#include "partition.h"

typedef struct graph {
    uint32_t n, ne, cap;
    ln_part_edge *e;
    uint32_t nwan;              /* the first nwan edges are the WAN links */
} graph;

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void add_edge(graph *g, uint32_t a, uint32_t b, bool cuttable)
{
    if (g->ne == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 1024;
        g->e = realloc(g->e, g->cap * sizeof *g->e);
        if (!g->e) abort();
    }
    g->e[g->ne++] = (ln_part_edge){ a, b, 1, cuttable };
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Sites created one after the other (router, then each switch and its
 * hosts), WAN links first in the edge list so they can be told apart. */
static void ring_of_sites(graph *g, uint32_t nsites, bool lan_fixed)
{
    *g = (graph){ 0 };
    uint32_t per = 1 + 4 * 26;
    for (uint32_t s = 0; s < nsites; s++) add_edge(g, s * per, (s + 1) % nsites * per, true);
    g->nwan = nsites;
    for (uint32_t s = 0; s < nsites; s++) {
        uint32_t r = g->n++;
        for (int k = 0; k < 4; k++) {
            uint32_t sw = g->n++;
            add_edge(g, r, sw, !lan_fixed);
            for (int h = 0; h < 25; h++) add_edge(g, sw, g->n++, !lan_fixed);
        }
    }
}

static void relabel(graph *g, uint64_t seed)
{
    uint32_t *perm = malloc(g->n * sizeof *perm);
    if (!perm) abort();
    for (uint32_t v = 0; v < g->n; v++) perm[v] = v;
    for (uint32_t v = g->n; v > 1; v--) {
        uint32_t j = (uint32_t)(rng_next(&seed) % v), t = perm[v - 1];
        perm[v - 1] = perm[j];
        perm[j] = t;
    }
    for (uint32_t i = 0; i < g->ne; i++) {
        g->e[i].a = perm[g->e[i].a];
        g->e[i].b = perm[g->e[i].b];
    }
    free(perm);
}

static void grid(graph *g, uint32_t w)
{
    *g = (graph){ .n = w * w };
    for (uint32_t y = 0; y < w; y++)
        for (uint32_t x = 0; x < w; x++) {
            if (x + 1 < w) add_edge(g, y * w + x, y * w + x + 1, true);
            if (y + 1 < w) add_edge(g, y * w + x, (y + 1) * w + x, true);
        }
}

/* The k-ary fat tree of data centres: (k/2)^2 core switches, k pods of
 * k/2 aggregation and k/2 edge switches, k/2 hosts per edge switch. */
static void fat_tree(graph *g, uint32_t k)
{
    *g = (graph){ 0 };
    uint32_t h = k / 2, core = g->n;
    g->n += h * h;
    for (uint32_t p = 0; p < k; p++) {
        uint32_t agg = g->n, edge = g->n + h;
        g->n += 2 * h;
        for (uint32_t a = 0; a < h; a++) {
            for (uint32_t c = 0; c < h; c++) add_edge(g, agg + a, core + a * h + c, true);
            for (uint32_t e = 0; e < h; e++) add_edge(g, agg + a, edge + e, true);
        }
        for (uint32_t e = 0; e < h; e++)
            for (uint32_t x = 0; x < h; x++) add_edge(g, edge + e, g->n++, true);
    }
}

/* Sites of 1-6 switches with 5-40 hosts each (7 to 247 actors), joined by
 * a random tree of WAN links and half as many more at random. */
static void random_sites(graph *g, uint32_t nsites, uint64_t seed)
{
    *g = (graph){ 0 };
    uint32_t *r = malloc(nsites * sizeof *r);
    if (!r) abort();
    for (uint32_t s = 0; s < nsites; s++) {
        r[s] = g->n++;
        uint32_t sw = 1 + (uint32_t)(rng_next(&seed) % 6);
        for (uint32_t i = 0; i < sw; i++) {
            uint32_t x = g->n++, hosts = 5 + (uint32_t)(rng_next(&seed) % 36);
            add_edge(g, r[s], x, true);
            for (uint32_t j = 0; j < hosts; j++) add_edge(g, x, g->n++, true);
        }
    }
    for (uint32_t s = 1; s < nsites; s++) add_edge(g, r[s], r[rng_next(&seed) % s], true);
    for (uint32_t s = 0; s < nsites / 2; s++)
        add_edge(g, r[rng_next(&seed) % nsites], r[rng_next(&seed) % nsites], true);
    free(r);
}

typedef struct result {
    uint64_t cut, cut_wan;
    uint64_t *pw;               /* nparts weights */
    uint64_t maxw;
    double ms;
} result;

static result run(const graph *g, uint32_t nparts, int method)
{
    result r = { 0 };
    uint32_t *part = malloc(g->n * sizeof *part);
    r.pw = calloc(nparts, sizeof *r.pw);
    if (!part || !r.pw) abort();
    double t0 = wall();
    int rc = ln_partition(g->n, NULL, g->e, g->ne, nparts, method, part);
    r.ms = (wall() - t0) * 1e3;
    if (rc) {
        fprintf(stderr, "bench_partition: %s\n", ln_strerror(rc));
        exit(1);
    }
    for (uint32_t i = 0; i < g->ne; i++) {
        if (part[g->e[i].a] == part[g->e[i].b]) continue;
        r.cut++;
        r.cut_wan += i < g->nwan;
    }
    for (uint32_t v = 0; v < g->n; v++) r.pw[part[v]]++;
    for (uint32_t p = 0; p < nparts; p++)
        if (r.pw[p] > r.maxw) r.maxw = r.pw[p];
    free(part);
    return r;
}

static int methods[2] = { LN_PART_SIMPLE, LN_PART_METIS };
static int nmethods;

static void ring_figures(uint32_t nsites, bool lan_fixed)
{
    graph g;
    ring_of_sites(&g, nsites, lan_fixed);
    printf("\n%u sites of 105 actors in a ring, %s: %u actors, %u links\n", nsites,
           lan_fixed ? "LAN links uncuttable" : "every link cuttable", g.n, g.ne);
    for (uint32_t nparts = 2; nparts <= 8; nparts *= 2) {
        for (int m = 0; m < nmethods; m++) {
            result r = run(&g, nparts, methods[m]);
            printf("  %u parts  %-6s  cut %3" PRIu64 " (%" PRIu64 " WAN, %" PRIu64 " LAN)  parts",
                   nparts, ln_partition_method_name(methods[m]), r.cut, r.cut_wan, r.cut - r.cut_wan);
            for (uint32_t p = 0; p < nparts; p++) printf(" %" PRIu64, r.pw[p]);
            printf("  %.2f ms\n", r.ms);
            free(r.pw);
        }
    }
    free(g.e);
}

static void order_figures(uint32_t nsites)
{
    printf("\nthe same ring (every link cuttable) created in 16 random orders: cut links, min-max\n");
    for (uint32_t nparts = 2; nparts <= 8; nparts *= 2) {
        for (int m = 0; m < nmethods; m++) {
            uint64_t lo = UINT64_MAX, hi = 0;
            for (uint64_t seed = 1; seed <= 16; seed++) {
                graph g;
                ring_of_sites(&g, nsites, false);
                relabel(&g, seed);
                result r = run(&g, nparts, methods[m]);
                if (r.cut < lo) lo = r.cut;
                if (r.cut > hi) hi = r.cut;
                free(r.pw);
                free(g.e);
            }
            printf("  %u parts  %-6s  cut %" PRIu64 "-%" PRIu64 "\n", nparts,
                   ln_partition_method_name(methods[m]), lo, hi);
        }
    }
}

static void other_figures(void)
{
    printf("\nother graphs: cut links, heaviest part over the ideal, time\n");
    for (int which = 0; which < 4; which++) {
        graph g;
        const char *name;
        switch (which) {
        case 0: ring_of_sites(&g, 1000, false); name = "1000 sites in a ring"; break;
        case 1: grid(&g, 100); name = "grid 100 x 100"; break;
        case 2: fat_tree(&g, 16); name = "fat tree k=16"; break;
        default: random_sites(&g, 200, 1); name = "200 random sites"; break;
        }
        printf("  %s: %u actors, %u links\n", name, g.n, g.ne);
        const uint32_t nps[] = { 2, 3, 8, 64 };
        for (int i = 0; i < 4; i++) {
            for (int m = 0; m < nmethods; m++) {
                result r = run(&g, nps[i], methods[m]);
                printf("    %2u parts  %-6s  cut %5" PRIu64 "  heaviest %+5.1f%%  %7.1f ms\n", nps[i],
                       ln_partition_method_name(methods[m]), r.cut,
                       100.0 * ((double)r.maxw * nps[i] / g.n - 1), r.ms);
                free(r.pw);
            }
        }
        free(g.e);
    }
}

int main(int argc, char **argv)
{
    uint32_t nsites = argc > 1 ? (uint32_t)atoi(argv[1]) : 8;
    if (nsites < 2) nsites = 2;
    nmethods = ln_partition_have_metis() ? 2 : 1;
    printf("bench_partition: methods: simple%s\n",
           nmethods == 2 ? ", metis" : " (built without METIS)");
    ring_figures(nsites, false);
    ring_figures(nsites, true);
    order_figures(nsites);
    other_figures();
    return 0;
}
