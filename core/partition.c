/* partition.c - ln_partition: the checks, the groups, and SIMPLE.
 *
 *   ln_partition
 *     check the input
 *     contract: union-find over the uncuttable edges gives the groups;
 *       the cuttable edges between groups, summed per pair, give the
 *       contracted graph (ln_pgraph, partition_int.h)
 *     one part, or no more groups than parts: answered here
 *     SIMPLE (simple_order, simple_split), or METIS (ln_part_metis,
 *       partition_metis.c), SIMPLE again where METIS declines
 *     every vertex takes its group's part; parts renumbered in order of
 *       their smallest vertex
 *
 * SIMPLE lays the groups out in a line that keeps together what belongs
 * together, then cuts the line into nparts runs.
 *
 * The line: a BFS spanning forest of the contracted graph (roots: the
 * smallest group not yet reached; neighbours in ascending order), walked
 * depth-first, each group's subtrees lightest first.  A depth-first walk
 * keeps every subtree in one run of the line.  In a network of sites
 * joined by WAN links, a site's LAN is reached only through its router,
 * so the site is the router's subtree and one run; lightest first makes a
 * router walk its own switches before its WAN links (what lies behind a
 * WAN link is the rest of the world, heavier than one LAN), so the site
 * the walk starts in is one run too, whatever order the script created
 * things in.  A ring of sites comes out as the first site, one side of the
 * ring, then the other; a star as the hub and one arm after another; a
 * campus as the core and one building after another.
 *
 * The cut: boundary k should sit where the weight before it is k/nparts of
 * the total.  It may sit anywhere within one heaviest group's weight of
 * that, as long as the part it closes stays within one group's weight of
 * total/nparts.  Among those places the cheapest wins, by the weight of
 * the edges that span it in the line, but only among the places at most
 * 3% of a part farther from the exact split than the closest one: a link
 * saved is not worth much balance (a campus of whole buildings of 23, 23,
 * 23 and 34 actors in 2 parts: 47 + 57 cutting 2 links, not 34 + 70
 * cutting 1).  Between equal sites the exact split falls on a site
 * boundary, where only WAN links span; when it falls a little off (a hub
 * router of its own, sites of almost equal size), the slack lets it move
 * to the site boundary rather than into a LAN.  Every part ends within
 * one group's weight of the ideal and none is empty (the proof is in
 * simple_split's comment).
 *
 * Where it is weak:
 * - The line only sees the BFS tree.  A site reached from two sides (two
 *   routers with WAN links to different neighbours) can be split between
 *   two subtrees, and so between two runs; links off the tree (the link
 *   that closes a ring, redundant links) count only when cutting.
 * - A part is a run of the line.  When equal sites do not divide evenly
 *   into the parts, balance wins: a part ends inside a site, and a run can
 *   hold two pieces that are not neighbours (a ring of 9 sites in 3 parts
 *   cuts 4 WAN links, not 3).
 * - Balance wins over the cut generally: with every link cuttable and
 *   sites of uneven size, a boundary lands inside a LAN wherever no site
 *   boundary is within one group's weight (actors of weight 1: within one
 *   actor) of the exact split.  200 random sites of 5-240 actors in 2
 *   parts: 60 links cut, where METIS cuts 29 at 0.1% imbalance.
 * - The cost of a boundary counts the edges spanning it, so an edge that
 *   spans several boundaries counts several times, and boundaries are
 *   chosen one at a time from the left, never revisited.
 * - Balance is by vertex weight with one heaviest group of slack: a heavy
 *   group (a large LAN of zero-lookahead links) makes the slack large.
 *   Weights so large that nparts times their sum nears 2^62 are scaled
 *   down first, rounding up, which loosens the bound by the rounding. */
#include "partition.h"
#include "partition_int.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

/* --- groups ------------------------------------------------------------------ */

/* The root of v's set, halving the path on the way.  A parent is never
 * larger than its child (uf_union), so a root is its set's smallest vertex. */
static uint32_t uf_find(uint32_t *up, uint32_t v)
{
    while (up[v] != v) {
        up[v] = up[up[v]];
        v = up[v];
    }
    return v;
}

/* Join the sets of a and b under the smaller root: a group is then named
 * by its smallest vertex, whatever the order of the edges. */
static void uf_union(uint32_t *up, uint32_t a, uint32_t b)
{
    a = uf_find(up, a);
    b = uf_find(up, b);
    if (a < b) up[b] = a;
    else if (b < a) up[a] = b;
}

typedef struct gpair {
    uint32_t u, v;          /* groups, u < v */
    uint64_t w;
} gpair;

