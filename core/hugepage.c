/* hugepage.c - see hugepage.h.
 *
 * The reserve: up to RESERVE pages, mapped and faulted in by the helper,
 * handed out under a mutex (one lock per 2 MiB taken).  The helper starts
 * when the START_AFTER-th page is taken, sleeps while the reserve is full
 * and stops for good the first time mmap fails: memory is running out,
 * and a reserve would only take what the simulator itself needs. */
#define _DEFAULT_SOURCE                 /* MAP_ANONYMOUS, madvise */
#include "hugepage.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "asan.h"

enum {
    RESERVE = 4,                        /* 8 MiB ahead: 30 ms of the fastest growth seen
                                         * (bench_scale), where the helper faults a page
                                         * in in 2-4 ms; more would only add to RSS */
    START_AFTER = 8,                    /* 16 MiB taken: a large run */
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t want;                /* the reserve has room */
    void *page[RESERVE];
    unsigned n;
    bool started, stopped, atfork;
    uint64_t taken, ahead;
} R = { .mu = PTHREAD_MUTEX_INITIALIZER, .want = PTHREAD_COND_INITIALIZER };

#ifdef LN_ASAN

void *ln_huge_page(void)
{
    pthread_mutex_lock(&R.mu);
    R.taken++;
    pthread_mutex_unlock(&R.mu);
    return calloc(1, LN_HUGE_PAGE);
}

void ln_huge_page_free(void *p) { free(p); }

#else

/* A 2 MiB-aligned 2 MiB mapping: map twice that and trim the ends. */
static void *map_page(void)
{
    size_t want = LN_HUGE_PAGE;
    uint8_t *m = mmap(NULL, 2 * want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return NULL;
    uintptr_t a = ((uintptr_t)m + want - 1) & ~(uintptr_t)(want - 1);
    uint8_t *base = (uint8_t *)a;
    if (base > m) munmap(m, (size_t)(base - m));
    size_t tail = (size_t)(m + 2 * want - (base + want));
    if (tail) munmap(base + want, tail);
#ifdef MADV_HUGEPAGE
    madvise(base, want, MADV_HUGEPAGE);   /* a hint: without THP, plain pages */
#endif
    return base;
}

/* Fault every page in: a write of the zero already there (the first write
 * to a huge page faults all of it, without THP one per small page). */
static void touch(void *page)
{
    volatile uint8_t *b = page;
    for (size_t off = 0; off < LN_HUGE_PAGE; off += 4096) b[off] = 0;
}

static void *helper(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&R.mu);
    for (;;) {
        while (R.n == RESERVE && !R.stopped) pthread_cond_wait(&R.want, &R.mu);
        if (R.stopped) break;
        pthread_mutex_unlock(&R.mu);
        void *p = map_page();
        if (p) touch(p);
        pthread_mutex_lock(&R.mu);
        if (!p) {
            R.stopped = true;
            break;
        }
        R.page[R.n++] = p;
    }
    pthread_mutex_unlock(&R.mu);
    return NULL;
}

/* A fork copies the reserve but not the thread, and maybe a mutex the
 * helper held: the child starts over, with the pages it inherited. */
static void before_fork(void) { pthread_mutex_lock(&R.mu); }
static void after_fork_parent(void) { pthread_mutex_unlock(&R.mu); }
static void after_fork_child(void)
{
    pthread_mutex_init(&R.mu, NULL);
    pthread_cond_init(&R.want, NULL);
    R.started = R.stopped = false;
}

static bool wanted(void)
{
    const char *v = getenv("LUNET_HUGE_AHEAD");
    return !v || strcmp(v, "0") != 0;
}

/* Called with R.mu held.  The helper takes no signal: a script's ^C is
 * the main thread's. */
static void start_helper(void)
{
    R.started = true;
    if (!wanted()) {
        R.stopped = true;
        return;
    }
    if (!R.atfork) {
        R.atfork = true;
        pthread_atfork(before_fork, after_fork_parent, after_fork_child);
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t at;
    pthread_t t;
    bool ok = pthread_attr_init(&at) == 0;
    ok = ok && pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED) == 0;
    ok = ok && pthread_create(&t, &at, helper, NULL) == 0;
    pthread_attr_destroy(&at);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!ok) R.stopped = true;
}

void *ln_huge_page(void)
{
    void *p = NULL;
    pthread_mutex_lock(&R.mu);
    R.taken++;
    if (R.n) {
        p = R.page[--R.n];
        R.ahead++;
    }
    if (!R.started && R.taken >= START_AFTER) start_helper();
    if (!R.stopped) pthread_cond_signal(&R.want);
    pthread_mutex_unlock(&R.mu);
    return p ? p : map_page();
}

void ln_huge_page_free(void *p)
{
    if (p) munmap(p, LN_HUGE_PAGE);
}

#endif

void ln_huge_stats_get(ln_huge_stats *st)
{
    pthread_mutex_lock(&R.mu);
    *st = (ln_huge_stats){ .taken = R.taken, .ahead = R.ahead, .running = R.started && !R.stopped };
    pthread_mutex_unlock(&R.mu);
}
