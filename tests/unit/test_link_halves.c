/* test_link_halves.c - what a split run needs from a link: the sender and
 * receiver halves of a direction kept apart, epochs that drop a frame a
 * down missed, a declared min_delay that no configuration may beat, the
 * news of a down reaching the far end min_delay late, and changes asked
 * for inside event subscribers taking effect after the event.
 *
 * Ports are built by hand with a recording rx, as in test_link.c: each
 * frame carries a sequence number at byte 14. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "err.h"
#include "link.h"
#include "net.h"
#include "node.h"
#include "wire.h"

#define MAXREC 64

typedef struct sink {
    ln_port port;                 /* first: rx casts back */
    ln_net *net;
    uint32_t n;
    uint32_t seq[MAXREC];
    ln_time at[MAXREC];
} sink;

static void sink_rx(ln_port *port, ln_pkt *frame)
{
    sink *s = (sink *)port;
    if (s->n < MAXREC) {
        s->seq[s->n] = ln_get32(frame->data + 14);
        s->at[s->n] = ln_net_now(s->net);
        s->n++;
    }
    ln_pkt_free(frame);
}

typedef struct rig {
    ln_net *net;
    sink a, b;
    ln_link *l;
} rig;

static void rig_open(rig *r, const ln_linkcfg *c)
{
    char err[200] = "";
    memset(r, 0, sizeof *r);
    r->net = ln_net_new(7);
    sink *s[2] = { &r->a, &r->b };
    for (int i = 0; i < 2; i++) {
        s[i]->port.rx = sink_rx;
        s[i]->net = r->net;
        snprintf(s[i]->port.name, sizeof s[i]->port.name, "%s.eth0", i ? "b" : "a");
    }
    r->l = ln_link_new(r->net, &r->a.port, &r->b.port, c, NULL, err, sizeof err);
    CHECK(r->l != NULL);
    if (!r->l) fprintf(stderr, "ln_link_new: %s\n", err);
}

static void rig_close(rig *r)
{
    ln_sim_run(&r->net->sim);
    CHECK_U64(ln_pktpool_in_use(r->net->pool), 0);
    ln_net_free(r->net);
}

static ln_pkt *frame(ln_net *net, uint32_t seq)
{
    ln_pkt *p = ln_net_pkt(net, 100);
    memset(p->data, 0, 100);
    ln_put16(p->data + 12, 0x88b5);
    ln_put32(p->data + 14, seq);
    return p;
}

static void send_ab(rig *r, uint32_t seq) { ln_link_send(r->a.port.out, frame(r->net, seq)); }

static void run_to(rig *r, ln_time t) { ln_sim_run_until(&r->net->sim, t); }

static ln_linkcfg cfg_delay(ln_time delay)
{
    ln_linkcfg c;
    ln_linkcfg_default(&c);
    c.bandwidth = 0;              /* no serialization: times are the delay's */
    c.delay = delay;
    return c;
}

/* A record of DROP and LINK events, with the time of each. */
typedef struct evlog {
    int n;
    ln_ev_type type[32];
    ln_time t[32];
    ln_drop_reason reason[32];
    int64_t value[32];
} evlog;

static void log_ev(const ln_event *ev, void *arg)
{
    evlog *g = arg;
    if (g->n >= 32) return;
    g->type[g->n] = ev->type;
    g->t[g->n] = ev->time;
    g->reason[g->n] = ev->reason;
    g->value[g->n] = ev->value;
    g->n++;
}

/* ---- the two halves ------------------------------------------------------- */

/* The sender counts what it sent, the receiver what arrived; a reader sees
 * both summed.  In flight, frames are the receiver's. */
static void test_halves_count_apart(void)
{
    ln_linkcfg c = cfg_delay(10 * LN_MSEC);
    rig r;
    rig_open(&r, &c);
    ln_linkdir *d = r.a.port.out;
    send_ab(&r, 1);
    send_ab(&r, 2);
    CHECK_EQ(d->rx.in_flight, 2);
    CHECK(d->lost_head == NULL && d->q_head == NULL);     /* nothing left with the sender */
    CHECK(d->rx.fl_head != NULL && d->rx.fl_head->epoch == 0);
    ln_sim_run(&r.net->sim);
    CHECK_EQ(r.b.n, 2);
    CHECK_U64(d->st.tx_packets, 2);
    CHECK_U64(d->st.delivered, 0);                        /* not the sender's to count */
    CHECK_U64(d->rx.st.delivered, 2);
    ln_linkdir_stats st;
    ln_link_stats(d, &st);
    CHECK_U64(st.tx_packets, 2);
    CHECK_U64(st.delivered, 2);
    CHECK_U64(st.delivered_bytes, 200);
    rig_close(&r);
}

