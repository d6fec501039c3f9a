/* dhcp.c - DHCP/BOOTP messages: ln_dhcp_parse and ln_dhcp_build (RFC 2131
 * 2 and 4.1, RFC 2132, RFC 3396 for options split into instances).
 *
 * Parsing runs in two passes.  scan() walks an option area (the options
 * field, then file and sname when option 52 overloads them) and records
 * where each instance lies, checking that it fits in its area.  Then each
 * known option's instances are concatenated (gather) and the value checked
 * for its type's length rules.  Nothing is read before its length is
 * known to be inside the buffer. */
#include "dhcp.h"

#include <stdbool.h>
#include <string.h>

#include "wire.h"

/* Fixed header offsets (RFC 2131 figure 1). */
enum {
    O_OP = 0, O_HTYPE = 1, O_HLEN = 2, O_HOPS = 3, O_XID = 4, O_SECS = 8, O_FLAGS = 10,
    O_CIADDR = 12, O_YIADDR = 16, O_SIADDR = 20, O_GIADDR = 24, O_CHADDR = 28,
    O_SNAME = 44, O_FILE = 108, O_COOKIE = 236, O_OPTIONS = 240
};

/* A 1500-byte frame holds at most ~730 two-byte options; a larger
 * datagram with more instances than this is refused, not half-read. */
#define MAX_INST 1024

typedef struct inst {
    uint8_t code, len;
    const uint8_t *v;
} inst;

typedef struct scan_state {
    inst v[MAX_INST];
    size_t n;
    ln_dhcp_msg *m;
    uint8_t overload;
} scan_state;

const char *ln_dhcp_strerror(ln_dhcp_err e)
{
    switch (e) {
    case LN_DHCP_OK: return "ok";
    case LN_DHCP_ERR_SHORT: return "shorter than the BOOTP header and magic cookie (240 bytes)";
    case LN_DHCP_ERR_OP: return "op is neither 1 (request) nor 2 (reply)";
    case LN_DHCP_ERR_HLEN: return "hardware address length over 16";
    case LN_DHCP_ERR_COOKIE: return "no DHCP magic cookie (plain BOOTP)";
    case LN_DHCP_ERR_TRUNCATED: return "option runs past the end of its field";
    case LN_DHCP_ERR_OVERLOAD: return "bad option overload (52)";
    case LN_DHCP_ERR_OPTLEN: return "option length wrong for its type";
    case LN_DHCP_ERR_TYPE: return "unknown message type (53)";
    case LN_DHCP_ERR_TOO_MANY: return "too many options";
    case LN_DHCP_ERR_SEARCH: return "bad domain search list (119)";
    }
    return "unknown error";
}

const char *ln_dhcp_type_name(uint8_t t)
{
    static const char *const names[] = {NULL, "DISCOVER", "OFFER", "REQUEST", "DECLINE",
                                        "ACK", "NAK", "RELEASE", "INFORM"};
    return t < sizeof names / sizeof names[0] ? names[t] : NULL;
}

static void note_code(ln_dhcp_msg *m, uint8_t code)
{
    for (uint8_t i = 0; i < m->n_codes; i++)
        if (m->codes[i] == code) return;
    if (m->n_codes < LN_DHCP_MAX_CODES) m->codes[m->n_codes++] = code;
}

/* Record the instances in p[0..n).  The end option stops the area; an area
 * without one ends where its field does (RFC 2131 requires 255, but
 * Linux's dhclient and dnsmasq both accept its absence, and so do we). */
