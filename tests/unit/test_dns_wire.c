/* test_dns_wire.c - the DNS message reader and writer (lua/dns_wire.c):
 * a captured-style query and response byte for byte, name compression
 * both ways, and every malformed shape the reader must refuse with its
 * reason (pointer loops, forward pointers, names over 255 bytes, labels
 * and records past the end, rdata of the wrong length); then writer
 * truncation at a record boundary. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "dns_wire.h"

/* A query for server.lab A, id 0x1234, RD: what glibc sends. */
static const uint8_t query[] = {
    0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
    6, 's', 'e', 'r', 'v', 'e', 'r', 3, 'l', 'a', 'b', 0,
    0, 1, 0, 1,
};

static void test_read_query(void)
{
    lnl_dns_rd r;
    lnl_dns_hdr h;
    lnl_dns_q q;
    const char *why = NULL;
    lnl_dns_rd_init(&r, query, sizeof query);
    CHECK_EQ(lnl_dns_read_header(&r, &h, &why), 0);
    CHECK_EQ(h.id, 0x1234);
    CHECK_EQ(h.flags & LNL_DNS_F_RD, LNL_DNS_F_RD);
    CHECK_EQ(h.count[0], 1);
    CHECK_EQ(lnl_dns_read_question(&r, &q, &why), 0);
    CHECK_STR(q.name, "server.lab");
    CHECK_EQ(q.type, LNL_DNS_T_A);
    CHECK_EQ(q.klass, LNL_DNS_C_IN);
    CHECK_EQ(r.off, sizeof query);
}

/* Write the query with the writer: the same bytes. */
static void test_write_query(void)
{
    uint8_t buf[512];
    lnl_dns_wr w;
    const char *why;
    lnl_dns_wr_init(&w, buf, sizeof buf);
    lnl_dns_hdr h = {.id = 0x1234, .flags = LNL_DNS_F_RD, .count = {1, 0, 0, 0}};
    CHECK_EQ(lnl_dns_put_header(&w, &h), 0);
    CHECK_EQ(lnl_dns_put_name(&w, "Server.lab.", true, &why), 0);
    CHECK_EQ(lnl_dns_put_u16(&w, 1), 0);
    CHECK_EQ(lnl_dns_put_u16(&w, 1), 0);
    CHECK_EQ(w.len, sizeof query);
    buf[13] = 's';                     /* case is kept: compare lowered */
    CHECK(memcmp(buf, query, sizeof query) == 0);
}

/* A response whose answer's owner is a pointer to the question (0xc00c)
 * and whose CNAME target shares the suffix "lab" (a pointer into the
 * middle of the question's name). */
static void test_compression(void)
{
    uint8_t buf[512];
    lnl_dns_wr w;
    const char *why;
    lnl_dns_wr_init(&w, buf, sizeof buf);
    lnl_dns_hdr h = {.id = 7, .flags = LNL_DNS_F_QR, .count = {1, 1, 0, 0}};
    lnl_dns_put_header(&w, &h);
    CHECK_EQ(lnl_dns_put_name(&w, "www.lab", true, &why), 0);   /* at 12 */
    lnl_dns_put_u16(&w, LNL_DNS_T_A);
    lnl_dns_put_u16(&w, 1);
    size_t owner = w.len;
    CHECK_EQ(lnl_dns_put_name(&w, "WWW.LAB", true, &why), 0);
    CHECK_EQ(w.len - owner, 2);                                 /* one pointer */
    CHECK_EQ(buf[owner], 0xc0);
    CHECK_EQ(buf[owner + 1], 12);
    lnl_dns_put_u16(&w, LNL_DNS_T_CNAME);
    lnl_dns_put_u16(&w, 1);
    lnl_dns_put_u32(&w, 300);
    size_t rdl = w.len;
    lnl_dns_put_u16(&w, 0);
    size_t t0 = w.len;
    CHECK_EQ(lnl_dns_put_name(&w, "server.lab", true, &why), 0);
    /* "server" in place, then a pointer to "lab" at 12 + 4 */
    CHECK_EQ(w.len - t0, 1 + 6 + 2);
    CHECK_EQ(buf[w.len - 1], 16);
    buf[rdl + 1] = (uint8_t)(w.len - t0);

    lnl_dns_rd r;
    lnl_dns_hdr hh;
    lnl_dns_q q;
    lnl_dns_rr rr;
    lnl_dns_rd_init(&r, buf, w.len);
    CHECK_EQ(lnl_dns_read_header(&r, &hh, &why), 0);
    CHECK_EQ(lnl_dns_read_question(&r, &q, &why), 0);
    CHECK_EQ(lnl_dns_read_rr(&r, &rr, &why), 0);
    CHECK_STR(rr.name, "www.lab");
    CHECK_EQ(rr.type, LNL_DNS_T_CNAME);
    CHECK_EQ(rr.ttl, 300);
    CHECK_STR(rr.target, "server.lab");
    CHECK_EQ(r.off, w.len);
}