/* A frame from before a down that reaches the receiver only after it heard
 * of the down (in a split run: a message that crossed the notice) is
 * dropped on arrival, counted as link-down and as stale. */
static void test_stale_frame_dropped_on_arrival(void)
{
    ln_linkcfg c = cfg_delay(10 * LN_MSEC);
    rig r;
    rig_open(&r, &c);
    evlog g = {0};
    ln_net_subscribe(r.net, LN_EV_MASK(LN_EV_DROP), log_ev, &g);
    ln_linkdir *d = r.a.port.out;
    ln_link_set_up(r.l, 0, false);
    ln_link_set_up(r.l, 0, true);
    CHECK_EQ(d->epoch, 1);
    CHECK_EQ(d->rx.epoch, 1);                     /* heard at once: no min_delay */
    ln_pkt *late = frame(r.net, 5);
    late->epoch = 0;                              /* left before the down */
    ln_linkrx_accept(d, late, 3 * LN_MSEC, ln_sim_take_seq_of(&r.net->sim, d->from->actor));
    send_ab(&r, 6);                               /* epoch 1: arrives */
    ln_sim_run(&r.net->sim);
    CHECK_EQ(r.b.n, 1);
    CHECK_EQ(r.b.seq[0], 6);
    CHECK_EQ(g.n, 1);
    CHECK(g.reason[0] == LN_DROP_LINK_DOWN);
    CHECK_U64(g.t[0], 3 * LN_MSEC);               /* when it arrived */
    CHECK_U64(d->rx.st.dropped_stale, 1);
    CHECK_U64(d->rx.st.dropped_down, 1);
    CHECK_U64(ln_net_drop_total(r.net, LN_DROP_LINK_DOWN), 1);
    /* Epochs compare wrap-safe: 0 is newer than 0xffffffff. */
    d->rx.epoch = UINT32_MAX;
    ln_pkt *wrapped = frame(r.net, 7);
    wrapped->epoch = 0;
    ln_linkrx_accept(d, wrapped, ln_net_now(r.net) + LN_MSEC, ln_sim_take_seq_of(&r.net->sim, d->from->actor));
    ln_sim_run(&r.net->sim);
    CHECK_EQ(r.b.n, 2);
    rig_close(&r);
}

/* ---- min_delay --------------------------------------------------------------- */

static void test_min_delay_checked(void)
{
    char err[200];
    ln_linkcfg c = cfg_delay(0);
    CHECK_EQ(ln_linkcfg_check(&c, err, sizeof err), 0);   /* zero delay, nothing declared */
    c.min_delay = 5 * LN_MSEC;
    CHECK_EQ(ln_linkcfg_check(&c, err, sizeof err), LN_EINVAL);
    CHECK_STR(err, "delay 0s below min_delay 0.005s (the least delay this link declared)");
    c.delay = 5 * LN_MSEC;
    CHECK_EQ(ln_linkcfg_check(&c, err, sizeof err), 0);
    c.jitter = LN_MSEC;                           /* could arrive after 4 ms */
    CHECK_EQ(ln_linkcfg_check(&c, err, sizeof err), LN_EINVAL);
    CHECK_STR(err, "delay 0.005s with jitter 0.001s can deliver 0.004s after sending, "
                   "below min_delay 0.005s");
    c.delay = 6 * LN_MSEC;
    CHECK_EQ(ln_linkcfg_check(&c, err, sizeof err), 0);

    /* At run time: a delay below it is refused and changes nothing; the
     * declaration may grow, never shrink. */
    rig r;
    rig_open(&r, &c);
    ln_linkcfg lower = c;
    lower.delay = 2 * LN_MSEC;
    CHECK_EQ(ln_link_configure(r.l, -1, &lower, err, sizeof err), LN_EINVAL);
    CHECK_EQ(r.l->d[0].cfg.delay, 6 * LN_MSEC);
    CHECK_EQ(r.l->d[1].cfg.delay, 6 * LN_MSEC);
    ln_linkcfg shrink = c;
    shrink.min_delay = LN_MSEC;
    CHECK_EQ(ln_link_configure(r.l, 1, &shrink, err, sizeof err), LN_EINVAL);
    CHECK_STR(err, "min_delay 0.001s below the 0.005s declared for a.eth0<->b.eth0 (ba): "
                   "it may be raised, never lowered");
    ln_linkcfg grow = c;
    grow.min_delay = grow.delay - grow.jitter;
    CHECK_EQ(ln_link_configure(r.l, 0, &grow, err, sizeof err), 0);
    CHECK_EQ(r.l->d[0].cfg.min_delay, 5 * LN_MSEC);
    CHECK_EQ(ln_link_configure(r.l, 0, &c, err, sizeof err), 0);   /* same: fine */
    rig_close(&r);
}

