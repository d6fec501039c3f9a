/* test_capture.c - pcap files from the event stream, read back by libpcap.
 *
 * Two hand-built ports joined by a 10 Mbit/s, 1 ms link: a link capture,
 * a port capture and a filtered capture run side by side; the files are
 * read back with nanosecond precision and compared frame by frame. */
#define _DEFAULT_SOURCE              /* BSD types used by pcap.h */
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "check.h"
#include "link.h"
#include "net.h"
#include "node.h"
#include "wire.h"

static void drop_rx(ln_port *port, ln_pkt *frame)
{
    (void)port;
    ln_pkt_free(frame);
}

static ln_pkt *mkframe(ln_net *net, uint16_t type, uint32_t len, uint8_t fill)
{
    ln_pkt *p = ln_net_pkt(net, len);
    memset(p->data, fill, len);
    memcpy(p->data, "\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x01", 12);
    ln_put16(p->data + LN_ETH_TYPE, type);
    return p;
}

typedef struct rec {
    uint64_t ns;
    uint32_t caplen, len;
    uint8_t first[64];
} rec;

/* Read a capture back; returns the number of frames (at most max). */
static int readback(const char *path, rec *out, int max)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *pd = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!pd) {
        fprintf(stderr, "%s: %s\n", path, errbuf);
        return -1;
    }
    CHECK_EQ(pcap_datalink(pd), DLT_EN10MB);
    CHECK_EQ(pcap_get_tstamp_precision(pd), PCAP_TSTAMP_PRECISION_NANO);
    struct pcap_pkthdr *h;
    const u_char *data;
    int n = 0;
    while (n < max && pcap_next_ex(pd, &h, &data) == 1) {
        out[n].ns = (uint64_t)h->ts.tv_sec * LN_SEC + (uint64_t)h->ts.tv_usec;
        out[n].caplen = h->caplen;
        out[n].len = h->len;
        memcpy(out[n].first, data, h->caplen < 64 ? h->caplen : 64);
        n++;
    }
    pcap_close(pd);
    return n;
}

static void test_capture(void)
{
    char dir[] = "/tmp/lunet-capXXXXXX", plink[64], pport[64], parp[64], pbad[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(plink, sizeof plink, "%s/link.pcap", dir);
    snprintf(pport, sizeof pport, "%s/port.pcap", dir);
    snprintf(parp, sizeof parp, "%s/arp.pcap", dir);
    snprintf(pbad, sizeof pbad, "%s/bad.pcap", dir);

    ln_net *net = ln_net_new(1);
    ln_port a = { .rx = drop_rx, .name = "a.eth0" }, b = { .rx = drop_rx, .name = "b.eth0" };
    ln_linkcfg c;
    ln_linkcfg_default(&c);
    c.bandwidth = 10000000;
    c.delay = LN_MSEC;
    ln_link *l = ln_link_new(net, &a, &b, &c, NULL, NULL, 0);
    char err[256];
    ln_capture *cl = ln_capture_open(net, plink, NULL, l, NULL, err, sizeof err);
    ln_capture *cp = ln_capture_open(net, pport, &b, NULL, "", err, sizeof err);
    ln_capture *ca = ln_capture_open(net, parp, NULL, l, "arp", err, sizeof err);
    CHECK(cl && cp && ca);
    CHECK_EQ(net->n_caps, 3);
    CHECK(strcmp(ln_capture_path(cl), plink) == 0);

    /* Errors: a bad filter names itself and libpcap's complaint; exactly
     * one of port and link; an unwritable path. */
    CHECK(ln_capture_open(net, pbad, NULL, l, "tcp port", err, sizeof err) == NULL);
    CHECK(strncmp(err, "capture filter \"tcp port\": ", 27) == 0 && strlen(err) > 27);
    CHECK(access(pbad, F_OK) != 0);
    CHECK(ln_capture_open(net, pbad, &a, l, NULL, err, sizeof err) == NULL);
    CHECK(strstr(err, "both") != NULL);
    CHECK(ln_capture_open(net, pbad, NULL, NULL, NULL, err, sizeof err) == NULL);
    CHECK(ln_capture_open(net, "/nonexistent-dir/x.pcap", &a, NULL, NULL, err, sizeof err) == NULL);
    CHECK(strstr(err, "/nonexistent-dir/x.pcap") != NULL);
    CHECK_EQ(net->n_caps, 3);

    /* At 1.5 s + 123 ns: an IPv4 frame a->b; then an ARP frame b->a. */
    ln_time t0 = 1500000123;
    ln_sim_run_until(&net->sim, t0);
    ln_link_send(a.out, mkframe(net, LN_ETHERTYPE_IPV4, 1500, 0x11));
    ln_link_send(b.out, mkframe(net, LN_ETHERTYPE_ARP, 60, 0x22));
    ln_sim_run(&net->sim);
    CHECK_U64(ln_capture_count(cl), 2);
    CHECK_U64(ln_capture_count(cp), 2);     /* b received one, sent one */
    CHECK_U64(ln_capture_count(ca), 1);
    ln_capture_flush(cl);
    ln_capture_close(cl);
    ln_capture_close(ca);
    CHECK_EQ(net->n_caps, 1);

    rec r[8];
    /* The link sees both frames as they start onto the wire. */
    CHECK_EQ(readback(plink, r, 8), 2);
    CHECK_U64(r[0].ns, t0);
    CHECK_EQ(r[0].len, 1500);
    CHECK_EQ(r[0].caplen, 1500);
    CHECK_EQ(ln_get16(r[0].first + 12), LN_ETHERTYPE_IPV4);
    CHECK_EQ(r[0].first[40], 0x11);
    CHECK_U64(r[1].ns, t0);
    CHECK_EQ(r[1].len, 60);
    CHECK_EQ(ln_get16(r[1].first + 12), LN_ETHERTYPE_ARP);
    /* The filter kept only ARP. */
    CHECK_EQ(readback(parp, r, 8), 1);
    CHECK_EQ(ln_get16(r[0].first + 12), LN_ETHERTYPE_ARP);
    CHECK_EQ(r[0].first[20], 0x22);

    /* The port capture is still open: the net closes it (and flushes). */
    ln_net_free(net);
    CHECK_EQ(readback(pport, r, 8), 2);
    /* b sent the ARP frame at t0 and received the IPv4 one 1.2 + 1 ms later. */
    CHECK_U64(r[0].ns, t0);
    CHECK_EQ(ln_get16(r[0].first + 12), LN_ETHERTYPE_ARP);
    CHECK_U64(r[1].ns, t0 + 1200000 + LN_MSEC);
    CHECK_EQ(r[1].len, 1500);

    unlink(plink);
    unlink(pport);
    unlink(parp);
    rmdir(dir);
}

int main(void)
{
    test_capture();
    return check_report("test_capture");
}
