/* bpf.h - tcpdump filter expressions, compiled once by libpcap for
 * Ethernet frames and run on whole frames.
 *
 * The one place where captures (capture.c), firewall rules (firewall.c),
 * interception hooks (intercept.c) and lunet.filter get their filters, so
 * "tcp[tcpflags] == tcp-ack" means the same thing, tcpdump's thing, in
 * all of them.  Kept opaque so that only bpf.c sees pcap.h and its BSD
 * types. */
#ifndef LN_BPF_H
#define LN_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ln_bpf ln_bpf;

/* Compile `expr` (NULL or "" gives a filter that matches every frame).
 * On a bad expression returns NULL and err gets libpcap's message alone
 * ("syntax error", "unknown host 'x'"), for the caller to prefix. */
ln_bpf *ln_bpf_new(const char *expr, char *err, size_t errlen);
void ln_bpf_free(ln_bpf *f);                  /* NULL is fine */
/* True if the frame (at its Ethernet header, len bytes, borrowed) passes. */
bool ln_bpf_match(const ln_bpf *f, const uint8_t *frame, uint32_t len);
/* False for the match-everything filter: callers may skip the call. */
bool ln_bpf_compiled(const ln_bpf *f);

#endif