static int gpair_cmp(const void *x, const void *y)
{
    const gpair *p = x, *q = y;
    if (p->u != q->u) return p->u < q->u ? -1 : 1;
    if (p->v != q->v) return p->v < q->v ? -1 : 1;
    return 0;
}

/* The contracted graph and the arrays behind it. */
typedef struct contracted {
    ln_pgraph g;
    uint32_t *gid;          /* vertex -> group */
    uint64_t *w;
    size_t *xadj;
    uint32_t *adj;
    uint64_t *ew;
} contracted;

static void contracted_free(contracted *c)
{
    free(c->gid);
    free(c->w);
    free(c->xadj);
    free(c->adj);
    free(c->ew);
}

/* Groups from the uncuttable edges, then the contracted graph from the
 * cuttable ones.  The pairs are sorted before they are summed, so the
 * result does not depend on the order of the edges. */
static int contract(uint32_t n, const uint32_t *vweight, const ln_part_edge *e, uint32_t ne,
                    contracted *c)
{
    memset(c, 0, sizeof *c);
    uint32_t *up = malloc(n * sizeof *up);
    c->gid = malloc(n * sizeof *c->gid);
    if (!up || !c->gid) goto nomem;
    for (uint32_t v = 0; v < n; v++) up[v] = v;
    for (uint32_t i = 0; i < ne; i++)
        if (!e[i].cuttable) uf_union(up, e[i].a, e[i].b);
    uint32_t ng = 0;
    for (uint32_t v = 0; v < n; v++) {
        uint32_t r = uf_find(up, v);
        c->gid[v] = r == v ? ng++ : c->gid[r];      /* r < v: named already */
    }
    free(up);
    up = NULL;

    c->w = calloc(ng, sizeof *c->w);
    c->xadj = calloc((size_t)ng + 1, sizeof *c->xadj);
    if (!c->w || !c->xadj) goto nomem;
    for (uint32_t v = 0; v < n; v++) c->w[c->gid[v]] += vweight ? vweight[v] : 1;

    size_t np = 0;
    for (uint32_t i = 0; i < ne; i++)
        if (e[i].cuttable && c->gid[e[i].a] != c->gid[e[i].b]) np++;
    gpair *pr = malloc((np ? np : 1) * sizeof *pr);
    if (!pr) goto nomem;
    np = 0;
    for (uint32_t i = 0; i < ne; i++) {
        uint32_t ga = c->gid[e[i].a], gb = c->gid[e[i].b];
        if (!e[i].cuttable || ga == gb) continue;
        pr[np++] = (gpair){ ga < gb ? ga : gb, ga < gb ? gb : ga, e[i].weight };
    }
    qsort(pr, np, sizeof *pr, gpair_cmp);
    size_t m = 0;
    for (size_t i = 0; i < np; i++) {
        if (m && pr[m - 1].u == pr[i].u && pr[m - 1].v == pr[i].v) pr[m - 1].w += pr[i].w;
        else pr[m++] = pr[i];
    }

    /* CSR, both directions.  Going through the pairs in order fills row x
     * with its smaller neighbours (pairs (u, x), by u) before its larger
     * ones (pairs (x, v), by v): every row comes out sorted. */
    size_t nadj = m ? 2 * m : 1;    /* malloc(0) may answer NULL */
    c->adj = malloc(nadj * sizeof *c->adj);
    c->ew = malloc(nadj * sizeof *c->ew);
    size_t *fill = malloc(((size_t)ng + 1) * sizeof *fill);
    if (!c->adj || !c->ew || !fill) {
        free(pr);
        free(fill);
        goto nomem;
    }
    for (size_t i = 0; i < m; i++) {
        c->xadj[pr[i].u + 1]++;
        c->xadj[pr[i].v + 1]++;
    }
    for (uint32_t x = 0; x < ng; x++) c->xadj[x + 1] += c->xadj[x];
    memcpy(fill, c->xadj, ((size_t)ng + 1) * sizeof *fill);
    for (size_t i = 0; i < m; i++) {
        c->adj[fill[pr[i].u]] = pr[i].v;
        c->ew[fill[pr[i].u]++] = pr[i].w;
        c->adj[fill[pr[i].v]] = pr[i].u;
        c->ew[fill[pr[i].v]++] = pr[i].w;
    }
    free(pr);
    free(fill);

    uint64_t wsum = 0;
    for (uint32_t x = 0; x < ng; x++) wsum += c->w[x];
    c->g = (ln_pgraph){ .n = ng, .w = c->w, .wsum = wsum,
                        .xadj = c->xadj, .adj = c->adj, .ew = c->ew, .nadj = 2 * m };
    return 0;
nomem:
    free(up);
    contracted_free(c);
    return LN_ENOMEM;
}

