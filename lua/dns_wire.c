/* dns_wire.c - reading and writing DNS messages (RFC 1035 section 4,
 * RFC 3596); the contract is in dns_wire.h.
 *
 * Input comes from any host of the network, hostile or broken, so every
 * read is preceded by a check against the message's end, and names are
 * bounded three ways: 255 wire bytes (RFC 1035 3.1), labels of at most 63
 * (the two high bits set mean a pointer, the other two patterns are
 * reserved and rejected), and compression pointers that must point before
 * the run of labels they end, so a chain of them always terminates. */
#include <stdio.h>
#include <string.h>

#include "dns_wire.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void lnl_dns_rd_init(lnl_dns_rd *r, const uint8_t *msg, size_t len)
{
    r->msg = msg;
    r->len = len;
    r->off = 0;
    memset(r->count, 0, sizeof r->count);
    r->nrr = 0;
    r->opt_off = 0;
}

int lnl_dns_read_header(lnl_dns_rd *r, lnl_dns_hdr *h, const char **why)
{
    if (r->len < LNL_DNS_HDR_LEN) {
        *why = "header: shorter than 12 bytes";
        return -1;
    }
    const uint8_t *p = r->msg;
    h->id = rd16(p);
    h->flags = rd16(p + 2);
    for (int i = 0; i < 4; i++) h->count[i] = r->count[i] = rd16(p + 4 + 2 * i);
    r->off = LNL_DNS_HDR_LEN;
    r->nrr = 0;
    r->opt_off = 0;
    return 0;
}

/* One label's bytes as text, escaped the way dig prints them: "\." and
 * "\\" for the two characters that mean something in a name, \DDD for
 * bytes that do not print.  The caller has room for 4 bytes per byte. */
static size_t put_label_text(char *t, const uint8_t *p, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '.' || c == '\\') {
            t[k++] = '\\';
            t[k++] = (char)c;
        } else if (c <= 0x20 || c >= 0x7f) {
            snprintf(t + k, 5, "\\%03u", c);
            k += 4;
        } else {
            t[k++] = (char)c;
        }
    }
    return k;
}

int lnl_dns_read_name(const lnl_dns_rd *r, size_t *off, char *text, size_t cap, const char **why)
{
    size_t pos = *off, end = 0, wire = 0, t = 0;
    size_t lim = pos;          /* a pointer must point below this */
    bool jumped = false;
    if (cap < LNL_DNS_TEXT_MAX) {
        *why = "name: text buffer too small";
        return -1;
    }
    for (;;) {
        if (pos >= r->len) {
            *why = "name: runs past the end of the message";
            return -1;
        }
        uint8_t c = r->msg[pos];
        if ((c & 0xC0) == 0xC0) {
            if (pos + 1 >= r->len) {
                *why = "name: compression pointer cut short";
                return -1;
            }
            size_t to = (size_t)(c & 0x3F) << 8 | r->msg[pos + 1];
            if (!jumped) end = pos + 2;
            jumped = true;
            if (to >= lim) {
                *why = "name: compression pointer does not point backwards";
                return -1;
            }
            lim = pos = to;
            continue;
        }
        if (c & 0xC0) {
            *why = "name: reserved label type";
            return -1;
        }
        wire += 1 + (size_t)c;
        if (wire > LNL_DNS_NAME_MAX) {
            *why = "name: longer than 255 bytes";
            return -1;
        }
        if (c == 0) {
            pos++;
            break;
        }
        if (r->len - pos - 1 < c) {
            *why = "name: label runs past the end of the message";
            return -1;
        }
        if (t) text[t++] = '.';
        t += put_label_text(text + t, r->msg + pos + 1, c);
        pos += 1 + (size_t)c;
    }
    if (!jumped) end = pos;
    if (t == 0) text[t++] = '.';       /* the root */
    text[t] = '\0';
    *off = end;
    return 0;
}

