/* capture.c - pcap files written by libpcap from the event stream.
 *
 * Call chain: link.c emits TX (frame starts onto a link direction) and RX
 * (frame delivered to the far port) -> ln_net_emit -> on_event here ->
 * optional BPF filter (pcap_offline_filter) -> pcap_dump.  Nothing else in
 * the engine knows captures exist; ln_net_free and the run drivers reach
 * them through the net's list (ln_net_flush_captures, ln_capture_close).
 *
 * The dead pcap_t is opened with nanosecond precision, so pcap_dump writes
 * the nanosecond magic and reads tv_usec as nanoseconds: virtual time goes
 * into the file exactly.
 *
 * pcap_dump and pcap_dump_close report nothing, so errors are read from the
 * stdio stream under the dumper (pcap_dump_file): its error flag after each
 * frame (a flag test, no system call: the hot path stays a buffered
 * fwrite), pcap_dump_flush's result, and fclose's. */
/* pcap.h uses the BSD types (u_char, u_int) that strict C11 with only
 * _POSIX_C_SOURCE hides; glibc shows them under _DEFAULT_SOURCE. */
#define _DEFAULT_SOURCE
#include "capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf.h"
#include "event.h"
#include "net.h"

/* tcpdump's default snap length: whole frames, even 64 KiB reassembly
 * buffers passed through a loopback-sized MTU. */
#define SNAPLEN 262144

struct ln_capture {
    ln_net *net;
    struct ln_port *port;         /* exactly one of port, link */
    struct ln_link *link;
    pcap_t *pd;
    pcap_dumper_t *dumper;
    FILE *f;                      /* pcap_dump_file(dumper) */
    ln_bpf *bpf;                  /* NULL: every frame */
    int sub;                      /* subscription id */
    uint64_t count;
    char *path;
    bool live;                    /* a pipe or a socket (wireshark -k -i -, a FIFO):
                                   * each frame is flushed, so a reader sees it at once */
    int err;                      /* errno of the first failure; 0 while fine */
    const char *failed;           /* what failed first: "write", "close" */
};

#define FAIL(err, errlen, ...) do {                                      \
    if ((err) && (errlen)) snprintf((err), (errlen), __VA_ARGS__);       \
} while (0)

/* Keep the first failure: later ones are its consequences. */
static void fail(ln_capture *c, const char *what, int e)
{
    if (c->err) return;
    c->err = e ? e : EIO;
    c->failed = what;
}

static void on_event(const ln_event *ev, void *arg)
{
    ln_capture *c = arg;
    const ln_pkt *p = ev->pkt;
    /* Only its own target's events come (the subscription is scoped): a
     * link's frames once each, as they start onto the wire in either
     * direction, before the wire loses or damages them (TX alone); a
     * port's as it sends and as it receives them. */
    if (!p || ev->layer != LN_LAYER_L2 || c->err) return;   /* a failed file takes no more */
    struct pcap_pkthdr h;
    h.ts.tv_sec = (time_t)(ev->time / LN_SEC);
    h.ts.tv_usec = (suseconds_t)(ev->time % LN_SEC);   /* nanoseconds in nano mode */
    h.len = p->len;
    h.caplen = p->len < SNAPLEN ? p->len : SNAPLEN;
    if (c->bpf && !ln_bpf_match(c->bpf, p->data, p->len)) return;
    pcap_dump((u_char *)c->dumper, &h, p->data);
    if (c->live) fflush(c->f);
    if (ferror(c->f)) {
        /* A full stdio buffer went to write(2), which failed: the
         * file now ends in the middle of a record. */
        fail(c, "write", errno);
        ln_sim_stop(&c->net->sim);
        return;
    }
    c->count++;
}

/* Flush and close the file, keeping the first failure. */
static void close_file(ln_capture *c)
{
    if (!c->dumper) return;
    if (!c->err && (pcap_dump_flush(c->dumper) != 0 || ferror(c->f))) fail(c, "write", errno);
    /* pcap_dump_close is fclose(pcap_dump_file(dumper)) without the
     * result (the dumper is the stream in every libpcap); closing the
     * stream ourselves keeps it. */
    if (fclose(c->f) != 0) fail(c, "close", errno);
    c->dumper = NULL;
    c->f = NULL;
}

static void destroy(ln_capture *c)
{
    close_file(c);
    ln_bpf_free(c->bpf);
    if (c->pd) pcap_close(c->pd);
    free(c->path);
    free(c);
}

