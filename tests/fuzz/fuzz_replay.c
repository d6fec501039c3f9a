/* fuzz_replay.c - runs a libFuzzer entry point without libFuzzer, so every
 * fuzz target also runs under ctest with gcc (and the sanitizers in the
 * sanitizer build), deterministically: a failure reproduces.
 *
 *   X_replay [--runs N] [--mutate] PATH...
 *   X_replay --write-seeds DIR
 *   X_replay
 *
 * PATHs are files, or directories whose files (not subdirectories, not
 * dot-files) are taken in name order.  Without --mutate each file is run
 * once, as libFuzzer would (a corpus, a crash to reproduce).  With
 * --mutate the files are seeds: every prefix of each (at most 512, evenly
 * spread, the whole seed always among them), then N random mutations of
 * it (default 1000): bit flips, random and extreme bytes, 16-bit fields
 * set to boundary values, appended, deleted and duplicated ranges,
 * truncation, and splices with the next seed.  Byte 0 is never mutated:
 * the targets use it to pick a layer or a parser, and each seed means
 * one.  The generator has a fixed seed, so a run is the same every time.
 *
 * With no PATH: the same walk over a few built-in frames for the stack
 * and dissector targets (4000 mutations each unless --runs says), which
 * --write-seeds DIR writes out as files, for tests/fuzz/make_corpus.lua.
 *
 * Each input is copied into a heap block of exactly its size, as libFuzzer
 * passes it, so ASan catches a read one byte past the end.  If the target
 * dies, the input is saved first as ./<program>-crash.bin: move it to
 * tests/fuzz/regress/<target>/ and ctest replays it from then on. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Largest input walked or mutated: a full-size datagram (64 KiB) and the
 * chunk headers of a session, with room for appended bytes. */
#define MAXIN (1u << 17)
#define MAXPREFIXES 512

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (uint32_t)rng;
}

/* Seeds: byte 0 picks the starting layer (bit 0: IP), the rest is the packet. */
static const uint8_t syn[] = {
    0, 0x02,0,0,0,0,2, 0x02,0,0,0,0,1, 0x08,0x00,
    0x45,0x00,0x00,0x2c, 0x00,0x01,0x40,0x00, 0x40,0x06,0x00,0x00, 10,0,0,1, 10,0,0,2,
    0x9c,0x40,0x00,0x50, 0,0,0x03,0xe8, 0,0,0,0, 0x60,0x02,0xfa,0xf0, 0,0,0,0,
    0x02,0x04,0x05,0xb4,
};
static const uint8_t ack_sack[] = {
    1, 0x45,0x00,0x00,0x3c, 0,0,0,0, 0x40,0x06,0,0, 10,0,0,2, 10,0,0,1,
    0x00,0x50,0x9c,0x40, 0,0,0,1, 0,0,0x03,0xe9, 0xa0,0x10,0x01,0xf5, 0,0,0,0,
    0x01,0x01,0x05,0x0a, 0,0,0,100, 0,0,0,200, 0x01,0x01,0x08,0x0a,
};
static const uint8_t arp[] = {
    0, 0xff,0xff,0xff,0xff,0xff,0xff, 0x02,0,0,0,0,1, 0x08,0x06,
    0,1, 0x08,0, 6, 4, 0,1, 0x02,0,0,0,0,1, 10,0,0,1, 0,0,0,0,0,0, 10,0,0,2,
};
static const uint8_t icmp_err[] = {
    1, 0x45,0,0,0x38, 0,0,0,0, 0x40,0x01,0,0, 10,0,0,254, 10,0,0,1,
    3,4,0,0, 0,0,0x05,0x78,
    0x45,0,0x05,0xdc, 0,1,0x40,0, 0x40,0x11,0,0, 10,0,0,1, 10,0,0,2,
    0x13,0x89,0x00,0x35, 0x05,0xc8,0,0,
};
static const uint8_t udp_frag[] = {
    1, 0x46,0,0,0x24, 0,9,0x20,0, 0x40,0x11,0,0, 10,0,0,1, 10,0,0,2, 0x94,4,0,0,
    0x13,0x89,0x00,0x35, 0,8,0,0, 'x','y','z','w',
};
/* IGMPv3 general query to 224.0.0.1 with Router Alert, 1 s to answer. */
static const uint8_t igmp_query[] = {
    1, 0x46,0xc0,0x00,0x24, 0,0,0x40,0, 0x01,0x02,0,0, 10,0,0,1, 224,0,0,1, 0x94,4,0,0,
    0x11,10,0,0, 0,0,0,0, 0x02,125,0,0,
};
/* The same query for one group, sent to it, as RFC 3376 4.1.12 has it. */
static const uint8_t igmp_gquery[] = {
    1, 0x46,0xc0,0x00,0x24, 0,1,0x40,0, 0x01,0x02,0,0, 10,0,0,1, 239,1,2,3, 0x94,4,0,0,
    0x11,10,0,0, 239,1,2,3, 0x02,125,0,0,
};
static const uint8_t udp_group[] = {
    1, 0x45,0,0,0x24, 0,2,0,0, 0x01,0x11,0,0, 10,0,0,1, 239,1,2,3,
    0x13,0x89,0x00,0x35, 0,16,0,0, 'm','u','l','t','i','c','a','s',
};
static const struct { const char *name; const uint8_t *p; size_t n; } builtin[] = {
    {"syn", syn, sizeof syn}, {"ack_sack", ack_sack, sizeof ack_sack}, {"arp", arp, sizeof arp},
    {"icmp_err", icmp_err, sizeof icmp_err}, {"udp_frag", udp_frag, sizeof udp_frag},
    {"igmp_query", igmp_query, sizeof igmp_query}, {"igmp_gquery", igmp_gquery, sizeof igmp_gquery},
    {"udp_group", udp_group, sizeof udp_group},
};

