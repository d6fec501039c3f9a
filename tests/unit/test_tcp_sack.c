/* test_tcp_sack.c - the sender's scoreboard and RFC 6675 (tcp_sack.c):
 * IsLost with DupThresh 3 (block and byte rules), SetPipe, NextSeg rules
 * 1-3, D-SACK detection (RFC 2883), block validity, merging, capacity,
 * and the same scenarios across the 2^32 wrap; then random scoreboards
 * checked octet by octet against RFC 6675's definitions. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "rand.h"
#include "tcp_sack.h"

#define SMSS 1000u
#define DUPTHRESH 3u

static ln_tcp_sackblk B(ln_seq s, ln_seq e) { ln_tcp_sackblk b = { s, e }; return b; }

/* A scoreboard at SND.UNA = base + 1000, SND.MAX = base + 11000 (ten
 * 1000-byte segments), with the given blocks (offsets from base). */
static void board(ln_tcp_sb *sb, ln_seq base, const ln_seq *off, int n)
{
    ln_tcp_sb_reset(sb, base + 1000);
    for (int i = 0; i < n; i++) {
        ln_tcp_sackblk b = B(base + off[2 * i], base + off[2 * i + 1]);
        ln_tcp_sb_update(sb, base + 1000, base + 11000, &b, 1, NULL);
    }
}

static void test_is_lost(ln_seq base)
{
    ln_tcp_sb sb;
    /* One SACKed segment above: not lost. */
    const ln_seq a[] = { 3000, 4000 };
    board(&sb, base, a, 1);
    CHECK(!ln_tcp_sb_is_lost(&sb, base + 1000, SMSS, DUPTHRESH));
    /* Two contiguous: 2000 bytes is not more than (3 - 1) * SMSS. */
    const ln_seq b[] = { 3000, 5000 };
    board(&sb, base, b, 1);
    CHECK(!ln_tcp_sb_is_lost(&sb, base + 1000, SMSS, DUPTHRESH));
    /* Three: lost, everywhere below them. */
    const ln_seq c[] = { 3000, 6000 };
    board(&sb, base, c, 1);
    CHECK(ln_tcp_sb_is_lost(&sb, base + 1000, SMSS, DUPTHRESH));
    CHECK(ln_tcp_sb_is_lost(&sb, base + 2999, SMSS, DUPTHRESH));
    CHECK(!ln_tcp_sb_is_lost(&sb, base + 6000, SMSS, DUPTHRESH));
    /* 2001 SACKed bytes above: lost by the byte rule. */
    const ln_seq d[] = { 3000, 5001 };
    board(&sb, base, d, 1);
    CHECK(ln_tcp_sb_is_lost(&sb, base + 2000, SMSS, DUPTHRESH));
    /* Three small discontiguous blocks: lost by the count rule (DupThresh
     * discontiguous SACKed sequences), though only 300 bytes. */
    const ln_seq e[] = { 3000, 3100, 5000, 5100, 7000, 7100 };
    board(&sb, base, e, 3);
    CHECK(ln_tcp_sb_is_lost(&sb, base + 1000, SMSS, DUPTHRESH));
    CHECK(ln_tcp_sb_is_lost(&sb, base + 2999, SMSS, DUPTHRESH));
    CHECK(!ln_tcp_sb_is_lost(&sb, base + 3100, SMSS, DUPTHRESH));   /* 2 blocks above */
    CHECK(!ln_tcp_sb_is_lost(&sb, base + 8000, SMSS, DUPTHRESH));
    /* DupThresh 2 moves the line. */
    CHECK(ln_tcp_sb_is_lost(&sb, base + 3100, SMSS, 2));
}

