/* bpf.c - tcpdump filters: pcap_compile on a dead Ethernet handle, then
 * pcap_offline_filter on each frame.
 *
 * The dead handle is needed only while compiling (it tells libpcap the
 * link type), so it is closed at once: a filter is one bpf_program and
 * costs no file descriptor or pcap_t while it lives. */
/* pcap.h uses the BSD types (u_char, u_int) that strict C11 with only
 * _POSIX_C_SOURCE hides; glibc shows them under _DEFAULT_SOURCE. */
#define _DEFAULT_SOURCE
#include "bpf.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>

/* Whole frames: a filter may look anywhere in a 64 KiB datagram. */
#define SNAPLEN 262144

struct ln_bpf {
    struct bpf_program prog;
    bool compiled;                /* false: the empty filter, match all */
};

ln_bpf *ln_bpf_new(const char *expr, char *err, size_t errlen)
{
    ln_bpf *f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!expr || !*expr) return f;
    pcap_t *pd = pcap_open_dead(DLT_EN10MB, SNAPLEN);
    if (!pd) {
        snprintf(err, errlen, "out of memory");
        free(f);
        return NULL;
    }
    /* optimize=1 as tcpdump does; the netmask only matters for "ip
     * broadcast", which needs a real interface anyway. */
    if (pcap_compile(pd, &f->prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, errlen, "%s", pcap_geterr(pd));
        pcap_close(pd);
        free(f);
        return NULL;
    }
    pcap_close(pd);
    f->compiled = true;
    return f;
}

void ln_bpf_free(ln_bpf *f)
{
    if (!f) return;
    if (f->compiled) pcap_freecode(&f->prog);
    free(f);
}

bool ln_bpf_compiled(const ln_bpf *f) { return f && f->compiled; }

bool ln_bpf_match(const ln_bpf *f, const uint8_t *frame, uint32_t len)
{
    if (!f->compiled) return true;
    /* The BPF interpreter checks every load against caplen, so a short or
     * malformed frame simply fails the filter. */
    struct pcap_pkthdr h = { .caplen = len, .len = len };
    return pcap_offline_filter(&f->prog, &h, frame) != 0;
}
