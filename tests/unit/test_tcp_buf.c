/* test_tcp_buf.c - rings and the out-of-order queue (tcp_buf.c).
 *
 * Rings: lazy allocation, wrap-around, growth with wrapped data, the
 * limit, the stream pattern of NULL writes.  The queue: every insertion
 * order, random overlapping segments checked against a byte map, D-SACK
 * ranges as Linux records them, draining into a ring, and the SACK blocks
 * in Linux's order.  Every packet goes back to the pool. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pkt.h"
#include "rand.h"
#include "tcp_buf.h"

/* ---- rings ------------------------------------------------------------ */

/* The ring holds stream bytes [from, from + r->len) of the pattern. */
static int ring_is_pattern(const ln_ring *r, uint32_t from)
{
    uint8_t *b = malloc(r->len ? r->len : 1);
    ln_ring_peek(r, 0, b, r->len);
    int ok = 1;
    for (uint32_t i = 0; i < r->len; i++)
        if (b[i] != (uint8_t)(from + i)) ok = 0;
    free(b);
    return ok;
}

/* Write n real bytes that equal the generated pattern at the ring's stream
 * offset: the ring stores them, so the storage paths get exercised while
 * ring_is_pattern() still knows what to expect. */
static uint32_t wr(ln_ring *r, uint32_t n)
{
    uint8_t *b = malloc(n ? n : 1);
    for (uint32_t i = 0; i < n; i++) b[i] = (uint8_t)(r->written + i);
    uint32_t got = ln_ring_write(r, b, n);
    free(b);
    return got;
}

static void test_ring_lazy_and_pattern(void)
{
    ln_ring r;
    ln_ring_init(&r, 1u << 20);
    CHECK(r.buf == NULL && r.cap == 0 && r.len == 0);
    CHECK_EQ(ln_ring_room(&r), 1u << 20);
    ln_ring_read(&r, NULL, 0);
    CHECK(r.buf == NULL);                         /* nothing allocated by reads */
    CHECK_EQ(ln_ring_write(&r, NULL, 100), 100);
    CHECK_EQ(r.cap, 0);                           /* generated: nothing stored */
    CHECK(ring_is_pattern(&r, 0));
    uint8_t b[10];
    ln_ring_read(&r, b, 10);
    CHECK(b[0] == 0 && b[9] == 9);
    CHECK_EQ(r.len, 90);
    CHECK(ring_is_pattern(&r, 10));
    /* Real data goes in as given. */
    const char msg[] = "hello";
    CHECK_EQ(ln_ring_write(&r, msg, 5), 5);
    CHECK_EQ(r.cap, 2048);                        /* now it is: the first allocation */
        ln_ring_read(&r, NULL, 90);
    char out[5];
    ln_ring_read(&r, out, 5);
    CHECK(memcmp(out, msg, 5) == 0);
    /* The pattern counts the stream, real bytes included. */
    CHECK_EQ(r.written, 105);
    CHECK_EQ(ln_ring_write(&r, NULL, 3), 3);
    ln_ring_peek(&r, 0, b, 3);
    CHECK(b[0] == 105 && b[2] == 107);
    ln_ring_free(&r);
    CHECK(r.buf == NULL && r.len == 0);
}

static void test_ring_wrap(void)
{
    ln_ring r;
    ln_ring_init(&r, 4096);
    CHECK_EQ(wr(&r, 4000), 4000);
    CHECK_EQ(r.cap, 4096);
    ln_ring_read(&r, NULL, 3000);
    CHECK_EQ(wr(&r, 3000), 3000);   /* wraps */
    CHECK_EQ(r.cap, 4096);
    CHECK_EQ(r.len, 4000);
    CHECK(ring_is_pattern(&r, 3000));
    /* A peek straddling the end of the buffer. */
    uint8_t b[200];
    ln_ring_peek(&r, 1000, b, 200);                   /* around position 4000..4200 */
    int ok = 1;
    for (int i = 0; i < 200; i++) ok &= b[i] == (uint8_t)(4000 + i);
    CHECK(ok);
    /* Full: no more. */
    CHECK_EQ(wr(&r, 200), 96);
    CHECK_EQ(wr(&r, 1), 0);
    CHECK_EQ(ln_ring_room(&r), 0);
    ln_ring_read(&r, NULL, r.len);
    CHECK_EQ(r.head, 0);
    ln_ring_free(&r);
}

