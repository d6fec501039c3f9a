/* test_tcp_ehash.c - the connection table (tcp_table.c): every lookup
 * answers what a scan of all hashed sockets would, for present and absent
 * tuples, while sockets come and go and the table doubles under them.
 * Its buckets carry a filter in their low bits that lets a lookup give up
 * without touching a socket; a wrong filter bit shows here as a socket
 * not found. */
#include "check.h"
#include "tcp_harness.h"

#define N 6000

static ln_tcp_sock *sock[N];
static bool hashed[N];
static int made;                    /* sockets made so far */

static uint32_t rng = 12345;
static uint32_t next(void) { rng = rng * 1103515245u + 12345u; return rng >> 8; }

/* Tuples crowd a few addresses and ports, as a server's do. */
static void tuple(uint32_t *ra, uint16_t *rp, uint32_t *la, uint16_t *lp)
{
    *ra = 0x0a000000u | (next() % 64);
    *rp = (uint16_t)(32768 + next() % 4096);
    *la = 0x0a010001u + next() % 2;
    *lp = (uint16_t)(80 + next() % 2);
}

static ln_tcp_sock *scan(uint32_t ra, uint16_t rp, uint32_t la, uint16_t lp)
{
    for (int i = 0; i < made; i++)
        if (hashed[i] && sock[i]->raddr == ra && sock[i]->rport == rp && sock[i]->laddr == la &&
            sock[i]->lport == lp)
            return sock[i];
    return NULL;
}

static int check_all(ln_tcp_stack *st)
{
    int wrong = 0;
    for (int i = 0; i < made; i++) {
        ln_tcp_sock *s = sock[i];
        ln_tcp_sock *f = ln_tcp_lookup_conn(st, s->raddr, s->rport, s->laddr, s->lport);
        if (f != scan(s->raddr, s->rport, s->laddr, s->lport)) wrong++;
    }
    for (int k = 0; k < 20000; k++) {                 /* mostly absent tuples */
        uint32_t ra, la;
        uint16_t rp, lp;
        tuple(&ra, &rp, &la, &lp);
        if (ln_tcp_lookup_conn(st, ra, rp, la, lp) != scan(ra, rp, la, lp)) wrong++;
    }
    return wrong;
}

/* tcp_ehash_entries: the table starts that big (rounded up to a power of
 * 2) and doubles from there; 0 starts at 64. */
static void test_sized(uint32_t entries, uint32_t first)
{
    th t;
    th_init(&t, false);
    ln_tcp_stack *st = t.b->tcp;
    st->cfg.ehash_entries = entries;
    ln_tcp_sock *s[2100];
    uint32_t n = first + 1;
    for (uint32_t i = 0; i < n; i++) {
        s[i] = ln_tcp_sock_new(st);
        s[i]->raddr = 0x0a000001u + i;
        s[i]->rport = 1000;
        s[i]->laddr = 0x0a010001u;
        s[i]->lport = 80;
        ln_tcp_hash(s[i]);
        if (i == 0) CHECK_U64(st->ehash_mask + 1, first);
        if (i == first - 1) CHECK_U64(st->ehash_mask + 1, first);    /* full, not yet doubled */
    }
    CHECK_U64(st->ehash_mask + 1, 2 * first);
    for (uint32_t i = 0; i < n; i++)
        CHECK(ln_tcp_lookup_conn(st, s[i]->raddr, 1000, s[i]->laddr, 80) == s[i]);
    for (uint32_t i = 0; i < n; i++) {
        ln_tcp_unhash(s[i]);
        ln_tcp_sock_free(s[i]);
    }
    th_free(&t);
}

int main(void)
{
    test_sized(0, 64);
    test_sized(1000, 1024);
    test_sized(64, 64);
    th t;
    th_init(&t, false);
    ln_tcp_stack *st = t.b->tcp;
    uint32_t base = st->n_conns;
    int n = 0;
    for (int i = 0; i < N; i++) {
        sock[i] = ln_tcp_sock_new(st);
        uint32_t ra, la;
        uint16_t rp, lp;
        do tuple(&ra, &rp, &la, &lp); while (scan(ra, rp, la, lp));   /* tuples are unique */
        sock[i]->raddr = ra;
        sock[i]->rport = rp;
        sock[i]->laddr = la;
        sock[i]->lport = lp;
        ln_tcp_hash(sock[i]);
        hashed[i] = true;
        made = ++n;
        if (n == 50 || n == 700 || n == N) CHECK_EQ(check_all(st), 0);   /* through doublings */
    }
    CHECK_U64(st->n_conns, base + N);

    /* Every third leaves, from heads and middles of chains alike. */
    for (int i = 0; i < N; i += 3) {
        ln_tcp_unhash(sock[i]);
        hashed[i] = false;
    }
    CHECK_EQ(check_all(st), 0);
    /* All leave: the table answers "none" for every tuple. */
    for (int i = 0; i < N; i++) {
        ln_tcp_unhash(sock[i]);
        hashed[i] = false;
    }
    CHECK_EQ(check_all(st), 0);
    CHECK_U64(st->n_conns, base);
    /* And come back. */
    for (int i = 0; i < N; i++) {
        ln_tcp_hash(sock[i]);
        hashed[i] = true;
    }
    CHECK_EQ(check_all(st), 0);
    for (int i = 0; i < N; i++) {
        ln_tcp_unhash(sock[i]);
        ln_tcp_sock_free(sock[i]);
    }
    th_free(&t);
    return check_report("test_tcp_ehash");
}