int lnl_dns_read_question(lnl_dns_rd *r, lnl_dns_q *q, const char **why)
{
    size_t off = r->off;
    if (lnl_dns_read_name(r, &off, q->name, sizeof q->name, why) < 0) return -1;
    if (r->len - off < 4) {
        *why = "question: type and class cut short";
        return -1;
    }
    q->type = rd16(r->msg + off);
    q->klass = rd16(r->msg + off + 2);
    r->off = off + 4;
    return 0;
}

/* A name inside rdata: its in-place bytes must end within the rdata. */
static int rdata_name(const lnl_dns_rd *r, size_t *p, size_t end, char *out, const char **why,
                      const char *cut)
{
    if (*p >= end) {
        *why = cut;
        return -1;
    }
    lnl_dns_rd sub = *r;
    sub.len = end;             /* pointers may still reach back before the rdata */
    return lnl_dns_read_name(&sub, p, out, LNL_DNS_TEXT_MAX, why);
}

/* Decode and check the rdata of the types lunet knows. */
static int rr_rdata(const lnl_dns_rd *r, lnl_dns_rr *rr, const char **why)
{
    size_t p = rr->rdoff, end = rr->rdoff + rr->rdlen;
    const uint8_t *m = r->msg;
    switch (rr->type) {
    case LNL_DNS_T_A:
        if (rr->rdlen != 4) {
            *why = "A record: rdata is not 4 bytes";
            return -1;
        }
        memcpy(rr->addr, m + p, 4);
        return 0;
    case LNL_DNS_T_AAAA:
        if (rr->rdlen != 16) {
            *why = "AAAA record: rdata is not 16 bytes";
            return -1;
        }
        memcpy(rr->addr, m + p, 16);
        return 0;
    case LNL_DNS_T_NS:
    case LNL_DNS_T_CNAME:
    case LNL_DNS_T_PTR:
        if (rdata_name(r, &p, end, rr->target, why, "record: empty rdata where a name belongs") < 0)
            return -1;
        break;
    case LNL_DNS_T_MX:
        if (rr->rdlen < 3) {
            *why = "MX record: rdata shorter than 3 bytes";
            return -1;
        }
        rr->pref = rd16(m + p);
        p += 2;
        if (rdata_name(r, &p, end, rr->target, why, "MX record: no exchange") < 0) return -1;
        break;
    case LNL_DNS_T_SOA:
        if (rdata_name(r, &p, end, rr->target, why, "SOA record: no mname") < 0) return -1;
        if (rdata_name(r, &p, end, rr->rname, why, "SOA record: no rname") < 0) return -1;
        if (end - p != 20) {
            *why = "SOA record: not 20 bytes of numbers after the names";
            return -1;
        }
        for (int i = 0; i < 5; i++) rr->soa[i] = rd32(m + p + 4 * (size_t)i);
        return 0;
    case LNL_DNS_T_OPT:
        /* RFC 6891 6.1.2: {code, length, data} until the rdata ends,
         * exactly */
        while (p < end) {
            if (end - p < 4) {
                *why = "OPT record: option header cut short";
                return -1;
            }
            size_t olen = rd16(m + p + 2);
            p += 4;
            if (end - p < olen) {
                *why = "OPT record: option runs past the rdata";
                return -1;
            }
            p += olen;
        }
        return 0;
    case LNL_DNS_T_TXT:
        /* RFC 1035 3.3.14: one or more <character-string>s */
        if (rr->rdlen == 0) {
            *why = "TXT record: no string";
            return -1;
        }
        while (p < end) {
            p += 1 + (size_t)m[p];
            if (p > end) {
                *why = "TXT record: string runs past the rdata";
                return -1;
            }
        }
        return 0;
    default:
        return 0;
    }
    if (p != end) {
        *why = "record: rdata longer than its name";
        return -1;
    }
    return 0;
}

/* RFC 6891 6.1.1: at most one OPT, in the additional section, and its
 * owner the root (BIND answers FORMERR to each of these). */