static void test_ring_growth(void)
{
    ln_ring r;
    ln_ring_init(&r, 100000);                  /* not a power of two */
    CHECK_EQ(wr(&r, 4096), 4096);
    CHECK_EQ(r.cap, 4096);
    ln_ring_read(&r, NULL, 1000);
    CHECK_EQ(wr(&r, 1000), 1000); /* wraps to the front */
    CHECK_EQ(r.cap, 4096);
    CHECK_EQ(wr(&r, 5000), 5000); /* grows with wrapped data */
    CHECK_EQ(r.cap, 16384);
    CHECK_EQ(r.len, 9096);
    CHECK(ring_is_pattern(&r, 1000));
    /* Up to the limit, never past the power of two holding it. */
    CHECK_EQ(wr(&r, 200000), 100000 - 9096);
    CHECK_EQ(r.len, 100000);
    CHECK_EQ(r.cap, 131072);
    CHECK(ring_is_pattern(&r, 1000));
    /* A lower limit never drops held bytes. */
    ln_ring_set_limit(&r, 10);
    CHECK_EQ(r.limit, 100000);
    ln_ring_read(&r, NULL, 99990);
    ln_ring_set_limit(&r, 10);
    CHECK_EQ(r.limit, 10);
    CHECK_EQ(wr(&r, 5), 0);
    CHECK(ring_is_pattern(&r, 100990));
    ln_ring_free(&r);

    /* A small limit allocates no more than it needs. */
    ln_ring_init(&r, 100);
    CHECK_EQ(wr(&r, 1000), 100);
    CHECK_EQ(r.cap, 128);
    ln_ring_free(&r);
}

/* Random writes, reads and peeks against a model. */
static void test_ring_random(void)
{
    ln_rng rng;
    ln_rng_seed(&rng, 7);
    ln_ring r;
    ln_ring_init(&r, 50000);
    uint32_t front = 0;                 /* stream offset of the first held byte */
    int ok = 1;
    for (int i = 0; i < 5000; i++) {
        uint32_t n = (uint32_t)ln_rng_below(&rng, 9000);
        if (ln_rng_chance(&rng, 0.5)) {
            uint32_t want = n < ln_ring_room(&r) ? n : ln_ring_room(&r);
            ok &= ln_ring_write(&r, NULL, n) == want;
        } else {
            if (n > r.len) n = r.len;
            ln_ring_read(&r, NULL, n);
            front += n;
        }
        if (r.len) {
            uint32_t off = (uint32_t)ln_rng_below(&rng, r.len), k = r.len - off < 64 ? r.len - off : 64;
            uint8_t b[64];
            ln_ring_peek(&r, off, b, k);
            for (uint32_t j = 0; j < k; j++) ok &= b[j] == (uint8_t)(front + off + j);
        }
    }
    CHECK(ok);
    CHECK(r.cap <= 65536);
    ln_ring_free(&r);
}

/* ---- the out-of-order queue ------------------------------------------- */

/* A segment's payload: bytes of the stream pattern at seq. */
static ln_pkt *seg(ln_pktpool *pool, ln_seq seq, uint32_t len)
{
    ln_pkt *p = ln_pkt_alloc(pool, len);
    for (uint32_t i = 0; i < len; i++) p->data[i] = (uint8_t)(seq + i);
    return p;
}