typedef struct seed { char *name; uint8_t *p; size_t n; } seed;
static seed *seeds;
static size_t n_seeds, cap_seeds;

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) { fprintf(stderr, "fuzz_replay: out of memory\n"); exit(2); }
    return p;
}

static void add_seed(const char *name, const uint8_t *p, size_t n)
{
    if (n_seeds == cap_seeds) seeds = xrealloc(seeds, (cap_seeds = cap_seeds ? 2 * cap_seeds : 64) * sizeof *seeds);
    seed *s = &seeds[n_seeds++];
    s->name = xrealloc(NULL, strlen(name) + 1);
    strcpy(s->name, name);
    s->p = xrealloc(NULL, n);
    if (n) memcpy(s->p, p, n);
    s->n = n;
}

static int load_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return 1; }
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) buf = xrealloc(buf, cap = cap ? 2 * cap : 4096);
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0) break;
        n += got;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) { perror(path); free(buf); return 1; }
    add_seed(path, buf, n);
    free(buf);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file, or a directory's regular files in name order (readdir's order
 * depends on the file system; the walk must not). */
static int load_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) { perror(path); return 1; }
    if (!S_ISDIR(st.st_mode)) return load_file(path);
    DIR *d = opendir(path);
    if (!d) { perror(path); return 1; }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        char *full = xrealloc(NULL, len);
        snprintf(full, len, "%s/%s", path, e->d_name);
        if (stat(full, &st) != 0 || !S_ISREG(st.st_mode)) { free(full); continue; }
        names = xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = full;
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        bad |= load_file(names[i]);
        free(names[i]);
    }
    free(names);
    return bad;
}

/* The input being run, saved if the target dies on it. */
static const uint8_t *cur;
static size_t cur_n;
static char crash_path[256];

