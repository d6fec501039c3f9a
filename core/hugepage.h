/* hugepage.h - 2 MiB pages for what grows in big steps (the socket slab,
 * the packet pool), faulted in ahead of use by a helper thread.
 *
 * A million connections are a gigabyte of sockets, and the first touch of
 * fresh memory is the kernel's work: it zeroes each page (on a virtual
 * machine, the host may fault it in first), about 0.5-1 GB/s where this
 * was measured, a fifth of bench_scale's million-connection setup, and
 * every 2 MiB zeroed flushes the simulator's second-level cache.  Once a
 * process has taken a few huge pages (a large run: a small script never
 * gets there), a helper thread keeps a few more mapped and faulted in, so
 * on a machine with a core to spare the simulator never waits for the
 * kernel.  The thread only maps and touches memory: the simulation stays
 * on one thread and its results do not depend on the helper (pages are
 * zero either way).  LUNET_HUGE_AHEAD=0 in the environment turns it off.
 *
 * Under AddressSanitizer a page is an ordinary allocation (calloc) and no
 * thread runs, so overflows and leaks are still seen. */
#ifndef LN_HUGEPAGE_H
#define LN_HUGEPAGE_H

#include <stdbool.h>
#include <stdint.h>

#define LN_HUGE_PAGE (2u << 20)

/* One 2 MiB-aligned, zeroed 2 MiB mapping asked for as a transparent huge
 * page (a hint: plain pages without THP), NULL when memory runs out; and
 * its release. */
void *ln_huge_page(void);
void ln_huge_page_free(void *p);

/* What the helper did, for benchmarks: pages it faulted in, and whether it
 * runs. */
typedef struct ln_huge_stats {
    uint64_t taken;                 /* ln_huge_page calls */
    uint64_t ahead;                 /* of those, served from the faulted-in reserve */
    bool running;
} ln_huge_stats;
void ln_huge_stats_get(ln_huge_stats *st);

#endif