static void test_pipe(ln_seq base)
{
    ln_tcp_sb sb;
    ln_seq una = base + 1000, max = base + 11000;
    /* Nothing SACKed: everything is in flight. */
    ln_tcp_sb_reset(&sb, una);
    CHECK_EQ(ln_tcp_sb_pipe(&sb, una, max, SMSS, DUPTHRESH), 10000);
    /* Segment 3 SACKed: the hole below is not lost yet. */
    const ln_seq a[] = { 3000, 4000 };
    board(&sb, base, a, 1);
    CHECK_EQ(ln_tcp_sb_pipe(&sb, una, max, SMSS, DUPTHRESH), 9000);
    /* Three SACKed: the two segments below are lost, not in the pipe. */
    const ln_seq c[] = { 3000, 6000 };
    board(&sb, base, c, 1);
    CHECK_EQ(ln_tcp_sb_pipe(&sb, una, max, SMSS, DUPTHRESH), 5000);
    /* SetPipe (b): the first one was retransmitted, the copy is in flight. */
    sb.high_rxt = base + 2000;
    CHECK_EQ(ln_tcp_sb_pipe(&sb, una, max, SMSS, DUPTHRESH), 6000);
    sb.high_rxt = base + 3000;
    CHECK_EQ(ln_tcp_sb_pipe(&sb, una, max, SMSS, DUPTHRESH), 7000);
    /* A retransmitted octet that is not lost counts twice ((a) and (b)). */
    const ln_seq d[] = { 3000, 4000 };
    board(&sb, base, d, 1);
    sb.high_rxt = base + 2000;
    CHECK_EQ(ln_tcp_sb_pipe(&sb, una, max, SMSS, DUPTHRESH), 10000);
}

static void test_next_seg(ln_seq base)
{
    ln_tcp_sb sb;
    ln_seq una = base + 1000, nxt = base + 11000, seq = 0;
    uint32_t len = 0;
    bool nd = true;
    /* Rule 1: the lost holes, one SMSS at a time, HighRxt advancing. */
    const ln_seq c[] = { 3000, 6000 };
    board(&sb, base, c, 1);
    CHECK(ln_tcp_sb_next_seg(&sb, una, nxt, SMSS, DUPTHRESH, true, &seq, &len, &nd));
    CHECK(seq == base + 1000 && len == 1000 && !nd);
    sb.high_rxt = seq + len;
    CHECK(ln_tcp_sb_next_seg(&sb, una, nxt, SMSS, DUPTHRESH, true, &seq, &len, &nd));
    CHECK(seq == base + 2000 && len == 1000 && !nd);
    sb.high_rxt = seq + len;
    /* Rule 2: nothing lost above HighRxt, new data may go. */
    CHECK(!ln_tcp_sb_next_seg(&sb, una, nxt, SMSS, DUPTHRESH, true, &seq, &len, &nd));
    CHECK(nd && seq == nxt && len == SMSS);
    /* No new data and no hole above HighRxt below the top SACK: nothing. */
    CHECK(!ln_tcp_sb_next_seg(&sb, una, nxt, SMSS, DUPTHRESH, false, &seq, &len, &nd));
    CHECK(!nd);

    /* Rule 3: a hole that is not lost yet, when there is no new data. */
    const ln_seq d[] = { 3000, 4000, 6000, 7000 };
    board(&sb, base, d, 2);
    CHECK(!ln_tcp_sb_is_lost(&sb, base + 1000, SMSS, DUPTHRESH));
    CHECK(!ln_tcp_sb_next_seg(&sb, una, nxt, SMSS, DUPTHRESH, true, &seq, &len, &nd));
    CHECK(nd);
    CHECK(ln_tcp_sb_next_seg(&sb, una, nxt, SMSS, DUPTHRESH, false, &seq, &len, &nd));
    CHECK(seq == base + 1000 && len == 1000 && !nd);
    /* Above HighRxt, the next hole is [4000, 6000); never past HighSACK. */
    sb.high_rxt = base + 3000;
    CHECK(ln_tcp_sb_next_seg(&sb, una, nxt, SMSS, DUPTHRESH, false, &seq, &len, &nd));
    CHECK(seq == base + 4000 && len == 1000);
    sb.high_rxt = base + 6000;
    CHECK(!ln_tcp_sb_next_seg(&sb, una, nxt, SMSS, DUPTHRESH, false, &seq, &len, &nd));

    /* A range never crosses a SACKed block: a 500-byte hole gives 500. */
    const ln_seq e[] = { 1500, 2000, 2500, 3000, 3500, 4000 };
    board(&sb, base, e, 3);
    CHECK(ln_tcp_sb_next_seg(&sb, una, nxt, SMSS, DUPTHRESH, true, &seq, &len, &nd));
    CHECK(seq == base + 1000 && len == 500);
    /* HighRxt inside a hole: start there. */
    sb.high_rxt = base + 1200;
    CHECK(ln_tcp_sb_next_seg(&sb, una, nxt, SMSS, DUPTHRESH, true, &seq, &len, &nd));
    CHECK(seq == base + 1200 && len == 300);
    /* The next hole has only 2 blocks, 1000 bytes above: not lost. */
    sb.high_rxt = base + 1500;
    CHECK(!ln_tcp_sb_next_seg(&sb, una, nxt, SMSS, DUPTHRESH, true, &seq, &len, &nd));
    CHECK(nd);
}