static ln_dhcp_err scan(scan_state *st, const uint8_t *p, size_t n, bool main_area,
                        uint8_t *bad_code)
{
    size_t i = 0;
    while (i < n) {
        uint8_t code = p[i];
        if (code == LN_DHCPO_END) break;
        if (code == LN_DHCPO_PAD) { i++; continue; }
        if (i + 2 > n || i + 2 + p[i + 1] > n) {
            *bad_code = code;
            return LN_DHCP_ERR_TRUNCATED;
        }
        uint8_t len = p[i + 1];
        const uint8_t *v = p + i + 2;
        i += 2u + len;
        if (code == LN_DHCPO_OVERLOAD) {
            /* RFC 2132 9.3: only in the options field, once, 1..3. */
            *bad_code = code;
            if (!main_area || st->overload || len != 1 || v[0] < 1 || v[0] > 3)
                return LN_DHCP_ERR_OVERLOAD;
            *bad_code = 0;
            st->overload = v[0];
            st->m->overload = v[0];
            note_code(st->m, code);
            continue;
        }
        if (st->n == MAX_INST) return LN_DHCP_ERR_TOO_MANY;
        st->v[st->n++] = (inst){ code, len, v };
        note_code(st->m, code);
    }
    return LN_DHCP_OK;
}

/* The concatenation of every instance of code (RFC 3396), up to cap bytes
 * copied into out; returns the full length, -1 when the option is absent. */
static long gather(const scan_state *st, uint8_t code, uint8_t *out, size_t cap)
{
    long total = -1;
    size_t copied = 0;
    for (size_t i = 0; i < st->n; i++) {
        if (st->v[i].code != code) continue;
        if (total < 0) total = 0;
        total += st->v[i].len;
        size_t k = st->v[i].len;
        if (k > cap - copied) k = cap - copied;
        memcpy(out + copied, st->v[i].v, k);
        copied += k;
    }
    return total;
}

/* A 4-byte address or number option. */
static ln_dhcp_err get_u32(const scan_state *st, uint8_t code, uint32_t bit, uint32_t *dst,
                           uint8_t *bad_code)
{
    uint8_t b[8];
    long n = gather(st, code, b, sizeof b);
    if (n < 0) return LN_DHCP_OK;
    if (n != 4) { *bad_code = code; return LN_DHCP_ERR_OPTLEN; }
    *dst = ln_get32(b);
    st->m->has |= bit;
    return LN_DHCP_OK;
}

/* A list of addresses: a multiple of 4, at least one (RFC 2132 3.5, 3.8);
 * the first LN_DHCP_MAX_ADDRS are kept. */
static ln_dhcp_err get_addrs(const scan_state *st, uint8_t code, uint32_t *dst, uint8_t *count,
                             uint8_t *bad_code)
{
    uint8_t b[4 * LN_DHCP_MAX_ADDRS];
    long n = gather(st, code, b, sizeof b);
    if (n < 0) return LN_DHCP_OK;
    if (n < 4 || n % 4) { *bad_code = code; return LN_DHCP_ERR_OPTLEN; }
    size_t k = (size_t)n / 4;
    if (k > LN_DHCP_MAX_ADDRS) k = LN_DHCP_MAX_ADDRS;
    for (size_t i = 0; i < k; i++) dst[i] = ln_get32(b + 4 * i);
    *count = (uint8_t)k;
    return LN_DHCP_OK;
}

/* Bytes of at least min and at most 255 (what one ln_dhcp_str holds:
 * longer values, legal under RFC 3396, are refused rather than cut, as a
 * cut client identifier would name another client). */
static ln_dhcp_err get_bytes(const scan_state *st, uint8_t code, size_t min, uint8_t *dst,
                             uint8_t *len, uint8_t *bad_code)
{
    uint8_t b[255];
    long n = gather(st, code, b, sizeof b);
    if (n < 0) return LN_DHCP_OK;
    if ((size_t)n < min || n > 255) { *bad_code = code; return LN_DHCP_ERR_OPTLEN; }
    memcpy(dst, b, (size_t)n);
    *len = (uint8_t)n;
    return LN_DHCP_OK;
}