unsigned ln_part_weight_shift(uint64_t total, uint64_t count, uint64_t limit)
{
    /* Rounding up adds at most 1 per entry. */
    for (unsigned s = 0; s < 64; s++) {
        uint64_t t = total >> s;
        if (t <= limit && count <= limit - t) return s;
    }
    return 64;
}

/* --- SIMPLE ------------------------------------------------------------------ */

typedef struct kid {
    uint32_t parent, id;
    uint64_t sub;           /* weight of the subtree under id */
} kid;

/* Siblings lightest subtree first, then by id. */
static int kid_cmp(const void *x, const void *y)
{
    const kid *p = x, *q = y;
    if (p->parent != q->parent) return p->parent < q->parent ? -1 : 1;
    if (p->sub != q->sub) return p->sub < q->sub ? -1 : 1;
    if (p->id != q->id) return p->id < q->id ? -1 : 1;
    return 0;
}

/* The line: line[i] is the group at position i (file comment). */
static int simple_order(const ln_pgraph *g, uint32_t *line)
{
    uint32_t n = g->n;
    uint32_t *parent = malloc(n * sizeof *parent);    /* a root is its own parent */
    uint32_t *bfs = malloc(n * sizeof *bfs);          /* BFS order, then the DFS stack */
    uint64_t *sub = malloc(n * sizeof *sub);
    kid *kids = malloc(n * sizeof *kids);
    size_t *first = calloc((size_t)n + 1, sizeof *first);  /* x's children: kids[first[x]..first[x+1]) */
    int rc = LN_ENOMEM;
    if (!parent || !bfs || !sub || !kids || !first) goto out;

    for (uint32_t x = 0; x < n; x++) parent[x] = NONE;
    uint32_t head = 0, tail = 0;
    for (uint32_t r = 0; r < n; r++) {
        if (parent[r] != NONE) continue;
        parent[r] = r;
        bfs[tail++] = r;
        while (head < tail) {
            uint32_t x = bfs[head++];
            for (size_t i = g->xadj[x]; i < g->xadj[x + 1]; i++) {
                uint32_t y = g->adj[i];
                if (parent[y] == NONE) {
                    parent[y] = x;
                    bfs[tail++] = y;
                }
            }
        }
    }

    /* Subtree weights: BFS order has every child after its parent. */
    memcpy(sub, g->w, n * sizeof *sub);
    for (uint32_t i = n; i-- > 0;) {
        uint32_t x = bfs[i];
        if (parent[x] != x) sub[parent[x]] += sub[x];
    }
    size_t nk = 0;
    for (uint32_t x = 0; x < n; x++)
        if (parent[x] != x) kids[nk++] = (kid){ parent[x], x, sub[x] };
    qsort(kids, nk, sizeof *kids, kid_cmp);
    for (size_t i = 0; i < nk; i++) first[kids[i].parent + 1]++;
    for (uint32_t x = 0; x < n; x++) first[x + 1] += first[x];

    /* Depth-first, children pushed heaviest first so the lightest pops
     * first; the stack never holds more than n groups. */
    uint32_t *stack = bfs, top = 0, pos = 0;
    for (uint32_t r = 0; r < n; r++) {
        if (parent[r] != r) continue;
        stack[top++] = r;
        while (top) {
            uint32_t x = stack[--top];
            line[pos++] = x;
            for (size_t i = first[x + 1]; i-- > first[x];) stack[top++] = kids[i].id;
        }
    }
    rc = 0;
out:
    free(parent);
    free(bfs);
    free(sub);
    free(kids);
    free(first);
    return rc;
}

static uint64_t absdiff(int64_t a, int64_t b) { return a > b ? (uint64_t)(a - b) : (uint64_t)(b - a); }

/* What simple_split's boundaries are chosen from (units below). */
typedef struct cutter {
    const int64_t *P;           /* weight before each position */
    const uint64_t *cross;      /* weight of the edges spanning it */
    int64_t K, W;               /* parts, total weight */
    int64_t slack;              /* a boundary, or a part, may be this far off */
    int64_t near;               /* how much farther off than the best place a cheaper one may be */
} cutter;

/* Boundary k, after the part that starts at prev, at most at last: the
 * candidates are the positions within the slack of the exact split that
 * keep the part within the slack of the ideal; of those, among the ones
 * at most `near` farther from the exact split than the closest, the
 * cheapest, then the closest, then the first.  A cheaper boundary may
 * thus cost about 3% of balance, never more than the slack.  With no
 * candidate, the position nearest the exact split. */
