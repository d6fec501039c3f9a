/* test_tcp_fuzz.c - adversarial input: random segments, random user calls
 * and random waits against sockets in every state, from many seeds, with
 * sequence spaces placed near the 2^32 wrap.
 *
 * a runs the stack: one active connection to b:80 and a listener on a:80;
 * b is played by the test, mostly plausibly (sequence numbers and ACKs
 * near what a expects, SACK blocks inside what a sent), sometimes not at
 * all.  After every step the invariants hold for every socket of a:
 *   SND.UNA <= SND.NXT <= SND.MAX, SND.MAX within the data queued (+ FIN);
 *   the right edge of the advertised window never moves left
 *     (RFC 9293 3.8.6.2.2; Linux's tcp_shrink_window = 0);
 *   the OFO queue's byte count matches its packets;
 *   cwnd >= 1 and segments in flight stay sane once established;
 * and at the end th_free finds no packet leaked (ASan/UBSan find the rest). */
#include "tcp_conn.h"

static th *T;
static uint64_t rng_state;

static uint32_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33);
}
static uint32_t rn(uint32_t n) { return n ? rnd() % n : 0; }

/* Highest sequence a has sent to b on the connection (SYN/FIN counted). */
static ln_seq a_high;
static bool a_high_set;
static uint32_t a_tsval;

static void scan_a(void)
{
    for (uint32_t i = T->cur[0]; i < T->n; i++) {
        th_seg *g = &T->seg[i];
        if (g->src != TH_A || g->dport != 80 || g->sport != 40000) continue;
        ln_seq end = g->seq + g->len + ((g->flags & LN_TCP_SYN) ? 1 : 0) +
                     ((g->flags & LN_TCP_FIN) ? 1 : 0);
        if (!a_high_set || ln_seq_gt(end, a_high)) a_high = end;
        a_high_set = true;
        if (g->has_ts) a_tsval = g->tsval;
    }
    th_skip(T);
}

static bool alive(ln_tcp_sock *s)
{
    if (!s || !T->a->tcp) return false;
    for (ln_tcp_sock *x = T->a->tcp->all; x; x = x->next)
        if (x == s) return !(x->flags & LN_TF_DEAD);
    return false;
}

/* Right edges seen per socket (by pointer; sockets are few). */
#define MAXS 64
static struct { ln_tcp_sock *s; ln_seq edge; bool set; } edges[MAXS];

static void check_sock(ln_tcp_sock *s)
{
    if (s->flags & LN_TF_DEAD) return;
    if (s->state == LN_TCP_CLOSED || s->state == LN_TCP_LISTEN) return;
    CHECK(ln_seq_le(s->snd_una, s->snd_nxt));
    CHECK(ln_seq_le(s->snd_nxt, s->snd_max));
    if (s->state >= LN_TCP_ESTABLISHED && s->state != LN_TCP_TIME_WAIT && s->xf && s->xf->snd.cap + s->xf->snd.len) {
        ln_seq lim = ln_tcp_data_end(s) + ((s->flags & LN_TF_FIN_SENT) ? 1 : 0);
        CHECK(ln_seq_le(s->snd_max, lim));
    }
    /* The OFO queue's accounting. */
    uint32_t bytes = 0, n = 0;
    static const ln_tcp_ofo none;
    const ln_tcp_ofo *ofo = s->xf ? &s->xf->ofo : &none;
    for (ln_pkt *p = ofo->head; p; p = p->next) {
        bytes += p->len;
        n++;
        if (p->next) CHECK(ln_seq_le((ln_seq)p->mark + p->len, (ln_seq)p->next->mark));
        CHECK(ln_seq_gt((ln_seq)p->mark, s->rcv_nxt));
    }
    CHECK_EQ(bytes, ofo->bytes);
    CHECK_EQ(n, ofo->n_segs);
    if (s->state >= LN_TCP_ESTABLISHED && s->state != LN_TCP_TIME_WAIT) {
        CHECK(ln_tcp_cwnd(s) >= 1);
        CHECK(ln_tcp_in_flight(s) <= (uint32_t)(s->snd_max - s->snd_una) + 1024);
    }
    /* Nothing stalls: data in flight has the RTO timer, data or a FIN that
     * waits with nothing in flight has the persist timer (RFC 6298 5.1,
     * RFC 9293 3.8.6.1). */
    bool sender = s->state == LN_TCP_ESTABLISHED || s->state == LN_TCP_CLOSE_WAIT ||
                  s->state == LN_TCP_FIN_WAIT_1 || s->state == LN_TCP_CLOSING ||
                  s->state == LN_TCP_LAST_ACK || s->state == LN_TCP_SYN_SENT ||
                  s->state == LN_TCP_SYN_RCVD;
    if (sender) {
        bool waits = s->snd_max != s->snd_una;
        if (s->state >= LN_TCP_ESTABLISHED) {
            waits = waits || ln_seq_lt(s->snd_nxt, ln_tcp_data_end(s)) ||
                    ((s->flags & LN_TF_SHUT_WR) && !(s->flags & LN_TF_FIN_SENT) &&
                     s->state != LN_TCP_ESTABLISHED && s->state != LN_TCP_CLOSE_WAIT);
        }
        if (waits && !ln_timer_armed(&s->t_rtx)) {
            fprintf(stderr, "stalled: %s una %u nxt %u max %u end %u wnd %u\n",
                    ln_tcp_state_name((ln_tcp_state)s->state), s->snd_una, s->snd_nxt, s->snd_max,
                    ln_tcp_data_end(s), s->snd_wnd);
            CHECK(false);
        }
    }
    /* The right edge never moves left. */
    if (s->state >= LN_TCP_ESTABLISHED) {
        ln_seq edge = s->rcv_wup + s->rcv_wnd;
        for (int i = 0; i < MAXS; i++) {
            if (edges[i].s == s && edges[i].set) {
                if (!ln_seq_ge(edge, edges[i].edge)) {
                    fprintf(stderr, "right edge moved left: %u -> %u (state %s)\n", edges[i].edge,
                            edge, ln_tcp_state_name((ln_tcp_state)s->state));
                    CHECK(false);
                }
                edges[i].edge = edge;
                return;
            }
        }
        for (int i = 0; i < MAXS; i++) {
            if (!edges[i].set) {
                edges[i].s = s;
                edges[i].edge = edge;
                edges[i].set = true;
                return;
            }
        }
    }
}