/* Sorted, disjoint, every byte right, counters right. */
static int ofo_sane(const ln_tcp_ofo *q)
{
    uint32_t n = 0, bytes = 0;
    for (const ln_pkt *p = q->head; p; p = p->next) {
        if (!p->len) return 0;
        if (p->next && ln_seq_gt((ln_seq)p->mark + p->len, (ln_seq)p->next->mark)) return 0;
        for (uint32_t i = 0; i < p->len; i++)
            if (p->data[i] != (uint8_t)((ln_seq)p->mark + i)) return 0;
        n++;
        bytes += p->len;
    }
    return n == q->n_segs && bytes == q->bytes;
}

static int blocks_are(const ln_tcp_ofo *q, int n, const ln_seq *se)
{
    ln_tcp_sackblk b[4];
    if (ln_tcp_ofo_sack(q, b, 4) != n) return 0;
    for (int i = 0; i < n; i++)
        if (b[i].start != se[2 * i] || b[i].end != se[2 * i + 1]) return 0;
    return 1;
}

/* Five 100-byte segments above a hole, in all 120 orders: one queue, one
 * SACK block, then draining gives the stream back. */
static void test_ofo_every_order(ln_pktpool *pool)
{
    int perm[5] = { 0, 1, 2, 3, 4 };
    int count = 0, ok = 1;
    /* Heap's algorithm */
    int c[5] = { 0 };
    for (int i = 0;;) {
        ln_tcp_ofo q;
        ln_tcp_ofo_init(&q);
        uint32_t total = 0;
        for (int k = 0; k < 5; k++) total += ln_tcp_ofo_insert(&q, 1000, 1100 + 100 * (ln_seq)perm[k], seg(pool, 1100 + 100 * (ln_seq)perm[k], 100));
        const ln_seq one[] = { 1100, 1600 };
        ok &= total == 500 && q.bytes == 500 && q.n_segs == 5 && ofo_sane(&q) && blocks_are(&q, 1, one);
        ok &= q.have_recent && q.recent_start == 1100 && q.recent_end == 1600;
        ln_ring r;
        ln_ring_init(&r, 1 << 16);
        ln_ring_write(&r, NULL, 1100);               /* 0..1099 in order */
        ln_ring_read(&r, NULL, 1000);
        ok &= ln_tcp_ofo_drain(&q, 1100, &r) == 500;
        ok &= q.head == NULL && q.bytes == 0 && q.n_segs == 0 && q.n_sacks == 0 && !q.have_recent;
        ok &= r.len == 600 && ring_is_pattern(&r, 1000);
        ln_ring_free(&r);
        count++;
        /* next permutation */
        while (i < 5 && c[i] >= i) c[i++] = 0;
        if (i >= 5) break;
        int j = (i % 2) ? c[i] : 0, t = perm[j];
        perm[j] = perm[i];
        perm[i] = t;
        c[i]++;
        i = 0;
    }
    CHECK_EQ(count, 120);
    CHECK(ok);
}

