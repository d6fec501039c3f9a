/* ext.c - external ports: where a bridge's frames leave and enter the
 * virtual network (ext.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ext.h"
#include "link.h"
#include "net.h"
#include "sim.h"
#include "wire.h"

/* A frame that reached the external end of its link: out to the device. */
static void ext_rx(ln_port *port, ln_pkt *frame)
{
    ln_ext *e = port->owner;
    ln_pkt_finish(frame);          /* a real host checks what it gets (pkt.h) */
    if (e->out && e->out(e, frame->data, frame->len, e->ud) == 0) {
        e->st.out_frames++;
        e->st.out_bytes += frame->len;
    } else {
        e->st.out_dropped++;
    }
    ln_pkt_free(frame);
}

static void ext_free(void *obj) { free(obj); }

ln_ext *ln_ext_new(ln_net *net, const char *name, ln_ext_out_fn out, void *ud)
{
    ln_ext *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    if (ln_net_own(net, e, ext_free, LN_OWN_OBJECTS) != 0) {
        free(e);
        return NULL;
    }
    e->net = net;
    e->out = out;
    e->ud = ud;
    e->max_frame = LN_ETH_HLEN + 65535;
    e->port.rx = ext_rx;
    e->port.kind = LN_PORT_EXT;
    e->port.owner = e;
    /* The outside world is not an actor of the simulation: what it sends
     * is started by the driver between events, as the script's own code
     * would be. */
    e->port.actor = LN_ACTOR_NET;
    snprintf(e->port.name, sizeof e->port.name, "%s", name);
    return e;
}

void ln_ext_detach(ln_ext *e)
{
    e->out = NULL;
    e->ud = NULL;
}

void ln_ext_inject(ln_ext *e, const uint8_t *frame, size_t len)
{
    ln_drop_reason why = !e->port.out ? LN_DROP_NO_CARRIER
                       : len < LN_ETH_HLEN ? LN_DROP_TRUNCATED
                       : len > e->max_frame ? LN_DROP_MALFORMED : LN_DROP_NONE;
    if (why != LN_DROP_NONE) {
        e->st.in_dropped++;
        ln_net_drop(e->net, NULL, NULL, NULL, LN_LAYER_L2, why);
        return;
    }
    ln_pkt *p = ln_net_pkt(e->net, (uint32_t)len);
    if (!p) {
        e->st.in_dropped++;
        ln_net_drop(e->net, NULL, NULL, NULL, LN_LAYER_L2, LN_DROP_NO_BUFFER);
        return;
    }
    memcpy(p->data, frame, len);
    e->st.in_frames++;
    e->st.in_bytes += len;
    ln_link_send(e->port.out, p);
}