static ln_dhcp_err get_str(const scan_state *st, uint8_t code, ln_dhcp_str *s, uint8_t *bad_code)
{
    ln_dhcp_err e = get_bytes(st, code, 1, (uint8_t *)s->s, &s->len, bad_code);
    s->s[s->len] = '\0';
    return e;
}

ln_dhcp_err ln_dhcp_parse(const uint8_t *buf, size_t len, ln_dhcp_msg *m, uint8_t *bad_code)
{
    uint8_t dummy;
    if (!bad_code) bad_code = &dummy;
    *bad_code = 0;
    memset(m, 0, sizeof *m);
    if (len < O_OPTIONS) return LN_DHCP_ERR_SHORT;
    m->op = buf[O_OP];
    if (m->op != LN_DHCP_BOOTREQUEST && m->op != LN_DHCP_BOOTREPLY) return LN_DHCP_ERR_OP;
    m->htype = buf[O_HTYPE];
    m->hlen = buf[O_HLEN];
    if (m->hlen > 16) return LN_DHCP_ERR_HLEN;
    m->hops = buf[O_HOPS];
    m->xid = ln_get32(buf + O_XID);
    m->secs = ln_get16(buf + O_SECS);
    m->flags = ln_get16(buf + O_FLAGS);
    m->ciaddr = ln_get32(buf + O_CIADDR);
    m->yiaddr = ln_get32(buf + O_YIADDR);
    m->siaddr = ln_get32(buf + O_SIADDR);
    m->giaddr = ln_get32(buf + O_GIADDR);
    memcpy(m->chaddr, buf + O_CHADDR, 16);
    memcpy(m->sname, buf + O_SNAME, 64);
    memcpy(m->file, buf + O_FILE, 128);
    if (ln_get32(buf + O_COOKIE) != LN_DHCP_MAGIC) return LN_DHCP_ERR_COOKIE;

    /* 16 KB of stack, no allocation and no static state: the parser is
     * reentrant.  Only the first st->n instances are ever read. */
    scan_state st_, *st = &st_;
    st->n = 0;
    st->overload = 0;
    st->m = m;
    ln_dhcp_err e = scan(st, buf + O_OPTIONS, len - O_OPTIONS, true, bad_code);
    /* RFC 3396 7: options, then file, then sname. */
    if (!e && (st->overload & 1)) e = scan(st, buf + O_FILE, 128, false, bad_code);
    if (!e && (st->overload & 2)) e = scan(st, buf + O_SNAME, 64, false, bad_code);
    if (e) return e;

    uint8_t t[4];
    long n = gather(st, LN_DHCPO_TYPE, t, sizeof t);
    if (n >= 0) {
        /* RFC 2132 9.6 defines 1..8; later RFCs (4388, 6926, 7724) bring
         * the IANA registry to 18. */
        if (n != 1) { *bad_code = LN_DHCPO_TYPE; return LN_DHCP_ERR_OPTLEN; }
        if (t[0] < 1 || t[0] > 18) { *bad_code = LN_DHCPO_TYPE; return LN_DHCP_ERR_TYPE; }
        m->type = t[0];
    }
    if ((e = get_u32(st, LN_DHCPO_MASK, LN_DHCP_HAS_MASK, &m->mask, bad_code)) ||
        (e = get_u32(st, LN_DHCPO_REQUESTED, LN_DHCP_HAS_REQUESTED, &m->requested, bad_code)) ||
        (e = get_u32(st, LN_DHCPO_LEASE, LN_DHCP_HAS_LEASE, &m->lease, bad_code)) ||
        (e = get_u32(st, LN_DHCPO_SERVER_ID, LN_DHCP_HAS_SERVER_ID, &m->server_id, bad_code)) ||
        (e = get_u32(st, LN_DHCPO_T1, LN_DHCP_HAS_T1, &m->t1, bad_code)) ||
        (e = get_u32(st, LN_DHCPO_T2, LN_DHCP_HAS_T2, &m->t2, bad_code)) ||
        (e = get_addrs(st, LN_DHCPO_ROUTER, m->routers, &m->n_routers, bad_code)) ||
        (e = get_addrs(st, LN_DHCPO_DNS, m->dns, &m->n_dns, bad_code)) ||
        (e = get_str(st, LN_DHCPO_HOSTNAME, &m->hostname, bad_code)) ||
        (e = get_str(st, LN_DHCPO_DOMAIN, &m->domain, bad_code)) ||
        (e = get_str(st, LN_DHCPO_MESSAGE, &m->message, bad_code)) ||
        (e = get_bytes(st, LN_DHCPO_PRL, 1, m->prl, &m->prl_len, bad_code)) ||
        /* RFC 2132 9.14: a type byte and at least one more. */
        (e = get_bytes(st, LN_DHCPO_CLIENT_ID, 2, m->client_id, &m->client_id_len, bad_code)))
        return e;
    /* RFC 3046 2.0: at least one sub-option (code and length) */
    if ((e = get_bytes(st, LN_DHCPO_AGENT, 2, m->agent, &m->agent_len, bad_code))) return e;
    uint8_t sw[LN_DHCP_SEARCH_WIRE];
    n = gather(st, LN_DHCPO_SEARCH, sw, sizeof sw);
    if (n >= 0) {
        const char *why;
        int k = n > (long)sizeof sw ? -1
                                    : ln_dhcp_search_decode(sw, (size_t)n, m->search, LN_DHCP_MAX_SEARCH, &why);
        if (k < 0) { *bad_code = LN_DHCPO_SEARCH; return LN_DHCP_ERR_SEARCH; }
        m->n_search = (uint8_t)(k < LN_DHCP_MAX_SEARCH ? k : LN_DHCP_MAX_SEARCH);
    }
    uint8_t ms[4];
    n = gather(st, LN_DHCPO_MAX_SIZE, ms, sizeof ms);
    if (n >= 0) {
        if (n != 2) { *bad_code = LN_DHCPO_MAX_SIZE; return LN_DHCP_ERR_OPTLEN; }
        m->max_size = ln_get16(ms);
        m->has |= LN_DHCP_HAS_MAX_SIZE;
    }
    return LN_DHCP_OK;
}

