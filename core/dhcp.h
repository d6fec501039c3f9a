/* dhcp.h - the DHCP/BOOTP message (RFC 2131 2, RFC 2132 options): a
 * checked parser and an encoder.  Wire format only: the client and the
 * server (lua/lunet/dhcp.lua) run on UDP sockets and call these through
 * lua/l_dhcp.c.
 *
 * The parser reads the 236-byte fixed header, the magic cookie and the
 * options, in the options field and then, when option 52 says so, in the
 * file and sname fields (RFC 2131 4.1).  Several instances of one option
 * are concatenated before they are interpreted (RFC 3396), so a long list
 * split across instances reads as one.  Every length is checked; a
 * malformed message is rejected with one of the reasons below, never read
 * past its end.  Unknown options are skipped (their codes are listed). */
#ifndef LN_DHCP_H
#define LN_DHCP_H

#include <stddef.h>
#include <stdint.h>

#define LN_DHCP_SERVER_PORT 67
#define LN_DHCP_CLIENT_PORT 68
#define LN_DHCP_FIXED_LEN   236        /* op .. file, RFC 2131 figure 1 */
#define LN_DHCP_MAGIC       0x63825363u
/* RFC 1542 2.1: a BOOTP relay may drop anything shorter than 300 bytes;
 * every client and server pads its messages to at least that. */
#define LN_DHCP_MIN_LEN     300
#define LN_DHCP_BOOTREQUEST 1
#define LN_DHCP_BOOTREPLY   2
#define LN_DHCP_FLAG_BROADCAST 0x8000u

/* Option 53 (RFC 2132 9.6). */
enum {
    LN_DHCP_DISCOVER = 1, LN_DHCP_OFFER, LN_DHCP_REQUEST, LN_DHCP_DECLINE,
    LN_DHCP_ACK, LN_DHCP_NAK, LN_DHCP_RELEASE, LN_DHCP_INFORM
};

/* The options this code understands (RFC 2132 section numbers). */
enum {
    LN_DHCPO_PAD = 0, LN_DHCPO_MASK = 1, LN_DHCPO_ROUTER = 3, LN_DHCPO_DNS = 6,
    LN_DHCPO_HOSTNAME = 12, LN_DHCPO_DOMAIN = 15, LN_DHCPO_REQUESTED = 50,
    LN_DHCPO_LEASE = 51, LN_DHCPO_OVERLOAD = 52, LN_DHCPO_TYPE = 53,
    LN_DHCPO_SERVER_ID = 54, LN_DHCPO_PRL = 55, LN_DHCPO_MESSAGE = 56,
    LN_DHCPO_MAX_SIZE = 57, LN_DHCPO_T1 = 58, LN_DHCPO_T2 = 59,
    LN_DHCPO_CLIENT_ID = 61, LN_DHCPO_AGENT = 82 /* RFC 3046 */,
    LN_DHCPO_SEARCH = 119 /* RFC 3397 */, LN_DHCPO_END = 255
};

/* Bits of ln_dhcp_msg.has: which of the scalar options are present. */
#define LN_DHCP_HAS_MASK      0x001u
#define LN_DHCP_HAS_REQUESTED 0x002u
#define LN_DHCP_HAS_LEASE     0x004u
#define LN_DHCP_HAS_SERVER_ID 0x008u
#define LN_DHCP_HAS_T1        0x010u
#define LN_DHCP_HAS_T2        0x020u
#define LN_DHCP_HAS_MAX_SIZE  0x040u

#define LN_DHCP_MAX_ADDRS 16           /* routers, DNS servers kept */
#define LN_DHCP_MAX_CODES 64           /* option codes listed, in order */
#define LN_DHCP_MAX_SEARCH 16          /* search domains kept (option 119) */
#define LN_DHCP_NAME_TEXT 254          /* a domain as text: 253 bytes and a NUL */
#define LN_DHCP_SEARCH_WIRE 4096       /* option 119's data, joined, at most: 16 names of 255 */

/* A string option: bytes, not NUL-terminated on the wire (RFC 2132 2:
 * "should not" carry a NUL); `s` is NUL-terminated here for convenience. */
typedef struct ln_dhcp_str {
    uint8_t len;
    char s[256];
} ln_dhcp_str;

