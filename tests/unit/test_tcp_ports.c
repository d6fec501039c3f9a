/* test_tcp_ports.c - bound ports as Linux keeps them (tcp_table.c): one
 * bucket per port with its owners, so that a server port holding
 * thousands of accepted connections lets each go in constant time and
 * still knows who is on it; a client's ports come back to the pool as its
 * connections go. */
#include "check.h"
#include "tcp_harness.h"

#define N 3000

static ln_tcp_sock *accepted[N];

static void collect(ln_tcp_sock *s, void *arg)
{
    int *n = arg;
    if (s->state == LN_TCP_ESTABLISHED && s->lport == 80 && *n < N) accepted[(*n)++] = s;
}

int main(void)
{
    th t;
    th_init(&t, false);
    ln_tcp_stack *sa = t.a->tcp, *sb = t.b->tcp;
    CHECK(sb->bhash == NULL);                      /* no table before the first bind */
    th_notes notes;
    ln_tcp_sock *l = th_listen(t.b, 80, &notes);
    CHECK_EQ(ln_tcp_listen(l, N), 0);
    sb->cfg.somaxconn = N;
    CHECK_EQ(ln_tcp_listen(l, N), 0);
    CHECK_U64(sb->n_ports, 1);

    static ln_tcp_sock *c[N];
    for (int i = 0; i < N; i++) {
        c[i] = ln_tcp_socket(t.a);
        CHECK_EQ(ln_tcp_connect(c[i], TH_B, 80), 0);
    }
    th_run(&t, LN_SEC);
    CHECK_U64(sa->n_ports, N);                     /* one port per connection */
    CHECK_U64(sb->n_ports, 1);                     /* every child shares port 80 */
    int na = 0;
    ln_tcp_foreach(t.b, collect, &na);
    CHECK_EQ(na, N);
    /* The SYNs all came before the first ACK, so the requests shared
     * chains, and each left from wherever the handshake's ACK found it
     * (the oldest, deepest in its chain, first): unlinked through their back links,
     * every chain is empty now. */
    CHECK_U64(sb->n_reqs, 0);
    CHECK(sb->rhash_mask + 1 >= N);
    uint32_t reqs_left = 0;
    for (uint32_t i = 0; i <= sb->rhash_mask; i++) reqs_left += sb->rhash[i] != 0;
    CHECK_EQ(reqs_left, 0);

    /* Children leave port 80 from anywhere in its owners, in a scrambled
     * order: the port stays while anyone is on it. */
    for (int k = 0; k < N; k++) {
        int i = (int)((uint64_t)k * 1543 % N);     /* 1543 is prime to 3000 */
        ln_tcp_abort(accepted[i]);
    }
    th_run(&t, LN_SEC);
    CHECK_U64(sb->n_ports, 1);                     /* the listener is still on it */
    ln_tcp_sock *other = ln_tcp_socket(t.b);
    CHECK_EQ(ln_tcp_bind(other, 0, 80), LN_EADDRINUSE);
    ln_tcp_close(l);
    CHECK_U64(sb->n_ports, 0);
    CHECK_EQ(ln_tcp_bind(other, 0, 80), 0);        /* free now: found by nobody */
    CHECK_U64(sb->n_ports, 1);
    ln_tcp_close(other);

    /* The client's ports went back as the resets arrived, and are reused
     * without a new allocation (the free list).  Each reset found its
     * connection in the client's table, whose chains lost sockets from
     * anywhere in them (unlinked through their back links), and every chain is
     * empty now. */
    CHECK_U64(sa->n_ports, 0);
    CHECK_U64(sa->n_conns, 0);
    CHECK_U64(sb->n_conns, 0);
    uint32_t left = 0;
    for (uint32_t i = 0; i <= sa->ehash_mask; i++) left += sa->ehash[i] != 0;
    CHECK_EQ(left, 0);
    /* So are the port table's: each port left its chain through pprev
     * as its connection went, from wherever it was in the chain. */
    CHECK(sa->bhash_mask + 1 >= N);
    left = 0;
    for (uint32_t i = 0; i <= sa->bhash_mask; i++) left += sa->bhash[i] != 0;
    CHECK_EQ(left, 0);
    CHECK(sa->port_free != NULL);
    ln_tcp_sock *again = ln_tcp_socket(t.a);
    ln_tcp_sock *l2 = th_listen(t.b, 81, &notes);
    CHECK_EQ(ln_tcp_connect(again, TH_B, 81), 0);
    CHECK_U64(sa->n_ports, 1);
    th_run(&t, LN_SEC);
    CHECK_EQ(again->state, LN_TCP_ESTABLISHED);
    (void)l2;
    th_free(&t);
    return check_report("test_tcp_ports");
}
