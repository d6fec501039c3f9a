/* partition_metis.c - the METIS backend of ln_partition (partition.h).
 *
 * Compiled with METIS when CMake found metis.h and libmetis
 * (LUNET_HAVE_METIS); without them ln_part_metis answers LN_ENOTSUP and
 * ln_partition_have_metis false.
 *
 * METIS sees the contracted graph (partition_int.h): a vertex per group,
 * weighted as the group, an edge per pair of groups that cuttable edges
 * join, weighted by their sum.  partition.c answers one part and no
 * more groups than parts itself; this declines (SIMPLE answers) a graph
 * with no edges, one with a vertex heavier than a part's ideal, one too
 * big for idx_t, and an answer with an empty or overweight part: METIS
 * 5.1 misbehaves there.
 *
 * How it is called, and why (measured with METIS 5.1.0 while choosing;
 * tests/bench/bench_partition.c prints the figures as they stand):
 * - Up to 8 parts, recursive bisection, with the leaves folded first (a
 *   group with one neighbour, a host on its switch, joins that
 *   neighbour: cutting a leaf's only edge never lowers the cut, so no
 *   good answer is lost).  Lunet's commonest graph is a tree of stars,
 *   switches with their hosts, and METIS's k-way coarsening does badly on
 *   stars: on two equal sites joined by one WAN link, created in a random
 *   order, k-way cut 3 links instead of the WAN link; over 72 such cases
 *   (rings, stars, a campus, in 8 creation orders) it missed the best cut
 *   in 42, and folded bisection in none.
 * - Above 8 parts, k-way without folding: bisection's imbalance compounds
 *   level by level, and folded groups are too coarse for small parts (a
 *   fat tree in 64 parts came out 29% over the ideal with folding, 5%
 *   without).
 * - Imbalance: 3% over the ideal (METIS's k-way default), or more when
 *   one vertex is more than that of a part (imbalance()); for bisection
 *   spread over the levels, so that the parts end near it too.
 * - Eight tries from different random starts, the best kept
 *   (METIS_OPTION_NCUTS): k-way's one try cut 172 links of 1000 sites in
 *   a ring in 32 parts, eight tries 65.  Eight take 0.1-0.25 s for 10^4 to
 *   10^5 actors in 64 parts.
 *
 * Determinism: METIS draws random numbers (matching order, initial
 * partitions) from its own generator, seeded by METIS_OPTION_SEED, so the
 * same libmetis gives the same answer every time; floating point in its
 * balance arithmetic, and its version, may make another build differ
 * (partition.h). */
#include "partition_int.h"
#include "partition.h"
#include "err.h"

#ifdef LUNET_HAVE_METIS

#include <metis.h>
#include <stdlib.h>

#define SEED 1                  /* any fixed value; not -1, "from the clock" */
#define NCUTS 8                 /* tries, the best kept */
#define UFACTOR 30              /* a part may be 30/1000 over the ideal */
#define RB_MAX_PARTS 8          /* bisection up to this many parts, k-way above */

bool ln_partition_have_metis(void) { return true; }

/* host[x]: the group x is folded into (itself if not).  A leaf joins its
 * one neighbour, unless that is a leaf too (a pair alone): then the
 * larger joins the smaller. */
static void fold_leaves(const ln_pgraph *g, uint32_t *host)
{
    for (uint32_t x = 0; x < g->n; x++) {
        host[x] = x;
        if (g->xadj[x + 1] - g->xadj[x] != 1) continue;
        uint32_t y = g->adj[g->xadj[x]];
        if (g->xadj[y + 1] - g->xadj[y] != 1 || y < x) host[x] = y;
    }
}

/* Whether folding as host[] says leaves more than nparts groups and an
 * edge between them: METIS needs both (a star folds into one group, a
 * forest of stars into groups with no edges). */
static bool fold_leaves_enough(const ln_pgraph *g, const uint32_t *host, uint32_t nparts)
{
    uint32_t left = 0;
    bool edge = false;
    for (uint32_t x = 0; x < g->n; x++) {
        if (host[x] != x) continue;
        left++;
        for (size_t i = g->xadj[x]; i < g->xadj[x + 1] && !edge; i++) edge = host[g->adj[i]] == g->adj[i];
    }
    return left > nparts && edge;
}

