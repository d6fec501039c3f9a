/* dns_wire.h - the DNS message format: RFC 1035 section 4 (header,
 * question, resource records, name compression 4.1.4, the TCP length
 * prefix 4.2.2), AAAA from RFC 3596.  Plain C with no Lua and no engine
 * state, so tests/unit and tests/fuzz drive it directly; l_dns.c turns
 * messages into Lua tables and back, lua/lunet/dns.lua is the server and
 * the resolver built on that.
 *
 * Reading: a cursor over the message (lnl_dns_rd) and one call per part,
 * in order: lnl_dns_read_header, then qdcount x lnl_dns_read_question, then
 * an+ns+ar x lnl_dns_read_rr.  Every call checks every length before it reads
 * and on malformed input returns -1 with a constant reason in *why.
 *
 * Writing: a writer over a caller-owned buffer (lnl_dns_wr) that compresses
 * names against those already written.  A put that does not fit returns
 * LNL_DNS_NOROOM and leaves the buffer as it was after the last whole
 * record (lnl_dns_wr_mark/lnl_dns_wr_undo), which is how a server
 * truncates an answer to 512 bytes.
 *
 * EDNS(0) (RFC 6891): the OPT pseudo-record is read like any record, and
 * the reader enforces where it may stand (6.1.1: once, in the additional
 * section, owned by the root); lnl_dns_read_edns takes its fields apart,
 * lnl_dns_put_edns writes one. */
#ifndef LNL_DNS_WIRE_H
#define LNL_DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LNL_DNS_HDR_LEN   12
#define LNL_DNS_NAME_MAX  255    /* wire bytes of a name, RFC 1035 3.1 */
#define LNL_DNS_LABEL_MAX 63
/* A name as text: every byte may become a 4-byte \DDD escape. */
#define LNL_DNS_TEXT_MAX  1024
#define LNL_DNS_UDP_MAX   512    /* RFC 1035 4.2.1, without EDNS */
#define LNL_DNS_MSG_MAX   65535  /* the TCP length prefix's limit */

/* Types and classes lunet knows by name. */
enum {
    LNL_DNS_T_A = 1, LNL_DNS_T_NS = 2, LNL_DNS_T_CNAME = 5, LNL_DNS_T_SOA = 6,
    LNL_DNS_T_PTR = 12, LNL_DNS_T_MX = 15, LNL_DNS_T_TXT = 16, LNL_DNS_T_AAAA = 28,
    LNL_DNS_T_OPT = 41, LNL_DNS_T_ANY = 255,
};
enum { LNL_DNS_C_IN = 1 };

/* Header flag bits (RFC 1035 4.1.1) and the fields packed with them. */
#define LNL_DNS_F_QR 0x8000
#define LNL_DNS_F_AA 0x0400
#define LNL_DNS_F_TC 0x0200
#define LNL_DNS_F_RD 0x0100
#define LNL_DNS_F_RA 0x0080
#define LNL_DNS_F_AD 0x0020      /* RFC 4035 */
#define LNL_DNS_F_CD 0x0010
#define LNL_DNS_OPCODE(f) (((f) >> 11) & 15)
#define LNL_DNS_RCODE(f)  ((f) & 15)

enum { LNL_DNS_NOERROR = 0, LNL_DNS_FORMERR = 1, LNL_DNS_SERVFAIL = 2, LNL_DNS_NXDOMAIN = 3,
       LNL_DNS_NOTIMP = 4, LNL_DNS_REFUSED = 5,
       LNL_DNS_BADVERS = 16 };    /* needs OPT: its high 8 bits are there (RFC 6891 6.1.3) */

/* The four section counts, in wire order: question, answer, authority,
 * additional. */
typedef struct lnl_dns_hdr {
    uint16_t id, flags;
    uint16_t count[4];
} lnl_dns_hdr;

typedef struct lnl_dns_q {
    char name[LNL_DNS_TEXT_MAX];
    uint16_t type, klass;
} lnl_dns_q;

/* A resource record.  rdoff/rdlen locate the raw rdata in the message;
 * for the types below it is also decoded (and its length checked):
 *   A, AAAA    addr (4 or 16 bytes)
 *   NS, CNAME, PTR  target
 *   MX         pref, target
 *   SOA        target (mname), rname, soa[5] (serial refresh retry expire minimum)
 *   TXT        only checked: one or more <length, bytes> strings, exactly */
typedef struct lnl_dns_rr {
    char name[LNL_DNS_TEXT_MAX];
    uint16_t type, klass;
    uint32_t ttl;
    uint16_t rdlen;
    size_t rdoff;
    uint8_t addr[16];
    uint16_t pref;
    uint32_t soa[5];
    char target[LNL_DNS_TEXT_MAX];
    char rname[LNL_DNS_TEXT_MAX];
} lnl_dns_rr;

/* ---- reading ------------------------------------------------------------ */

