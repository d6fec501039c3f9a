/* partition.h - which MPI rank owns each actor: a graph partitioner.
 *
 * A pure function over a weighted graph, knowing nothing of networks: the
 * caller (docs/parallel.md, "Partition") turns actors (nodes, switches)
 * into vertices and links into edges, marks the links that may not be cut
 * (no min_delay: zero lookahead), and weighs both by expected traffic.
 * Cutting an edge costs its weight (a message per frame that crosses); a
 * part's weight is its rank's share of the work.
 *
 * Two methods: SIMPLE, built in, deterministic everywhere, good on what
 * lunet users build (sites joined by WAN links, router chains, campuses;
 * partition.c says where it is weak), and METIS (partition_metis.c), when
 * lunet was built with libmetis. */
#ifndef LN_PARTITION_H
#define LN_PARTITION_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ln_part_edge {
    uint32_t a, b;          /* vertices (0..n-1); a == b allowed and ignored */
    uint32_t weight;        /* traffic estimate, >= 1: what cutting it costs */
    bool cuttable;          /* false: a and b must share a part (zero-lookahead link) */
} ln_part_edge;

enum { LN_PART_AUTO, LN_PART_SIMPLE, LN_PART_METIS };

/* Assign each of the n vertices a part in [0, nparts) into part[]: the ends of every
 * uncuttable edge share a part, parts balanced by vertex weight (vweight NULL: 1 each),
 * few cut edges (by weight).  Deterministic: same input, same output, on any machine
 * and in any process.  AUTO: METIS when lunet was built with it, else SIMPLE.
 * Returns 0, LN_EINVAL (bad input: nparts 0, vertex out of range) or LN_ENOTSUP (METIS asked
 * for, not built in), or LN_ENOMEM.  Fewer groups than parts leaves some parts empty.
 *
 * In more detail:
 * - A group is a set of vertices joined by uncuttable edges; the result
 *   never splits one.  Parts are numbered in order of their smallest
 *   vertex: vertex 0 is in part 0.
 * - No part is empty while there are at least nparts groups.  SIMPLE
 *   keeps every part within one group's weight (the heaviest group's) of
 *   total / nparts.  METIS aims at 3% over it (more when one vertex is
 *   more than 3% of a part) and may miss by about as much again; where
 *   METIS 5.1 cannot do well (a group heavier than total / nparts, no
 *   edges to cut, a badly balanced answer on a small graph, over 2^30
 *   groups) SIMPLE answers instead, without saying so.
 * - Also LN_EINVAL: an edge of weight 0, part NULL (n > 0), e NULL
 *   (ne > 0), an unknown method.  part[] is written only on success.
 * - Determinism: SIMPLE is integer arithmetic in a fixed order and gives
 *   the same answer on every machine.  METIS gives the same answer for
 *   the same libmetis (its random numbers are seeded and its own), but
 *   another METIS version, or a build of it for another architecture,
 *   may answer differently: in a run across machines, compute the
 *   partition on one rank and send it, or check that all ranks agree. */
int ln_partition(uint32_t n, const uint32_t *vweight, const ln_part_edge *e, uint32_t ne,
                 uint32_t nparts, int method, uint32_t *part);

/* "simple", "metis", for reports; AUTO is named by what it resolves to
 * here, anything else "unknown". */
const char *ln_partition_method_name(int method);

/* Whether lunet was built with METIS. */
bool ln_partition_have_metis(void);

#endif
