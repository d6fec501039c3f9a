/* ext.h - a port that leads out of the virtual network: the far end of the
 * link that joins a virtual interface (or a switch) to a real one.
 *
 * The core does no I/O: an external port hands each frame that reaches it
 * to a callback (the bridge in lua/bridge_dev.c writes it to a TAP device
 * or injects it with libpcap), and the driver hands frames that came from
 * outside to ln_ext_inject, which starts them onto the link at the current
 * virtual time.  Between the two the link is an ordinary link, with its
 * delay, loss and queue, so impairments apply to real traffic too.
 *
 * What comes from outside is network input: ln_ext_inject checks the
 * length before anything reads the frame, and the stack behind the link
 * parses it as it parses any frame. */
#ifndef LN_EXT_H
#define LN_EXT_H

#include <stddef.h>
#include <stdint.h>

#include "port.h"

struct ln_net;

typedef struct ln_ext_stats {
    uint64_t in_frames, in_bytes;     /* from outside, started onto the link */
    uint64_t in_dropped;              /* from outside, refused: runt, oversize, no buffer */
    uint64_t out_frames, out_bytes;   /* handed to the callback */
    uint64_t out_dropped;             /* the callback could not send (counted by it) */
} ln_ext_stats;

typedef struct ln_ext ln_ext;
/* Called for every frame that leaves the virtual network through e, at
 * its arrival time; the bytes are valid for the call only.  Returns 0, or
 * -1 when the frame could not go out (counted in out_dropped). */
typedef int (*ln_ext_out_fn)(ln_ext *e, const uint8_t *frame, size_t len, void *ud);

struct ln_ext {
    ln_port port;                     /* kind LN_PORT_EXT */
    struct ln_net *net;
    ln_ext_out_fn out;                /* NULL: frames are counted and dropped */
    void *ud;
    uint32_t max_frame;               /* longest frame accepted from outside */
    ln_ext_stats st;
};

/* A new external port named `name` (for events and captures: "tap:lunet0"),
 * owned by the network; join it to an interface or a switch port with
 * ln_link_new.  NULL when out of memory. */
ln_ext *ln_ext_new(struct ln_net *net, const char *name, ln_ext_out_fn out, void *ud);
/* Stop calling out (the device is closing); the port stays, and drops. */
void ln_ext_detach(ln_ext *e);
/* A frame from outside: copied, stamped with a new trace id and started
 * onto the link now.  Shorter than an Ethernet header, longer than
 * max_frame, or with no link attached: dropped, counted, never read. */
void ln_ext_inject(ln_ext *e, const uint8_t *frame, size_t len);

static inline ln_ext *ln_port_ext(const ln_port *p)
{
    return p && p->kind == LN_PORT_EXT ? (ln_ext *)p->owner : NULL;
}

#endif
