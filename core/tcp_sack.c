/* tcp_sack.c - the sender's SACK scoreboard and RFC 6675's helpers.
 *
 * Place in the call chain:
 *   tcp_in.c ACK processing -> ln_tcp_sb_ack (cumulative ACK moved)
 *                           -> ln_tcp_sb_update (the ACK's SACK blocks)
 *                           -> ln_tcp_sb_is_lost / ln_tcp_sb_pipe (enter
 *                              recovery, RFC 6675 5 steps 4-4.4)
 *   tcp_out.c ln_tcp_output in recovery -> ln_tcp_sb_pipe, ln_tcp_sb_next_seg
 *
 * Read: RFC 6675 (sections 2-5: IsLost, SetPipe, NextSeg, the recovery
 * algorithm), RFC 2018 (the option), RFC 2883 4 (D-SACK), and Linux's
 * tcp_check_dsack and tcp_is_sackblock_valid (tcp_input.c) for which
 * blocks count.
 *
 * Everything is in bytes of sequence space, compared with ln_seq_* so the
 * scoreboard works across the 2^32 wrap.  Blocks are few (a receiver
 * reports at most 4 per ACK), so linear scans over the sorted array are
 * cheaper than any tree. */
#include "tcp_sack.h"

#include <string.h>

void ln_tcp_sb_reset(ln_tcp_sb *sb, ln_seq snd_una)
{
    memset(sb, 0, sizeof *sb);
    sb->high_rxt = snd_una;
    sb->rescue_rxt = snd_una;
}

static uint32_t blen(const ln_tcp_sackblk *b) { return (uint32_t)(b->end - b->start); }

/* Remove blk[i]. */
static void drop(ln_tcp_sb *sb, int i)
{
    sb->sacked -= blen(&sb->blk[i]);
    sb->n--;
    memmove(&sb->blk[i], &sb->blk[i + 1], (size_t)(sb->n - i) * sizeof sb->blk[0]);
}

/* Add [s, e) to the sorted, disjoint array, merging every block it
 * overlaps or touches; returns the bytes that were not SACKed before. */
static uint32_t merge(ln_tcp_sb *sb, ln_seq s, ln_seq e)
{
    int i = 0;
    while (i < sb->n && ln_seq_lt(sb->blk[i].end, s)) i++;
    int j = i;
    uint32_t had = 0;
    while (j < sb->n && ln_seq_le(sb->blk[j].start, e)) {
        ln_seq lo = ln_seq_max(s, sb->blk[j].start), hi = ln_seq_min(e, sb->blk[j].end);
        if (ln_seq_lt(lo, hi)) had += (uint32_t)(hi - lo);
        j++;
    }
    uint32_t newly = (uint32_t)(e - s) - had;
    if (i == j) {
        if (sb->n == LN_TCP_SB_MAX) {
            /* Full: forget the lowest block (see tcp_sack.h).  If the new
             * block would be the lowest, it is the one forgotten. */
            if (i == 0) return 0;
            drop(sb, 0);
            i--;
        }
        memmove(&sb->blk[i + 1], &sb->blk[i], (size_t)(sb->n - i) * sizeof sb->blk[0]);
        sb->blk[i].start = s;
        sb->blk[i].end = e;
        sb->n++;
        sb->sacked += newly;
        return newly;
    }
    /* Blocks i..j-1 collapse into blk[i]. */
    ln_tcp_sackblk u = { ln_seq_min(s, sb->blk[i].start), ln_seq_max(e, sb->blk[j - 1].end) };
    int gone = j - i - 1;
    memmove(&sb->blk[i + 1], &sb->blk[j], (size_t)(sb->n - j) * sizeof sb->blk[0]);
    sb->n = (uint8_t)(sb->n - gone);
    sb->blk[i] = u;
    sb->sacked += newly;
    return newly;
}

/* RFC 2883 4 as Linux's tcp_check_dsack reads it: only the first block
 * can be a D-SACK, when it starts below the cumulative ACK or lies inside
 * the second block. */
static bool is_dsack(const ln_tcp_sackblk *b, int n, ln_seq snd_una)
{
    if (ln_seq_lt(b[0].start, snd_una)) return true;
    return n > 1 && ln_seq_ge(b[0].start, b[1].start) && ln_seq_le(b[0].end, b[1].end);
}

int ln_tcp_sb_update(ln_tcp_sb *sb, ln_seq snd_una, ln_seq snd_max,
                     const ln_tcp_sackblk *blocks, int n, uint32_t *newly)
{
    uint32_t added = 0;
    int dsack = n > 0 && is_dsack(blocks, n, snd_una);
    for (int k = dsack; k < n; k++) {
        ln_seq s = blocks[k].start, e = blocks[k].end;
        /* Linux's tcp_is_sackblock_valid: reversed or empty, beyond what
         * was sent, or not above SND.UNA: ignore. */
        if (!ln_seq_lt(s, e) || ln_seq_gt(e, snd_max) || !ln_seq_gt(s, snd_una)) continue;
        added += merge(sb, s, e);
    }
    if (newly) *newly = added;
    return dsack;
}

