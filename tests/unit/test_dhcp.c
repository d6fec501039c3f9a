/* test_dhcp.c - the DHCP message codec (core/dhcp.c): what the encoder
 * writes byte for byte, that the parser reads it back, and every way a
 * message can be malformed, each with its reason. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dhcp.h"
#include "wire.h"

static ln_dhcp_msg msg;      /* big: kept off the stack */
static ln_dhcp_msg got;

static void offer(ln_dhcp_msg *m)
{
    memset(m, 0, sizeof *m);
    m->op = LN_DHCP_BOOTREPLY;
    m->htype = 1;
    m->hlen = 6;
    m->xid = 0x12345678;
    m->flags = LN_DHCP_FLAG_BROADCAST;
    m->yiaddr = 0x0a000164;
    memcpy(m->chaddr, "\x02\x00\x00\x00\x00\x07", 6);
    m->type = LN_DHCP_OFFER;
    m->has = LN_DHCP_HAS_SERVER_ID | LN_DHCP_HAS_LEASE | LN_DHCP_HAS_T1 | LN_DHCP_HAS_T2 |
             LN_DHCP_HAS_MASK;
    m->server_id = 0x0a000101;
    m->lease = 3600;
    m->t1 = 1800;
    m->t2 = 3150;
    m->mask = 0xffffff00;
    m->n_routers = 1;
    m->routers[0] = 0x0a000101;
    m->n_dns = 2;
    m->dns[0] = 0x0a000135;
    m->dns[1] = 0x08080808;
    m->domain.len = 3;
    memcpy(m->domain.s, "lab", 4);
    m->client_id_len = 7;
    memcpy(m->client_id, "\x01\x02\x00\x00\x00\x00\x07", 7);
}

/* A bare request: header, cookie, then the options given, nothing more. */
static size_t raw(uint8_t *b, const uint8_t *opts, size_t n)
{
    memset(b, 0, 240);
    b[0] = 1;
    b[1] = 1;
    b[2] = 6;
    ln_put32(b + 236, LN_DHCP_MAGIC);
    memcpy(b + 240, opts, n);
    return 240 + n;
}

static void test_build_layout(void)
{
    uint8_t b[LN_DHCP_MAX_BUILD];
    offer(&msg);
    int n = ln_dhcp_build(&msg, b, sizeof b);
    CHECK_EQ(n, 304);
    CHECK_EQ(b[0], 2);
    CHECK_U64(ln_get32(b + 4), 0x12345678);
    CHECK_EQ(ln_get16(b + 10), 0x8000);
    CHECK_U64(ln_get32(b + 16), 0x0a000164);
    CHECK_U64(ln_get32(b + 236), LN_DHCP_MAGIC);
    /* The fixed order: 53, 54, 51, 58, 59, 1, 3, 6, 15, 61, end. */
    static const uint8_t want[] = {
        53, 1, 2, 54, 4, 10, 0, 1, 1, 51, 4, 0, 0, 14, 16, 58, 4, 0, 0, 7, 8,
        59, 4, 0, 0, 12, 78, 1, 4, 255, 255, 255, 0, 3, 4, 10, 0, 1, 1,
        6, 8, 10, 0, 1, 53, 8, 8, 8, 8, 15, 3, 'l', 'a', 'b',
        61, 7, 1, 2, 0, 0, 0, 0, 7, 255};
    CHECK(memcmp(b + 240, want, sizeof want) == 0);
    CHECK_EQ(n, 240 + (int)sizeof want);
    /* A short message is padded with zeros to 300 bytes (RFC 1542). */
    memset(&msg, 0, sizeof msg);
    msg.op = 1;
    msg.type = LN_DHCP_DISCOVER;
    memset(b, 0xee, sizeof b);
    CHECK_EQ(ln_dhcp_build(&msg, b, sizeof b), LN_DHCP_MIN_LEN);
    CHECK_EQ(b[243], 255);
    for (size_t i = 244; i < 300; i++) CHECK_EQ(b[i], 0);
    offer(&msg);
    /* Too small a buffer: refused, not overrun. */
    CHECK_EQ(ln_dhcp_build(&msg, b, 299), -1);
    CHECK_EQ(ln_dhcp_build(&msg, b, 240 + sizeof want - 1), -1);
}