static void test_ofo_overlaps_and_dsack(ln_pktpool *pool)
{
    ln_tcp_ofo q;
    ln_tcp_ofo_init(&q);
    CHECK_EQ(ln_tcp_ofo_insert(&q, 1000, 1100, seg(pool, 1100, 100)), 100);
    CHECK(!q.have_dup);
    /* Exact duplicate: nothing new, D-SACK = the segment. */
    CHECK_EQ(ln_tcp_ofo_insert(&q, 1000, 1100, seg(pool, 1100, 100)), 0);
    CHECK(q.have_dup && q.dup.start == 1100 && q.dup.end == 1200);
    /* Inside: duplicate. */
    CHECK_EQ(ln_tcp_ofo_insert(&q, 1000, 1120, seg(pool, 1120, 30)), 0);
    CHECK(q.have_dup && q.dup.start == 1120 && q.dup.end == 1150);
    /* Overlapping the tail of a held one: the front is cut. */
    CHECK_EQ(ln_tcp_ofo_insert(&q, 1000, 1150, seg(pool, 1150, 100)), 50);
    CHECK(q.have_dup && q.dup.start == 1150 && q.dup.end == 1200);
    CHECK(ofo_sane(&q) && q.n_segs == 2 && q.bytes == 150);
    /* [1400,1500) then [1300,1450): the tail is cut. */
    CHECK_EQ(ln_tcp_ofo_insert(&q, 1000, 1400, seg(pool, 1400, 100)), 100);
    CHECK_EQ(ln_tcp_ofo_insert(&q, 1000, 1300, seg(pool, 1300, 150)), 100);
    CHECK(q.have_dup && q.dup.start == 1400 && q.dup.end == 1450);
    CHECK(ofo_sane(&q) && q.n_segs == 4 && q.bytes == 350);
    /* One segment covering several: they go, it stays whole; the D-SACK
     * is the hull of what was held. */
    CHECK_EQ(ln_tcp_ofo_insert(&q, 1000, 1050, seg(pool, 1050, 550)), 550 - 350);
    CHECK(q.have_dup && q.dup.start == 1100 && q.dup.end == 1500);
    CHECK(ofo_sane(&q) && q.n_segs == 1 && q.bytes == 550);
    /* Squeezed exactly between two held packets with no gap: duplicate. */
    ln_tcp_ofo_purge(&q);
    ln_tcp_ofo_insert(&q, 1000, 1100, seg(pool, 1100, 100));
    ln_tcp_ofo_insert(&q, 1000, 1200, seg(pool, 1200, 100));
    CHECK_EQ(ln_tcp_ofo_insert(&q, 1000, 1150, seg(pool, 1150, 100)), 0);
    CHECK(q.have_dup && q.dup.start == 1150 && q.dup.end == 1250);
    CHECK(ofo_sane(&q) && q.n_segs == 2);
    /* At or below RCV.NXT: trimmed, never queued. */
    CHECK_EQ(ln_tcp_ofo_insert(&q, 1000, 900, seg(pool, 900, 100)), 0);
    CHECK(q.have_dup && q.dup.start == 900 && q.dup.end == 1000);
    CHECK_EQ(ln_tcp_ofo_insert(&q, 1000, 950, seg(pool, 950, 100)), 50);
    CHECK(ofo_sane(&q) && q.head->mark == 1000);
    /* Empty payload: nothing. */
    CHECK_EQ(ln_tcp_ofo_insert(&q, 1000, 2000, seg(pool, 2000, 0)), 0);
    ln_tcp_ofo_free(&q);
}

