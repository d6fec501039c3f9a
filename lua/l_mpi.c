/* l_mpi.c - the transport of `lunet run --ranks`: Open MPI.
 *
 * Two collectives per window, and one per run, all on MPI_COMM_WORLD:
 *   agree     one MPI_Allreduce of {next event, stop}: the least next
 *             event time of all ranks (the window's start) and whether
 *             any rank stopped (the largest rank + 1 that did);
 *   exchange  MPI_Alltoall of the outbox sizes, then MPI_Alltoallv of the
 *             outboxes themselves; each rank then arms what it received,
 *             sender by sender in rank order (the order does not matter:
 *             each message carries its own order key);
 *   sum       at the end of a run, one MPI_Allreduce (MPI_SUM) of the
 *             counters of every link cut between ranks, each value from
 *             the one rank that runs its half (the others give 0).
 * Only the lunet binary links MPI (lunet.so does not), and only `run
 * --ranks` starts it.  Built without MPI, --ranks says how to get it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist.h"
#include "lunet.h"

#ifdef LUNET_HAVE_MPI
#include <mpi.h>

static lnl_ranks ranks;
static bool started;

static void agree(ln_time *next, uint32_t *stop)
{
    /* One reduction for both: min of next and of (UINT64_MAX - stop). */
    uint64_t in[2] = { *next, UINT64_MAX - *stop }, out[2];
    MPI_Allreduce(in, out, 2, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
    *next = out[0];
    *stop = (uint32_t)(UINT64_MAX - out[1]);
}

static void sum(uint64_t *v, size_t n)
{
    /* MPI counts are ints: a vector longer than that goes in slices (all
     * ranks have the same n, so all make the same calls). */
    while (n) {
        int k = n > (size_t)INT32_MAX ? INT32_MAX : (int)n;
        MPI_Allreduce(MPI_IN_PLACE, v, k, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
        v += k;
        n -= (size_t)k;
    }
}

static int exchange(ln_dist *d)
{
    int n = (int)ranks.size;
    int *cnt = calloc((size_t)n * 4, sizeof *cnt);
    if (!cnt) ln_fatal("out of memory for the exchange's counts");
    int *scnt = cnt, *sdisp = cnt + n, *rcnt = cnt + 2 * n, *rdisp = cnt + 3 * n;
    size_t total = 0;
    for (int r = 0; r < n; r++) {
        size_t len;
        ln_dist_outbox(d, (uint32_t)r, &len);
        if (len > (size_t)INT32_MAX - total) ln_fatal("a window's messages exceed 2 GiB");
        scnt[r] = (int)len;
        sdisp[r] = (int)total;
        total += len;
    }
    MPI_Alltoall(scnt, 1, MPI_INT, rcnt, 1, MPI_INT, MPI_COMM_WORLD);
    uint8_t *sbuf = malloc(total ? total : 1);
    size_t rtotal = 0;
    for (int r = 0; r < n; r++) {
        rdisp[r] = (int)rtotal;
        rtotal += (size_t)rcnt[r];
    }
    uint8_t *rbuf = malloc(rtotal ? rtotal : 1);
    if (!sbuf || !rbuf) ln_fatal("out of memory for %zu bytes of messages", total + rtotal);
    for (int r = 0; r < n; r++) {
        size_t len;
        const uint8_t *b = ln_dist_outbox(d, (uint32_t)r, &len);
        if (len) memcpy(sbuf + sdisp[r], b, len);
    }
    ln_dist_clear_outboxes(d);
    MPI_Alltoallv(sbuf, scnt, sdisp, MPI_BYTE, rbuf, rcnt, rdisp, MPI_BYTE, MPI_COMM_WORLD);
    int rc = 0;
    for (int r = 0; r < n && !rc; r++)
        if (rcnt[r]) rc = ln_dist_deliver(d, (uint32_t)r, rbuf + rdisp[r], (size_t)rcnt[r]);
    free(sbuf);
    free(rbuf);
    free(cnt);
    return rc;
}

int lnl_mpi_init(int *argc, char ***argv, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    MPI_Init(argc, argv);
    int r, n;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    ranks = (lnl_ranks){ .rank = (uint32_t)r, .size = (uint32_t)n, .agree = agree, .exchange = exchange,
                         .sum = sum };
    lnl_rank_ctx = &ranks;
    started = true;
    return 0;
}

void lnl_mpi_finish(int status)
{
    if (!started) return;
    started = false;
    /* A rank that fails outside net:run would leave the others waiting in
     * a collective: end them all, with its status. */
    if (status != 0 && ranks.size > 1) {
        fflush(stdout);
        fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, status);
    }
    MPI_Finalize();
}

#else

int lnl_mpi_init(int *argc, char ***argv, char *err, size_t errlen)
{
    (void)argc;
    (void)argv;
    snprintf(err, errlen, "this lunet was built without MPI: install Open MPI "
                          "(apt-get install libopenmpi-dev openmpi-bin; make does it) and rebuild");
    return -1;
}

void lnl_mpi_finish(int status) { (void)status; }

#endif