static void check_all(void)
{
    if (!T->a->tcp) return;
    for (ln_tcp_sock *s = T->a->tcp->all; s; s = s->next) check_sock(s);
}

/* Forget the edge of a freed socket (its address may be reused). */
static void prune_edges(void)
{
    for (int i = 0; i < MAXS; i++)
        if (edges[i].set && !alive(edges[i].s)) edges[i].set = false;
}

static uint8_t rand_flags(void)
{
    static const uint8_t common[] = { F_A, F_A, F_A, F_PA, F_PA, F_FA, F_R, F_RA, F_S, F_SA,
                                      LN_TCP_FIN, 0, LN_TCP_PSH };
    if (rn(10) == 0) return (uint8_t)rnd();
    return common[rn(sizeof common)];
}

static void b_segment(ln_tcp_sock *s, bool s_alive, ln_seq *bseq, uint16_t sport, uint16_t dport)
{
    th_tx x;
    memset(&x, 0, sizeof x);
    x.sport = sport;
    x.dport = dport;
    x.flags = rand_flags();
    ln_seq rn_nxt = s_alive ? s->rcv_nxt : *bseq;
    ln_seq una = s_alive ? s->snd_una : (a_high_set ? a_high : 0);
    ln_seq hi = a_high_set ? a_high : una;
    switch (rn(6)) {
    case 0: x.seq = rnd(); break;
    case 1: x.seq = rn_nxt - rn(3000); break;
    case 2: x.seq = rn_nxt + rn(70000); break;
    default: x.seq = *bseq + (rn(4) ? 0 : rn(5000)); break;
    }
    uint32_t span = (uint32_t)(hi - una);
    switch (rn(6)) {
    case 0: x.ack = rnd(); break;
    case 1: x.ack = una - rn(70000); break;
    case 2: x.ack = hi + rn(3); break;
    default: x.ack = una + (span ? rn(span + 1) : 0); break;
    }
    static const uint32_t lens[] = { 0, 0, 0, 1, 10, 100, 536, 1448, 1448, 1460, 3000 };
    x.len = lens[rn(sizeof lens / sizeof lens[0])];
    if (x.flags & LN_TCP_SYN && rn(2)) x.len = 0;
    x.wnd = (uint16_t)(rn(8) == 0 ? 0 : rn(4) == 0 ? rnd() : 64 + rn(200));
    x.ts = rn(10) != 0;
    x.tsval = rn(20) == 0 ? rnd() : 6000 + (uint32_t)(th_now(T) / LN_MSEC) - rn(3);
    x.tsecr = rn(10) == 0 ? rnd() : a_tsval;
    if (x.flags & LN_TCP_SYN) {
        x.syn_opts = true;
        x.mss = (uint16_t)(rn(5) == 0 ? rn(2000) : 1460);
        x.sack_perm = rn(2);
        x.ws = (int8_t)(rn(3) ? (int)rn(16) : -1);
    }
    if (rn(3) == 0 && !(x.flags & LN_TCP_SYN)) {
        x.n_sack = (uint8_t)(1 + rn(x.ts ? 3 : 4));
        for (int i = 0; i < x.n_sack; i++) {
            if (rn(6) == 0) {
                x.sack[i].start = rnd();
                x.sack[i].end = rnd();
            } else {
                uint32_t a = span ? rn(span + 1) : 0, b = span ? rn(span + 1) : 0;
                if (a > b) { uint32_t t = a; a = b; b = t; }
                if (rn(4) == 0) a = a >= 100 ? a - 100 : 0;   /* D-SACK-like, below SND.UNA */
                x.sack[i].start = una + a;
                x.sack[i].end = una + b + (rn(8) == 0);
            }
        }
    }
    th_send(T, &x);
    /* A plausible peer moves on. */
    if (ln_seq_ge(x.seq + x.len, *bseq) && x.seq == *bseq && rn(2)) *bseq = x.seq + x.len;
}