/* On a link with a min_delay the far end hears of a down min_delay later:
 * what arrives before that still arrives, what is due after is dropped then,
 * and a frame sent after the link came back up is not touched. */
static void test_down_reaches_far_end_late(void)
{
    ln_linkcfg c = cfg_delay(10 * LN_MSEC);
    c.min_delay = 4 * LN_MSEC;
    rig r;
    rig_open(&r, &c);
    evlog g = {0};
    ln_net_subscribe(r.net, LN_EV_MASK(LN_EV_DROP), log_ev, &g);
    send_ab(&r, 1);                               /* due at 10 ms */
    run_to(&r, 3 * LN_MSEC);
    send_ab(&r, 2);                               /* due at 13 ms */
    run_to(&r, 5 * LN_MSEC);
    send_ab(&r, 3);                               /* due at 15 ms */
    run_to(&r, 7 * LN_MSEC);
    ln_link_set_up(r.l, 0, false);                /* heard at 11 ms */
    run_to(&r, 8 * LN_MSEC);
    ln_link_set_up(r.l, 0, true);
    send_ab(&r, 4);                               /* a new epoch: due at 18 ms */
    run_to(&r, 10 * LN_MSEC + 500 * LN_USEC);
    CHECK_EQ(g.n, 0);                             /* nothing heard yet */
    CHECK_EQ(r.a.port.out->rx.epoch, 0);
    CHECK_EQ(r.b.n, 1);                           /* due before the news: arrived */
    CHECK_U64(r.b.at[0], 10 * LN_MSEC);
    ln_sim_run(&r.net->sim);
    CHECK_EQ(g.n, 2);
    CHECK_U64(g.t[0], 11 * LN_MSEC);
    CHECK_U64(g.t[1], 11 * LN_MSEC);
    CHECK_EQ(r.b.n, 2);
    CHECK_EQ(r.b.seq[1], 4);
    CHECK_U64(r.b.at[1], 18 * LN_MSEC);
    CHECK_U64(ln_net_drop_total(r.net, LN_DROP_LINK_DOWN), 2);

    /* Two downs before the first is heard: each is heard in its turn. */
    ln_time t0 = ln_net_now(r.net);
    send_ab(&r, 5);
    ln_link_set_up(r.l, 0, false);
    ln_link_set_up(r.l, 0, true);
    run_to(&r, t0 + LN_MSEC);
    send_ab(&r, 6);
    ln_link_set_up(r.l, 0, false);
    ln_link_set_up(r.l, 0, true);
    send_ab(&r, 7);
    run_to(&r, t0 + 4 * LN_MSEC);
    CHECK_EQ(r.a.port.out->rx.epoch, 2);          /* the first notice only */
    ln_sim_run(&r.net->sim);
    CHECK_EQ(r.a.port.out->rx.epoch, 3);
    CHECK_EQ(r.b.n, 3);
    CHECK_EQ(r.b.seq[2], 7);
    CHECK_U64(ln_net_drop_total(r.net, LN_DROP_LINK_DOWN), 4);
    rig_close(&r);
}

/* ---- subscribers observe ---------------------------------------------------- */

typedef struct downer {
    ln_link *l;
    evlog *g;
    bool seen_up;                 /* cfg.up as the subscriber found it after asking */
    bool want_up;
    int fired;
} downer;

/* On the first TX: take the direction down, then look. */
static void down_on_tx(const ln_event *ev, void *arg)
{
    downer *w = arg;
    log_ev(ev, w->g);
    if (ev->type != LN_EV_TX || w->fired++) return;
    ln_link_set_up(w->l, 0, false);
    w->seen_up = w->l->d[0].cfg.up;
    w->want_up = ln_link_cfg(w->l, 0)->up;
}

/* A subscriber that takes a link down inside an event finds it still up
 * (asked for, not done); the down comes after the event, at the same
 * instant, and finds the frame on its way. */