static void test_roundtrip(void)
{
    uint8_t b[LN_DHCP_MAX_BUILD];
    offer(&msg);
    msg.hostname.len = 5;
    memcpy(msg.hostname.s, "host1", 6);
    msg.has |= LN_DHCP_HAS_REQUESTED | LN_DHCP_HAS_MAX_SIZE;
    msg.requested = 0x0a000199;
    msg.max_size = 1500;
    msg.prl_len = 3;
    memcpy(msg.prl, "\x01\x03\x06", 3);
    msg.message.len = 2;
    memcpy(msg.message.s, "hi", 3);
    int n = ln_dhcp_build(&msg, b, sizeof b);
    CHECK(n > 0);
    uint8_t code = 99;
    CHECK_EQ(ln_dhcp_parse(b, (size_t)n, &got, &code), LN_DHCP_OK);
    CHECK_EQ(code, 0);
    CHECK_EQ(got.type, LN_DHCP_OFFER);
    CHECK_U64(got.xid, 0x12345678);
    CHECK_U64(got.yiaddr, 0x0a000164);
    CHECK(memcmp(got.chaddr, msg.chaddr, 16) == 0);
    CHECK_EQ(got.has, msg.has);
    CHECK_U64(got.lease, 3600);
    CHECK_U64(got.t2, 3150);
    CHECK_U64(got.requested, 0x0a000199);
    CHECK_EQ(got.max_size, 1500);
    CHECK_EQ(got.n_dns, 2);
    CHECK_U64(got.dns[1], 0x08080808);
    CHECK_STR(got.domain.s, "lab");
    CHECK_STR(got.hostname.s, "host1");
    CHECK_STR(got.message.s, "hi");
    CHECK_EQ(got.prl_len, 3);
    CHECK_EQ(got.client_id_len, 7);
    CHECK_EQ(got.n_codes, 15);
    CHECK_EQ(got.codes[0], 53);
}

static void test_header_errors(void)
{
    uint8_t b[600];
    size_t n = raw(b, (const uint8_t *)"\x35\x01\x01\xff", 4);
    CHECK_EQ(ln_dhcp_parse(b, n, &got, NULL), LN_DHCP_OK);
    CHECK_EQ(got.type, LN_DHCP_DISCOVER);
    /* Every cut below the cookie's end is too short. */
    for (size_t k = 0; k < 240; k++) CHECK_EQ(ln_dhcp_parse(b, k, &got, NULL), LN_DHCP_ERR_SHORT);
    b[0] = 3;
    CHECK_EQ(ln_dhcp_parse(b, n, &got, NULL), LN_DHCP_ERR_OP);
    b[0] = 1;
    b[2] = 17;
    CHECK_EQ(ln_dhcp_parse(b, n, &got, NULL), LN_DHCP_ERR_HLEN);
    b[2] = 6;
    b[236] = 0;
    CHECK_EQ(ln_dhcp_parse(b, n, &got, NULL), LN_DHCP_ERR_COOKIE);
}

