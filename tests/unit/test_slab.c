/* test_slab.c - the slab (core/slab.h): objects zeroed and aligned, never
 * overlapping, reused after free, chunks growing to huge ones, and
 * everything given back at destroy (ASan's leak check sees that). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "slab.h"

static int zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

/* Enough objects to pass through every chunk size into several 2 MiB
 * ones; each is stamped with its index and checked after all are made,
 * so two objects sharing bytes would show. */
static void test_many(void)
{
    ln_slab s;
    ln_slab_init(&s, 1000);
    CHECK_EQ(s.size, 1024);
    enum { N = 20000 };
    uint8_t **o = calloc(N, sizeof *o);
    for (uint32_t i = 0; i < N; i++) {
        o[i] = ln_slab_alloc(&s);
        CHECK(o[i] != NULL);
        CHECK_EQ((uintptr_t)o[i] % 64, 0);
        CHECK(zero(o[i], 1000));
        memset(o[i], (int)(i % 251) + 1, 1000);
    }
    CHECK_U64(s.in_use, N);
    for (uint32_t i = 0; i < N; i++) CHECK(o[i][0] == (uint8_t)(i % 251 + 1) && o[i][999] == o[i][0]);
    /* Freed objects come back zeroed, the last freed first. */
    for (uint32_t i = 0; i < N; i += 2) ln_slab_free(&s, o[i]);
    CHECK_U64(s.in_use, N / 2);
    for (uint32_t i = N; i >= 2; i -= 2) {
        uint8_t *p = ln_slab_alloc(&s);
#ifndef __SANITIZE_ADDRESS__
        CHECK(p == o[i - 2]);
#endif
        CHECK(zero(p, 1000));
        o[i - 2] = p;
    }
    for (uint32_t i = 1; i < N; i += 2) CHECK(o[i][0] == (uint8_t)(i % 251 + 1));
    ln_slab_free(&s, NULL);
    ln_slab_destroy(&s);
    free(o);
}

static void test_tiny_and_reinit(void)
{
    ln_slab s;
    ln_slab_init(&s, 1);
    CHECK_EQ(s.size, 64);
    void *a = ln_slab_alloc(&s), *b = ln_slab_alloc(&s);
    CHECK(a && b && a != b);
    ln_slab_free(&s, a);
    ln_slab_free(&s, b);
    CHECK_U64(s.in_use, 0);
    ln_slab_destroy(&s);
    /* Usable again after destroy, as a network's is not, but cheaply so. */
    CHECK(ln_slab_alloc(&s) != NULL);
    ln_slab_destroy(&s);
}

int main(void)
{
    test_many();
    test_tiny_and_reinit();
    return check_report("test_slab");
}