/* METIS's graph: the groups that are their own host, numbered in order
 * (at[x] is x's vertex, its host's for a folded group), weights scaled by
 * vs and es bits to fit idx_t.  Edges to folded groups vanish inside
 * their host.  Returns the number of vertices. */
static idx_t metis_graph(const ln_pgraph *g, const uint32_t *host, unsigned vs, unsigned es,
                         uint32_t *at, idx_t *xadj, idx_t *adj, idx_t *adjw, idx_t *vw)
{
    idx_t nv = 0;
    for (uint32_t x = 0; x < g->n; x++)
        if (host[x] == x) at[x] = (uint32_t)nv++;
    for (uint32_t x = 0; x < g->n; x++) at[x] = at[host[x]];
    size_t k = 0;
    idx_t v = 0;
    xadj[0] = 0;
    for (uint32_t x = 0; x < g->n; x++) {
        if (host[x] != x) continue;
        vw[v] = 0;
        for (size_t i = g->xadj[x]; i < g->xadj[x + 1]; i++) {
            if (host[g->adj[i]] != g->adj[i]) continue;
            adj[k] = (idx_t)at[g->adj[i]];
            adjw[k++] = (idx_t)ln_part_scale(g->ew[i], es);
        }
        xadj[++v] = (idx_t)k;
    }
    for (uint32_t x = 0; x < g->n; x++) vw[at[x]] += (idx_t)ln_part_scale(g->w[x], vs);
    return nv;
}

/* Whether METIS's vertices can be split at all: none heavier than a
 * part's ideal.  With one that is, METIS 5.1's bisection runs out of
 * vertices on one side, prints errors to stdout and leaves parts empty. */
static bool none_heavy(const idx_t *vw, idx_t nv, uint32_t nparts)
{
    uint64_t sum = 0, max = 0;
    for (idx_t v = 0; v < nv; v++) {
        sum += (uint64_t)vw[v];
        if ((uint64_t)vw[v] > max) max = (uint64_t)vw[v];
    }
    return sum > 0 && max <= sum / nparts;
}

/* The imbalance to ask for, in METIS's units (thousandths over the
 * ideal): 3%, or the lightest vertex's share of a part when that is more.
 * Asked for finer balance than its vertices allow, METIS cuts far more (a
 * fat tree of 1344 actors in 64 parts: 2147 edges at 3%, 1429 at 4.8%,
 * one actor in 21).  No overflow: the lightest of nv > nparts vertices
 * times nparts is at most their sum, below 2^31. */
static uint64_t imbalance(const idx_t *vw, idx_t nv, uint32_t nparts)
{
    uint64_t sum = 0, min = UINT64_MAX;
    for (idx_t v = 0; v < nv; v++) {
        sum += (uint64_t)vw[v];
        if (vw[v] > 0 && (uint64_t)vw[v] < min) min = (uint64_t)vw[v];
    }
    uint64_t uf = (1000 * min * nparts + sum - 1) / sum;
    return uf > UFACTOR ? uf : UFACTOR;
}

/* Whether METIS's answer is one to keep: every part used, and none over
 * the ideal by more than twice the imbalance asked for (bisection's
 * compounds a little) plus a vertex.  On small graphs cut into nearly as
 * many parts METIS can put 7 vertices in one part of an ideal 1.4. */
static bool answer_ok(const idx_t *vw, idx_t nv, const idx_t *out, uint32_t nparts, uint64_t uf)
{
    uint64_t *pw = calloc(nparts, sizeof *pw);
    uint32_t *cnt = calloc(nparts, sizeof *cnt);
    bool ok = pw && cnt;
    uint64_t sum = 0, max = 0;
    for (idx_t v = 0; ok && v < nv; v++) {
        if (out[v] < 0 || (uint64_t)out[v] >= nparts) ok = false;
        else {
            pw[out[v]] += (uint64_t)vw[v];
            cnt[out[v]]++;
            sum += (uint64_t)vw[v];
            if ((uint64_t)vw[v] > max) max = (uint64_t)vw[v];
        }
    }
    uint64_t ideal = sum / nparts, limit = ideal + ideal * 2 * uf / 1000 + max + 1;
    for (uint32_t p = 0; ok && p < nparts; p++) ok = cnt[p] > 0 && pw[p] <= limit;
    free(pw);
    free(cnt);
    return ok;
}