static void test_dsack(ln_seq base)
{
    ln_tcp_sb sb;
    ln_seq una = base + 5000, max = base + 11000;
    uint32_t newly = 99;
    ln_tcp_sb_reset(&sb, una);
    /* First block below the cumulative ACK: D-SACK; the second counts. */
    ln_tcp_sackblk a[] = { B(base + 4000, base + 4500), B(base + 6000, base + 7000) };
    CHECK_EQ(ln_tcp_sb_update(&sb, una, max, a, 2, &newly), 1);
    CHECK_EQ(newly, 1000);
    CHECK(sb.n == 1 && sb.blk[0].start == base + 6000 && sb.sacked == 1000);
    /* First block inside the second: D-SACK (RFC 2883 4.2 style). */
    ln_tcp_sackblk b[] = { B(base + 6200, base + 6500), B(base + 6000, base + 8000) };
    CHECK_EQ(ln_tcp_sb_update(&sb, una, max, b, 2, &newly), 1);
    CHECK_EQ(newly, 1000);
    CHECK(sb.n == 1 && sb.blk[0].end == base + 8000);
    /* Identical first and second: still "inside". */
    ln_tcp_sackblk c[] = { B(base + 9000, base + 9500), B(base + 9000, base + 9500) };
    CHECK_EQ(ln_tcp_sb_update(&sb, una, max, c, 2, &newly), 1);
    CHECK_EQ(newly, 500);
    /* Ordinary blocks: no D-SACK. */
    ln_tcp_sackblk d[] = { B(base + 10000, base + 10500), B(base + 8500, base + 8600) };
    CHECK_EQ(ln_tcp_sb_update(&sb, una, max, d, 2, &newly), 0);
    CHECK_EQ(newly, 600);
    /* A first block that only overlaps the second is not a D-SACK. */
    ln_tcp_sackblk e[] = { B(base + 8550, base + 8700), B(base + 8500, base + 8600) };
    CHECK_EQ(ln_tcp_sb_update(&sb, una, max, e, 2, &newly), 0);
    CHECK_EQ(newly, 100);
    CHECK_EQ(sb.sacked, 1000 + 1000 + 500 + 600 + 100);
    /* A single block below SND.UNA: D-SACK. */
    ln_tcp_sackblk f[] = { B(base + 100, base + 200) };
    CHECK_EQ(ln_tcp_sb_update(&sb, una, max, f, 1, &newly), 1);
    CHECK_EQ(newly, 0);
}

static void test_validity(ln_seq base)
{
    ln_tcp_sb sb;
    ln_seq una = base + 1000, max = base + 11000;
    uint32_t newly;
    ln_tcp_sb_reset(&sb, una);
    /* Beyond SND.MAX, reversed, empty, starting at SND.UNA, straddling it
     * (as not the first block): all ignored, like Linux. */
    ln_tcp_sackblk a[] = { B(base + 2000, base + 3000), B(base + 10000, base + 12000),
                           B(base + 5000, base + 4000), B(base + 6000, base + 6000) };
    CHECK_EQ(ln_tcp_sb_update(&sb, una, max, a, 4, &newly), 0);
    CHECK_EQ(newly, 1000);
    ln_tcp_sackblk b[] = { B(base + 2000, base + 3000), B(base + 1000, base + 1500),
                           B(base + 900, base + 1500) };
    CHECK_EQ(ln_tcp_sb_update(&sb, una, max, b, 3, &newly), 0);
    CHECK_EQ(newly, 0);
    CHECK(sb.n == 1 && sb.sacked == 1000);
    /* Up to SND.MAX exactly is fine. */
    ln_tcp_sackblk c[] = { B(base + 10000, base + 11000) };
    ln_tcp_sb_update(&sb, una, max, c, 1, &newly);
    CHECK_EQ(newly, 1000);
    CHECK(ln_tcp_sb_high_sacked(&sb, una) == base + 11000);
}

