/* test_pkt_gen.c - generated payloads (pkt.h): a TCP sender whose stream
 * is the generated pattern sends header-sized packets that only say where
 * the pattern starts, and the bytes are written out only when something
 * looks at them.
 *
 * The pool: clones keep the payload generated, finishing writes every
 * byte where an eager sender would have (after pulls and trims too), and
 * a finished packet's two buffers both go home.  The rings: a receiver's
 * ring stays generated while the pattern continues it, and stores bytes
 * when it does not.  End to end: over a link that loses, duplicates,
 * corrupts and reorders, the receiver reads exactly the stream sent, with
 * real bytes after generated ones; a capture of every frame holds the
 * pattern at each segment's offset; and a transfer nobody watches never
 * stores the payload at either end. */
#include "check.h"
#include "tcp.h"
#include "tcp_buf.h"
#include "tcp_int.h"
#include "world.h"

static uint8_t at(uint32_t k) { return (uint8_t)k; }

static bool is_pattern(const uint8_t *b, uint32_t n, uint8_t first)
{
    for (uint32_t i = 0; i < n; i++)
        if (b[i] != (uint8_t)(first + i)) return false;
    return true;
}

static void test_pool(void)
{
    ln_pktpool *pool = ln_pktpool_new();
    ln_pkt *p = ln_pkt_alloc(pool, 0);
    memcpy(ln_pkt_put(p, 4), "HDR!", 4);
    ln_pkt_put_gen(p, 1400, 250);
    CHECK_EQ(p->len, 1404);
    CHECK_EQ(ln_pkt_stored(p), 4);
    CHECK_EQ(ln_pkt_tailroom(p), 0);                  /* nothing after a generated tail */
    CHECK(ln_pkt_put(p, 1) == NULL);
    CHECK_EQ(p->cap, LN_PKT_TINY);                    /* headers only */
    CHECK_EQ(ln_pkt_gen_at(p, 4), 250);
    CHECK_EQ(ln_pkt_gen_at(p, 10), 0);                /* wraps */

    ln_pkt *c = ln_pkt_clone(p);
    CHECK(c != NULL && c->cap == LN_PKT_TINY && ln_pkt_stored(c) == 4 && c->len == 1404);
    ln_pkt_finish(c);
    CHECK(c->gen_off == 0 && c->cap == LN_PKT_FRAME && ln_pkt_stored(c) == 1404);
    CHECK(memcmp(c->data, "HDR!", 4) == 0 && is_pattern(c->data + 4, 1400, 250));
    ln_pkt_finish(c);                                 /* idempotent */
    CHECK(is_pattern(c->data + 4, 1400, 250));
    CHECK_U64(ln_pktpool_in_use(pool), 2);

    /* Pulled into the generated part, then trimmed: the phase follows. */
    ln_pkt_pull(p, 104);
    CHECK_EQ(ln_pkt_stored(p), 0);
    CHECK_EQ(ln_pkt_gen_at(p, 0), at(250 + 100));
    ln_pkt_trim(p, 300);
    ln_pkt *d = ln_pkt_clone(p);
    CHECK(d != NULL && d->len == 300 && ln_pkt_stored(d) == 0);
    ln_pkt_finish(p);
    ln_pkt_finish(d);
    CHECK(p->len == 300 && is_pattern(p->data, 300, at(350)));
    CHECK(d->len == 300 && is_pattern(d->data, 300, at(350)));

    /* Trimmed back to stored bytes: nothing to write out. */
    ln_pkt *e = ln_pkt_alloc(pool, 0);
    memcpy(ln_pkt_put(e, 8), "abcdefgh", 8);
    ln_pkt_put_gen(e, 500, 0);
    ln_pkt_trim(e, 6);
    ln_pkt_finish(e);
    CHECK(e->cap == LN_PKT_TINY && e->len == 6 && memcmp(e->data, "abcdef", 6) == 0);

    /* Every buffer goes home to its own class: the free lists hand out
     * sound packets of each size afterwards. */
    ln_pkt_free(p);
    ln_pkt_free(c);
    ln_pkt_free(d);
    ln_pkt_free(e);
    CHECK_U64(ln_pktpool_in_use(pool), 0);
    uint64_t made = ln_pktpool_allocated(pool);
    ln_pkt *t[4];
    for (int i = 0; i < 4; i++) {
        t[i] = ln_pkt_alloc(pool, i < 2 ? 10 : 1400);
        CHECK(t[i] && t[i]->buf == (uint8_t *)(t[i] + 1));
        CHECK_EQ(t[i]->cap, i < 2 ? LN_PKT_TINY : LN_PKT_FRAME);
        memset(t[i]->data, 0xee, t[i]->len);          /* ASan: each buffer is whole */
    }
    CHECK_U64(ln_pktpool_allocated(pool), made);      /* reused, none made */
    for (int i = 0; i < 4; i++) ln_pkt_free(t[i]);
    ln_pktpool_free(pool);
}

