/* check.h - the unit tests' assertion macros.
 *
 * CHECK(cond) records a failure with file and line and goes on, so one run
 * reports every broken expectation; a test file's main() returns
 * check_report(), which prints "N passed, N failed" and is non-zero on any
 * failure (ctest reads the exit code). */
#ifndef LN_CHECK_H
#define LN_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_pass, check_fail;

#define CHECK(cond) do {                                                   \
    if (cond) check_pass++;                                                \
    else { check_fail++;                                                   \
        fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_EQ(a, b) do {                                                \
    long long check_a_ = (long long)(a), check_b_ = (long long)(b);        \
    if (check_a_ == check_b_) check_pass++;                                \
    else { check_fail++;                                                   \
        fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld vs %lld)\n", \
                __FILE__, __LINE__, #a, #b, check_a_, check_b_); }         \
} while (0)

#define CHECK_U64(a, b) do {                                               \
    uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b);           \
    if (check_a_ == check_b_) check_pass++;                                \
    else { check_fail++;                                                   \
        fprintf(stderr, "%s:%d: CHECK_U64 failed: %s == %s (%" PRIu64 " vs %" PRIu64 ")\n", \
                __FILE__, __LINE__, #a, #b, check_a_, check_b_); }         \
} while (0)

#define CHECK_STR(a, b) do {                                               \
    const char *check_a_ = (a), *check_b_ = (b);                           \
    if (check_a_ && strcmp(check_a_, check_b_) == 0) check_pass++;         \
    else { check_fail++;                                                   \
        fprintf(stderr, "%s:%d: CHECK_STR failed: %s\n  got  \"%s\"\n  want \"%s\"\n", \
                __FILE__, __LINE__, #a, check_a_ ? check_a_ : "(null)", check_b_); } \
} while (0)

static inline int check_report(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, check_pass, check_fail);
    return check_fail ? 1 : 0;
}

#endif