static int opt_place(lnl_dns_rd *r, const lnl_dns_rr *rr, size_t at, const char **why)
{
    unsigned before_ar = (unsigned)r->count[1] + r->count[2];
    if (r->nrr < before_ar) {
        *why = "OPT record outside the additional section";
        return -1;
    }
    if (r->opt_off) {
        *why = "a second OPT record";
        return -1;
    }
    if (strcmp(rr->name, ".") != 0) {
        *why = "OPT record: owner is not the root";
        return -1;
    }
    r->opt_off = at;
    return 0;
}

int lnl_dns_read_rr(lnl_dns_rd *r, lnl_dns_rr *rr, const char **why)
{
    size_t off = r->off;
    if (lnl_dns_read_name(r, &off, rr->name, sizeof rr->name, why) < 0) return -1;
    if (r->len - off < 10) {
        *why = "record: type, class, TTL and length cut short";
        return -1;
    }
    const uint8_t *p = r->msg + off;
    rr->type = rd16(p);
    rr->klass = rd16(p + 2);
    rr->ttl = rd32(p + 4);
    rr->rdlen = rd16(p + 8);
    off += 10;
    if (r->len - off < rr->rdlen) {
        *why = "record: rdata runs past the end of the message";
        return -1;
    }
    rr->rdoff = off;
    rr->target[0] = rr->rname[0] = '\0';
    if (rr_rdata(r, rr, why) < 0) return -1;
    if (rr->type == LNL_DNS_T_OPT && opt_place(r, rr, r->off, why) < 0) return -1;
    r->off = off + rr->rdlen;
    r->nrr++;
    return 0;
}

int lnl_dns_read_edns(const lnl_dns_rd *r, const lnl_dns_rr *rr, lnl_dns_edns *e, const char **why)
{
    if (rr->type != LNL_DNS_T_OPT) {
        *why = "not an OPT record";
        return -1;
    }
    e->udp_size = rr->klass;
    e->ext_rcode = (uint8_t)(rr->ttl >> 24);
    e->version = (uint8_t)(rr->ttl >> 16);
    e->flags = (uint16_t)rr->ttl;
    e->nopts = 0;
    /* the lengths were checked by rr_rdata */
    const uint8_t *m = r->msg;
    for (size_t p = rr->rdoff, end = rr->rdoff + rr->rdlen; p < end;) {
        if (e->nopts == LNL_DNS_EDNS_MAXOPTS) {
            *why = "OPT record: more than 32 options";
            return -1;
        }
        lnl_dns_edns_opt *o = &e->opts[e->nopts++];
        o->code = rd16(m + p);
        o->len = rd16(m + p + 2);
        o->data = m + p + 4;
        p += 4 + (size_t)o->len;
    }
    return 0;
}

/* ---- writing ------------------------------------------------------------ */

void lnl_dns_wr_init(lnl_dns_wr *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->nz = 0;
}

lnl_dns_mark lnl_dns_wr_mark(const lnl_dns_wr *w)
{
    return (lnl_dns_mark){w->len, w->nz};
}

void lnl_dns_wr_undo(lnl_dns_wr *w, lnl_dns_mark m)
{
    w->len = m.len;
    w->nz = m.nz;
}

int lnl_dns_put_bytes(lnl_dns_wr *w, const void *p, size_t n)
{
    if (w->cap - w->len < n) return LNL_DNS_NOROOM;
    if (n) memcpy(w->buf + w->len, p, n);
    w->len += n;
    return 0;
}

int lnl_dns_put_u16(lnl_dns_wr *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    return lnl_dns_put_bytes(w, b, 2);
}

int lnl_dns_put_u32(lnl_dns_wr *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return lnl_dns_put_bytes(w, b, 4);
}

static void hdr_bytes(const lnl_dns_hdr *h, uint8_t b[LNL_DNS_HDR_LEN])
{
    b[0] = (uint8_t)(h->id >> 8), b[1] = (uint8_t)h->id;
    b[2] = (uint8_t)(h->flags >> 8), b[3] = (uint8_t)h->flags;
    for (int i = 0; i < 4; i++) {
        b[4 + 2 * i] = (uint8_t)(h->count[i] >> 8);
        b[5 + 2 * i] = (uint8_t)h->count[i];
    }
}