void ln_tcp_sb_ack(ln_tcp_sb *sb, ln_seq snd_una)
{
    while (sb->n && ln_seq_le(sb->blk[0].end, snd_una)) drop(sb, 0);
    if (sb->n && ln_seq_lt(sb->blk[0].start, snd_una)) {
        sb->sacked -= (uint32_t)(snd_una - sb->blk[0].start);
        sb->blk[0].start = snd_una;
    }
    /* Holes start at SND.UNA anyway; keeping HighRxt from falling more
     * than 2^31 behind keeps its comparisons meaningful. */
    if (ln_seq_lt(sb->high_rxt, snd_una)) sb->high_rxt = snd_una;
}

bool ln_tcp_sb_is_sacked(const ln_tcp_sb *sb, ln_seq seq)
{
    for (int i = 0; i < sb->n; i++) {
        if (ln_seq_lt(seq, sb->blk[i].start)) return false;
        if (ln_seq_lt(seq, sb->blk[i].end)) return true;
    }
    return false;
}

ln_seq ln_tcp_sb_high_sacked(const ln_tcp_sb *sb, ln_seq snd_una)
{
    return sb->n ? sb->blk[sb->n - 1].end : snd_una;
}

/* The IsLost test given what lies above: `blocks` SACKed blocks, `bytes`
 * SACKed bytes. */
static bool lost_above(int blocks, uint32_t bytes, uint32_t smss, uint32_t dupthresh)
{
    uint64_t lim = (uint64_t)(dupthresh ? dupthresh - 1 : 0) * smss;
    return (uint32_t)blocks >= dupthresh || bytes > lim;
}

bool ln_tcp_sb_is_lost(const ln_tcp_sb *sb, ln_seq seq, uint32_t smss, uint32_t dupthresh)
{
    int blocks = 0;
    uint32_t bytes = 0;
    ln_seq above = seq + 1;              /* octets strictly above seq */
    for (int i = sb->n - 1; i >= 0; i--) {
        const ln_tcp_sackblk *b = &sb->blk[i];
        if (ln_seq_le(b->end, above)) break;
        if (ln_seq_ge(b->start, above)) {
            blocks++;
            bytes += blen(b);
        } else {
            bytes += (uint32_t)(b->end - above);
        }
    }
    return lost_above(blocks, bytes, smss, dupthresh);
}

/* Every octet of one hole (the unSACKed run below blk[k], or above the
 * last block when k == n) has the same blocks above it, so IsLost is
 * decided once per hole: `above` holds the SACKed bytes of blk[k..n-1]. */
uint32_t ln_tcp_sb_pipe(const ln_tcp_sb *sb, ln_seq snd_una, ln_seq snd_max,
                        uint32_t smss, uint32_t dupthresh)
{
    uint32_t above = 0;
    for (int i = 0; i < sb->n; i++) above += blen(&sb->blk[i]);
    uint64_t pipe = 0;
    ln_seq a = snd_una;
    for (int k = 0; k <= sb->n; k++) {
        ln_seq b = k < sb->n ? sb->blk[k].start : snd_max;
        if (ln_seq_gt(b, snd_max)) b = snd_max;
        if (ln_seq_lt(a, b)) {
            /* SetPipe (a): not lost, still in the network. */
            if (!lost_above(sb->n - k, above, smss, dupthresh)) pipe += (uint32_t)(b - a);
            /* SetPipe (b): retransmitted (below HighRxt), the copy is too. */
            ln_seq r = ln_seq_min(b, sb->high_rxt);
            if (ln_seq_lt(a, r)) pipe += (uint32_t)(r - a);
        }
        if (k < sb->n) {
            above -= blen(&sb->blk[k]);
            a = ln_seq_max(a, sb->blk[k].end);
        }
    }
    return pipe > UINT32_MAX ? UINT32_MAX : (uint32_t)pipe;
}

bool ln_tcp_sb_next_seg(const ln_tcp_sb *sb, ln_seq snd_una, ln_seq snd_nxt,
                        uint32_t smss, uint32_t dupthresh, bool have_new_data,
                        ln_seq *seq, uint32_t *len, bool *new_data)
{
    *new_data = false;
    /* The lowest unSACKed octet S2 > HighRxt below the highest SACKed one
     * (rules 1.a, 1.b).  IsLost only weakens going up, so if S2's hole is
     * not lost no higher one is: rule 1 looks at this hole alone. */
    ln_seq from = ln_seq_max(snd_una, sb->high_rxt);
    uint32_t above = sb->sacked;
    ln_seq a = snd_una;
    for (int k = 0; k < sb->n; k++) {
        ln_seq lo = ln_seq_max(a, from), hi = sb->blk[k].start;
        if (ln_seq_lt(lo, hi)) {
            uint32_t n = (uint32_t)(hi - lo) < smss ? (uint32_t)(hi - lo) : smss;
            if (lost_above(sb->n - k, above, smss, dupthresh)) {     /* rule 1 */
                *seq = lo;
                *len = n;
                return true;
            }
            if (have_new_data) break;                               /* rule 2 */
            *seq = lo;                                              /* rule 3 */
            *len = n;
            return true;
        }
        above -= blen(&sb->blk[k]);
        a = ln_seq_max(a, sb->blk[k].end);
    }
    if (have_new_data) {
        *new_data = true;
        *seq = snd_nxt;
        *len = smss;
    }
    return false;
}
