/* test_partition.c - ln_partition (partition.h): which rank owns each actor.
 *
 * Graphs here are built the way the caller will build them from a
 * network: actors are vertices, links edges, zero-lookahead links
 * uncuttable.  Every result is checked for what the contract promises
 * (parts in range, uncuttable edges inside a part, balance) and, on the
 * topologies lunet users build (sites joined by WAN links, a star, a
 * campus, a router chain), for the cut a person would choose.  Both
 * methods run; METIS only when lunet was built with it, and otherwise a
 * SKIP line says so. */
#include "check.h"
#include "err.h"
#include "partition.h"
#include "partition_int.h"

#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXV 4096
#define MAXE 8192

typedef struct graph {
    uint32_t n, ne;
    uint32_t vw[MAXV];
    bool weighted;              /* vw used, or NULL passed */
    ln_part_edge e[MAXE];
} graph;

static graph *graph_new(void)
{
    graph *g = calloc(1, sizeof *g);
    if (!g) abort();
    return g;
}

static uint32_t add_vertex(graph *g, uint32_t w)
{
    g->vw[g->n] = w;
    return g->n++;
}

static void add_edge(graph *g, uint32_t a, uint32_t b, uint32_t w, bool cuttable)
{
    g->e[g->ne++] = (ln_part_edge){ a, b, w, cuttable };
}

/* A site: a router, `sw` switches on it, `hosts` hosts on each switch;
 * every link cuttable unless lan_fixed.  Returns the router. */
static uint32_t add_site(graph *g, int sw, int hosts, bool lan_fixed)
{
    uint32_t r = add_vertex(g, 1);
    for (int s = 0; s < sw; s++) {
        uint32_t x = add_vertex(g, 1);
        add_edge(g, r, x, 1, !lan_fixed);
        for (int h = 0; h < hosts; h++) add_edge(g, x, add_vertex(g, 1), 1, !lan_fixed);
    }
    return r;
}

/* Deterministic pseudo-random numbers for the tests (splitmix64). */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint32_t rng_below(uint64_t *s, uint32_t n) { return (uint32_t)(rng_next(s) % n); }

/* Renumber the vertices by a random permutation (another creation order). */
static void relabel(graph *g, uint64_t seed)
{
    uint32_t perm[MAXV], vw[MAXV];
    for (uint32_t v = 0; v < g->n; v++) perm[v] = v;
    for (uint32_t v = g->n; v > 1; v--) {
        uint32_t j = rng_below(&seed, v), t = perm[v - 1];
        perm[v - 1] = perm[j];
        perm[j] = t;
    }
    for (uint32_t v = 0; v < g->n; v++) vw[perm[v]] = g->vw[v];
    for (uint32_t v = 0; v < g->n; v++) g->vw[v] = vw[v];
    for (uint32_t i = 0; i < g->ne; i++) {
        g->e[i].a = perm[g->e[i].a];
        g->e[i].b = perm[g->e[i].b];
    }
}

static int part_of(const graph *g, uint32_t nparts, int method, uint32_t *part)
{
    return ln_partition(g->n, g->weighted ? g->vw : NULL, g->e, g->ne, nparts, method, part);
}

static uint64_t cut_weight(const graph *g, const uint32_t *part)
{
    uint64_t c = 0;
    for (uint32_t i = 0; i < g->ne; i++)
        if (part[g->e[i].a] != part[g->e[i].b]) c += g->e[i].weight;
    return c;
}

static uint32_t vweight(const graph *g, uint32_t v) { return g->weighted ? g->vw[v] : 1; }

/* Groups the slow way, for the checks: repeat merging until nothing
 * changes.  Returns the number of groups; grp[v] its smallest vertex. */
static uint32_t groups(const graph *g, uint32_t *grp)
{
    for (uint32_t v = 0; v < g->n; v++) grp[v] = v;
    for (bool again = true; again;) {
        again = false;
        for (uint32_t i = 0; i < g->ne; i++) {
            if (g->e[i].cuttable) continue;
            uint32_t a = grp[g->e[i].a], b = grp[g->e[i].b], m = a < b ? a : b;
            if (a == b) continue;
            for (uint32_t v = 0; v < g->n; v++)
                if (grp[v] == a || grp[v] == b) grp[v] = m;
            again = true;
        }
    }
    uint32_t ng = 0;
    for (uint32_t v = 0; v < g->n; v++) ng += grp[v] == v;
    return ng;
}