/* Random segments in a window, against a byte map. */
static void test_ofo_random(ln_pktpool *pool)
{
    ln_rng rng;
    ln_rng_seed(&rng, 99);
    int ok = 1;
    for (int round = 0; round < 200; round++) {
        ln_seq base = (ln_seq)ln_rng_next(&rng);      /* anywhere, wrap included */
        if (round % 4 == 0) base = 0xffffffffu - (ln_seq)ln_rng_below(&rng, 3000);
        ln_seq rcv_nxt = base;
        uint8_t have[4000] = { 0 };
        ln_tcp_ofo q;
        ln_tcp_ofo_init(&q);
        for (int k = 0; k < 40; k++) {
            uint32_t off = 1 + (uint32_t)ln_rng_below(&rng, 3500);
            uint32_t len = 1 + (uint32_t)ln_rng_below(&rng, 400);
            if (off + len > 4000) len = 4000 - off;
            uint32_t fresh = 0;
            for (uint32_t i = off; i < off + len; i++) fresh += !have[i], have[i] = 1;
            uint32_t got = ln_tcp_ofo_insert(&q, rcv_nxt, base + off, seg(pool, base + off, len));
            ok &= got == fresh;
            ok &= ofo_sane(&q);
            ok &= q.have_dup == (fresh != len);
            /* Every SACK block lies over held bytes, and the first holds
             * this segment. */
            ln_tcp_sackblk b[4];
            int n = ln_tcp_ofo_sack(&q, b, 4);
            ok &= n >= 1 && ln_seq_le(b[0].start, base + off) && ln_seq_ge(b[0].end, base + off + len);
            for (int j = 0; j < n; j++)
                for (ln_seq s = b[j].start; s != b[j].end; s++) ok &= have[s - base];
        }
        uint32_t held = 0;
        for (int i = 0; i < 4000; i++) held += have[i];
        ok &= q.bytes == held;
        /* Fill the hole at base: drain moves the contiguous run. */
        ln_ring r;
        ln_ring_init(&r, 1 << 16);
        uint32_t run = 1;
        while (run < 4000 && have[run]) run++;
        uint32_t moved = ln_tcp_ofo_drain(&q, base + 1, &r);
        ok &= moved == run - 1;
        ok &= ring_is_pattern(&r, base + 1);
        ok &= ofo_sane(&q);
        ln_tcp_sackblk b[4];
        int n = ln_tcp_ofo_sack(&q, b, 4);
        for (int j = 0; j < n; j++) ok &= ln_seq_gt(b[j].start, base + run);
        ln_ring_free(&r);
        ln_tcp_ofo_free(&q);
    }
    CHECK(ok);
}

/* Linux's tcp_ofo_queue D-SACK: held bytes that in-order data covered. */
static void test_ofo_drain_dsack(ln_pktpool *pool)
{
    ln_tcp_ofo q;
    ln_tcp_ofo_init(&q);
    ln_tcp_ofo_insert(&q, 1000, 1100, seg(pool, 1100, 100));
    ln_tcp_ofo_insert(&q, 1000, 1300, seg(pool, 1300, 100));
    ln_ring r;
    ln_ring_init(&r, 1 << 16);
    /* The in-order segment [1000, 1150) overlapped the first held one. */
    ln_ring_write(&r, NULL, 1150);
    ln_ring_read(&r, NULL, 1000);
    CHECK_EQ(ln_tcp_ofo_drain(&q, 1150, &r), 50);
    CHECK(q.have_dup && q.dup.start == 1100 && q.dup.end == 1150);
    CHECK(ring_is_pattern(&r, 1000) && r.len == 200);
    /* The block RCV.NXT reached is gone; the other stays. */
    const ln_seq left[] = { 1300, 1400 };
    CHECK(blocks_are(&q, 1, left));
    /* Nothing overlapping: no D-SACK. */
    ln_ring_write(&r, NULL, 100);
    CHECK_EQ(ln_tcp_ofo_drain(&q, 1300, &r), 100);
    CHECK(!q.have_dup);
    CHECK(q.n_sacks == 0 && q.head == NULL);
    /* A full ring takes what it can; the rest stays queued. */
    ln_tcp_ofo_insert(&q, 1400, 1500, seg(pool, 1500, 300));
    ln_ring_set_limit(&r, r.len + 250);
    ln_ring_write(&r, NULL, 100);                   /* [1400, 1500) in order */
    CHECK_EQ(ln_tcp_ofo_drain(&q, 1500, &r), 150);
    CHECK(q.head && q.head->mark == 1650 && q.head->len == 150 && q.bytes == 150);
    CHECK(ofo_sane(&q));
    CHECK(ring_is_pattern(&r, 1000));
    ln_ring_free(&r);
    ln_tcp_ofo_free(&q);
}