typedef struct lnl_dns_rd {
    const uint8_t *msg;   /* borrowed */
    size_t len;
    size_t off;           /* next byte to read */
    /* Where the records stand, for OPT's placement rules: the header's
     * counts, the records read so far and the OPT seen (0: none).  A
     * reader used without lnl_dns_read_header takes every record for an
     * additional one. */
    uint16_t count[4];
    unsigned nrr;
    size_t opt_off;
} lnl_dns_rd;

void lnl_dns_rd_init(lnl_dns_rd *r, const uint8_t *msg, size_t len);
/* Each returns 0, or -1 with *why set (a constant string). */
int lnl_dns_read_header(lnl_dns_rd *r, lnl_dns_hdr *h, const char **why);
int lnl_dns_read_question(lnl_dns_rd *r, lnl_dns_q *q, const char **why);
int lnl_dns_read_rr(lnl_dns_rd *r, lnl_dns_rr *rr, const char **why);
/* The name at *off as text (cap >= LNL_DNS_TEXT_MAX), *off moved past its
 * bytes in place (a compression pointer counts 2).  Pointers must point
 * backwards, so a chain of them always ends (RFC 1035 4.1.4 allows only
 * "a prior occurrence"). */
int lnl_dns_read_name(const lnl_dns_rd *r, size_t *off, char *text, size_t cap, const char **why);

/* ---- EDNS(0), RFC 6891 6.1 ---------------------------------------------- */

#define LNL_DNS_EDNS_DO      0x8000   /* DNSSEC OK, RFC 3225 */
#define LNL_DNS_EDNS_MAXOPTS 32       /* options kept; more is refused, not cut */

/* An option, opaque: data borrowed from the message (reading) or from
 * the caller (writing). */
typedef struct lnl_dns_edns_opt {
    uint16_t code, len;
    const uint8_t *data;
} lnl_dns_edns_opt;

/* OPT's fields: CLASS is the requestor's UDP payload size, TTL holds the
 * extended RCODE (its upper 8 bits), the version and the flags. */
typedef struct lnl_dns_edns {
    uint16_t udp_size;
    uint8_t ext_rcode, version;
    uint16_t flags;                   /* DO, and the Z bits as they came */
    int nopts;
    lnl_dns_edns_opt opts[LNL_DNS_EDNS_MAXOPTS];
} lnl_dns_edns;

/* rr must be an OPT read from r by lnl_dns_read_rr (which has checked its
 * options' lengths).  0, or -1 with *why. */
int lnl_dns_read_edns(const lnl_dns_rd *r, const lnl_dns_rr *rr, lnl_dns_edns *e, const char **why);

/* ---- writing ------------------------------------------------------------ */

#define LNL_DNS_NOROOM (-2)
#define LNL_DNS_ZMAX 128        /* names remembered for compression */

typedef struct lnl_dns_wr {
    uint8_t *buf;         /* borrowed, cap bytes */
    size_t cap, len;
    uint16_t zoff[LNL_DNS_ZMAX];  /* offsets of names (and their suffixes) written */
    int nz;
} lnl_dns_wr;

typedef struct lnl_dns_mark { size_t len; int nz; } lnl_dns_mark;

void lnl_dns_wr_init(lnl_dns_wr *w, uint8_t *buf, size_t cap);
lnl_dns_mark lnl_dns_wr_mark(const lnl_dns_wr *w);
void lnl_dns_wr_undo(lnl_dns_wr *w, lnl_dns_mark m);
/* Each returns 0, LNL_DNS_NOROOM, or -1 with *why (bad text). */
int lnl_dns_put_header(lnl_dns_wr *w, const lnl_dns_hdr *h);   /* at offset 0 */
int lnl_dns_put_name(lnl_dns_wr *w, const char *text, bool compress, const char **why);
int lnl_dns_put_u16(lnl_dns_wr *w, uint16_t v);
int lnl_dns_put_u32(lnl_dns_wr *w, uint32_t v);
int lnl_dns_put_bytes(lnl_dns_wr *w, const void *p, size_t n);
/* Rewrite the header's counts and flags once the sections are written. */
void lnl_dns_patch_header(lnl_dns_wr *w, const lnl_dns_hdr *h);

/* The OPT record's size on the wire, and the record itself: 0 or NOROOM. */
size_t lnl_dns_edns_len(const lnl_dns_edns *e);
int lnl_dns_put_edns(lnl_dns_wr *w, const lnl_dns_edns *e);

/* A text name in wire form, uncompressed: its length, or -1 with *why. */
int lnl_dns_name_to_wire(const char *text, uint8_t out[LNL_DNS_NAME_MAX], const char **why);

/* ---- names for numbers ---------------------------------------------------- */

const char *lnl_dns_type_name(uint16_t type);       /* NULL if unknown */
int lnl_dns_type_num(const char *name);             /* -1 if unknown */
const char *lnl_dns_rcode_name(unsigned rcode);     /* NULL if unknown */
int lnl_dns_rcode_num(const char *name);

#endif