/* ---- encoding ----------------------------------------------------------- */

typedef struct out {
    uint8_t *p;
    size_t len, cap;
    bool full;
} out;

static void put_opt(out *o, uint8_t code, const void *v, size_t len)
{
    if (o->full || len > 255 || o->len + 2 + len > o->cap) { o->full = true; return; }
    o->p[o->len] = code;
    o->p[o->len + 1] = (uint8_t)len;
    if (len) memcpy(o->p + o->len + 2, v, len);
    o->len += 2 + len;
}

/* RFC 3396: an option longer than 255 bytes goes in consecutive
 * instances of the same code. */
static void put_long_opt(out *o, uint8_t code, const uint8_t *v, size_t len)
{
    for (size_t at = 0; at < len; at += 255) put_opt(o, code, v + at, len - at > 255 ? 255 : len - at);
}

static void put_u32(out *o, uint8_t code, uint32_t v)
{
    uint8_t b[4];
    ln_put32(b, v);
    put_opt(o, code, b, 4);
}

static void put_addrs(out *o, uint8_t code, const uint32_t *a, uint8_t n)
{
    uint8_t b[4 * LN_DHCP_MAX_ADDRS];
    if (!n) return;
    if (n > LN_DHCP_MAX_ADDRS) n = LN_DHCP_MAX_ADDRS;
    for (uint8_t i = 0; i < n; i++) ln_put32(b + 4 * i, a[i]);
    put_opt(o, code, b, 4u * n);
}

static void put_str(out *o, uint8_t code, const ln_dhcp_str *s)
{
    if (s->len) put_opt(o, code, s->s, s->len);
}