/* What every result must be: parts in range, uncuttable edges inside one
 * part, parts numbered by their smallest vertex, none empty while groups
 * last; for SIMPLE (`simple`) every part within one heaviest group of the
 * ideal.  METIS promises no bound; callers check the one they expect.
 * Returns whether all held, so a caller can say which case broke, and the
 * heaviest part and group. */
typedef struct sizes {
    uint64_t total, heaviest_group, heaviest_part;
} sizes;

static bool check_contract(const graph *g, uint32_t nparts, const uint32_t *part, bool simple,
                           sizes *sz)
{
    static uint32_t grp[MAXV];
    static uint64_t gw[MAXV], pw[MAXV];
    int before = check_fail;
    uint32_t ng = groups(g, grp);
    for (uint32_t v = 0; v < g->n; v++) CHECK(part[v] < nparts);
    if (check_fail != before) return false;
    for (uint32_t i = 0; i < g->ne; i++)
        if (!g->e[i].cuttable) CHECK_EQ(part[g->e[i].a], part[g->e[i].b]);
    uint32_t used = 0;                  /* numbered in order of first appearance */
    for (uint32_t v = 0; v < g->n; v++) {
        CHECK(part[v] <= used);
        if (part[v] == used) used++;
    }
    CHECK_EQ(used, ng < nparts ? ng : nparts);
    for (uint32_t v = 0; v < g->n; v++) gw[v] = pw[v] = 0;
    sizes z = { 0, 0, 0 };
    for (uint32_t v = 0; v < g->n; v++) {
        gw[grp[v]] += vweight(g, v);
        pw[part[v]] += vweight(g, v);   /* part[v] < used <= n */
        z.total += vweight(g, v);
    }
    for (uint32_t v = 0; v < g->n; v++) {
        if (gw[v] > z.heaviest_group) z.heaviest_group = gw[v];
        if (pw[v] > z.heaviest_part) z.heaviest_part = pw[v];
    }
    if (simple) {
        /* |pw - total/nparts| <= heaviest group, times nparts to stay in
         * integers; empty parts weigh 0. */
        for (uint32_t p = 0; p < nparts && p <= g->n; p++) {
            int64_t dev = (int64_t)((p < g->n ? pw[p] : 0) * nparts) - (int64_t)z.total;
            CHECK((uint64_t)(dev < 0 ? -dev : dev) <= z.heaviest_group * nparts);
        }
    }
    if (sz) *sz = z;
    return check_fail == before;
}

/* Partition g, check the contract and that the cut weighs `want`, and
 * for METIS that no part is more than 6% (twice what it is asked for)
 * and a group over the ideal; says which case broke. */
static void expect_cut(const graph *g, uint32_t nparts, int method, uint64_t want, const char *what)
{
    static uint32_t part[MAXV];
    int before = check_fail;
    sizes z;
    CHECK_EQ(part_of(g, nparts, method, part), 0);
    if (check_contract(g, nparts, part, method == LN_PART_SIMPLE, &z) && method == LN_PART_METIS)
        CHECK(1000 * nparts * z.heaviest_part <= 1060 * z.total + 1000 * nparts * z.heaviest_group);
    uint64_t got = cut_weight(g, part);
    CHECK_U64(got, want);
    if (check_fail != before)
        fprintf(stderr, "  in: %s, %s, %u parts: cut %" PRIu64 ", want %" PRIu64 "\n", what,
                ln_partition_method_name(method), nparts, got, want);
}

static const int methods[] = { LN_PART_SIMPLE, LN_PART_METIS };
#define NMETHODS 2

/* Whether to run method m; says SKIP once per test for METIS without it. */
static bool runs(int m, const char *test)
{
    static const char *said;
    if (m != LN_PART_METIS || ln_partition_have_metis()) return true;
    if (said != test)
        printf("SKIP %s (metis): lunet was built without METIS "
               "(metis.h or libmetis not found, or -DLUNET_METIS=OFF)\n", test);
    said = test;
    return false;
}

/* ---- the topologies users build -------------------------------------------- */

/* Two equal sites joined by one WAN link, into two parts: only that link
 * is cut, whatever order the actors were created in. */
static void test_two_sites_cut_the_wan_link(void)
{
    char what[64];
    for (int m = 0; m < NMETHODS; m++) {
        if (!runs(methods[m], __func__)) continue;
        for (uint64_t order = 0; order < 6; order++) {
            graph *g = graph_new();
            uint32_t ra = add_site(g, 4, 25, false), rb = add_site(g, 4, 25, false);
            add_edge(g, ra, rb, 1, true);
            if (order) relabel(g, order);
            snprintf(what, sizeof what, "two sites, order %d", (int)order);
            expect_cut(g, 2, methods[m], 1, what);
            free(g);
        }
    }
}

