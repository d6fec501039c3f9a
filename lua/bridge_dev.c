/* bridge_dev.c - TAP devices and libpcap handles for bridges (bridge_dev.h).
 *
 * Read: Documentation/networking/tuntap.rst (TUNSETIFF, IFF_TAP,
 * IFF_NO_PI), netdevice(7) (SIOCSIFADDR and friends), pcap(3PCAP)
 * (pcap_create, immediate mode, pcap_setdirection, pcap_inject). */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_tun.h>
#include <pcap/pcap.h>

#include "bridge_dev.h"

static int check_name(const char *name, char *err, size_t errlen)
{
    size_t n = strlen(name);
    if (n == 0 || n >= IFNAMSIZ) {
        snprintf(err, errlen, "interface name \"%s\": 1 to %d characters", name, IFNAMSIZ - 1);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= ' ' || c == '/' || c == ':' || c >= 127) {
            snprintf(err, errlen, "interface name \"%s\": no spaces, '/' or ':'", name);
            return -1;
        }
    }
    return 0;
}

static const char *privilege_hint(void)
{
    return geteuid() == 0 ? "" : " (run as root, or give lunet CAP_NET_ADMIN: "
                                 "sudo setcap cap_net_admin+ep $(command -v lunet))";
}

static const char *pcap_privilege_hint(void)
{
    return geteuid() == 0 ? "" : " (run as root, or give lunet both: "
                                 "sudo setcap cap_net_raw,cap_net_admin+ep $(command -v lunet))";
}

int lnl_dev_open_tap(lnl_dev *d, const char *name, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    d->fd = -1;
    d->kind = LNL_DEV_TAP;
    if (check_name(name, err, errlen) != 0) return -1;
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENODEV || e == ENXIO)
            snprintf(err, errlen, "tap %s: no /dev/net/tun here (load the tun module: modprobe tun; "
                                  "in a container, pass the device in: --device /dev/net/tun)", name);
        else if (e == EACCES || e == EPERM)
            snprintf(err, errlen, "tap %s: /dev/net/tun: %s%s", name, strerror(e), privilege_hint());
        else
            snprintf(err, errlen, "tap %s: /dev/net/tun: %s", name, strerror(e));
        return -1;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int e = errno;
        if (e == EPERM || e == EACCES)
            snprintf(err, errlen, "tap %s: creating a TAP device needs CAP_NET_ADMIN%s", name,
                     geteuid() == 0 ? " (this root lacks it: a container without NET_ADMIN?)"
                                    : privilege_hint());
        else if (e == EBUSY)
            snprintf(err, errlen, "tap %s: the device is in use (another program holds it open)", name);
        else if (e == EINVAL)
            snprintf(err, errlen, "tap %s: an interface of that name exists and is not a TAP device", name);
        else
            snprintf(err, errlen, "tap %s: TUNSETIFF: %s", name, strerror(e));
        close(fd);
        return -1;
    }
    d->fd = fd;
    snprintf(d->name, sizeof d->name, "%s", ifr.ifr_name);
    return 0;
}

int lnl_dev_open_pcap(lnl_dev *d, const char *name, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    d->fd = -1;
    d->kind = LNL_DEV_PCAP;
    if (check_name(name, err, errlen) != 0) return -1;
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_create(name, ebuf);
    if (!p) {
        snprintf(err, errlen, "device %s: %s", name, ebuf);
        return -1;
    }
    pcap_set_snaplen(p, 65535 + 14);
    pcap_set_promisc(p, 1);
    pcap_set_immediate_mode(p, 1);
    int rc = pcap_activate(p);
    if (rc < 0) {
        if (rc == PCAP_ERROR_PERM_DENIED)
            snprintf(err, errlen, "device %s: capturing needs CAP_NET_RAW and CAP_NET_ADMIN%s", name,
                     pcap_privilege_hint());
        else if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
            snprintf(err, errlen, "device %s: no such interface (ip link lists them)", name);
        else
            snprintf(err, errlen, "device %s: %s", name, pcap_geterr(p));
        pcap_close(p);
        return -1;
    }
    if (pcap_datalink(p) != DLT_EN10MB) {
        snprintf(err, errlen, "device %s: not an Ethernet interface (link type %s): a bridge carries "
                              "Ethernet frames", name, pcap_datalink_val_to_name(pcap_datalink(p)));
        pcap_close(p);
        return -1;
    }
    /* Frames we inject come back on the capture unless told not to: they
     * would loop into the virtual network again. */
    if (pcap_setdirection(p, PCAP_D_IN) != 0 || pcap_setnonblock(p, 1, ebuf) != 0) {
        snprintf(err, errlen, "device %s: %s", name, pcap_geterr(p));
        pcap_close(p);
        return -1;
    }
    d->fd = pcap_get_selectable_fd(p);
    if (d->fd < 0) {
        snprintf(err, errlen, "device %s: no selectable descriptor", name);
        pcap_close(p);
        return -1;
    }
    d->pcap = p;
    snprintf(d->name, sizeof d->name, "%s", name);
    return 0;
}