static void test_merge_and_ack(ln_seq base)
{
    ln_tcp_sb sb;
    ln_seq una = base + 1000, max = base + 11000;
    uint32_t newly;
    ln_tcp_sb_reset(&sb, una);
    CHECK(ln_tcp_sb_high_sacked(&sb, una) == una);
    ln_tcp_sackblk a[] = { B(base + 5000, base + 6000), B(base + 3000, base + 4000),
                           B(base + 8000, base + 9000) };
    ln_tcp_sb_update(&sb, una, max, a, 3, &newly);
    CHECK(sb.n == 3 && newly == 3000);
    CHECK(sb.blk[0].start == base + 3000 && sb.blk[1].start == base + 5000);
    /* Touching blocks merge into one. */
    ln_tcp_sackblk b[] = { B(base + 4000, base + 5000) };
    ln_tcp_sb_update(&sb, una, max, b, 1, &newly);
    CHECK(sb.n == 2 && newly == 1000);
    CHECK(sb.blk[0].start == base + 3000 && sb.blk[0].end == base + 6000);
    /* One block over several, with overlap on both sides. */
    ln_tcp_sackblk c[] = { B(base + 2500, base + 9500) };
    ln_tcp_sb_update(&sb, una, max, c, 1, &newly);
    CHECK(sb.n == 1 && newly == 500 + 2000 + 500);
    CHECK_EQ(sb.sacked, 7000);
    CHECK(ln_tcp_sb_is_sacked(&sb, base + 2500) && ln_tcp_sb_is_sacked(&sb, base + 9499));
    CHECK(!ln_tcp_sb_is_sacked(&sb, base + 2499) && !ln_tcp_sb_is_sacked(&sb, base + 9500));
    /* The cumulative ACK moves into the block: it is cut, then gone. */
    ln_tcp_sb_ack(&sb, base + 4500);
    CHECK(sb.n == 1 && sb.blk[0].start == base + 4500 && sb.sacked == 5000);
    CHECK(sb.high_rxt == base + 4500);
    ln_tcp_sb_ack(&sb, base + 9500);
    CHECK(sb.n == 0 && sb.sacked == 0);
    CHECK(ln_tcp_sb_high_sacked(&sb, base + 9500) == base + 9500);
}

/* Full: the lowest block is forgotten, never a hole marked received. */
static void test_capacity(ln_seq base)
{
    ln_tcp_sb sb;
    ln_seq una = base, max = base + 1000000;
    ln_tcp_sb_reset(&sb, una);
    for (int i = 0; i < LN_TCP_SB_MAX + 3; i++) {
        ln_tcp_sackblk b = B(base + 1000 + 2000 * (ln_seq)i, base + 2000 + 2000 * (ln_seq)i);
        ln_tcp_sb_update(&sb, una, max, &b, 1, NULL);
    }
    CHECK_EQ(sb.n, LN_TCP_SB_MAX);
    CHECK_EQ(sb.sacked, 1000u * LN_TCP_SB_MAX);
    CHECK(sb.blk[0].start == base + 1000 + 2000 * 3);
    /* No hole became SACKed. */
    for (int i = 0; i < sb.n; i++) CHECK_EQ(sb.blk[i].end - sb.blk[i].start, 1000);
    /* A block below all of them, when full, is the one forgotten. */
    uint32_t newly = 7;
    ln_tcp_sackblk low = B(base + 1000, base + 1500);
    ln_tcp_sb_update(&sb, una, max, &low, 1, &newly);
    CHECK(newly == 0 && sb.n == LN_TCP_SB_MAX && sb.blk[0].start == base + 7000);
    /* Merging into an existing block needs no room. */
    ln_tcp_sackblk grow = B(base + 7000, base + 8500);
    ln_tcp_sb_update(&sb, una, max, &grow, 1, &newly);
    CHECK(newly == 500 && sb.n == LN_TCP_SB_MAX);
}