static void test_option_errors(void)
{
    uint8_t b[4000], code;
    size_t n;
    /* Length past the end of the datagram. */
    n = raw(b, (const uint8_t *)"\x35\x01\x01\x06\x08\x0a\x00\x00\x01", 9);
    CHECK_EQ(ln_dhcp_parse(b, n, &got, &code), LN_DHCP_ERR_TRUNCATED);
    CHECK_EQ(code, 6);
    /* A code with no room for its length byte. */
    n = raw(b, (const uint8_t *)"\x35\x01\x01\x0c", 4);
    CHECK_EQ(ln_dhcp_parse(b, n, &got, &code), LN_DHCP_ERR_TRUNCATED);
    CHECK_EQ(code, 12);
    /* Wrong lengths for the type. */
    n = raw(b, (const uint8_t *)"\x35\x02\x01\x01\xff", 5);
    CHECK_EQ(ln_dhcp_parse(b, n, &got, &code), LN_DHCP_ERR_OPTLEN);
    CHECK_EQ(code, 53);
    n = raw(b, (const uint8_t *)"\x01\x03\xff\xff\xff\xff", 6);
    CHECK_EQ(ln_dhcp_parse(b, n, &got, &code), LN_DHCP_ERR_OPTLEN);
    CHECK_EQ(code, 1);
    n = raw(b, (const uint8_t *)"\x03\x05\x0a\x00\x00\x01\x02\xff", 8);
    CHECK_EQ(ln_dhcp_parse(b, n, &got, &code), LN_DHCP_ERR_OPTLEN);
    CHECK_EQ(code, 3);
    n = raw(b, (const uint8_t *)"\x3d\x01\x01\xff", 4);          /* client id needs 2 */
    CHECK_EQ(ln_dhcp_parse(b, n, &got, &code), LN_DHCP_ERR_OPTLEN);
    CHECK_EQ(code, 61);
    n = raw(b, (const uint8_t *)"\x0c\x00\xff", 3);              /* empty host name */
    CHECK_EQ(ln_dhcp_parse(b, n, &got, &code), LN_DHCP_ERR_OPTLEN);
    CHECK_EQ(code, 12);
    /* Message types: 0 and past the registry's 18. */
    n = raw(b, (const uint8_t *)"\x35\x01\x00\xff", 4);
    CHECK_EQ(ln_dhcp_parse(b, n, &got, &code), LN_DHCP_ERR_TYPE);
    n = raw(b, (const uint8_t *)"\x35\x01\x13\xff", 4);
    CHECK_EQ(ln_dhcp_parse(b, n, &got, &code), LN_DHCP_ERR_TYPE);
    /* No end option: the field's end ends it (dhclient, dnsmasq). */
    n = raw(b, (const uint8_t *)"\x35\x01\x03\x00\x00", 5);
    CHECK_EQ(ln_dhcp_parse(b, n, &got, &code), LN_DHCP_OK);
    CHECK_EQ(got.type, LN_DHCP_REQUEST);
    /* Whatever follows the end option is not read. */
    n = raw(b, (const uint8_t *)"\x35\x01\x03\xff\x06\x40", 6);
    CHECK_EQ(ln_dhcp_parse(b, n, &got, &code), LN_DHCP_OK);
    /* More instances than the parser keeps: refused. */
    uint8_t many[2 * 1100];
    for (size_t i = 0; i < sizeof many; i += 2) { many[i] = 200; many[i + 1] = 0; }
    n = raw(b, many, sizeof many);
    CHECK_EQ(ln_dhcp_parse(b, n, &got, &code), LN_DHCP_ERR_TOO_MANY);
}

/* RFC 3396: instances of one option are one value, here a DNS list split
 * in the middle of an address. */
static void test_concatenation(void)
{
    uint8_t b[600];
    size_t n = raw(b, (const uint8_t *)"\x06\x06\x0a\x00\x00\x01\x08\x08\x35\x01\x01\x06\x02\x08\x08\xff", 16);
    CHECK_EQ(ln_dhcp_parse(b, n, &got, NULL), LN_DHCP_OK);
    CHECK_EQ(got.n_dns, 2);
    CHECK_U64(got.dns[0], 0x0a000001);
    CHECK_U64(got.dns[1], 0x08080808);
    CHECK_EQ(got.n_codes, 2);                     /* 6 and 53, each once */
}

/* Option 52: options continue in file (1), sname (2) or both (3), read in
 * that order; 52 itself only in the options field, once, 1..3. */
static void test_overload(void)
{
    uint8_t b[600], code;
    size_t n = raw(b, (const uint8_t *)"\x34\x01\x03\x35\x01\x05\x0f\x02\x61\x62\xff", 11);
    memcpy(b + 108, "\x0f\x02\x63\x64\x36\x04\x0a\x00\x00\x01\xff", 11);     /* file */
    memcpy(b + 44, "\x0f\x01\x65\x33\x04\x00\x00\x0e\x10\xff", 10);           /* sname */
    CHECK_EQ(ln_dhcp_parse(b, n, &got, &code), LN_DHCP_OK);
    CHECK_EQ(got.overload, 3);
    CHECK_EQ(got.type, LN_DHCP_ACK);
    CHECK_STR(got.domain.s, "abcde");             /* options, file, sname */
    CHECK_U64(got.server_id, 0x0a000001);
    CHECK_U64(got.lease, 3600);
    /* Only the file field: sname's bytes are not options. */
    b[242] = 1;
    CHECK_EQ(ln_dhcp_parse(b, n, &got, &code), LN_DHCP_OK);
    CHECK_STR(got.domain.s, "abcd");
    CHECK(!(got.has & LN_DHCP_HAS_LEASE));
    /* Bad values, and 52 where it may not be. */
    b[242] = 4;
    CHECK_EQ(ln_dhcp_parse(b, n, &got, &code), LN_DHCP_ERR_OVERLOAD);
    CHECK_EQ(code, 52);
    b[242] = 1;
    memcpy(b + 108, "\x34\x01\x02\xff", 4);
    CHECK_EQ(ln_dhcp_parse(b, n, &got, &code), LN_DHCP_ERR_OVERLOAD);
    /* An option running past the end of the file field. */
    memset(b + 108, 0, 128);
    b[108 + 126] = 15;
    b[108 + 127] = 5;
    CHECK_EQ(ln_dhcp_parse(b, n, &got, &code), LN_DHCP_ERR_TRUNCATED);
    CHECK_EQ(code, 15);
}