static void test_ring(void)
{
    ln_pktpool *pool = ln_pktpool_new();
    ln_ring r;
    ln_ring_init(&r, 1 << 20);
    ln_pkt *p = ln_pkt_alloc(pool, 0);
    ln_pkt_put_gen(p, 1000, 0);                       /* stream offsets 0..999 */
    CHECK_EQ(ln_ring_write_pkt(&r, p), 1000);
    CHECK(r.synth && r.buf == NULL);                  /* nothing stored */
    uint8_t phase;
    CHECK(ln_ring_gen(&r, 10, &phase) && phase == 10);
    ln_pkt_free(p);

    /* A pattern out of step with the offset is stored, and everything
     * before it with it. */
    p = ln_pkt_alloc(pool, 0);
    ln_pkt_put_gen(p, 500, 7);
    CHECK_EQ(ln_ring_write_pkt(&r, p), 500);
    CHECK(!r.synth && r.buf != NULL);
    CHECK(!ln_ring_gen(&r, 0, &phase));
    uint8_t b[1500];
    ln_ring_read(&r, b, 1500);
    CHECK(is_pattern(b, 1000, 0) && is_pattern(b + 1000, 500, 7));
    ln_pkt_free(p);

    /* Stored bytes, then a generated tail: both land. */
    p = ln_pkt_alloc(pool, 0);
    memcpy(ln_pkt_put(p, 3), "xyz", 3);
    ln_pkt_put_gen(p, 200, 40);
    CHECK_EQ(ln_ring_write_pkt(&r, p), 203);
    ln_ring_read(&r, b, 203);
    CHECK(memcmp(b, "xyz", 3) == 0 && is_pattern(b + 3, 200, 40));
    ln_pkt_free(p);

    /* A full ring takes what fits. */
    ln_ring_set_limit(&r, 100);
    p = ln_pkt_alloc(pool, 0);
    ln_pkt_put_gen(p, 300, 0);
    CHECK_EQ(ln_ring_write_pkt(&r, p), 100);
    ln_pkt_free(p);
    ln_ring_free(&r);
    ln_pktpool_free(pool);
}

/* ---- end to end ------------------------------------------------------- */

typedef struct rx {
    ln_tcp_sock *s;
    uint8_t *got;
    uint32_t n, cap;
    bool fin;
} rx;

static void rx_notify(ln_tcp_sock *s, unsigned ev, void *arg)
{
    rx *r = arg;
    (void)ev;
    for (;;) {
        int64_t k = ln_tcp_recv(s, r->got + r->n, r->cap - r->n);
        if (k > 0) r->n += (uint32_t)k;
        else {
            if (k == 0) r->fin = true;
            return;
        }
    }
}

static void lis_notify(ln_tcp_sock *l, unsigned ev, void *arg)
{
    rx *r = arg;
    (void)ev;
    ln_tcp_sock *s = ln_tcp_accept(l);
    if (!s) return;
    r->s = s;
    ln_tcp_set_notify(s, rx_notify, r);
    rx_notify(s, 0, r);
}

/* a (ISN 1000) and b on one wire of lc, b listening on 80 (*l) and a's
 * socket (*s) connecting to it; nothing has run yet. */
static world *lab(const ln_linkcfg *lc, bool quiet, ln_tcp_sock **l, ln_tcp_sock **s)
{
    static world_cfg c;
    c = (world_cfg){ .seed = 11, .addr = { IP(10, 0, 0, 1), IP(10, 0, 0, 2) }, .link = lc,
                     .static_arp = true, .quiet = quiet };
    world *w = world_new(&c);
    ln_tcp_cfg_of(w->a)->fixed_isn = 1000;
    *l = ln_tcp_socket(w->b);
    CHECK_EQ(ln_tcp_bind(*l, 0, 80), 0);
    CHECK_EQ(ln_tcp_listen(*l, 8), 0);
    *s = ln_tcp_socket(w->a);
    CHECK_EQ(ln_tcp_connect(*s, IP(10, 0, 0, 2), 80), 0);
    return w;
}

/* a sends `gen` generated bytes then `tail` (real bytes, may be NULL) to
 * b, which reads them all; returns what b got (caller frees w). */
static world *transfer(const ln_linkcfg *lc, bool quiet, uint32_t gen, const char *tail, rx *r,
                       ln_tcp_sock **client)
{
    ln_tcp_sock *l, *s;
    world *w = lab(lc, quiet, &l, &s);
    uint32_t tl = tail ? (uint32_t)strlen(tail) : 0;
    r->cap = gen + tl;
    r->got = malloc(r->cap + 1);
    ln_tcp_set_notify(l, lis_notify, r);
    world_run_for(w, 50 * LN_MSEC);
    uint32_t sent = 0;
    for (int round = 0; round < 100000 && sent < gen; round++) {
        int64_t k = ln_tcp_send(s, NULL, gen - sent);
        if (k > 0) sent += (uint32_t)k;
        world_run_for(w, LN_MSEC);
    }
    CHECK_EQ(sent, gen);
    uint32_t tsent = 0;
    for (int round = 0; round < 1000 && tsent < tl; round++) {
        int64_t k = ln_tcp_send(s, tail + tsent, tl - tsent);
        if (k > 0) tsent += (uint32_t)k;
        world_run_for(w, LN_MSEC);
    }
    ln_tcp_shutdown(s, LN_SHUT_WR);
    world_run_for(w, 60 * LN_SEC);
    *client = s;
    ln_tcp_close(l);
    return w;
}

