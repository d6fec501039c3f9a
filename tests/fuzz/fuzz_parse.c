/* fuzz_parse.c - libFuzzer target for the parsers that take what users
 * type: addresses, tcpdump filters and units.  They see scripts, the
 * command line and the REPL, so any string must give a value or an error
 * message, never a crash, an out-of-bounds read (ASan) or undefined
 * behaviour (UBSan).
 *
 * Input: byte 0 picks the parser (mod 8), the rest is the string, cut at
 * its first NUL (C callers cannot pass one) and copied to a buffer of
 * exactly its size, so ASan sees a read past the terminator:
 *   0 ln_ip_parse without a prefix      "10.0.0.1"
 *   1 ln_ip_parse with an optional one  "10.0.0.0/24"
 *   2 ln_mac_parse                      "02:00:00:00:00:01"
 *   3 ln_bpf_new, and ln_bpf_match of what compiles against a few fixed
 *     frames and the string's own bytes (libpcap's compiler and BPF
 *     interpreter, as captures, firewall rules and hooks use them)
 *                                       "tcp port 80 and host 10.0.0.1"
 *   4-7 lunet.time, lunet.rate, lunet.size, lunet.prob through Lua
 *     (a Lua error is the expected answer to a bad string)
 *                                       "1.5ms", "10Mbps", "64KB", "5%"
 * What parses must also survive a round trip: an address or MAC formats
 * to a string that parses back to the same value.
 *
 * Filters naming hosts ("host gw", "gateway x") would make libpcap ask
 * the resolver: slow, and not deterministic.  getaddrinfo and
 * gethostbyname are replaced below for host names (services, "port
 * http", still go to the C library's /etc/services lookup).
 *
 * With clang: make fuzz, or cmake -DLUNET_FUZZ=ON and ./fuzz_parse DIR.
 * ctest runs it as fuzz.fuzz_parse through fuzz_replay.c. */
#define _GNU_SOURCE                 /* RTLD_NEXT, h_errno */
#include <dlfcn.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "bpf.h"
#include "lunet.h"
#include "fuzz_lua.h"
#include "node.h"

/* The executable's definitions come before the C library's for libpcap
 * too (it is linked in, so ld exports these). */
int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res)
{
    if (node) return EAI_NONAME;
    int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
    *(void **)&real = dlsym(RTLD_NEXT, "getaddrinfo");
    return real ? real(node, service, hints, res) : EAI_FAIL;
}

struct hostent *gethostbyname(const char *name)
{
    h_errno = HOST_NOT_FOUND;
    return NULL;
}

/* Frames the compiled filters run on: a TCP SYN 10.0.0.1:40000 ->
 * 10.0.0.2:80, an ARP request, a UDP datagram to 239.1.2.3:53 (on a VLAN
 * tag, for "vlan" filters). */
static const uint8_t syn[] = {
    0x02,0,0,0,0,2, 0x02,0,0,0,0,1, 0x08,0x00,
    0x45,0x00,0x00,0x2c, 0x00,0x01,0x40,0x00, 0x40,0x06,0x26,0xcd, 10,0,0,1, 10,0,0,2,
    0x9c,0x40,0x00,0x50, 0,0,0x03,0xe8, 0,0,0,0, 0x60,0x02,0xfa,0xf0, 0,0,0,0,
    0x02,0x04,0x05,0xb4,
};
static const uint8_t arp[] = {
    0xff,0xff,0xff,0xff,0xff,0xff, 0x02,0,0,0,0,1, 0x08,0x06,
    0,1, 0x08,0, 6, 4, 0,1, 0x02,0,0,0,0,1, 10,0,0,1, 0,0,0,0,0,0, 10,0,0,2,
};
static const uint8_t udp_vlan[] = {
    0x01,0x00,0x5e,0x01,0x02,0x03, 0x02,0,0,0,0,1, 0x81,0x00, 0x00,0x07, 0x08,0x00,
    0x45,0,0,0x24, 0,2,0,0, 0x01,0x11,0,0, 10,0,0,1, 239,1,2,3,
    0x13,0x89,0x00,0x35, 0,16,0,0, 'm','u','l','t','i','c','a','s',
};

static void check(bool ok, const char *what, const char *s)
{
    if (ok) return;
    fprintf(stderr, "fuzz_parse: %s: \"%s\"\n", what, s);
    abort();
}

static void ip(const char *s, bool with_plen)
{
    uint32_t a = 0, b = 0;
    uint8_t plen = 0, plen2 = 0;
    char err[128], buf[16];
    err[0] = 0;
    if (ln_ip_parse(s, &a, with_plen ? &plen : NULL, err, sizeof err) != 0) {
        check(err[0] != 0 && memchr(err, 0, sizeof err), "error without a message", s);
        return;
    }
    check(!with_plen || plen <= 32 || plen == LN_NO_ADDR, "prefix length out of range", s);
    ln_ip_fmt(a, buf);
    check(ln_ip_parse(buf, &b, with_plen ? &plen2 : NULL, err, sizeof err) == 0 && a == b,
          "address does not parse back", s);
}

static void mac(const char *s)
{
    uint8_t m[6], m2[6];
    char buf[18];
    if (!ln_mac_parse(s, m)) return;
    ln_mac_fmt(m, buf);
    check(ln_mac_parse(buf, m2) && !memcmp(m, m2, 6), "MAC does not parse back", s);
}

static void bpf(const char *s, size_t n)
{
    char err[256];
    ln_bpf *f = ln_bpf_new(s, err, sizeof err);
    if (!f) {
        check(memchr(err, 0, sizeof err) != NULL, "unterminated error", s);
        return;
    }
    ln_bpf_match(f, syn, sizeof syn);
    ln_bpf_match(f, arp, sizeof arp);
    ln_bpf_match(f, udp_vlan, sizeof udp_vlan);
    ln_bpf_match(f, (const uint8_t *)s, (uint32_t)n);
    ln_bpf_free(f);
}

static lua_State *L;

/* lunet.<fn>(s) under pcall: errors are answers, crashes are bugs. */
static void unit(const char *fn, const char *s)
{
    if (!L) L = fuzz_lua();
    lua_getglobal(L, "lunet");
    lua_getfield(L, -1, fn);
    lua_pushstring(L, s);
    if (lua_pcall(L, 1, 1, 0) == LUA_OK)
        check(lua_type(L, -1) == LUA_TNUMBER, "unit parser returned no number", s);
    lua_settop(L, 0);
    lua_gc(L, LUA_GCSTEP, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 4096) return 0;
    uint8_t which = data[0] % 8;
    data++, size--;
    const uint8_t *nul = memchr(data, 0, size);
    size_t n = nul ? (size_t)(nul - data) : size;
    char *s = malloc(n + 1);
    if (!s) abort();
    memcpy(s, data, n);
    s[n] = 0;
    switch (which) {
    case 0: ip(s, false); break;
    case 1: ip(s, true); break;
    case 2: mac(s); break;
    case 3: bpf(s, n); break;
    case 4: unit("time", s); break;
    case 5: unit("rate", s); break;
    case 6: unit("size", s); break;
    case 7: unit("prob", s); break;
    }
    free(s);
    return 0;
}
