/* capture.h - pcap files written by libpcap from the event stream.
 *
 * A capture watches one port (an interface or a switch port: frames it
 * sends and receives, like tcpdump -i) or one link (frames as they start
 * onto the wire in both directions, before any loss).  Timestamps are
 * virtual time with nanosecond precision.  An optional filter in tcpdump
 * syntax is compiled by libpcap and applied to each frame. */
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
/* Frames written so far. */
uint64_t ln_capture_count(const ln_capture *c);
const char *ln_capture_path(const ln_capture *c);
void ln_capture_flush(ln_capture *c);
/* Flush, close the file, unsubscribe, free. */
void ln_capture_close(ln_capture *c);

#endif