int lnl_dns_put_header(lnl_dns_wr *w, const lnl_dns_hdr *h)
{
    uint8_t b[LNL_DNS_HDR_LEN];
    hdr_bytes(h, b);
    return lnl_dns_put_bytes(w, b, sizeof b);
}

void lnl_dns_patch_header(lnl_dns_wr *w, const lnl_dns_hdr *h)
{
    if (w->len >= LNL_DNS_HDR_LEN) hdr_bytes(h, w->buf);
}

int lnl_dns_name_to_wire(const char *text, uint8_t out[LNL_DNS_NAME_MAX], const char **why)
{
    size_t n = 0;                  /* bytes of out used */
    const char *s = text;
    if (!*s) {
        *why = "empty name (the root is \".\")";
        return -1;
    }
    if (strcmp(s, ".") == 0) {
        out[0] = 0;
        return 1;
    }
    while (*s) {
        size_t lab = n++;          /* the length byte, filled in below */
        if (n >= LNL_DNS_NAME_MAX) goto toolong;
        size_t len = 0;
        while (*s && *s != '.') {
            unsigned c = (unsigned char)*s++;
            if (c == '\\') {
                if (s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' &&
                    s[2] <= '9') {
                    c = (unsigned)((s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0'));
                    if (c > 255) {
                        *why = "escape \\DDD above \\255";
                        return -1;
                    }
                    s += 3;
                } else if (*s) {
                    c = (unsigned char)*s++;
                } else {
                    *why = "name ends with a lone backslash";
                    return -1;
                }
            }
            if (++len > LNL_DNS_LABEL_MAX) {
                *why = "label longer than 63 bytes";
                return -1;
            }
            if (n >= LNL_DNS_NAME_MAX - 1) goto toolong;
            out[n++] = (uint8_t)c;
        }
        if (len == 0) {
            *why = "empty label (two dots in a row, or a leading dot)";
            return -1;
        }
        out[lab] = (uint8_t)len;
        if (*s == '.') s++;        /* a trailing dot ends the name as well */
    }
    out[n++] = 0;
    return (int)n;
toolong:
    *why = "name longer than 255 bytes";
    return -1;
}

size_t lnl_dns_edns_len(const lnl_dns_edns *e)
{
    size_t n = 11;                     /* root, type, class, TTL, rdlength */
    for (int i = 0; i < e->nopts; i++) n += 4 + (size_t)e->opts[i].len;
    return n;
}

int lnl_dns_put_edns(lnl_dns_wr *w, const lnl_dns_edns *e)
{
    size_t rdlen = lnl_dns_edns_len(e) - 11;
    if (rdlen > 0xFFFF) return LNL_DNS_NOROOM;
    if (w->cap - w->len < rdlen + 11) return LNL_DNS_NOROOM;
    /* owner: the root, never compressed (RFC 6891 6.1.2) */
    lnl_dns_put_bytes(w, "", 1);
    lnl_dns_put_u16(w, LNL_DNS_T_OPT);
    lnl_dns_put_u16(w, e->udp_size);
    lnl_dns_put_u32(w, (uint32_t)e->ext_rcode << 24 | (uint32_t)e->version << 16 | e->flags);
    lnl_dns_put_u16(w, (uint16_t)rdlen);
    for (int i = 0; i < e->nopts; i++) {
        lnl_dns_put_u16(w, e->opts[i].code);
        lnl_dns_put_u16(w, e->opts[i].len);
        lnl_dns_put_bytes(w, e->opts[i].data, e->opts[i].len);
    }
    return 0;
}

/* Does the (possibly compressed) name at `at` in the buffer equal the
 * uncompressed wire name `wn`?  Case-insensitive (RFC 4343); the hop bound
 * only guards against a bug, the writer's own pointers point backwards. */
static bool same_name(const lnl_dns_wr *w, size_t at, const uint8_t *wn)
{
    for (int hops = 0; hops < 128;) {
        if (at >= w->len) return false;
        uint8_t c = w->buf[at];
        if ((c & 0xC0) == 0xC0) {
            if (at + 1 >= w->len) return false;
            at = (size_t)(c & 0x3F) << 8 | w->buf[at + 1];
            hops++;
            continue;
        }
        if (c != wn[0]) return false;
        if (c == 0) return true;
        if (w->len - at - 1 < c) return false;
        for (size_t k = 1; k <= c; k++) {
            uint8_t a = w->buf[at + k], b = wn[k];
            if (a >= 'A' && a <= 'Z') a = (uint8_t)(a + 32);
            if (b >= 'A' && b <= 'Z') b = (uint8_t)(b + 32);
            if (a != b) return false;
        }
        at += 1 + (size_t)c;
        wn += 1 + (size_t)c;
    }
    return false;
}

/* RFC 1035 4.1.4: the longest suffix already in the message becomes a
 * pointer to it; the labels before it are written in place, and each
 * becomes a suffix later names can point to (while offsets fit the
 * pointer's 14 bits). */
int lnl_dns_put_name(lnl_dns_wr *w, const char *text, bool compress, const char **why)
{
    uint8_t wn[LNL_DNS_NAME_MAX];
    int n = lnl_dns_name_to_wire(text, wn, why);
    if (n < 0) return -1;
    lnl_dns_mark m = lnl_dns_wr_mark(w);
    size_t i = 0;
    while (wn[i]) {
        if (compress) {
            for (int j = 0; j < w->nz; j++) {
                if (same_name(w, w->zoff[j], wn + i)) {
                    int rc = lnl_dns_put_u16(w, (uint16_t)(0xC000 | w->zoff[j]));
                    if (rc) lnl_dns_wr_undo(w, m);
                    return rc;
                }
            }
        }
        if (w->len < 0x4000 && w->nz < LNL_DNS_ZMAX) w->zoff[w->nz++] = (uint16_t)w->len;
        int rc = lnl_dns_put_bytes(w, wn + i, 1 + (size_t)wn[i]);
        if (rc) {
            lnl_dns_wr_undo(w, m);
            return rc;
        }
        i += 1 + (size_t)wn[i];
    }
    int rc = lnl_dns_put_bytes(w, "", 1);
    if (rc) lnl_dns_wr_undo(w, m);
    return rc;
}

/* ---- names for numbers ---------------------------------------------------- */

static const struct { uint16_t num; const char *name; } types[] = {
    {LNL_DNS_T_A, "A"}, {LNL_DNS_T_NS, "NS"}, {LNL_DNS_T_CNAME, "CNAME"},
    {LNL_DNS_T_SOA, "SOA"}, {LNL_DNS_T_PTR, "PTR"}, {LNL_DNS_T_MX, "MX"},
    {LNL_DNS_T_TXT, "TXT"}, {LNL_DNS_T_AAAA, "AAAA"}, {LNL_DNS_T_OPT, "OPT"},
    {LNL_DNS_T_ANY, "ANY"},
};

const char *lnl_dns_type_name(uint16_t type)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (types[i].num == type) return types[i].name;
    return NULL;
}

int lnl_dns_type_num(const char *name)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i].name, name) == 0) return types[i].num;
    return -1;
}

/* RFC 1035 4.1.1, RFC 2136 2.2 (6..10), RFC 6891 9 (16). */
static const char *const rcodes[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
                                     "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
                                     "NOTZONE", NULL, NULL, NULL, NULL, NULL, "BADVERS"};

const char *lnl_dns_rcode_name(unsigned rcode)
{
    return rcode < sizeof rcodes / sizeof rcodes[0] ? rcodes[rcode] : NULL;
}

int lnl_dns_rcode_num(const char *name)
{
    for (size_t i = 0; i < sizeof rcodes / sizeof rcodes[0]; i++)
        if (rcodes[i] && strcmp(rcodes[i], name) == 0) return (int)i;
    return -1;
}