/* 4 equal sites in a ring into 4 parts: a site each, the 4 WAN links cut;
 * into 2 parts: two neighbouring sites each, 2 links cut. */
static void test_ring_of_sites(void)
{
    char what[64];
    for (int m = 0; m < NMETHODS; m++) {
        if (!runs(methods[m], __func__)) continue;
        for (uint64_t order = 0; order < 4; order++) {
            graph *g = graph_new();
            uint32_t r[4];
            for (int s = 0; s < 4; s++) r[s] = add_site(g, 4, 25, false);
            for (int s = 0; s < 4; s++) add_edge(g, r[s], r[(s + 1) % 4], 1, true);
            if (order) relabel(g, order);
            snprintf(what, sizeof what, "ring of 4 sites, order %d", (int)order);
            expect_cut(g, 4, methods[m], 4, what);
            expect_cut(g, 2, methods[m], 2, what);
            free(g);
        }
    }
}

/* A star: a hub site with three arms, into 4 parts: a site each, 3 WAN
 * links cut.  Then a hub router alone with 4 sites: the hub has to join
 * one of them, which puts the exact split one actor off a site boundary;
 * SIMPLE's slack still cuts only WAN links, the hub's 3 to the others. */
static void test_star_of_sites(void)
{
    char what[64];
    for (int m = 0; m < NMETHODS; m++) {
        if (!runs(methods[m], __func__)) continue;
        for (uint64_t order = 0; order < 4; order++) {
            graph *g = graph_new();
            uint32_t hub = add_site(g, 4, 25, false);
            for (int s = 0; s < 3; s++) add_edge(g, hub, add_site(g, 4, 25, false), 1, true);
            if (order) relabel(g, order);
            snprintf(what, sizeof what, "star of 4 sites, order %d", (int)order);
            expect_cut(g, 4, methods[m], 3, what);
            free(g);

            g = graph_new();
            hub = add_vertex(g, 1);
            for (int s = 0; s < 4; s++) add_edge(g, hub, add_site(g, 4, 25, false), 1, true);
            if (order) relabel(g, order);
            snprintf(what, sizeof what, "hub router and 4 sites, order %d", (int)order);
            expect_cut(g, 4, methods[m], 3, what);
            free(g);
        }
    }
}

/* A campus: a core router, 4 building routers on it, each with 2
 * switches of 10 hosts. */
static void test_campus(void)
{
    graph *g = graph_new();
    uint32_t core = add_vertex(g, 1);
    for (int b = 0; b < 4; b++) add_edge(g, core, add_site(g, 2, 10, false), 1, true);
    for (int m = 0; m < NMETHODS; m++) {
        if (!runs(methods[m], __func__)) continue;
        expect_cut(g, 2, methods[m], 2, "campus");
        expect_cut(g, 4, methods[m], 3, "campus");
    }
    free(g);

    /* Zero-lookahead links inside each building: whole buildings only,
     * and a third switch in one building changes nothing. */
    g = graph_new();
    core = add_vertex(g, 1);
    for (int b = 0; b < 4; b++) add_edge(g, core, add_site(g, b == 2 ? 3 : 2, 10, true), 1, true);
    for (int m = 0; m < NMETHODS; m++) {
        if (!runs(methods[m], __func__)) continue;
        expect_cut(g, 2, methods[m], 2, "campus, fixed buildings");
        expect_cut(g, 4, methods[m], 3, "campus, fixed buildings");
    }
    free(g);
}

/* A chain of 8 routers, each with a LAN of one switch and 5 hosts: into
 * 2 and 4 parts only router-router links are cut, 1 and 3 of them. */
static void test_router_chain(void)
{
    graph *g = graph_new();
    uint32_t prev = 0;
    for (int i = 0; i < 8; i++) {
        uint32_t r = add_site(g, 1, 5, false);
        if (i) add_edge(g, prev, r, 1, true);
        prev = r;
    }
    for (int m = 0; m < NMETHODS; m++) {
        if (!runs(methods[m], __func__)) continue;
        expect_cut(g, 2, methods[m], 1, "router chain");
        expect_cut(g, 4, methods[m], 3, "router chain");
    }
    free(g);
}