/* The SACK blocks in the order Linux sends them. */
static void test_ofo_sack_order(ln_pktpool *pool)
{
    ln_tcp_ofo q;
    ln_tcp_ofo_init(&q);
    ln_tcp_ofo_insert(&q, 1000, 2000, seg(pool, 2000, 100));
    ln_tcp_ofo_insert(&q, 1000, 3000, seg(pool, 3000, 100));
    const ln_seq two[] = { 3000, 3100, 2000, 2100 };
    CHECK(blocks_are(&q, 2, two));
    /* The lower block grows: it comes first, the other after (with two
     * blocks this is also "recent first, then ascending"). */
    ln_tcp_ofo_insert(&q, 1000, 2100, seg(pool, 2100, 100));
    const ln_seq two2[] = { 2000, 2200, 3000, 3100 };
    CHECK(blocks_are(&q, 2, two2));
    CHECK(q.recent_start == 2000 && q.recent_end == 2200);
    /* Three: by recency, not by sequence (Linux's selective_acks[]). */
    ln_tcp_ofo_insert(&q, 1000, 4000, seg(pool, 4000, 100));
    ln_tcp_ofo_insert(&q, 1000, 3100, seg(pool, 3100, 100));
    const ln_seq three[] = { 3000, 3200, 4000, 4100, 2000, 2200 };
    CHECK(blocks_are(&q, 3, three));
    /* A duplicate moves its block to the front too (add_sack). */
    ln_tcp_ofo_insert(&q, 1000, 2000, seg(pool, 2000, 50));
    const ln_seq three2[] = { 2000, 2200, 3000, 3200, 4000, 4100 };
    CHECK(blocks_are(&q, 3, three2));
    /* Five ranges: the least recently touched one is forgotten. */
    ln_tcp_ofo_insert(&q, 1000, 5000, seg(pool, 5000, 100));
    ln_tcp_ofo_insert(&q, 1000, 6000, seg(pool, 6000, 100));
    const ln_seq four[] = { 6000, 6100, 5000, 5100, 2000, 2200, 3000, 3200 };
    CHECK(blocks_are(&q, 4, four));
    /* The queue still holds [4000, 4100); a segment next to it makes a
     * block of just itself, as in Linux. */
    ln_tcp_ofo_insert(&q, 1000, 4100, seg(pool, 4100, 100));
    const ln_seq four2[] = { 4100, 4200, 6000, 6100, 5000, 5100, 2000, 2200 };
    CHECK(blocks_are(&q, 4, four2));
    /* Filling gaps merges blocks (tcp_sack_maybe_coalesce): the grown
     * block swallows the ones it now touches. */
    ln_tcp_ofo_insert(&q, 1000, 4200, seg(pool, 4200, 800));
    const ln_seq three3[] = { 4100, 5100, 6000, 6100, 2000, 2200 };
    CHECK(blocks_are(&q, 3, three3));
    ln_tcp_ofo_insert(&q, 1000, 5100, seg(pool, 5100, 900));
    const ln_seq four3[] = { 4100, 6100, 2000, 2200 };
    CHECK(blocks_are(&q, 2, four3));
    /* max limits the count. */
    ln_tcp_sackblk b[4];
    CHECK_EQ(ln_tcp_ofo_sack(&q, b, 1), 1);
    CHECK(b[0].start == 4100);
    CHECK_EQ(ln_tcp_ofo_sack(&q, b, 0), 0);
    /* Draining to 2200 drops the block RCV.NXT reached. */
    ln_ring r;
    ln_ring_init(&r, 1 << 20);
    CHECK_EQ(ln_tcp_ofo_drain(&q, 2000, &r), 200);
    const ln_seq one[] = { 4100, 6100 };
    CHECK(blocks_are(&q, 1, one));
    ln_ring_free(&r);
    /* A purge (reneging) empties the blocks too. */
    ln_tcp_ofo_purge(&q);
    CHECK(q.n_sacks == 0 && q.head == NULL && q.bytes == 0);
    /* After the queue empties, the first new segment starts afresh. */
    ln_tcp_ofo_insert(&q, 1000, 7000, seg(pool, 7000, 10));
    const ln_seq fresh[] = { 7000, 7010 };
    CHECK(blocks_are(&q, 1, fresh));
    ln_tcp_ofo_free(&q);
}