static uint32_t pick_boundary(const cutter *c, uint32_t k, uint32_t prev, uint32_t last)
{
    const int64_t *P = c->P, K = c->K, W = c->W, T = (int64_t)k * W, base = K * P[prev];
    uint32_t lo = NONE, hi = NONE;                  /* the candidates: lo..hi */
    uint64_t closest = UINT64_MAX;
    for (uint32_t b = prev + 1; b <= last; b++) {
        int64_t kp = K * P[b];
        if (kp - T > c->slack || kp - base - W > c->slack) break;      /* P only grows */
        if (kp - T < -c->slack || kp - base - W < -c->slack) continue;
        if (lo == NONE) lo = b;
        hi = b;
        if (absdiff(kp, T) < closest) closest = absdiff(kp, T);
    }
    if (lo == NONE) {
        /* The first position at or past the exact split, or the one
         * before, whichever is closer. */
        uint32_t best = prev + 1;
        for (uint32_t b = prev + 1; b <= last; b++) {
            best = b;
            if (K * P[b] >= T) {
                if (b > prev + 1 && absdiff(K * P[b - 1], T) <= absdiff(K * P[b], T)) best = b - 1;
                break;
            }
        }
        return best;
    }
    uint32_t best = NONE;
    uint64_t best_cross = 0, best_drift = 0;
    for (uint32_t b = lo; b <= hi; b++) {
        uint64_t drift = absdiff(K * P[b], T);
        if (drift > closest + (uint64_t)c->near) continue;
        if (best == NONE || c->cross[b] < best_cross ||
            (c->cross[b] == best_cross && drift < best_drift)) {
            best = b;
            best_cross = c->cross[b];
            best_drift = drift;
        }
    }
    return best;
}

/* Cut the line into nparts runs (file comment), 2 <= nparts < g->n.
 *
 * Arithmetic is in units of 1/nparts of a weight, so the exact split of
 * boundary k is k * W, a part's ideal is W, and one group's slack is
 * nparts * M (W the total, M the heaviest group, both scaled to fit).
 *
 * Why every part ends within M of the ideal and none is empty.  None is
 * empty: every boundary is past the one before and leaves a group for
 * each part to come.  Within M:
 * - A boundary chosen among the candidates closes its part within the
 *   slack by construction; so does the last boundary chosen so for the
 *   last part (its drift is within M).
 * - When the ideal is above M, candidates always exist, by induction:
 *   the previous boundary drifted at most M, so the drift window and the
 *   part window overlap over at least M, which holds a position since no
 *   group is heavier; that position lies past the previous boundary
 *   (ideal - M > 0) and leaves weight above (parts to come - 1) * M, so
 *   enough groups.
 * - So without candidates the ideal is at most M, no part can fall below
 *   ideal - M, and only the top needs a look.  The boundary then goes to
 *   the position nearest its exact split, at most M/2 past it (or it is
 *   the first position after the previous boundary: one group, at most
 *   M).  The previous boundary was a fallback too, so no more than M/2
 *   before its exact split (or the last it could be, and this part is one
 *   group), or a candidate drifting d >= -M: then if ideal + |d| <= M the
 *   position just after it would have been a candidate, and otherwise
 *   the drift window starts past it and every position up to the last
 *   allowed lies before that window, so this part is below ideal - d - M
 *   <= ideal. */
static int simple_split(const ln_pgraph *g, const uint32_t *line, uint32_t nparts, uint32_t *gpart)
{
    uint32_t n = g->n;
    int64_t K = nparts;
    unsigned s = ln_part_weight_shift(g->wsum, n, (uint64_t)(INT64_MAX / 4) / nparts);
    int64_t *P = malloc(((size_t)n + 1) * sizeof *P);        /* weight before position b */
    uint64_t *cross = calloc((size_t)n + 1, sizeof *cross);  /* weight of edges spanning b */
    uint32_t *at = malloc(n * sizeof *at);                   /* group -> position */
    if (!P || !cross || !at) {
        free(P);
        free(cross);
        free(at);
        return LN_ENOMEM;
    }
    int64_t M = 0;
    P[0] = 0;
    for (uint32_t b = 0; b < n; b++) {
        int64_t w = (int64_t)ln_part_scale(g->w[line[b]], s);
        if (w > M) M = w;
        P[b + 1] = P[b] + w;
        at[line[b]] = b;
    }
    int64_t W = P[n], slack = K * M;

    /* An edge between positions i < j spans boundaries i+1 .. j: a
     * difference array, then its running sum.  Unsigned: exact whenever
     * the true sums fit, whatever the order of the adds. */
    for (uint32_t x = 0; x < n; x++) {
        for (size_t i = g->xadj[x]; i < g->xadj[x + 1]; i++) {
            uint32_t y = g->adj[i];
            if (y < x) continue;
            uint32_t lo = at[x] < at[y] ? at[x] : at[y], hi = at[x] < at[y] ? at[y] : at[x];
            cross[lo + 1] += g->ew[i];
            cross[hi + 1] -= g->ew[i];
        }
    }
    for (uint32_t b = 1; b <= n; b++) cross[b] += cross[b - 1];

    cutter c = { P, cross, K, W, slack, 3 * W / 100 };
    uint32_t prev = 0;
    for (uint32_t k = 1; k < nparts; k++) {
        uint32_t best = pick_boundary(&c, k, prev, n - (nparts - k));
        for (uint32_t b = prev; b < best; b++) gpart[line[b]] = k - 1;
        prev = best;
    }
    for (uint32_t b = prev; b < n; b++) gpart[line[b]] = nparts - 1;
    free(P);
    free(cross);
    free(at);
    return 0;
}