/* Every prefix and every single-byte change of a valid message parses or
 * is refused; with ASan this shows nothing is read out of bounds. */
static void test_mutations(void)
{
    uint8_t b[LN_DHCP_MAX_BUILD];
    offer(&msg);
    int n = ln_dhcp_build(&msg, b, sizeof b);
    for (int k = 0; k <= n; k++) {
        uint8_t *c = malloc((size_t)k + 1);     /* exact size: ASan sees overreads */
        memcpy(c, b, (size_t)k);
        ln_dhcp_err e = ln_dhcp_parse(c, (size_t)k, &got, NULL);
        CHECK(k >= 240 || e == LN_DHCP_ERR_SHORT);
        free(c);
    }
    for (int i = 240; i < 300; i++) {
        for (int v = 0; v < 256; v += 17) {
            uint8_t save = b[i];
            b[i] = (uint8_t)v;
            (void)ln_dhcp_parse(b, (size_t)n, &got, NULL);
            b[i] = save;
        }
    }
    CHECK(ln_dhcp_strerror(LN_DHCP_ERR_TRUNCATED)[0] != '\0');
    CHECK_STR(ln_dhcp_type_name(LN_DHCP_NAK), "NAK");
    CHECK(ln_dhcp_type_name(9) == NULL);
}

/* RFC 3397 section 3's example: "eng.apple.com" and
 * "marketing.apple.com", the second pointing at the first's "apple.com",
 * split over three instances of option 119. */
static const uint8_t rfc3397[] = {
    119, 9, 3, 'e', 'n', 'g', 5, 'a', 'p', 'p', 'l',
    119, 9, 'e', 3, 'c', 'o', 'm', 0, 9, 'm', 'a',
    119, 9, 'r', 'k', 'e', 't', 'i', 'n', 'g', 0xc0, 0x04,
    255,
};

static void test_search_rfc3397(void)
{
    uint8_t b[LN_DHCP_MAX_BUILD];
    size_t n = raw(b, rfc3397, sizeof rfc3397);
    uint8_t code = 0;
    CHECK_EQ(ln_dhcp_parse(b, n, &got, &code), LN_DHCP_OK);
    CHECK_EQ(got.n_search, 2);
    CHECK_STR(got.search[0], "eng.apple.com");
    CHECK_STR(got.search[1], "marketing.apple.com");

    /* The encoder compresses the same way: the same 27 data bytes, in
     * one instance since they fit. */
    memset(&msg, 0, sizeof msg);
    msg.op = LN_DHCP_BOOTREPLY;
    msg.n_search = 2;
    strcpy(msg.search[0], "eng.apple.com");
    strcpy(msg.search[1], "Marketing.apple.com");
    int len = ln_dhcp_build(&msg, b, sizeof b);
    CHECK(len > 0);
    CHECK_EQ(b[240], 119);
    CHECK_EQ(b[241], 27);
    const uint8_t want[] = {3, 'e', 'n', 'g', 5, 'a', 'p', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
                            9, 'M', 'a', 'r', 'k', 'e', 't', 'i', 'n', 'g', 0xc0, 0x04};
    CHECK(memcmp(b + 242, want, sizeof want) == 0);
    CHECK_EQ(b[242 + sizeof want], 255);
    /* case is kept: "Apple.com" is not "apple.com"'s suffix on the wire */
    strcpy(msg.search[1], "marketing.Apple.com");
    len = ln_dhcp_build(&msg, b, sizeof b);
    CHECK_EQ(b[241], 15 + 18);              /* 9marketing 5Apple, then a pointer to 3com */
    CHECK_EQ(ln_dhcp_parse(b, (size_t)len, &got, NULL), LN_DHCP_OK);
    CHECK_STR(got.search[1], "marketing.Apple.com");
}