int ln_dhcp_build(const ln_dhcp_msg *m, uint8_t *buf, size_t cap)
{
    if (cap < LN_DHCP_MIN_LEN) return -1;
    memset(buf, 0, LN_DHCP_MIN_LEN);
    buf[O_OP] = m->op;
    buf[O_HTYPE] = m->htype;
    buf[O_HLEN] = m->hlen > 16 ? 16 : m->hlen;
    buf[O_HOPS] = m->hops;
    ln_put32(buf + O_XID, m->xid);
    ln_put16(buf + O_SECS, m->secs);
    ln_put16(buf + O_FLAGS, m->flags);
    ln_put32(buf + O_CIADDR, m->ciaddr);
    ln_put32(buf + O_YIADDR, m->yiaddr);
    ln_put32(buf + O_SIADDR, m->siaddr);
    ln_put32(buf + O_GIADDR, m->giaddr);
    memcpy(buf + O_CHADDR, m->chaddr, 16);
    memcpy(buf + O_SNAME, m->sname, 64);
    memcpy(buf + O_FILE, m->file, 128);
    ln_put32(buf + O_COOKIE, LN_DHCP_MAGIC);

    /* The room for options leaves one byte for the end option. */
    out o = { .p = buf, .len = O_OPTIONS, .cap = cap - 1 };
    if (m->type) put_opt(&o, LN_DHCPO_TYPE, &m->type, 1);
    if (m->has & LN_DHCP_HAS_SERVER_ID) put_u32(&o, LN_DHCPO_SERVER_ID, m->server_id);
    if (m->has & LN_DHCP_HAS_LEASE) put_u32(&o, LN_DHCPO_LEASE, m->lease);
    if (m->has & LN_DHCP_HAS_T1) put_u32(&o, LN_DHCPO_T1, m->t1);
    if (m->has & LN_DHCP_HAS_T2) put_u32(&o, LN_DHCPO_T2, m->t2);
    if (m->has & LN_DHCP_HAS_MASK) put_u32(&o, LN_DHCPO_MASK, m->mask);
    put_addrs(&o, LN_DHCPO_ROUTER, m->routers, m->n_routers);
    put_addrs(&o, LN_DHCPO_DNS, m->dns, m->n_dns);
    put_str(&o, LN_DHCPO_DOMAIN, &m->domain);
    if (m->n_search) {
        uint8_t sw[LN_DHCP_SEARCH_WIRE];
        int n = ln_dhcp_search_encode((const char (*)[LN_DHCP_NAME_TEXT])m->search,
                                      m->n_search > LN_DHCP_MAX_SEARCH ? LN_DHCP_MAX_SEARCH : m->n_search,
                                      sw, sizeof sw);
        if (n < 0) return -1;
        put_long_opt(&o, LN_DHCPO_SEARCH, sw, (size_t)n);
    }
    put_str(&o, LN_DHCPO_HOSTNAME, &m->hostname);
    if (m->has & LN_DHCP_HAS_REQUESTED) put_u32(&o, LN_DHCPO_REQUESTED, m->requested);
    if (m->client_id_len) put_opt(&o, LN_DHCPO_CLIENT_ID, m->client_id, m->client_id_len);
    if (m->prl_len) put_opt(&o, LN_DHCPO_PRL, m->prl, m->prl_len);
    if (m->has & LN_DHCP_HAS_MAX_SIZE) {
        uint8_t b[2];
        ln_put16(b, m->max_size);
        put_opt(&o, LN_DHCPO_MAX_SIZE, b, 2);
    }
    put_str(&o, LN_DHCPO_MESSAGE, &m->message);
    if (m->agent_len) put_opt(&o, LN_DHCPO_AGENT, m->agent, m->agent_len);
    if (o.full) return -1;
    buf[o.len++] = LN_DHCPO_END;
    if (o.len < LN_DHCP_MIN_LEN) o.len = LN_DHCP_MIN_LEN;   /* zeros: pad options */
    return (int)o.len;
}