/* Read one RR from bytes placed after a 12-byte header; return the
 * reason or NULL. */
static const char *rr_why(const uint8_t *body, size_t n, lnl_dns_rr *rr)
{
    static uint8_t m[600];
    memset(m, 0, LNL_DNS_HDR_LEN);
    memcpy(m + LNL_DNS_HDR_LEN, body, n);
    lnl_dns_rd r;
    lnl_dns_hdr h;
    const char *why = NULL;
    lnl_dns_rd_init(&r, m, LNL_DNS_HDR_LEN + n);
    lnl_dns_read_header(&r, &h, &why);
    if (lnl_dns_read_rr(&r, rr, &why) == 0) return NULL;
    return why;
}

static void test_malformed(void)
{
    static lnl_dns_rr rr;
    lnl_dns_rd r;
    lnl_dns_hdr h;
    const char *why = NULL;

    lnl_dns_rd_init(&r, query, 11);
    CHECK_EQ(lnl_dns_read_header(&r, &h, &why), -1);
    CHECK_STR(why, "header: shorter than 12 bytes");

    /* a pointer to itself, and one pointing forward */
    const uint8_t self[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0};
    CHECK_STR(rr_why(self, sizeof self, &rr), "name: compression pointer does not point backwards");
    const uint8_t fwd[] = {0xc0, 14, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0};
    CHECK_STR(rr_why(fwd, sizeof fwd, &rr), "name: compression pointer does not point backwards");
    /* two pointers bouncing between each other: the second must point
     * below the first's target, so the loop ends at once */
    const uint8_t loop[] = {1, 'a', 0xc0, 12, 0xc0, 12};
    uint8_t lm[64] = {0};
    memcpy(lm + 12, loop, sizeof loop);
    lnl_dns_rd_init(&r, lm, 12 + sizeof loop);
    size_t off = 16;
    char text[LNL_DNS_TEXT_MAX];
    CHECK_EQ(lnl_dns_read_name(&r, &off, text, sizeof text, &why), -1);
    CHECK_STR(why, "name: compression pointer does not point backwards");

    const uint8_t cut[] = {5, 'a', 'b'};
    CHECK_STR(rr_why(cut, sizeof cut, &rr), "name: label runs past the end of the message");
    const uint8_t noend[] = {1, 'a'};
    CHECK_STR(rr_why(noend, sizeof noend, &rr), "name: runs past the end of the message");
    const uint8_t reserved[] = {0x40, 'a', 0};
    CHECK_STR(rr_why(reserved, sizeof reserved, &rr), "name: reserved label type");
    const uint8_t ptrcut[] = {0xc0};
    CHECK_STR(rr_why(ptrcut, sizeof ptrcut, &rr), "name: compression pointer cut short");

    /* 5 labels of 63 bytes: 320 wire bytes */
    uint8_t longn[330];
    size_t k = 0;
    for (int i = 0; i < 5; i++) {
        longn[k++] = 63;
        memset(longn + k, 'x', 63);
        k += 63;
    }
    longn[k++] = 0;
    CHECK_STR(rr_why(longn, k, &rr), "name: longer than 255 bytes");

    const uint8_t fixed[] = {0, 0, 1, 0, 1, 0, 0};
    CHECK_STR(rr_why(fixed, sizeof fixed, &rr), "record: type, class, TTL and length cut short");
    const uint8_t past[] = {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 10, 0};
    CHECK_STR(rr_why(past, sizeof past, &rr), "record: rdata runs past the end of the message");
    const uint8_t a5[] = {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 5, 10, 0, 0, 1, 9};
    CHECK_STR(rr_why(a5, sizeof a5, &rr), "A record: rdata is not 4 bytes");
    const uint8_t aaaa4[] = {0, 0, 28, 0, 1, 0, 0, 0, 0, 0, 4, 10, 0, 0, 1};
    CHECK_STR(rr_why(aaaa4, sizeof aaaa4, &rr), "AAAA record: rdata is not 16 bytes");
    /* a CNAME whose name runs past its rdata (but not the message) */
    const uint8_t cn[] = {0, 0, 5, 0, 1, 0, 0, 0, 0, 0, 2, 1, 'a', 0};
    CHECK_STR(rr_why(cn, sizeof cn, &rr), "name: runs past the end of the message");
    const uint8_t cnlong[] = {0, 0, 5, 0, 1, 0, 0, 0, 0, 0, 4, 1, 'a', 0, 7};
    CHECK_STR(rr_why(cnlong, sizeof cnlong, &rr), "record: rdata longer than its name");
    const uint8_t txt[] = {0, 0, 16, 0, 1, 0, 0, 0, 0, 0, 3, 5, 'a', 'b'};
    CHECK_STR(rr_why(txt, sizeof txt, &rr), "TXT record: string runs past the rdata");
    const uint8_t soa[] = {0, 0, 6, 0, 1, 0, 0, 0, 0, 0, 4, 0, 0, 1, 2};
    CHECK_STR(rr_why(soa, sizeof soa, &rr), "SOA record: not 20 bytes of numbers after the names");

    /* and a good AAAA, escaped name */
    const uint8_t good[] = {3, 'a', '.', 0x01, 0, 0, 28, 0, 1, 0, 0, 1, 0, 0, 16,
                            0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    CHECK(rr_why(good, sizeof good, &rr) == NULL);
    CHECK_STR(rr.name, "a\\.\\001");
    CHECK_EQ(rr.ttl, 256);
    CHECK_EQ(rr.addr[0], 0x20);
    CHECK_EQ(rr.addr[15], 2);
}

static void test_text_names(void)
{
    uint8_t wn[LNL_DNS_NAME_MAX];
    const char *why;
    CHECK_EQ(lnl_dns_name_to_wire(".", wn, &why), 1);
    CHECK_EQ(lnl_dns_name_to_wire("a\\.\\001", wn, &why), 5);
    CHECK_EQ(wn[0], 3);
    CHECK_EQ(wn[2], '.');
    CHECK_EQ(wn[3], 1);
    CHECK_EQ(lnl_dns_name_to_wire("", wn, &why), -1);
    CHECK_EQ(lnl_dns_name_to_wire("a..b", wn, &why), -1);
    CHECK_STR(why, "empty label (two dots in a row, or a leading dot)");
    CHECK_EQ(lnl_dns_name_to_wire("a\\", wn, &why), -1);
    CHECK_EQ(lnl_dns_name_to_wire("a\\300", wn, &why), -1);
    char big[300];
    memset(big, 'x', 64);
    big[64] = '\0';
    CHECK_EQ(lnl_dns_name_to_wire(big, wn, &why), -1);
    CHECK_STR(why, "label longer than 63 bytes");
    /* 4 x 63 + dots: 4 x 64 + 1 = 257 wire bytes */
    size_t k = 0;
    for (int i = 0; i < 4; i++) {
        memset(big + k, 'y', 63);
        k += 63;
        big[k++] = '.';
    }
    big[k - 1] = '\0';
    CHECK_EQ(lnl_dns_name_to_wire(big, wn, &why), -1);
    CHECK_STR(why, "name longer than 255 bytes");
    big[k - 3] = '\0';                  /* 61 in the last label: 255 exactly */
    CHECK_EQ(lnl_dns_name_to_wire(big, wn, &why), 255);
}

/* A record that does not fit leaves the buffer as it was. */
static void test_noroom(void)
{
    uint8_t buf[40];
    lnl_dns_wr w;
    const char *why;
    lnl_dns_wr_init(&w, buf, sizeof buf);
    lnl_dns_hdr h = {0};
    lnl_dns_put_header(&w, &h);
    CHECK_EQ(lnl_dns_put_name(&w, "server.lab", true, &why), 0);
    lnl_dns_mark m = lnl_dns_wr_mark(&w);
    CHECK_EQ(lnl_dns_put_name(&w, "a-rather-long-name.example", true, &why), LNL_DNS_NOROOM);
    CHECK_EQ(w.len, m.len);
    CHECK_EQ(w.nz, m.nz);
    CHECK_EQ(lnl_dns_put_bytes(&w, "01234567890123", 14), 0);
    CHECK_EQ(lnl_dns_put_u32(&w, 1), LNL_DNS_NOROOM);
    CHECK_EQ(lnl_dns_put_u16(&w, 1), 0);
    CHECK_EQ(w.len, sizeof buf);
}

/* The query dig sends: server.lab A with OPT (1232 bytes, DO, a cookie
 * option of 8 bytes). */
static const uint8_t edns_query[] = {
    0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1,
    6, 's', 'e', 'r', 'v', 'e', 'r', 3, 'l', 'a', 'b', 0,
    0, 1, 0, 1,
    0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 12,
    0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8,
};

static void test_edns_read_write(void)
{
    static lnl_dns_rr rr;
    lnl_dns_rd r;
    lnl_dns_hdr h;
    lnl_dns_q q;
    lnl_dns_edns e;
    const char *why = NULL;
    lnl_dns_rd_init(&r, edns_query, sizeof edns_query);
    CHECK_EQ(lnl_dns_read_header(&r, &h, &why), 0);
    CHECK_EQ(lnl_dns_read_question(&r, &q, &why), 0);
    CHECK_EQ(lnl_dns_read_rr(&r, &rr, &why), 0);
    CHECK_EQ(rr.type, LNL_DNS_T_OPT);
    CHECK_EQ(r.opt_off, 28);
    CHECK_EQ(lnl_dns_read_edns(&r, &rr, &e, &why), 0);
    CHECK_EQ(e.udp_size, 1232);
    CHECK_EQ(e.version, 0);
    CHECK_EQ(e.ext_rcode, 0);
    CHECK_EQ(e.flags, LNL_DNS_EDNS_DO);
    CHECK_EQ(e.nopts, 1);
    CHECK_EQ(e.opts[0].code, 10);
    CHECK_EQ(e.opts[0].len, 8);
    CHECK_EQ(e.opts[0].data[7], 8);
    CHECK_EQ(r.off, sizeof edns_query);

    /* written again: the same bytes; and no room, nothing written */
    uint8_t buf[128];
    lnl_dns_wr w;
    lnl_dns_wr_init(&w, buf, sizeof buf);
    CHECK_EQ(lnl_dns_put_bytes(&w, edns_query, 28), 0);
    CHECK_EQ(lnl_dns_edns_len(&e), 23);
    CHECK_EQ(lnl_dns_put_edns(&w, &e), 0);
    CHECK_EQ(w.len, sizeof edns_query);
    CHECK(memcmp(buf, edns_query, sizeof edns_query) == 0);
    lnl_dns_wr_init(&w, buf, 30);
    CHECK_EQ(lnl_dns_put_bytes(&w, edns_query, 28), 0);
    CHECK_EQ(lnl_dns_put_edns(&w, &e), LNL_DNS_NOROOM);
    CHECK_EQ(w.len, 28);

    /* BADVERS: 16, its upper bits in OPT's TTL */
    CHECK_STR(lnl_dns_rcode_name(LNL_DNS_BADVERS), "BADVERS");
    CHECK_EQ(lnl_dns_rcode_num("BADVERS"), 16);
    CHECK(lnl_dns_rcode_name(11) == NULL);
    CHECK_EQ(lnl_dns_rcode_num("NOTZONE"), 10);
}

/* A message of a header with the given counts and the records after it:
 * the reason the last read fails, or NULL. */
static const char *edns_why(const uint8_t *body, size_t n, uint16_t an, uint16_t ar)
{
    static uint8_t m[600];
    static lnl_dns_rr rr;
    memset(m, 0, LNL_DNS_HDR_LEN);
    m[7] = (uint8_t)an;
    m[11] = (uint8_t)ar;
    memcpy(m + LNL_DNS_HDR_LEN, body, n);
    lnl_dns_rd r;
    lnl_dns_hdr h;
    lnl_dns_edns e;
    const char *why = NULL;
    lnl_dns_rd_init(&r, m, LNL_DNS_HDR_LEN + n);
    lnl_dns_read_header(&r, &h, &why);
    for (int i = 0; i < an + ar; i++) {
        if (lnl_dns_read_rr(&r, &rr, &why) < 0) return why;
        if (rr.type == LNL_DNS_T_OPT && lnl_dns_read_edns(&r, &rr, &e, &why) < 0) return why;
    }
    return NULL;
}

static void test_edns_malformed(void)
{
    const uint8_t opt[] = {0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0};
    CHECK(edns_why(opt, sizeof opt, 0, 1) == NULL);
    /* RFC 6891 6.1.1: in the answer section, twice, not owned by the root */
    CHECK_STR(edns_why(opt, sizeof opt, 1, 0), "OPT record outside the additional section");
    uint8_t two[22];
    memcpy(two, opt, 11);
    memcpy(two + 11, opt, 11);
    CHECK_STR(edns_why(two, sizeof two, 0, 2), "a second OPT record");
    const uint8_t owner[] = {1, 'a', 0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0};
    CHECK_STR(edns_why(owner, sizeof owner, 0, 1), "OPT record: owner is not the root");
    /* options: a header cut short, data past the rdata */
    const uint8_t cut[] = {0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 3, 0, 10, 0};
    CHECK_STR(edns_why(cut, sizeof cut, 0, 1), "OPT record: option header cut short");
    const uint8_t past[] = {0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 5, 0, 10, 0, 2, 1};
    CHECK_STR(edns_why(past, sizeof past, 0, 1), "OPT record: option runs past the rdata");
    /* 33 empty options: more than the reader keeps, refused whole */
    uint8_t many[11 + 33 * 4] = {0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 33 * 4};
    CHECK_STR(edns_why(many, sizeof many, 0, 1), "OPT record: more than 32 options");
    CHECK(edns_why(many, sizeof many - 4, 0, 1) != NULL);    /* rdlength now lies */
    many[10] = 32 * 4;
    CHECK(edns_why(many, sizeof many - 4, 0, 1) == NULL);
}

int main(void)
{
    test_edns_read_write();
    test_edns_malformed();
    test_read_query();
    test_write_query();
    test_compression();
    test_malformed();
    test_text_names();
    test_noroom();
    return check_report("test_dns_wire");
}