static void test_subscriber_change_after_event(void)
{
    ln_linkcfg c = cfg_delay(10 * LN_MSEC);
    c.bandwidth = 10000000;
    rig r;
    rig_open(&r, &c);
    evlog g = {0};
    downer w = { .l = r.l, .g = &g };
    ln_net_subscribe(r.net, LN_EV_MASK(LN_EV_TX) | LN_EV_MASK(LN_EV_LINK) | LN_EV_MASK(LN_EV_DROP),
                     down_on_tx, &w);
    run_to(&r, LN_MSEC);
    send_ab(&r, 1);               /* from the top level: no event is running */
    CHECK(w.seen_up);
    CHECK(!w.want_up);
    CHECK(r.l->d[0].cfg.up);      /* still, when ln_link_send returns */
    CHECK_EQ(r.a.port.out->rx.in_flight, 1);
    ln_sim_run(&r.net->sim);
    CHECK(!r.l->d[0].cfg.up);
    CHECK_EQ(r.b.n, 0);
    CHECK_EQ(g.n, 3);
    CHECK(g.type[0] == LN_EV_TX && g.type[1] == LN_EV_LINK && g.type[2] == LN_EV_DROP);
    CHECK(g.value[1] == 0 && g.reason[2] == LN_DROP_LINK_DOWN);
    CHECK_U64(g.t[1], LN_MSEC);
    CHECK_U64(g.t[2], LN_MSEC);

    /* Inside a scheduler event: a frame queued behind another starts from
     * tx_timer; the down waits for that event to end, and the frame it
     * started is dropped with the rest. */
    ln_link_set_up(r.l, 0, true);
    ln_net_unsubscribe(r.net, 1);
    ln_time t0 = ln_net_now(r.net);
    send_ab(&r, 2);                               /* serializing for 80 us */
    send_ab(&r, 3);                               /* queued */
    w.fired = 0;
    g.n = 0;
    ln_net_subscribe(r.net, LN_EV_MASK(LN_EV_TX) | LN_EV_MASK(LN_EV_LINK) | LN_EV_MASK(LN_EV_DROP),
                     down_on_tx, &w);
    ln_sim_run(&r.net->sim);
    CHECK_EQ(r.b.n, 0);
    CHECK_EQ(g.n, 4);
    CHECK(g.type[0] == LN_EV_TX && g.type[1] == LN_EV_LINK);
    CHECK(g.type[2] == LN_EV_DROP && g.type[3] == LN_EV_DROP);
    CHECK_U64(g.t[1], t0 + 80 * LN_USEC);
    CHECK_U64(g.t[3], t0 + 80 * LN_USEC);
    rig_close(&r);
}

/* Asked for outside any subscriber, a change happens at once; a partial
 * change inside one starts from what was asked before it. */
static void test_requests_in_order(void)
{
    ln_linkcfg c = cfg_delay(LN_MSEC);
    rig r;
    rig_open(&r, &c);
    ln_link_set_up(r.l, -1, false);
    CHECK(!r.l->d[0].cfg.up && !r.l->d[1].cfg.up);
    ln_link_set_up(r.l, -1, true);
    CHECK(r.l->d[0].cfg.up);

    r.net->emitting++;                            /* as inside a subscriber */
    ln_linkcfg a = *ln_link_cfg(r.l, 0);
    a.delay = 5 * LN_MSEC;
    CHECK_EQ(ln_link_configure(r.l, 0, &a, NULL, 0), 0);
    ln_linkcfg b = *ln_link_cfg(r.l, 0);
    CHECK_EQ(b.delay, 5 * LN_MSEC);
    b.loss.kind = LN_LOSS_RANDOM;
    b.loss.rate = 0.5;
    CHECK_EQ(ln_link_configure(r.l, 0, &b, NULL, 0), 0);
    CHECK_EQ(r.l->d[0].cfg.delay, LN_MSEC);       /* not yet */
    r.net->emitting--;
    ln_sim_run(&r.net->sim);                      /* the next event applies both */
    CHECK_EQ(r.l->d[0].cfg.delay, 5 * LN_MSEC);
    CHECK(r.l->d[0].cfg.loss.kind == LN_LOSS_RANDOM);
    rig_close(&r);
}

int main(void)
{
    test_halves_count_apart();
    test_stale_frame_dropped_on_arrival();
    test_min_delay_checked();
    test_down_reaches_far_end_late();
    test_subscriber_change_after_event();
    test_requests_in_order();
    return check_report("test_link_halves");
}