/* Sequence space wraps inside the queue. */
static void test_ofo_wrap(ln_pktpool *pool)
{
    ln_tcp_ofo q;
    ln_tcp_ofo_init(&q);
    ln_seq nxt = 0xffffff00u;
    CHECK_EQ(ln_tcp_ofo_insert(&q, nxt, 0x00000010u, seg(pool, 0x10, 100)), 100);
    CHECK_EQ(ln_tcp_ofo_insert(&q, nxt, 0xffffffa0u, seg(pool, 0xffffffa0u, 0x70)), 0x70);
    CHECK(ofo_sane(&q) && q.head->mark == 0xffffffa0u);
    const ln_seq b[] = { 0xffffffa0u, 0x10 + 100 };
    CHECK(blocks_are(&q, 1, b));                      /* they touch across 0 */
    ln_ring r;
    ln_ring_init(&r, 1 << 16);
    ln_ring_write(&r, NULL, 0xa0);                    /* [nxt, 0xffffffa0) */
    CHECK_EQ(ln_tcp_ofo_drain(&q, 0xffffffa0u, &r), 0x70 + 100);
    CHECK(q.head == NULL && q.n_sacks == 0);
    ln_ring_free(&r);
    ln_tcp_ofo_free(&q);
}

/* A ring of generated bytes stores nothing until real data follows them,
 * and reads back the same bytes either way. */
static void test_ring_synthetic(void)
{
    ln_ring r;
    ln_ring_init(&r, 100000);
    CHECK_EQ(ln_ring_write(&r, NULL, 70000), 70000);
    CHECK(r.buf == NULL);                       /* nothing stored */
    uint8_t out[300];
    ln_ring_peek(&r, 65530, out, 300);
    int ok = 1;
    for (int i = 0; i < 300; i++) ok &= out[i] == (uint8_t)(65530 + i);
    CHECK(ok);
    ln_ring_read(&r, NULL, 1000);
    ln_ring_read(&r, out, 10);
    ok = 1;
    for (int i = 0; i < 10; i++) ok &= out[i] == (uint8_t)(1000 + i);
    CHECK(ok);
    /* Real data after generated data: both come back in order. */
    CHECK_EQ(ln_ring_write(&r, "hello", 5), 5);
    CHECK(r.buf != NULL);
    CHECK_EQ(r.len, 69000 - 10 + 5);
    ln_ring_read(&r, NULL, 68980);
    uint8_t tail[15];
    ln_ring_read(&r, tail, 15);
    ok = 1;
    for (int i = 0; i < 10; i++) ok &= tail[i] == (uint8_t)(69990 + i);
    CHECK(ok);
    CHECK(memcmp(tail + 10, "hello", 5) == 0);
    CHECK_EQ(r.len, 0);
    /* Generated bytes after real data are stored, with the right phase. */
    CHECK_EQ(ln_ring_write(&r, "ab", 2), 2);
    CHECK_EQ(ln_ring_write(&r, NULL, 3), 3);
    uint8_t mix[5];
    ln_ring_read(&r, mix, 5);
    CHECK(mix[0] == 'a' && mix[1] == 'b');
    CHECK(mix[2] == (uint8_t)70007 && mix[4] == (uint8_t)70009);
    ln_ring_free(&r);
}

int main(void)
{
    test_ring_synthetic();
    test_ring_lazy_and_pattern();
    test_ring_wrap();
    test_ring_growth();
    test_ring_random();
    ln_pktpool *pool = ln_pktpool_new();
    test_ofo_every_order(pool);
    test_ofo_overlaps_and_dsack(pool);
    test_ofo_random(pool);
    test_ofo_drain_dsack(pool);
    test_ofo_sack_order(pool);
    test_ofo_wrap(pool);
    CHECK_EQ(ln_pktpool_in_use(pool), 0);
    ln_pktpool_free(pool);
    return check_report("test_tcp_buf");
}
