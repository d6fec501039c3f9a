/* test_hugepage.c - huge pages and their helper thread (core/hugepage.h):
 * every page zeroed and 2 MiB-aligned whether the helper faulted it in or
 * not; the helper starts only after a few pages, serves later ones from
 * its reserve, starts over in a forked child, and stays off when
 * LUNET_HUGE_AHEAD=0 says so.  Under AddressSanitizer pages are plain
 * allocations and no thread runs, which is checked instead. */
#define _DEFAULT_SOURCE                 /* usleep */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "asan.h"
#include "check.h"
#include "hugepage.h"

static int zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

/* A page as callers need it; then dirtied, so that a page handed out
 * twice or reused unzeroed would show. */
static void *take(void)
{
    uint8_t *p = ln_huge_page();
    CHECK(p != NULL);
    if (!p) return NULL;
#ifndef LN_ASAN
    CHECK_EQ((uintptr_t)p % LN_HUGE_PAGE, 0);
#endif
    CHECK(zero(p, LN_HUGE_PAGE));
    memset(p, 0xa5, LN_HUGE_PAGE);
    return p;
}

#ifndef LN_ASAN
/* Waits (up to 10 s of wall time: a functional wait, not a measure) until
 * the helper has served a page from its reserve. */
static bool served_ahead(void **pages, int *n, int max)
{
    ln_huge_stats st;
    ln_huge_stats_get(&st);
    uint64_t before = st.ahead;
    for (int tries = 0; tries < 1000 && *n < max; tries++) {
        usleep(10000);
        pages[(*n)++] = take();
        ln_huge_stats_get(&st);
        if (st.ahead > before) return true;
    }
    return false;
}
#endif

static void test_pages(void)
{
    enum { MAX = 64 };
    void *pages[MAX];
    int n = 0;
    ln_huge_stats st;
    ln_huge_stats_get(&st);
    CHECK_U64(st.taken, 0);
    CHECK(!st.running);
    /* A small run: no thread. */
    for (; n < 4; n++) pages[n] = take();
    ln_huge_stats_get(&st);
    CHECK_U64(st.taken, 4);
    CHECK(!st.running);
    for (; n < 12; n++) pages[n] = take();
    ln_huge_stats_get(&st);
#ifdef LN_ASAN
    CHECK(!st.running);
    CHECK_U64(st.ahead, 0);
#else
    CHECK(st.running);
    CHECK(served_ahead(pages, &n, MAX));
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) CHECK(pages[i] != pages[j]);

    /* A child starts over: pages inherited from the reserve and new ones
     * alike are zero, and its own helper runs; one told not to has none. */
    for (int off = 0; off < 2; off++) {
        fflush(stderr);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            if (off) setenv("LUNET_HUGE_AHEAD", "0", 1);
            void *mine[MAX];
            int m = 0;
            mine[m++] = take();
            ln_huge_stats s2;
            ln_huge_stats_get(&s2);
            CHECK(s2.running == !off);
            if (!off) CHECK(served_ahead(mine, &m, MAX));
            for (int i = 0; i < 16 && m < MAX; i++) mine[m++] = take();
            for (int i = 0; i < m; i++) ln_huge_page_free(mine[i]);
            _exit(check_fail ? 1 : 0);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
#endif
    for (int i = 0; i < n; i++) ln_huge_page_free(pages[i]);
    ln_huge_page_free(NULL);
}

int main(void)
{
    unsetenv("LUNET_HUGE_AHEAD");
    test_pages();
    return check_report("test_hugepage");
}