/* More than 255 bytes of names: consecutive instances (RFC 3396), which
 * the parser joins before it follows the pointers. */
static void test_search_long(void)
{
    uint8_t b[LN_DHCP_MAX_BUILD];
    memset(&msg, 0, sizeof msg);
    msg.op = LN_DHCP_BOOTREPLY;
    msg.n_search = LN_DHCP_MAX_SEARCH;
    for (int i = 0; i < LN_DHCP_MAX_SEARCH; i++) {
        memset(msg.search[i], 'a' + i, 40);
        strcpy(msg.search[i] + 40, ".example.lab");
    }
    int len = ln_dhcp_build(&msg, b, sizeof b);
    CHECK(len > 0);
    int instances = 0;
    for (int at = 240; at < len && b[at] != 255; at += 2 + b[at + 1])
        if (b[at] == 119) instances++;
    /* 41 + 13 for the first, 41 + 2 for each other: 54 + 15 x 43 = 699 */
    CHECK_EQ(instances, 3);
    CHECK_EQ(ln_dhcp_parse(b, (size_t)len, &got, NULL), LN_DHCP_OK);
    CHECK_EQ(got.n_search, LN_DHCP_MAX_SEARCH);
    CHECK_STR(got.search[15], msg.search[15]);
    /* a name the option cannot carry is refused by the encoder */
    strcpy(msg.search[3], "bad name.lab");
    CHECK_EQ(ln_dhcp_build(&msg, b, sizeof b), -1);
    CHECK_EQ(ln_dhcp_name_check("a..b"), -1);
    CHECK_EQ(ln_dhcp_name_check("lab"), 5);
}

static void test_search_malformed(void)
{
    static const struct { uint8_t opt[24]; size_t n; } bad[] = {
        {{119, 3, 1, 'a', 0xc0}, 5},                 /* pointer cut short */
        {{119, 2, 0xc0, 0x00}, 4},                   /* points at itself */
        {{119, 6, 1, 'a', 0, 0xc0, 0x05, 0}, 8},     /* points forward (past itself) */
        {{119, 3, 2, 'a', 'b'}, 5},                  /* no end */
        {{119, 1, 0}, 3},                            /* the root */
        {{119, 4, 2, 'a', ' ', 0}, 6},               /* a space in a label */
        {{119, 3, 0x40, 'a', 0}, 5},                 /* reserved label type */
    };
    uint8_t b[LN_DHCP_MAX_BUILD];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t code = 0;
        size_t n = raw(b, bad[i].opt, bad[i].n);
        CHECK_EQ(ln_dhcp_parse(b, n, &got, &code), LN_DHCP_ERR_SEARCH);
        CHECK_EQ(code, 119);
    }
    /* a chain of pointers, each further back: fine */
    const uint8_t chain[] = {119, 11, 1, 'a', 0, 1, 'b', 0xc0, 0, 0xc0, 3, 0xc0, 5};
    size_t n = raw(b, chain, sizeof chain);
    CHECK_EQ(ln_dhcp_parse(b, n, &got, NULL), LN_DHCP_OK);
    CHECK_EQ(got.n_search, 4);
    CHECK_STR(got.search[1], "b.a");
    CHECK_STR(got.search[2], "b.a");
    CHECK_STR(got.search[3], "a");             /* a pointer to a pointer */
    /* option 82 is kept raw and written last */
    const uint8_t agent[] = {82, 6, 1, 4, 'e', 't', 'h', '1', 53, 1, 1};
    n = raw(b, agent, sizeof agent);
    CHECK_EQ(ln_dhcp_parse(b, n, &got, NULL), LN_DHCP_OK);
    CHECK_EQ(got.agent_len, 6);
    int len = ln_dhcp_build(&got, b, sizeof b);
    CHECK_EQ(b[243], 82);
    CHECK_EQ(b[243 + 8], 255);
    CHECK(len > 0);
}

int main(void)
{
    test_search_rfc3397();
    test_search_long();
    test_search_malformed();
    test_build_layout();
    test_roundtrip();
    test_header_errors();
    test_option_errors();
    test_concatenation();
    test_overload();
    test_mutations();
    return check_report("test_dhcp");
}
