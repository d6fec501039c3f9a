/* test_faults_capture.c - a capture that cannot be written says so
 * (issue 8, fault 3).
 *
 * /dev/full takes the pcap header into the stdio buffer and fails every
 * write(2) with ENOSPC, as a full disk does: the failure must show in the
 * capture's status, stop the run that hit it, and come back from every
 * later flush and from the close, naming the file.  Before the fix
 * pcap_dump's silence made all of these report success. */
#define _DEFAULT_SOURCE              /* BSD types used by pcap.h */
#include <errno.h>
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

static ln_pkt *mkframe(ln_net *net, uint32_t len)
{
    ln_pkt *p = ln_net_pkt(net, len);
    memset(p->data, 0x5a, len);
    memcpy(p->data, "\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x01", 12);
    ln_put16(p->data + LN_ETH_TYPE, LN_ETHERTYPE_IPV4);
    return p;
}

/* Two ports over a 10 Mbit/s link; a timer sends one 1000-byte frame
 * a->b every millisecond, `left` times. */
typedef struct rig {
    ln_net *net;
    ln_port a, b;
    ln_link *l;
    ln_timer tick;
    int left;
} rig;

static void on_tick(void *arg)
{
    rig *r = arg;
    ln_link_send(r->a.out, mkframe(r->net, 1000));
    if (--r->left > 0) ln_timer_arm_in(&r->net->sim, &r->tick, LN_MSEC);
}

static void rig_init(rig *r, int frames)
{
    memset(r, 0, sizeof *r);
    r->net = ln_net_new(1);
    r->a = (ln_port){ .rx = drop_rx, .name = "a.eth0" };
    r->b = (ln_port){ .rx = drop_rx, .name = "b.eth0" };
    ln_linkcfg c;
    ln_linkcfg_default(&c);
    c.bandwidth = 10000000;
    r->l = ln_link_new(r->net, &r->a, &r->b, &c, NULL, NULL, 0);
    r->left = frames;
    ln_timer_init(&r->tick, on_tick, r);
    ln_timer_arm(&r->net->sim, &r->tick, 0);
}

/* Many frames: the stdio buffer fills, write(2) fails during the run. */
static void test_write_error_stops_the_run(void)
{
    rig r;
    rig_init(&r, 1000);
    char err[256] = "";
    ln_capture *c = ln_capture_open(r.net, "/dev/full", NULL, r.l, NULL, err, sizeof err);
    CHECK(c != NULL);
    CHECK_EQ(ln_capture_status(c, err, sizeof err), 0);
    ln_sim_run(&r.net->sim);
    /* stopped long before the 1000th frame, and not idle */
    CHECK(r.left > 900);
    CHECK(r.net->sim.stop);
    CHECK(ln_capture_count(c) < 100);
    CHECK_EQ(ln_capture_status(c, err, sizeof err), -1);
    CHECK(strstr(err, "capture \"/dev/full\": write failed: ") == err);
    CHECK(strstr(err, strerror(ENOSPC)) != NULL);
    /* the count stays where the file broke: nothing more is written */
    uint64_t n = ln_capture_count(c);
    ln_sim_run(&r.net->sim);
    CHECK_U64(ln_capture_count(c), n);
    CHECK_EQ(ln_capture_flush(c), -1);
    err[0] = '\0';
    CHECK_EQ(ln_capture_finish(c, err, sizeof err), -1);
    CHECK(strstr(err, "/dev/full") != NULL);
    CHECK_EQ(r.net->n_caps, 0);
    ln_net_free(r.net);
}

/* Few frames: all of them fit in the buffer; the flush finds out. */
static void test_flush_error(void)
{
    rig r;
    rig_init(&r, 2);
    char err[256];
    ln_capture *c = ln_capture_open(r.net, "/dev/full", &r.b, NULL, NULL, err, sizeof err);
    ln_sim_run(&r.net->sim);
    CHECK_EQ(r.left, 0);
    CHECK_EQ(ln_capture_status(c, NULL, 0), 0);   /* still in the buffer */
    CHECK_EQ(ln_capture_flush(c), -1);
    CHECK_EQ(ln_capture_status(c, err, sizeof err), -1);
    CHECK(strstr(err, "/dev/full") != NULL);
    CHECK(strstr(err, strerror(ENOSPC)) != NULL);
    CHECK_EQ(ln_capture_finish(c, err, sizeof err), -1);
    ln_net_free(r.net);
}

/* Never flushed: the close finds out. */
static void test_close_error(void)
{
    rig r;
    rig_init(&r, 2);
    char err[256] = "";
    ln_capture *c = ln_capture_open(r.net, "/dev/full", &r.b, NULL, NULL, err, sizeof err);
    ln_sim_run(&r.net->sim);
    CHECK_EQ(ln_capture_finish(c, err, sizeof err), -1);
    CHECK(strstr(err, "capture \"/dev/full\": write failed: ") == err);
    ln_net_free(r.net);
}

/* A file that can be written reports nothing, and its frames are whole. */
static void test_good_file(void)
{
    char path[] = "/tmp/lunet-faultcapXXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    rig r;
    rig_init(&r, 50);
    char err[256] = "";
    ln_capture *c = ln_capture_open(r.net, path, NULL, r.l, NULL, err, sizeof err);
    ln_sim_run(&r.net->sim);
    CHECK_EQ(r.left, 0);
    CHECK_U64(ln_capture_count(c), 50);
    CHECK_EQ(ln_capture_flush(c), 0);
    CHECK_EQ(ln_capture_finish(c, err, sizeof err), 0);
    CHECK_EQ(err[0], '\0');
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *pd = pcap_open_offline(path, errbuf);
    CHECK(pd != NULL);
    int n = 0;
    struct pcap_pkthdr *h;
    const u_char *data;
    while (pd && pcap_next_ex(pd, &h, &data) == 1) n++;
    if (pd) pcap_close(pd);
    CHECK_EQ(n, 50);
    ln_net_free(r.net);
    unlink(path);
}

int main(void)
{
    test_write_error_stops_the_run();
    test_flush_error();
    test_close_error();
    test_good_file();
    return check_report("test_faults_capture");
}
