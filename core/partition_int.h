/* partition_int.h - between partition.c (checks, groups, SIMPLE) and
 * partition_metis.c (the METIS backend).  Not for anybody else: callers
 * use partition.h.
 *
 * partition.c contracts the caller's graph into groups (vertices joined by
 * uncuttable edges) and hands a backend this contracted graph; the backend
 * fills one part per group. */
#ifndef LN_PARTITION_INT_H
#define LN_PARTITION_INT_H

#include <stddef.h>
#include <stdint.h>

/* The contracted graph.  Groups are numbered 0..n-1 in the order of their
 * smallest vertex; adjacency is CSR, each row sorted by neighbour, each
 * neighbour once (parallel edges summed), no self loops. */
typedef struct ln_pgraph {
    uint32_t n;             /* groups */
    const uint64_t *w;      /* group weights: sum of their vertices' */
    uint64_t wsum;          /* their total */
    const size_t *xadj;     /* row of group g: adj[xadj[g] .. xadj[g+1]) */
    const uint32_t *adj;    /* neighbour groups */
    const uint64_t *ew;     /* summed weight of the edges to that neighbour */
    size_t nadj;            /* xadj[n]: twice the number of group pairs */
} ln_pgraph;

/* Fill gpart[0..g->n) with parts in [0, nparts), for 2 <= nparts < g->n
 * (partition.c answers the rest itself).  Returns 0, LN_PART_DECLINED
 * (a graph METIS cannot do well, or an answer not worth keeping: SIMPLE
 * answers instead; partition_metis.c says which), LN_ENOTSUP (no METIS)
 * or LN_ENOMEM. */
int ln_part_metis(const ln_pgraph *g, uint32_t nparts, uint32_t *gpart);
#define LN_PART_DECLINED 1

/* The smallest s such that every weight w rounded up as (w >> s, plus 1
 * when bits were dropped) sums to at most limit, for weights summing to
 * total over count entries: a backend whose arithmetic has less room
 * than 64 bits scales by it.  64 when no shift is enough. */
unsigned ln_part_weight_shift(uint64_t total, uint64_t count, uint64_t limit);

/* w scaled down by s bits, rounded up so a weight above 0 stays above 0. */
static inline uint64_t ln_part_scale(uint64_t w, unsigned s)
{
    return s == 0 ? w : s >= 64 ? (w != 0) : (w >> s) + ((w & ((UINT64_C(1) << s) - 1)) != 0);
}

#endif