int ln_part_metis(const ln_pgraph *g, uint32_t nparts, uint32_t *gpart)
{
    if (g->nadj == 0) return LN_PART_DECLINED;          /* nothing to cut */
    /* Sums of weights must fit in idx_t with room for METIS's own sums
     * and products: scale to half its range.  A graph too big for that
     * (2^30 groups or links with 32-bit idx_t) goes to SIMPLE. */
    uint64_t room = (uint64_t)IDX_MAX / 2;
    if ((uint64_t)g->n > room || g->nadj > room || (uint64_t)nparts > room) return LN_PART_DECLINED;
    uint64_t esum = 0;
    for (size_t i = 0; i < g->nadj; i++) esum += g->ew[i];
    unsigned vs = ln_part_weight_shift(g->wsum, g->n, room);
    unsigned es = ln_part_weight_shift(esum, g->nadj, room);
    if (vs >= 64 || es >= 64) return LN_PART_DECLINED;

    bool rb = nparts <= RB_MAX_PARTS;
    idx_t *xadj = malloc(((size_t)g->n + 1) * sizeof *xadj);
    idx_t *adj = malloc(g->nadj * sizeof *adj);
    idx_t *adjw = malloc(g->nadj * sizeof *adjw);
    idx_t *vw = malloc(g->n * sizeof *vw);
    idx_t *out = malloc(g->n * sizeof *out);
    uint32_t *host = malloc(g->n * sizeof *host);
    uint32_t *at = malloc(g->n * sizeof *at);
    int rc = LN_ENOMEM;
    if (!xadj || !adj || !adjw || !vw || !out || !host || !at) goto done;

    idx_t nv = 0;
    if (rb) {
        fold_leaves(g, host);
        if (fold_leaves_enough(g, host, nparts)) {
            nv = metis_graph(g, host, vs, es, at, xadj, adj, adjw, vw);
            if (!none_heavy(vw, nv, nparts)) nv = 0;    /* a big star: unfolded then */
        }
    }
    if (nv == 0) {
        for (uint32_t x = 0; x < g->n; x++) host[x] = x;
        nv = metis_graph(g, host, vs, es, at, xadj, adj, adjw, vw);
    }
    rc = LN_PART_DECLINED;
    if (!none_heavy(vw, nv, nparts)) goto done;

    idx_t ncon = 1, np = (idx_t)nparts, cut = 0, opt[METIS_NOPTIONS];
    uint64_t uf = imbalance(vw, nv, nparts);
    METIS_SetDefaultOptions(opt);
    opt[METIS_OPTION_NUMBERING] = 0;
    opt[METIS_OPTION_SEED] = SEED;
    opt[METIS_OPTION_NCUTS] = NCUTS;
    opt[METIS_OPTION_DBGLVL] = 0;
    int mr;
    if (rb) {
        idx_t levels = 0;                   /* spread the imbalance over them */
        while ((UINT32_C(1) << levels) < nparts) levels++;
        opt[METIS_OPTION_UFACTOR] = (idx_t)(uf / (uint64_t)levels > 0 ? uf / (uint64_t)levels : 1);
        mr = METIS_PartGraphRecursive(&nv, &ncon, xadj, adj, vw, NULL, adjw, &np,
                                      NULL, NULL, opt, &cut, out);
    } else {
        opt[METIS_OPTION_UFACTOR] = (idx_t)uf;
        mr = METIS_PartGraphKway(&nv, &ncon, xadj, adj, vw, NULL, adjw, &np,
                                 NULL, NULL, opt, &cut, out);
    }
    if (mr == METIS_ERROR_MEMORY) {
        rc = LN_ENOMEM;
    } else if (mr == METIS_OK && answer_ok(vw, nv, out, nparts, uf)) {
        for (uint32_t x = 0; x < g->n; x++) gpart[x] = (uint32_t)out[at[x]];
        rc = 0;
    }
    /* Any other failure (METIS_ERROR_INPUT cannot come from a graph built
     * as this one is): declined, SIMPLE answers. */
done:
    free(xadj);
    free(adj);
    free(adjw);
    free(vw);
    free(out);
    free(host);
    free(at);
    return rc;
}

#else

bool ln_partition_have_metis(void) { return false; }

int ln_part_metis(const ln_pgraph *g, uint32_t nparts, uint32_t *gpart)
{
    (void)g;
    (void)nparts;
    (void)gpart;
    return LN_ENOTSUP;
}

#endif
