/* capture.h - pcap files written by libpcap from the event stream.
 *
 * A capture watches one port (an interface or a switch port: frames it
 * sends and receives, like tcpdump -i) or one link (frames as they start
 * onto the wire in both directions, before any loss).  Timestamps are
 * virtual time with nanosecond precision.  An optional filter in tcpdump
 * syntax is compiled by libpcap and applied to each frame.
 *
 * Write errors (a full disk, a file on /dev/full, a failing NFS server)
 * are never ignored: the first one is kept, the capture writes nothing
 * more (the file is incomplete from there on), the network's run is
 * stopped after the current event so the failure surfaces at once, and
 * every later flush and the close report it. */
#ifndef LN_CAPTURE_H
#define LN_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

struct ln_net;
struct ln_port;
struct ln_link;

typedef struct ln_capture ln_capture;

/* Open `path` for writing.  port or link (exactly one non-NULL).  filter may
 * be NULL or "".  Returns NULL and fills err (libpcap's message for a bad
 * filter) on failure. */
ln_capture *ln_capture_open(struct ln_net *net, const char *path,
                            struct ln_port *port, struct ln_link *link,
                            const char *filter, char *err, size_t errlen);
/* Frames written so far (a frame whose write failed is not counted). */
uint64_t ln_capture_count(const ln_capture *c);
const char *ln_capture_path(const ln_capture *c);
/* What it watches: a port, or a link (the other is NULL). */
const struct ln_port *ln_capture_port(const ln_capture *c);
const struct ln_link *ln_capture_link(const ln_capture *c);
/* Rename its file (open, being written) to path: 0, or an errno. */
int ln_capture_move(ln_capture *c, const char *path);
/* 0 while every frame reached the file; after a failed write, flush or
 * close: -1, and err (when given) says which file and why, e.g.
 * `capture "x.pcap": write failed: No space left on device`. */
int ln_capture_status(const ln_capture *c, char *err, size_t errlen);
/* Push buffered frames to the file: 0, or -1 when the capture has failed
 * (now or before; ln_capture_status says why). */
int ln_capture_flush(ln_capture *c);
/* Flush, close the file, unsubscribe, free: 0, or -1 with the reason in
 * err when any write, the flush or the close failed. */
int ln_capture_finish(ln_capture *c, char *err, size_t errlen);
/* ln_capture_finish for callers that cannot report (ln_net_free). */
void ln_capture_close(ln_capture *c);

#endif
