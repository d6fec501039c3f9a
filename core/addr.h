/* addr.h - IPv4, IPv6 and MAC addresses as text (addr.c, addr6.c). */
#ifndef LN_ADDR_H
#define LN_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "in6.h"

/* A prefix length meaning "no address" (an interface without one). */
#define LN_NO_ADDR 0xff

/* Format helpers: buffers of at least 16 and 18 bytes. */
char *ln_ip_fmt(uint32_t addr, char *buf);
char *ln_mac_fmt(const uint8_t mac[6], char *buf);
/* "02:00:00:00:00:01" (exactly six two-digit hex bytes) into mac. */
bool ln_mac_parse(const char *s, uint8_t mac[6]);
/* Parse "a.b.c.d" (and with plen non-NULL, an optional "/len"); returns 0
 * or fills err with why not ("octet 256 out of range", ...). */
int ln_ip_parse(const char *s, uint32_t *addr, uint8_t *plen, char *err, size_t errlen);

/* IPv6 (addr6.c): the RFC 5952 form, in a buffer of LN_IN6_FMTLEN. */
char *ln_ip6_fmt(const ln_in6 *a, char *buf);
/* Parse an IPv6 address (and with plen non-NULL, an optional "/0".."/128";
 * LN_NO_ADDR without one); returns 0 or fills err with why not. */
int ln_ip6_parse(const char *s, ln_in6 *a, uint8_t *plen, char *err, size_t errlen);
/* True when s is meant as an IPv6 address (it has a colon): how the Lua
 * API tells the families apart in one argument. */
bool ln_ip6_looks(const char *s);

#endif