/* Random scoreboards against RFC 6675's definitions, octet by octet. */
static void test_against_rfc(void)
{
    ln_rng rng;
    ln_rng_seed(&rng, 6675);
    int ok = 1;
    for (int round = 0; round < 300; round++) {
        ln_seq una = (ln_seq)ln_rng_next(&rng);
        if (round % 3 == 0) una = 0u - (ln_seq)ln_rng_below(&rng, 20000);   /* straddle 2^32 */
        uint32_t win = 2000 + (uint32_t)ln_rng_below(&rng, 20000);
        ln_seq max = una + win;
        uint32_t smss = 100 + (uint32_t)ln_rng_below(&rng, 1400);
        uint32_t dt = 1 + (uint32_t)ln_rng_below(&rng, 4);
        ln_tcp_sb sb;
        ln_tcp_sb_reset(&sb, una);
        int nb = (int)ln_rng_below(&rng, 12);
        for (int i = 0; i < nb; i++) {
            ln_seq s = una + 1 + (ln_seq)ln_rng_below(&rng, win - 1);
            ln_seq e = s + 1 + (ln_seq)ln_rng_below(&rng, 3000);
            if (ln_seq_gt(e, max)) e = max;
            if (!ln_seq_lt(s, e)) continue;
            ln_tcp_sackblk b = B(s, e);
            ln_tcp_sb_update(&sb, una, max, &b, 1, NULL);
        }
        sb.high_rxt = una + (ln_seq)ln_rng_below(&rng, win / 2);
        /* Blocks sorted, disjoint, not touching; sacked is their sum. */
        uint32_t sum = 0;
        for (int i = 0; i < sb.n; i++) {
            ok &= ln_seq_lt(sb.blk[i].start, sb.blk[i].end);
            if (i) ok &= ln_seq_lt(sb.blk[i - 1].end, sb.blk[i].start);
            sum += sb.blk[i].end - sb.blk[i].start;
        }
        ok &= sum == sb.sacked;
        /* SetPipe, octet by octet. */
        uint64_t pipe = 0;
        ln_seq s2 = 0;
        bool have_s2 = false, have_s3 = false;
        ln_seq s3 = 0;
        ln_seq top = ln_tcp_sb_high_sacked(&sb, una);
        for (ln_seq o = una; o != max; o++) {
            if (ln_tcp_sb_is_sacked(&sb, o)) continue;
            bool lost = ln_tcp_sb_is_lost(&sb, o, smss, dt);
            if (!lost) pipe++;
            if (ln_seq_lt(o, sb.high_rxt)) pipe++;
            if (ln_seq_ge(o, sb.high_rxt) && ln_seq_lt(o, top)) {
                if (!have_s3) have_s3 = true, s3 = o;
                if (lost && !have_s2) have_s2 = true, s2 = o;
            }
        }
        ok &= pipe == ln_tcp_sb_pipe(&sb, una, max, smss, dt);
        /* NextSeg, rules 1-3. */
        ln_seq seq;
        uint32_t len;
        bool nd;
        bool r = ln_tcp_sb_next_seg(&sb, una, max, smss, dt, false, &seq, &len, &nd);
        if (have_s2) ok &= r && seq == s2 && !nd;
        else if (have_s3) ok &= r && seq == s3 && !nd;
        else ok &= !r && !nd;
        if (r) {
            ok &= len >= 1 && len <= smss;
            for (uint32_t i = 0; i < len; i++) ok &= !ln_tcp_sb_is_sacked(&sb, seq + i);
        }
        r = ln_tcp_sb_next_seg(&sb, una, max, smss, dt, true, &seq, &len, &nd);
        if (have_s2) ok &= r && seq == s2;
        else ok &= !r && nd && seq == max;
    }
    CHECK(ok);
}

int main(void)
{
    /* Every scenario twice: far from the wrap, and straddling 2^32. */
    const ln_seq bases[] = { 0, 0xffffe000u };
    for (int i = 0; i < 2; i++) {
        test_is_lost(bases[i]);
        test_pipe(bases[i]);
        test_next_seg(bases[i]);
        test_dsack(bases[i]);
        test_validity(bases[i]);
        test_merge_and_ack(bases[i]);
        test_capacity(bases[i]);
    }
    test_against_rfc();
    return check_report("test_tcp_sack");
}
