/* tcp_sack.h - the sender's SACK scoreboard and RFC 6675 loss recovery
 * helpers (IsLost, SetPipe, NextSeg), in bytes of sequence space.
 *
 * The scoreboard keeps the SACKed ranges above SND.UNA as a sorted array
 * of disjoint blocks, plus HighRxt and RescueRxt.  A receiver may report
 * at most 4 blocks per ACK, but the union over many ACKs can hold more:
 * LN_TCP_SB_MAX bounds it.  When it is full, the lowest block is
 * forgotten (its bytes count as not SACKed again): that can cost a
 * needless retransmission, never a missed one.  Merging blocks instead
 * would mark the hole between them as received, and it would then wait
 * for an RTO.
 *
 * HighRxt is kept as an exclusive end: after retransmitting [seq, seq +
 * len) the caller sets high_rxt = seq + len; everything unSACKed below it
 * counts as retransmitted (RFC 6675 SetPipe (b)).  ln_tcp_sb_reset sets
 * both HighRxt and RescueRxt to SND.UNA ("nothing yet"). */
#ifndef LN_TCP_SACK_H
#define LN_TCP_SACK_H

#include <stdbool.h>
#include <stdint.h>
#include "seq.h"

#define LN_TCP_SB_MAX 32

typedef struct ln_tcp_sackblk { ln_seq start, end; } ln_tcp_sackblk;   /* [start, end) */

typedef struct ln_tcp_sb {
    ln_tcp_sackblk blk[LN_TCP_SB_MAX];  /* sorted, disjoint, all above snd_una */
    uint8_t n;
    ln_seq high_rxt;                    /* RFC 6675 HighRxt */
    ln_seq rescue_rxt;                  /* RFC 6675 RescueRxt */
    uint32_t sacked;                    /* bytes covered by blk[] */
} ln_tcp_sb;

void ln_tcp_sb_reset(ln_tcp_sb *sb, ln_seq snd_una);

/* Merge the SACK blocks of one ACK (cumulative ack already applied via
 * ln_tcp_sb_ack).  The first block is a D-SACK (RFC 2883 4, Linux's
 * tcp_check_dsack) when it starts below snd_una or lies inside the second
 * block: the return value is 1 then, else 0, and it is not merged.  Like
 * Linux's tcp_is_sackblock_valid, other blocks count only when snd_una <
 * start < end <= snd_max: blocks beyond snd_max are bogus, blocks at or
 * below snd_una stale.  Returns how many bytes became newly SACKed in
 * *newly (may be NULL). */
int ln_tcp_sb_update(ln_tcp_sb *sb, ln_seq snd_una, ln_seq snd_max,
                     const ln_tcp_sackblk *blocks, int n, uint32_t *newly);
/* The cumulative ACK moved to snd_una: forget blocks below it. */
void ln_tcp_sb_ack(ln_tcp_sb *sb, ln_seq snd_una);
bool ln_tcp_sb_is_sacked(const ln_tcp_sb *sb, ln_seq seq);
/* Highest SACKed sequence (end of the top block), or snd_una if none. */
ln_seq ln_tcp_sb_high_sacked(const ln_tcp_sb *sb, ln_seq snd_una);

/* RFC 6675 IsLost(seq): DupThresh discontiguous SACKed segments, or more
 * than (DupThresh - 1) * SMSS bytes SACKed, above seq.  The scoreboard
 * holds bytes, not segments, so "discontiguous SACKed segments" counts the
 * blocks wholly above seq; with full-sized segments the byte rule covers
 * contiguous ones. */
bool ln_tcp_sb_is_lost(const ln_tcp_sb *sb, ln_seq seq, uint32_t smss, uint32_t dupthresh);
/* RFC 6675 SetPipe(): bytes the sender thinks are in the network,
 * between snd_una and snd_max. */
uint32_t ln_tcp_sb_pipe(const ln_tcp_sb *sb, ln_seq snd_una, ln_seq snd_max,
                        uint32_t smss, uint32_t dupthresh);
/* RFC 6675 NextSeg(): the next range to send during recovery.  Rule 1:
 * the first lost unSACKed hole above HighRxt; rule 2: new data (returns
 * false and sets *new_data, the caller sends from snd_nxt if the window
 * allows); rule 3: an unSACKed hole above HighRxt that is not lost yet;
 * rule 4 (rescue) is left to the caller.  On true, [*seq, *seq + *len)
 * with len <= smss, never crossing a SACKed block.  For rule 2, *seq =
 * snd_nxt and *len = smss as well.  Holes are looked for from
 * max(snd_una, HighRxt) up to the highest SACKed byte (rule 1.b), not
 * bounded by snd_nxt, so after an RTO rewinds SND.NXT they are still
 * repaired around SACKed data. */
bool ln_tcp_sb_next_seg(const ln_tcp_sb *sb, ln_seq snd_una, ln_seq snd_nxt,
                        uint32_t smss, uint32_t dupthresh, bool have_new_data,
                        ln_seq *seq, uint32_t *len, bool *new_data);

#endif