static int part_simple(const ln_pgraph *g, uint32_t nparts, uint32_t *gpart)
{
    uint32_t *line = malloc(g->n * sizeof *line);
    if (!line) return LN_ENOMEM;
    int rc = simple_order(g, line);
    if (rc == 0) rc = simple_split(g, line, nparts, gpart);
    free(line);
    return rc;
}

/* --- the entry point --------------------------------------------------------- */

const char *ln_partition_method_name(int method)
{
    if (method == LN_PART_AUTO) method = ln_partition_have_metis() ? LN_PART_METIS : LN_PART_SIMPLE;
    switch (method) {
    case LN_PART_SIMPLE: return "simple";
    case LN_PART_METIS: return "metis";
    default: return "unknown";
    }
}

static int check_input(uint32_t n, const ln_part_edge *e, uint32_t ne, uint32_t nparts,
                       int method, const uint32_t *part)
{
    if (nparts == 0 || (n > 0 && !part) || (ne > 0 && !e)) return LN_EINVAL;
    if (method != LN_PART_AUTO && method != LN_PART_SIMPLE && method != LN_PART_METIS)
        return LN_EINVAL;
    for (uint32_t i = 0; i < ne; i++)
        if (e[i].a >= n || e[i].b >= n || e[i].weight == 0) return LN_EINVAL;
    if (method == LN_PART_METIS && !ln_partition_have_metis()) return LN_ENOTSUP;
    return 0;
}

/* Renumber parts in order of their smallest group (so of their smallest
 * vertex): backends number them as they like. */
static int renumber(uint32_t ng, uint32_t nparts, uint32_t *gpart)
{
    uint32_t *map = malloc(nparts * sizeof *map);
    if (!map) return LN_ENOMEM;
    for (uint32_t p = 0; p < nparts; p++) map[p] = NONE;
    uint32_t next = 0;
    for (uint32_t x = 0; x < ng; x++) {
        if (map[gpart[x]] == NONE) map[gpart[x]] = next++;
        gpart[x] = map[gpart[x]];
    }
    free(map);
    return 0;
}

int ln_partition(uint32_t n, const uint32_t *vweight, const ln_part_edge *e, uint32_t ne,
                 uint32_t nparts, int method, uint32_t *part)
{
    int rc = check_input(n, e, ne, nparts, method, part);
    if (rc) return rc;
    if (method == LN_PART_AUTO) method = ln_partition_have_metis() ? LN_PART_METIS : LN_PART_SIMPLE;
    if (n == 0) return 0;
    if (nparts == 1) {
        memset(part, 0, n * sizeof *part);
        return 0;
    }

    contracted c;
    if ((rc = contract(n, vweight, e, ne, &c))) return rc;
    const ln_pgraph *g = &c.g;
    uint32_t *gpart = malloc(g->n * sizeof *gpart);
    if (!gpart) {
        contracted_free(&c);
        return LN_ENOMEM;
    }
    if (g->n <= nparts) {
        /* A group each; METIS is not asked, it misbehaves with so little. */
        for (uint32_t x = 0; x < g->n; x++) gpart[x] = x;
    } else {
        rc = method == LN_PART_METIS ? ln_part_metis(g, nparts, gpart) : LN_PART_DECLINED;
        if (rc == LN_PART_DECLINED) rc = part_simple(g, nparts, gpart);
    }
    if (rc == 0 && g->n > nparts) rc = renumber(g->n, nparts, gpart);
    if (rc == 0)
        for (uint32_t v = 0; v < n; v++) part[v] = gpart[c.gid[v]];
    free(gpart);
    contracted_free(&c);
    return rc;
}