/* ---- the contract on arbitrary graphs -------------------------------------- */

/* A random graph: sparse cuttable edges, some uncuttable ones, self loops,
 * parallel edges, weights 0..heavy (or NULL). */
static graph *random_graph(uint64_t *s)
{
    graph *g = graph_new();
    uint32_t n = 1 + rng_below(s, 300);
    int kind = (int)rng_below(s, 4);
    g->weighted = kind != 0;
    for (uint32_t v = 0; v < n; v++) {
        uint32_t w = 1;
        if (kind == 2) w = rng_below(s, 4);                        /* zeros too */
        if (kind == 3) w = rng_below(s, 20) == 0 ? 500 : 1 + rng_below(s, 3);  /* a few heavy */
        add_vertex(g, w);
    }
    uint32_t ne = rng_below(s, 3 * n);
    for (uint32_t i = 0; i < ne; i++) {
        uint32_t a = rng_below(s, n), b = rng_below(s, 8) == 0 ? a : rng_below(s, n);
        add_edge(g, a, b, 1 + rng_below(s, 10), rng_below(s, 6) != 0);
    }
    return g;
}

/* Whatever is printed to stdout between begin and end: METIS 5.1 prints
 * its complaints there (a group heavier than a part's ideal gets "Cannot
 * bisect a graph with 0 vertices"), and in lunet stdout is the script's. */
typedef struct capture {
    FILE *tmp;
    int saved;
} capture;

static void capture_begin(capture *c)
{
    fflush(stdout);
    c->tmp = tmpfile();
    c->saved = dup(1);
    if (c->tmp) dup2(fileno(c->tmp), 1);
}

static long capture_end(capture *c)
{
    struct stat st = { 0 };
    fflush(stdout);
    dup2(c->saved, 1);
    close(c->saved);
    if (!c->tmp) return -1;
    fstat(fileno(c->tmp), &st);
    fclose(c->tmp);
    return (long)st.st_size;
}

static void test_contract_random(void)
{
    uint64_t s = 42;
    capture cap;
    capture_begin(&cap);
    for (int round = 0; round < 300; round++) {
        graph *g = random_graph(&s);
        uint32_t nparts = 1 + rng_below(&s, 12);
        for (int m = 0; m < NMETHODS; m++) {
            if (methods[m] == LN_PART_METIS && !ln_partition_have_metis()) continue;
            uint32_t part[MAXV];
            CHECK_EQ(part_of(g, nparts, methods[m], part), 0);
            if (!check_contract(g, nparts, part, methods[m] == LN_PART_SIMPLE, NULL))
                fprintf(stderr, "  round %d: %s, n %u, %u edges, %u parts\n", round,
                        ln_partition_method_name(methods[m]), g->n, g->ne, nparts);
        }
        free(g);
    }
    CHECK_EQ(capture_end(&cap), 0);
    runs(LN_PART_METIS, __func__);
}

/* Same input, same output: edges shuffled, computed twice. */
static void test_deterministic(void)
{
    uint64_t s = 7;
    for (int round = 0; round < 50; round++) {
        graph *g = random_graph(&s);
        if (round == 0) {               /* and the 8-site ring */
            free(g);
            g = graph_new();
            uint32_t r[8];
            for (int i = 0; i < 8; i++) r[i] = add_site(g, 4, 25, false);
            for (int i = 0; i < 8; i++) add_edge(g, r[i], r[(i + 1) % 8], 1, true);
        }
        uint32_t nparts = 2 + rng_below(&s, 6);
        for (int m = 0; m < NMETHODS; m++) {
            if (methods[m] == LN_PART_METIS && !ln_partition_have_metis()) continue;
            static uint32_t first[MAXV], again[MAXV];
            CHECK_EQ(part_of(g, nparts, methods[m], first), 0);
            CHECK_EQ(part_of(g, nparts, methods[m], again), 0);
            for (uint32_t v = 0; v < g->n; v++) CHECK_EQ(first[v], again[v]);
            graph *h = graph_new();
            *h = *g;
            for (uint32_t i = h->ne; i > 1; i--) {
                uint32_t j = rng_below(&s, i);
                ln_part_edge t = h->e[i - 1];
                h->e[i - 1] = h->e[j];
                h->e[j] = t;
            }
            for (uint32_t i = 0; i < h->ne; i++) {      /* and ends swapped */
                if (rng_below(&s, 2)) {
                    uint32_t t = h->e[i].a;
                    h->e[i].a = h->e[i].b;
                    h->e[i].b = t;
                }
            }
            CHECK_EQ(part_of(h, nparts, methods[m], again), 0);
            for (uint32_t v = 0; v < g->n; v++) CHECK_EQ(first[v], again[v]);
            free(h);
        }
        free(g);
    }
    runs(LN_PART_METIS, __func__);
}