static void save_input(void)
{
    if (!cur) return;
    int fd = open(crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return;
    size_t off = 0;
    while (off < cur_n) {
        ssize_t w = write(fd, cur + off, cur_n - off);
        if (w <= 0) break;
        off += (size_t)w;
    }
    close(fd);
    static const char msg[] = "fuzz_replay: the input that failed is saved as ";
    if (write(2, msg, sizeof msg - 1) < 0 || write(2, crash_path, strlen(crash_path)) < 0 ||
        write(2, "\n", 1) < 0) {}
    cur = NULL;
}

/* A crash (no sanitizer) or abort (a target's check, UBSan, ASan with
 * abort_on_error): save, then die of the same signal. */
static void on_signal(int sig)
{
    save_input();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* ASan and UBSan report, then exit without a signal unless told to abort:
 * their death callback is the other way to hear of it. */
void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

static long runs;

static void run(const uint8_t *p, size_t n)
{
    uint8_t *copy = xrealloc(NULL, n);
    if (n) memcpy(copy, p, n);
    cur = copy, cur_n = n;
    LLVMFuzzerTestOneInput(copy, n);
    cur = NULL;
    free(copy);
    runs++;
}

static const uint16_t edges16[] = {0, 1, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0x3ff, 0x400, 0x5dc,
                                   0x7fff, 0x8000, 0xfffe, 0xffff};

/* One mutation of s into buf (MAXIN + 8 bytes); returns the new length. */
static size_t mutate(uint8_t *buf, const seed *s, const seed *other)
{
    size_t n = s->n < MAXIN ? s->n : MAXIN;
    memcpy(buf, s->p, n);
    int edits = 1 + (int)(rnd() % 4);
    for (int e = 0; e < edits && n >= 2; e++) {
        size_t at = 1 + rnd() % (n - 1);
        size_t span = 1 + rnd() % 16;
        if (span > n - at) span = n - at;
        switch (rnd() % 8) {
        case 0: buf[at] ^= (uint8_t)(1u << (rnd() % 8)); break;
        case 1: buf[at] = (uint8_t)rnd(); break;
        case 2: buf[at] = (uint8_t)(rnd() % 2 ? 0 : 0xff); break;   /* length-like extremes */
        case 3:
            if (at + 1 < n) {
                uint16_t v = edges16[rnd() % (sizeof edges16 / sizeof edges16[0])];
                buf[at] = (uint8_t)(v >> 8), buf[at + 1] = (uint8_t)v;
            }
            break;
        case 4: if (n + 8 <= MAXIN) { memset(buf + n, (int)rnd(), 8); n += 8; } break;
        case 5: memmove(buf + at, buf + at + span, n - at - span); n -= span; break;
        case 6:                                                     /* repeat a range */
            if (n + span <= MAXIN) {
                memmove(buf + at + span, buf + at, n - at);
                n += span;
            }
            break;
        case 7:                                                     /* splice */
            if (other && other->n > 1) {
                size_t from = 1 + rnd() % (other->n - 1), len = other->n - from;
                if (at + len > MAXIN) len = MAXIN - at;
                memcpy(buf + at, other->p + from, len);
                n = at + len;
            }
            break;
        }
    }
    if (n > 1 && rnd() % 4 == 0) n = 1 + rnd() % n;
    return n;
}

static void walk(const seed *s, const seed *other, long mutations)
{
    static uint8_t buf[MAXIN + 8];
    size_t step = s->n > MAXPREFIXES ? s->n / MAXPREFIXES : 1;
    for (size_t n = 0; n < s->n; n += step) run(s->p, n);
    run(s->p, s->n);
    if (s->n < 2) return;
    for (long i = 0; i < mutations; i++) run(buf, mutate(buf, s, other));
}

static int write_seeds(const char *dir)
{
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/builtin-%s", dir, builtin[i].name);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(builtin[i].p, 1, builtin[i].n, f) != builtin[i].n || fclose(f) != 0) {
            perror(path);
            return 1;
        }
    }
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: X_replay [--runs N] [--mutate] [FILE|DIR]...\n"
                    "       X_replay --write-seeds DIR\n");
    return 2;
}

int main(int argc, char **argv)
{
    bool do_mutate = false;
    long mutations = -1;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        if (!strcmp(argv[i], "--mutate")) do_mutate = true;
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc) mutations = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--write-seeds") && i + 1 < argc) return write_seeds(argv[i + 1]);
        else return usage();
    }
    const char *prog = strrchr(argv[0], '/');
    snprintf(crash_path, sizeof crash_path, "%s-crash.bin", prog ? prog + 1 : argv[0]);
    /* The sanitizers handle SIGSEGV and friends themselves (and report
     * through the death callback); SIGABRT is a target's own check. */
    signal(SIGABRT, on_signal);
    if (__sanitizer_set_death_callback) {
        __sanitizer_set_death_callback(save_input);
    } else {
        signal(SIGSEGV, on_signal);
        signal(SIGBUS, on_signal);
        signal(SIGFPE, on_signal);
    }

    int bad = 0, paths = argc - i;
    for (; i < argc; i++) bad |= load_path(argv[i]);
    if (bad) return 1;
    if (paths && !do_mutate) {
        for (size_t k = 0; k < n_seeds; k++) run(seeds[k].p, seeds[k].n);
        printf("fuzz_replay: %ld inputs, no crash\n", runs);
        return 0;
    }
    if (paths && n_seeds == 0) {
        fprintf(stderr, "fuzz_replay: --mutate: no seed files found\n");
        return 1;
    }
    if (!paths) {
        for (size_t k = 0; k < sizeof builtin / sizeof builtin[0]; k++)
            add_seed(builtin[k].name, builtin[k].p, builtin[k].n);
        if (mutations < 0) mutations = 4000;
    }
    if (mutations < 0) mutations = 1000;
    for (size_t k = 0; k < n_seeds; k++)
        walk(&seeds[k], n_seeds > 1 ? &seeds[(k + 1) % n_seeds] : NULL, mutations);
    printf("fuzz_replay: %ld inputs from %zu seeds, no crash\n", runs, n_seeds);
    return 0;
}