int lnl_dev_configure(const lnl_dev *d, unsigned mtu, uint32_t addr, uint8_t plen,
                      char *err, size_t errlen)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        snprintf(err, errlen, "tap %s: socket: %s", d->name, strerror(errno));
        return -1;
    }
    struct ifreq ifr;
    const char *what = NULL;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", d->name);
    ifr.ifr_mtu = (int)mtu;
    if (mtu && ioctl(s, SIOCSIFMTU, &ifr) < 0) what = "setting the MTU";
    if (!what && plen <= 32) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
        memset(&ifr.ifr_addr, 0, sizeof ifr.ifr_addr);
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(addr);
        if (ioctl(s, SIOCSIFADDR, &ifr) < 0) what = "setting the address";
        sin = (struct sockaddr_in *)&ifr.ifr_netmask;
        memset(&ifr.ifr_netmask, 0, sizeof ifr.ifr_netmask);
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(plen ? 0xffffffffu << (32 - plen) : 0);
        if (!what && ioctl(s, SIOCSIFNETMASK, &ifr) < 0) what = "setting the netmask";
    }
    if (!what && ioctl(s, SIOCGIFFLAGS, &ifr) < 0) what = "reading the flags";
    ifr.ifr_flags |= IFF_UP;
    if (!what && ioctl(s, SIOCSIFFLAGS, &ifr) < 0) what = "bringing it up";
    int e = errno;
    close(s);
    if (what) {
        snprintf(err, errlen, "tap %s: %s: %s%s", d->name, what, strerror(e),
                 e == EPERM ? privilege_hint() : "");
        return -1;
    }
    return 0;
}

long lnl_dev_read(lnl_dev *d, uint8_t *buf, size_t cap, char *err, size_t errlen)
{
    if (d->kind == LNL_DEV_TAP) {
        ssize_t n = read(d->fd, buf, cap);
        if (n >= 0) return (long)n;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
        snprintf(err, errlen, "tap %s: read: %s", d->name, strerror(errno));
        return -1;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc = pcap_next_ex(d->pcap, &h, &data);
    if (rc == 0) return 0;
    if (rc < 0) {
        snprintf(err, errlen, "device %s: %s", d->name,
                 rc == PCAP_ERROR ? pcap_geterr(d->pcap) : "capture ended");
        return -1;
    }
    size_t n = h->caplen < cap ? h->caplen : cap;
    memcpy(buf, data, n);
    return (long)n;
}

int lnl_dev_write(lnl_dev *d, const uint8_t *frame, size_t len)
{
    if (d->fd < 0) return -1;
    if (d->kind == LNL_DEV_TAP) {
        ssize_t n = write(d->fd, frame, len);
        return n == (ssize_t)len ? 0 : -1;
    }
    return pcap_inject(d->pcap, frame, len) == (int)len ? 0 : -1;
}

void lnl_dev_close(lnl_dev *d)
{
    if (d->kind == LNL_DEV_PCAP && d->pcap) pcap_close(d->pcap);
    else if (d->fd >= 0) close(d->fd);
    d->pcap = NULL;
    d->fd = -1;
}