/* A pinned result: if SIMPLE's answer on the 8-site ring changes, every
 * run across ranks partitions differently; that must be deliberate. */
static void test_simple_pinned(void)
{
    graph *g = graph_new();
    uint32_t r[8];
    for (int i = 0; i < 8; i++) r[i] = add_site(g, 4, 25, false);
    for (int i = 0; i < 8; i++) add_edge(g, r[i], r[(i + 1) % 8], 1, true);
    uint32_t part[MAXV];
    CHECK_EQ(part_of(g, 4, LN_PART_SIMPLE, part), 0);
    /* The walk starts at site 0 and takes the lighter side of the ring
     * first: sites 7, 6, 5 (the BFS tree gives site 4 to site 3's side,
     * reached first), then sites 1-4.  Runs {0, 7}, {6, 5}, {1, 2}, {3, 4},
     * numbered by their smallest actor. */
    const uint32_t want[8] = { 0, 1, 1, 2, 2, 3, 3, 0 };
    for (int i = 0; i < 8; i++)
        for (uint32_t v = r[i]; v < r[i] + 105; v++) CHECK_EQ(part[v], want[i]);
    free(g);
}

/* ---- edges of the domain --------------------------------------------------- */

static void test_more_parts_than_groups(void)
{
    for (int m = 0; m < NMETHODS; m++) {
        if (!runs(methods[m], __func__)) continue;
        graph *g = graph_new();
        for (int i = 0; i < 6; i++) add_vertex(g, 1);
        add_edge(g, 4, 1, 1, false);    /* groups {0} {1,4} {2} {3,5} */
        add_edge(g, 5, 3, 1, false);
        add_edge(g, 0, 2, 1, true);
        uint32_t part[MAXV];
        CHECK_EQ(part_of(g, 8, methods[m], part), 0);
        CHECK(check_contract(g, 8, part, true, NULL));
        const uint32_t want[6] = { 0, 1, 2, 3, 1, 3 };
        for (int v = 0; v < 6; v++) CHECK_EQ(part[v], want[v]);
        /* As many groups as parts: one each. */
        CHECK_EQ(part_of(g, 4, methods[m], part), 0);
        for (int v = 0; v < 6; v++) CHECK_EQ(part[v], want[v]);
        free(g);
    }
}

static void test_empty_and_one_part(void)
{
    uint32_t part[4] = { 9, 9, 9, 9 };
    for (int m = 0; m < NMETHODS; m++) {
        if (!runs(methods[m], __func__)) continue;
        CHECK_EQ(ln_partition(0, NULL, NULL, 0, 3, methods[m], NULL), 0);
        CHECK_EQ(ln_partition(0, NULL, NULL, 0, 1, methods[m], part), 0);
        CHECK_EQ(part[0], 9);           /* nothing written */

        graph *g = graph_new();
        add_site(g, 2, 3, false);
        uint32_t p[MAXV];
        CHECK_EQ(part_of(g, 1, methods[m], p), 0);
        for (uint32_t v = 0; v < g->n; v++) CHECK_EQ(p[v], 0);
        /* No edges at all: balanced, nothing to cut. */
        g->ne = 0;
        CHECK_EQ(part_of(g, 3, methods[m], p), 0);
        CHECK(check_contract(g, 3, p, true, NULL));
        free(g);
    }
}

/* Weights whose sums overflow 32 bits: METIS's 32-bit weights are scaled
 * down inside; still a valid answer, and balanced.  (SIMPLE scales only
 * when nparts times the total nears 2^62, beyond what fits in memory
 * here: the scaling itself is checked below.) */
static void test_huge_weights(void)
{
    graph *g = graph_new();
    g->weighted = true;
    uint32_t prev = 0;
    for (uint32_t v = 0; v < 3000; v++) {
        add_vertex(g, UINT32_MAX - v);
        if (v) add_edge(g, prev, v, UINT32_MAX, true);
        prev = v;
    }
    uint32_t part[MAXV];
    for (int m = 0; m < NMETHODS; m++) {
        if (!runs(methods[m], __func__)) continue;
        CHECK_EQ(part_of(g, 7, methods[m], part), 0);
        CHECK(check_contract(g, 7, part, methods[m] == LN_PART_SIMPLE, NULL));
        CHECK_U64(cut_weight(g, part), 6 * (uint64_t)UINT32_MAX);   /* a path: 6 cuts */
        CHECK_EQ(part_of(g, UINT32_MAX, methods[m], part), 0);      /* a vertex each */
        CHECK_EQ(part[2999], 2999);
    }
    free(g);
}