static void run_one(uint64_t seed)
{
    th t;
    th_init(&t, true);
    T = &t;
    rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
    memset(edges, 0, sizeof edges);
    a_high_set = false;
    a_tsval = 0;
    /* Some runs sit right below the 2^32 wrap on both sides. */
    ln_seq iss = seed % 3 == 0 ? 0xffffff00u - rn(100000) : rnd();
    ln_seq irs = seed % 3 == 0 ? 0xfffffff0u - rn(100000) : rnd();
    bool opts = seed % 4 != 1;
    ln_tcp_cfg_of(t.a)->invalid_ratelimit = seed % 2 ? 500 * LN_MSEC : 0;
    if (seed % 5 == 2) strcpy(ln_tcp_cfg_of(t.a)->congestion, "reno");
    ln_tcp_sock *s = th_open_active(&t, 40000, 80, iss, irs, opts);
    th_notes ln;
    ln_tcp_sock *l = th_listen(t.a, 80, &ln);
    (void)l;
    if (seed % 7 == 3) ln_tcp_setopt(s, LN_TCP_OPT_RCVBUF, 4096);
    ln_seq bseq = irs + 1;
    a_high = iss + 1;
    a_high_set = true;
    bool owned = true;                      /* s not closed by us */
    uint8_t buf[8192];
    int steps = 300 + (int)rn(300);
    for (int i = 0; i < steps; i++) {
        bool s_alive = owned ? true : alive(s);
        uint32_t r = rn(100);
        if (r < 45) {
            b_segment(s, s_alive, &bseq, 80, 40000);
            th_settle(&t);
        } else if (r < 50) {
            /* A stranger toward the listener: SYNs, ACKs, RSTs. */
            uint16_t sp = (uint16_t)(50000 + rn(4));
            ln_seq bs = rnd();
            b_segment(s, false, &bs, sp, 80);
            th_settle(&t);
        } else if (r < 62) {
            if (owned) ln_tcp_send(s, NULL, 1 + rn(6000));
        } else if (r < 70) {
            if (owned) ln_tcp_recv(s, buf, 1 + rn(sizeof buf));
            if (ln.accepted && rn(2)) ln_tcp_recv(ln.accepted, buf, sizeof buf);
        } else if (r < 72) {
            if (owned) ln_tcp_shutdown(s, LN_SHUT_WR);
        } else if (r < 73) {
            if (owned && rn(3) == 0) {
                if (rn(2)) ln_tcp_close(s);
                else ln_tcp_abort(s);
                owned = false;
            }
        } else if (r < 75) {
            if (owned) ln_tcp_setopt(s, LN_TCP_OPT_NODELAY, rn(2));
        } else if (r < 90) {
            th_run(&t, rn(20) * LN_MSEC);
        } else if (r < 97) {
            th_run(&t, rn(3000) * LN_MSEC);
        } else {
            th_run(&t, rn(200) * LN_SEC);
        }
        scan_a();
        prune_edges();
        check_all();
        if (check_fail) {
            fprintf(stderr, "seed %llu step %d\n", (unsigned long long)seed, i);
            break;
        }
    }
    th_free(&t);
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 200;
    uint64_t first = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    for (uint64_t seed = first; seed < first + n && !check_fail; seed++) run_one(seed);
    return check_report("test_tcp_fuzz");
}
