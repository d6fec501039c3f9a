/* tcp_sack.h - the sender's SACK scoreboard and RFC 6675 loss recovery
 * helpers (IsLost, SetPipe, NextSeg), in bytes of sequence space.
 *
 * The scoreboard keeps the SACKed ranges above SND.UNA as a sorted array
 * of disjoint blocks, plus HighRxt (the highest retransmitted sequence) and
 * RescueRxt.  A receiver may report at most 4 blocks per ACK, but the
 * union over many ACKs can hold more: LN_TCP_SB_MAX bounds it (when full,
 * the lowest blocks are merged, which only makes recovery more careful). */
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
 * ln_tcp_sb_ack).  Blocks at or below snd_una, or inside a higher block
 * that was reported first (RFC 2883), are D-SACKs: the return value counts
 * them; they are not merged.  Blocks beyond snd_max are ignored as bogus.
 * Returns how many bytes became newly SACKed in *newly (may be NULL). */
int ln_tcp_sb_update(ln_tcp_sb *sb, ln_seq snd_una, ln_seq snd_max,
                     const ln_tcp_sackblk *blocks, int n, uint32_t *newly);
/* The cumulative ACK moved to snd_una: forget blocks below it. */
void ln_tcp_sb_ack(ln_tcp_sb *sb, ln_seq snd_una);
bool ln_tcp_sb_is_sacked(const ln_tcp_sb *sb, ln_seq seq);
/* Highest SACKed sequence (end of the top block), or snd_una if none. */
ln_seq ln_tcp_sb_high_sacked(const ln_tcp_sb *sb, ln_seq snd_una);

/* RFC 6675 IsLost(seq): DupThresh discontiguous SACKed segments, or more
 * than (DupThresh - 1) * SMSS bytes SACKed, above seq. */
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
 * with len <= smss, never crossing a SACKed block. */
bool ln_tcp_sb_next_seg(const ln_tcp_sb *sb, ln_seq snd_una, ln_seq snd_nxt,
                        uint32_t smss, uint32_t dupthresh, bool have_new_data,
                        ln_seq *seq, uint32_t *len, bool *new_data);

#endif