static void test_weight_scaling(void)
{
    CHECK_EQ(ln_part_weight_shift(100, 10, 200), 0);
    CHECK_EQ(ln_part_weight_shift(UINT64_C(1) << 40, 5, UINT64_C(1) << 30), 11);  /* 2^30 + 5 > 2^30 */
    CHECK_EQ(ln_part_weight_shift(UINT64_MAX, 0, 0), 64);
    CHECK_U64(ln_part_scale(4, 1), 2);
    CHECK_U64(ln_part_scale(5, 1), 3);          /* rounded up */
    CHECK_U64(ln_part_scale(0, 3), 0);          /* zero stays zero */
    CHECK_U64(ln_part_scale(1, 63), 1);         /* above zero stays above */
    CHECK_U64(ln_part_scale(UINT64_MAX, 64), 1);
    CHECK_U64(ln_part_scale(7, 0), 7);
}

static void test_bad_input(void)
{
    ln_part_edge e[2] = { { 0, 1, 1, true }, { 1, 2, 1, false } };
    uint32_t part[3] = { 7, 7, 7 };
    CHECK_EQ(ln_partition(3, NULL, e, 2, 0, LN_PART_SIMPLE, part), LN_EINVAL);  /* no parts */
    CHECK_EQ(ln_partition(2, NULL, e, 2, 2, LN_PART_SIMPLE, part), LN_EINVAL);  /* vertex 2 of 2 */
    CHECK_EQ(ln_partition(0, NULL, e, 1, 1, LN_PART_SIMPLE, part), LN_EINVAL);
    CHECK_EQ(ln_partition(3, NULL, e, 2, 2, 99, part), LN_EINVAL);              /* no such method */
    CHECK_EQ(ln_partition(3, NULL, e, 2, 2, LN_PART_SIMPLE, NULL), LN_EINVAL);
    CHECK_EQ(ln_partition(3, NULL, NULL, 2, 2, LN_PART_SIMPLE, part), LN_EINVAL);
    e[0].weight = 0;
    CHECK_EQ(ln_partition(3, NULL, e, 2, 2, LN_PART_SIMPLE, part), LN_EINVAL);  /* weight 0 */
    e[0].weight = 1;
    for (int v = 0; v < 3; v++) CHECK_EQ(part[v], 7);                           /* untouched */
    CHECK_EQ(ln_partition(3, NULL, e, 2, 2, LN_PART_SIMPLE, part), 0);
    CHECK_STR(ln_strerror(LN_ENOTSUP), "not supported");

    if (ln_partition_have_metis()) {
        CHECK_EQ(ln_partition(3, NULL, e, 2, 2, LN_PART_METIS, part), 0);
        CHECK_STR(ln_partition_method_name(LN_PART_AUTO), "metis");
    } else {
        part[0] = 7;
        CHECK_EQ(ln_partition(3, NULL, e, 2, 2, LN_PART_METIS, part), LN_ENOTSUP);
        CHECK_EQ(ln_partition(3, NULL, e, 2, 1, LN_PART_METIS, part), LN_ENOTSUP);
        CHECK_EQ(part[0], 7);
        CHECK_STR(ln_partition_method_name(LN_PART_AUTO), "simple");
    }
    CHECK_EQ(ln_partition(3, NULL, e, 2, 2, LN_PART_AUTO, part), 0);
    CHECK_STR(ln_partition_method_name(LN_PART_SIMPLE), "simple");
    CHECK_STR(ln_partition_method_name(LN_PART_METIS), "metis");
    CHECK_STR(ln_partition_method_name(42), "unknown");
}

int main(void)
{
    test_two_sites_cut_the_wan_link();
    test_ring_of_sites();
    test_star_of_sites();
    test_campus();
    test_router_chain();
    test_contract_random();
    test_deterministic();
    test_simple_pinned();
    test_more_parts_than_groups();
    test_empty_and_one_part();
    test_huge_weights();
    test_weight_scaling();
    test_bad_input();
    return check_report("test_partition");
}