ln_capture *ln_capture_open(ln_net *net, const char *path,
                            struct ln_port *port, struct ln_link *link,
                            const char *filter, char *err, size_t errlen)
{
    if (!path || !*path) {
        FAIL(err, errlen, "capture needs a file name");
        return NULL;
    }
    if (!port == !link) {
        FAIL(err, errlen, "capture \"%s\": give either a port or a link, not %s", path,
             port ? "both" : "neither");
        return NULL;
    }
    ln_capture *c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(path))) {
        free(c);
        FAIL(err, errlen, "out of memory");
        return NULL;
    }
    c->net = net;
    c->port = port;
    c->link = link;
    c->pd = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, SNAPLEN, PCAP_TSTAMP_PRECISION_NANO);
    if (!c->pd) {
        FAIL(err, errlen, "capture \"%s\": libpcap could not open a dead handle", path);
        destroy(c);
        return NULL;
    }
    if (filter && *filter) {
        char why[256];
        if (!(c->bpf = ln_bpf_new(filter, why, sizeof why))) {
            FAIL(err, errlen, "capture filter \"%s\": %s", filter, why);
            destroy(c);
            return NULL;
        }
    }
    if (strcmp(path, "-") == 0) {
        /* Standard output, for `lunet run ... | wireshark -k -i -`: a
         * descriptor of our own, so the caller may point stdout elsewhere. */
        int fd = dup(STDOUT_FILENO);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!f) {
            FAIL(err, errlen, "capture to standard output: %s", strerror(errno));
            if (fd >= 0) close(fd);
            destroy(c);
            return NULL;
        }
        c->dumper = pcap_dump_fopen(c->pd, f);
        if (!c->dumper) fclose(f);
    } else {
        c->dumper = pcap_dump_open(c->pd, path);
    }
    if (!c->dumper) {
        FAIL(err, errlen, "capture \"%s\": %s", path, pcap_geterr(c->pd));
        destroy(c);
        return NULL;
    }
    c->f = pcap_dump_file(c->dumper);
    struct stat sb;
    c->live = fstat(fileno(c->f), &sb) == 0 && (S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode));
    if (c->live) fflush(c->f);              /* the file header, for the reader */
    /* Scoped to what it watches: the network's other links go on booking
     * their frames (link.c), and on_event is called for its own alone. */
    uint32_t mask = LN_EV_MASK(LN_EV_TX) | (port ? LN_EV_MASK(LN_EV_RX) : 0);
    int id = ln_net_subscribe_on(net, mask, on_event, c, link, port);
    if (id <= 0 || ln_net_add_capture(net, c) != 0) {
        if (id > 0) ln_net_unsubscribe(net, id);
        FAIL(err, errlen, "out of memory");
        bool regular = !c->live;
        destroy(c);
        if (regular) remove(path);
        return NULL;
    }
    c->sub = id;
    return c;
}

uint64_t ln_capture_count(const ln_capture *c) { return c->count; }
const char *ln_capture_path(const ln_capture *c) { return c->path; }

const struct ln_port *ln_capture_port(const ln_capture *c) { return c->port; }
const struct ln_link *ln_capture_link(const ln_capture *c) { return c->link; }

int ln_capture_move(ln_capture *c, const char *path)
{
    char *p = strdup(path);
    if (!p) return ENOMEM;
    if (rename(c->path, path) != 0) {
        int e = errno;
        free(p);
        return e;
    }
    free(c->path);
    c->path = p;
    return 0;
}

static void describe(const ln_capture *c, char *err, size_t errlen)
{
    FAIL(err, errlen, "capture \"%s\": %s failed: %s (the file is incomplete)", c->path,
         c->failed, strerror(c->err));
}

int ln_capture_status(const ln_capture *c, char *err, size_t errlen)
{
    if (!c->err) return 0;
    describe(c, err, errlen);
    return -1;
}

int ln_capture_flush(ln_capture *c)
{
    if (!c) return 0;
    if (!c->err && c->dumper && (pcap_dump_flush(c->dumper) != 0 || ferror(c->f)))
        fail(c, "write", errno);
    return c->err ? -1 : 0;
}

int ln_capture_finish(ln_capture *c, char *err, size_t errlen)
{
    if (!c) return 0;
    ln_net_unsubscribe(c->net, c->sub);
    ln_net_remove_capture(c->net, c);
    close_file(c);
    int rc = ln_capture_status(c, err, errlen);
    destroy(c);
    return rc;
}

void ln_capture_close(ln_capture *c)
{
    ln_capture_finish(c, NULL, 0);
}