static ln_linkcfg wire(uint64_t bandwidth, ln_time delay)
{
    ln_linkcfg lc;
    ln_linkcfg_default(&lc);
    lc.bandwidth = bandwidth;
    lc.delay = delay;
    return lc;
}

static void done(world *w, ln_tcp_sock *s, rx *r)
{
    ln_tcp_close(s);
    if (r->s) ln_tcp_close(r->s);
    free(r->got);
    world_free(w);
}

static void test_impaired(void)
{
    ln_linkcfg lc = wire(100000000, 2 * LN_MSEC);
    lc.loss = (ln_loss){ .kind = LN_LOSS_RANDOM, .rate = 0.02 };
    lc.duplicate = 0.02;
    lc.corrupt = 0.01;
    lc.reorder = 0.03;
    lc.reorder_delay = LN_MSEC;
    const char *tail = "and a real tail after the generated bytes";
    rx r = {0};
    ln_tcp_sock *s;
    world *w = transfer(&lc, true, 600000, tail, &r, &s);
    CHECK(r.fin);
    CHECK_EQ(r.n, 600000 + strlen(tail));
    CHECK(is_pattern(r.got, 600000, 0));
    CHECK(memcmp(r.got + 600000, tail, strlen(tail)) == 0);
    ln_tcp_info info;
    ln_tcp_get_info(s, &info);
    CHECK(info.total_retrans > 0);                    /* the impairments bit */
    done(w, s, &r);
}

/* Every frame is captured (finished as it leaves): each data segment's
 * payload is the pattern at its stream offset. */
static void test_captured(void)
{
    ln_linkcfg lc = wire(10000000, LN_MSEC);
    rx r = {0};
    ln_tcp_sock *s;
    world *w = transfer(&lc, false, 100000, NULL, &r, &s);
    CHECK_EQ(r.n, 100000);
    int segs = 0, right = 0;
    for (int i = 0; i < w->n_tx; i++) {
        const world_frame *f = &w->tx[i];
        if (f->node != w->a || f->len < 54 || ln_get16(f->b + 12) != 0x0800) continue;
        const uint8_t *ip = f->b + 14;
        uint32_t ihl = (ip[0] & 15u) * 4, tot = ln_get16(ip + 2);
        const uint8_t *t = ip + ihl;
        uint32_t thl = (uint32_t)(t[12] >> 4) * 4, pay = tot - ihl - thl;
        if (pay == 0) continue;
        segs++;
        uint32_t off = ln_get32(t + 4) - 1001;
        if (is_pattern(t + thl, pay, (uint8_t)off)) right++;
    }
    CHECK(segs >= 69);                                /* 100,000 / 1,448 */
    CHECK_EQ(right, segs);
    done(w, s, &r);
}

/* Nobody looks: the sender's ring and the receiver's ring store nothing. */
static void test_unwatched(void)
{
    ln_linkcfg lc = wire(100000000, LN_MSEC);
    ln_tcp_sock *l, *s;
    world *w = lab(&lc, true, &l, &s);
    world_run_for(w, 10 * LN_MSEC);
    ln_tcp_sock *acc = ln_tcp_accept(l);
    CHECK(acc != NULL);
    uint64_t got = 0;
    for (int i = 0; i < 200; i++) {
        while (ln_tcp_send(s, NULL, 1 << 20) > 0) {}
        world_run_for(w, LN_MSEC);
        if (i == 100) {
            /* Mid-transfer: data in flight and unread, nothing stored. */
            CHECK(acc && acc->xf && acc->xf->rcv.len > 0 && acc->xf->rcv.synth && acc->xf->rcv.buf == NULL);
            CHECK(s->xf && s->xf->snd.len > 0 && s->xf->snd.synth && s->xf->snd.buf == NULL);
        }
        int64_t k;
        while (acc && (k = ln_tcp_recv(acc, NULL, 1 << 20)) > 0) got += (uint64_t)k;
    }
    CHECK(got > 1000000);
    ln_tcp_abort(s);
    if (acc) ln_tcp_abort(acc);
    ln_tcp_close(l);
    world_free(w);
}

int main(void)
{
    test_pool();
    test_ring();
    test_impaired();
    test_captured();
    test_unwatched();
    return check_report("test_pkt_gen");
}
