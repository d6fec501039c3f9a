/* bridge_dev.h - the real side of a bridge: a Linux TAP device lunet
 * creates (or attaches to), or an existing interface through libpcap.
 *
 * Only drivers and this file touch the operating system's network: the
 * stacks never see a device, only frames handed over by ln_ext (core/ext.h).
 * Every call fills err with what went wrong and what would fix it. */
#ifndef LNL_BRIDGE_DEV_H
#define LNL_BRIDGE_DEV_H

#include <stddef.h>
#include <stdint.h>

typedef enum { LNL_DEV_TAP, LNL_DEV_PCAP } lnl_dev_kind;

typedef struct lnl_dev {
    lnl_dev_kind kind;
    int fd;                       /* the TAP, or pcap's selectable fd; -1 closed */
    void *pcap;                   /* pcap_t * for LNL_DEV_PCAP */
    char name[16];                /* IFNAMSIZ: the kernel's name for it */
} lnl_dev;

/* Create the TAP device `name` (or attach to a persistent one of that
 * name), non-blocking, without packet information headers.  The device
 * exists while it is open: closing removes one lunet created. */
int lnl_dev_open_tap(lnl_dev *d, const char *name, char *err, size_t errlen);
/* Capture from and inject into the existing interface `name` (promiscuous,
 * immediate, only frames it receives: never our own injections back). */
int lnl_dev_open_pcap(lnl_dev *d, const char *name, char *err, size_t errlen);
/* The kernel side of a TAP: MTU, an IPv4 address (plen 0xff: none), up. */
int lnl_dev_configure(const lnl_dev *d, unsigned mtu, uint32_t addr, uint8_t plen,
                      char *err, size_t errlen);
/* One frame into buf: its length, 0 when nothing is waiting, -1 on an
 * error (err filled).  Frames longer than cap are cut to cap. */
long lnl_dev_read(lnl_dev *d, uint8_t *buf, size_t cap, char *err, size_t errlen);
/* Send one frame out: 0, or -1 when the device refused it (full, too
 * long, gone). */
int lnl_dev_write(lnl_dev *d, const uint8_t *frame, size_t len);
void lnl_dev_close(lnl_dev *d);

#endif