/* One message.  Addresses in host byte order. */
typedef struct ln_dhcp_msg {
    uint8_t op, htype, hlen, hops;
    uint32_t xid;
    uint16_t secs, flags;
    uint32_t ciaddr, yiaddr, siaddr, giaddr;
    uint8_t chaddr[16];
    uint8_t sname[64], file[128];      /* raw; ignored when overloaded */

    uint8_t type;                      /* option 53; 0: absent (BOOTP) */
    uint32_t has;                      /* LN_DHCP_HAS_* */
    uint32_t mask, requested, lease, server_id, t1, t2;
    uint16_t max_size;
    uint8_t overload;                  /* option 52 as parsed (1, 2, 3); never encoded */
    uint8_t n_routers, n_dns;
    uint32_t routers[LN_DHCP_MAX_ADDRS], dns[LN_DHCP_MAX_ADDRS];
    ln_dhcp_str hostname, domain, message;
    uint8_t prl_len, client_id_len;    /* option 55, option 61 (0: absent) */
    uint8_t prl[255], client_id[255];
    uint8_t n_search;                  /* option 119: the first LN_DHCP_MAX_SEARCH domains */
    char search[LN_DHCP_MAX_SEARCH][LN_DHCP_NAME_TEXT];
    uint8_t agent_len;                 /* option 82, raw sub-options (0: absent) */
    uint8_t agent[255];
    uint8_t n_codes;                   /* option codes in the order met (parse only) */
    uint8_t codes[LN_DHCP_MAX_CODES];
} ln_dhcp_msg;

/* Why a message was rejected. */
typedef enum {
    LN_DHCP_OK = 0,
    LN_DHCP_ERR_SHORT,          /* shorter than the fixed header and cookie */
    LN_DHCP_ERR_OP,             /* op is neither BOOTREQUEST nor BOOTREPLY */
    LN_DHCP_ERR_HLEN,           /* hlen > 16 */
    LN_DHCP_ERR_COOKIE,         /* no magic cookie: plain BOOTP */
    LN_DHCP_ERR_TRUNCATED,      /* an option runs past the end of its field */
    LN_DHCP_ERR_OVERLOAD,       /* option 52 not 1, 2 or 3, or inside file/sname */
    LN_DHCP_ERR_OPTLEN,         /* an option's length is wrong for its type */
    LN_DHCP_ERR_TYPE,           /* option 53 not a known message type */
    LN_DHCP_ERR_TOO_MANY,       /* more option instances than the parser keeps */
    LN_DHCP_ERR_SEARCH,         /* option 119 is not a list of domains (RFC 3397) */
} ln_dhcp_err;

/* The reason in words ("option runs past the end of its field"). */
const char *ln_dhcp_strerror(ln_dhcp_err e);
/* "DISCOVER", ..., "INFORM"; NULL for anything else. */
const char *ln_dhcp_type_name(uint8_t type);

/* Parse len bytes (the UDP payload).  Fills *m (zeroed first) and returns
 * LN_DHCP_OK, or a reason; *bad_code, when not NULL, gets the option code
 * an option error is about (0 otherwise). */
ln_dhcp_err ln_dhcp_parse(const uint8_t *buf, size_t len, ln_dhcp_msg *m, uint8_t *bad_code);

/* Encode m into buf: the fixed header, the cookie, the options present in
 * a fixed order (53, 54, 51, 58, 59, 1, 3, 6, 15, 119, 12, 50, 61, 55, 57,
 * 56, and 82 last as RFC 3046 2.1 wants), the end option, padded with
 * zeros to LN_DHCP_MIN_LEN.  Option 119 is compressed, and split into
 * instances of at most 255 bytes when longer (RFC 3396).  Returns the
 * length, or -1 when cap is too small.  The order is fixed so that the
 * same message always gives the same bytes. */
int ln_dhcp_build(const ln_dhcp_msg *m, uint8_t *buf, size_t cap);

/* The largest message ln_dhcp_build can write (every option at its
 * largest), so a buffer of this size always suffices. */
#define LN_DHCP_MAX_BUILD 6400

/* ---- option 119 (dhcp_search.c) ---------------------------------------- */

/* The n bytes of option 119's data (its instances joined): the number of
 * names, the first max of them written to out as text ("corp.lab"), or -1
 * with *why. */
int ln_dhcp_search_decode(const uint8_t *p, size_t n, char (*out)[LN_DHCP_NAME_TEXT], int max,
                          const char **why);
/* count names as text into out, compressed: the length, or -1 when a
 * name is not a domain ln_dhcp_name_check accepts or cap is too small. */
int ln_dhcp_search_encode(const char (*names)[LN_DHCP_NAME_TEXT], int count, uint8_t *out,
                          size_t cap);
/* Is text a domain option 119 can carry (labels of 1 to 63 printable
 * bytes other than '.', '\' and space; 255 wire bytes at most)?  Its
 * wire length, or -1. */
int ln_dhcp_name_check(const char *text);

#endif
