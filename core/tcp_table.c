/* tcp_table.c - where a segment finds its socket and a socket its port:
 * the connection table (by 4-tuple), the listeners, the bound ports with
 * Linux's bind rules and ephemeral port choice, and the values derived
 * from a 4-tuple with the stack's secret keys (ISNs, TS offsets).
 *
 * Place in the call chain:
 *   ln_tcp_input (tcp_in.c), ICMP errors (tcp_icmp.c) -> ln_tcp_lookup_conn,
 *     ln_tcp_lookup_listener
 *   tcp.c: connect, listen, close, a passive child, the end of a
 *     connection -> ln_tcp_hash / ln_tcp_unhash, ln_tcp_bind_add / _del,
 *     ln_tcp_listener_add / _del, ln_tcp_connect_port, ln_tcp_isn
 *   users -> ln_tcp_bind
 *   tcp_listen.c -> ln_tcp_tuple_hash (its request table), ln_tcp_isn,
 *     ln_tcp_ts_offset
 *   tcp_cookie.c -> ln_tcp_ts_offset
 *
 * Read: Linux's inet_hashtables.c (__inet_hash_connect, the lookups),
 * inet_connection_sock.c (inet_csk_bind_conflict, inet_csk_find_open_port),
 * RFC 6056 (ephemeral ports), RFC 6528 (ISNs), RFC 7323 5.4 (the TS
 * clock). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ip.h"
#include "ip6.h"
#include "wire.h"
#include "net.h"
#include "node.h"
#include "tcp_int.h"

static ln_net *net_of(const ln_tcp_stack *st) { return st->node->net; }


/* ---- connections ------------------------------------------------------- */

uint32_t ln_tcp_tuple_hash(const ln_tcp_stack *st, uint32_t raddr, uint16_t rport,
                           uint32_t laddr, uint16_t lport)
{
    uint64_t x = ((uint64_t)raddr << 32 | laddr) ^ st->ts_key;
    x ^= ((uint64_t)rport << 16 | lport) * 0x9e3779b97f4a7c15ull;
    x ^= x >> 33; x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return (uint32_t)x;
}

/* A bucket is its chain's first socket with a filter in the pointer's
 * low bits (sockets are 64-byte aligned, slab.h): bit k is set when some
 * socket in the chain has eh_bit k.  A lookup that finds its bit clear
 * knows the chain lacks its tuple without touching a socket.  Most lookups
 * that fail are a server's (the SYN and the handshake's last ACK look for
 * a connection before the listener), and with a million connections the
 * sockets in their chains are long cold: reading one was half the time of
 * every failed lookup.  A socket leaving does not clear its bit (the
 * others' bits would have to be read back); the bits are exact again when
 * the chain empties or the table doubles, and a stale one only costs the
 * walk every lookup made before. */
static inline ln_tcp_sock *eh_head(uintptr_t b) { return ln_tcp_hb_head(b, LN_TCP_HB_BITS); }
static inline uintptr_t eh_bit(uint32_t h) { return ln_tcp_hb_bit(h, LN_TCP_HB_BITS); }


/* Double the connection table when it holds as many sockets as buckets:
 * chains stay short, and the rehash is amortised O(1) per connection.
 * But it reads every socket in the table, long cold in a large run (a
 * fifth of a million-connection setup's cache misses), so a host told
 * how many it will hold (tcp_ehash_entries, as Linux sizes its table
 * once) starts with that many buckets. */
static uint32_t ehash_first(const ln_tcp_stack *st)
{
    uint32_t want = st->cfg.ehash_entries, n = 64;
    while (n < want && n < (1u << 24)) n <<= 1;
    return n;
}

static void ehash_grow(ln_tcp_stack *st)
{
    uint32_t old = st->ehash ? st->ehash_mask + 1 : 0, n = old ? old * 2 : ehash_first(st);
    uintptr_t *t = calloc(n, sizeof *t);
    if (!t) return;                     /* keep the old one: longer chains only */
    for (uint32_t i = 0; i < old; i++) {
        ln_tcp_sock *s = eh_head(st->ehash[i]), *next;
        for (; s; s = next) {
            next = ln_tcp_hnext(s);
            uint32_t h = ln_tcp_tuple_hash(st, s->raddr, s->rport, s->laddr, s->lport);
            ln_tcp_hl_push(&t[h & (n - 1)], &s->hl, h, LN_TCP_HB_BITS);
        }
    }
    free(st->ehash);
    st->ehash = t;
    st->ehash_mask = n - 1;
}

void ln_tcp_hash(ln_tcp_sock *s)
{
    ln_tcp_stack *st = s->st;
    if (s->flags & LN_TF_HASHED) return;
    if (!st->ehash || st->n_conns >= st->ehash_mask + 1) ehash_grow(st);
    if (!st->ehash) ln_fatal("tcp: out of memory for the connection table");
    uint32_t h = ln_tcp_tuple_hash(st, s->raddr, s->rport, s->laddr, s->lport);
    uintptr_t *b = &st->ehash[h & st->ehash_mask];
    assert(((uintptr_t)s & ln_tcp_hb_mask(LN_TCP_HB_BITS)) == 0 && "tcp: sockets are 64-byte aligned (slab.h)");
    ln_tcp_hl_push(b, &s->hl, h, LN_TCP_HB_BITS);
    st->n_conns++;
    s->flags |= LN_TF_HASHED;
}

void ln_tcp_unhash(ln_tcp_sock *s)
{
    ln_tcp_stack *st = s->st;
    if (!(s->flags & LN_TF_HASHED)) return;
    uintptr_t *b = NULL;                /* needed for a chain's head alone */
    if (!s->hl.pprev) {
        uint32_t h = ln_tcp_tuple_hash(st, s->raddr, s->rport, s->laddr, s->lport);
        b = &st->ehash[h & st->ehash_mask];
    }
    ln_tcp_hl_del(b, &s->hl, LN_TCP_HB_BITS);
    st->n_conns--;
    s->flags &= ~LN_TF_HASHED;
}

ln_tcp_sock *ln_tcp_lookup_conn(ln_tcp_stack *st, uint32_t raddr, uint16_t rport,
                                uint32_t laddr, uint16_t lport)
{
    if (!st->ehash) return NULL;
    return ln_tcp_lookup_conn_hashed(st, ln_tcp_tuple_hash(st, raddr, rport, laddr, lport), raddr,
                                     rport, laddr, lport);
}

void ln_tcp_prefetch(const ln_tcp_stack *st, uint32_t h)
{
    if (st->ehash) __builtin_prefetch(&st->ehash[h & st->ehash_mask]);
    if (st->rhash) __builtin_prefetch(&st->rhash[h & st->rhash_mask]);
}

ln_tcp_sock *ln_tcp_lookup_conn_hashed(ln_tcp_stack *st, uint32_t h, uint32_t raddr,
                                       uint16_t rport, uint32_t laddr, uint16_t lport)
{
    if (!st->ehash) return NULL;
    uintptr_t b = st->ehash[h & st->ehash_mask];
    if (!(b & eh_bit(h))) return NULL;
    for (ln_tcp_sock *s = eh_head(b); s; s = ln_tcp_hnext(s))
        if (s->raddr == raddr && s->rport == rport && s->lport == lport && s->laddr == laddr &&
            !(s->flags & LN_TF_V6))
            return s;
    return NULL;
}

/* ---- IPv6 -------------------------------------------------------------- */

/* IPv6 connections live in the same tables as IPv4 ones, under digests of
 * their addresses: one table, one hash, and IPv4 sockets grow by the one
 * pointer to their (absent) IPv6 part.  The digest is keyed, so that
 * nobody can pick addresses that crowd one chain, and an exact compare of
 * the full addresses decides every match. */
uint32_t ln_tcp6_fold(const ln_tcp_stack *st, const ln_in6 *a)
{
    if (ln_in6_is_unspec(a)) return 0;
    uint32_t h = (uint32_t)ln_hash64(a->b, 16, st->ts_key ^ 0x6a09e667f3bcc908ull);
    return h ? h : 1;
}

int ln_tcp6_set(ln_tcp_sock *s)
{
    if (s->flags & LN_TF_V6) return 0;
    if (!(s->v6 = calloc(1, sizeof *s->v6))) return LN_ENOMEM;
    s->flags |= LN_TF_V6;
    return 0;
}

ln_tcp_sock *ln_tcp_lookup_conn6(ln_tcp_stack *st, const ln_tcp6 *a, uint16_t rport, uint16_t lport)
{
    if (!st->ehash) return NULL;
    uint32_t raddr = ln_tcp6_fold(st, &a->raddr), laddr = ln_tcp6_fold(st, &a->laddr);
    uint32_t h = ln_tcp_tuple_hash(st, raddr, rport, laddr, lport);
    uintptr_t b = st->ehash[h & st->ehash_mask];
    if (!(b & eh_bit(h))) return NULL;
    for (ln_tcp_sock *s = eh_head(b); s; s = ln_tcp_hnext(s))
        if (s->raddr == raddr && s->rport == rport && s->lport == lport && s->laddr == laddr &&
            ln_tcp6_match(s, a))
            return s;
    return NULL;
}

/* ---- listeners --------------------------------------------------------- */

/* Listeners are few: a list, the exact address preferred over the
 * wildcard (Linux's compute_score). */
ln_tcp_sock *ln_tcp_lookup_listener(ln_tcp_stack *st, uint32_t laddr, uint16_t lport)
{
    ln_tcp_sock *wild = NULL, *wild6 = NULL;
    for (ln_tcp_sock *l = (ln_tcp_sock *)st->listeners; l; l = ln_tcp_hnext(l)) {
        if (l->lport != lport) continue;
        if (l->flags & LN_TF_V6) {
            /* net.ipv6.bindv6only = 0: a listener on :: takes IPv4 too,
             * after any IPv4 listener (compute_score: AF_INET scores
             * one more). */
            if (!l->laddr && !(l->flags & LN_TF_V6ONLY) && !wild6) wild6 = l;
            continue;
        }
        if (l->laddr == laddr) return l;
        if (l->laddr == 0 && !wild) wild = l;
    }
    return wild ? wild : wild6;
}

ln_tcp_sock *ln_tcp_lookup_listener6(ln_tcp_stack *st, const ln_in6 *laddr, uint16_t lport)
{
    ln_tcp_sock *wild = NULL;
    for (ln_tcp_sock *l = (ln_tcp_sock *)st->listeners; l; l = ln_tcp_hnext(l)) {
        if (l->lport != lport || !(l->flags & LN_TF_V6)) continue;
        if (ln_in6_eq(&l->v6->laddr, laddr)) return l;
        if (!l->laddr && !wild) wild = l;
    }
    return wild;
}

void ln_tcp_listener_add(ln_tcp_sock *l)
{
    l->hl.next = l->st->listeners;
    l->st->listeners = &l->hl;
    l->flags |= LN_TF_LISTENING;
}

void ln_tcp_listener_del(ln_tcp_sock *l)
{
    if (!(l->flags & LN_TF_LISTENING)) return;
    for (ln_tcp_hl **pp = &l->st->listeners; *pp; pp = &(*pp)->next) {
        if (*pp == &l->hl) {
            *pp = l->hl.next;
            break;
        }
    }
    l->hl.next = NULL;
    l->flags &= ~LN_TF_LISTENING;
}

/* ---- bound ports and bind rules ---------------------------------------- */

/* A bound port and the sockets on it: Linux's inet_bind_bucket.  A port's
 * owners are found without walking anyone else's (a server's listening
 * port may hold a million accepted connections), and a socket leaves its
 * port in constant time. */
typedef struct ln_tcp_port ln_tcp_port;
struct ln_tcp_port {
    _Alignas(32) ln_tcp_hl hl;      /* hash chain, or the free list (next) */
    ln_tcp_sock *owners;
    uint32_t n_owners;
    uint16_t port;
};
_Static_assert(sizeof(ln_tcp_port) == 32, "a port must stay one aligned half-line");

/* A bucket filters as the connection table's do (tcp_int.h), with five
 * bits (ports are 32-byte aligned).  connect() tries ports that are
 * mostly not bound, each in a bucket that mostly holds another one, long
 * cold on a client with thousands of connections: reading it was half of
 * choosing a port. */
#define PB_BITS 5u

static inline ln_tcp_port *pb_head(uintptr_t b) { return ln_tcp_hb_head(b, PB_BITS); }
/* The port's bits mixed into the top byte, so that ports sharing a bucket
 * (the same low bits) spread over the five. */
static inline uint32_t pb_hash(uint16_t port) { return (uint32_t)port * 0x9e3779b1u; }

static inline ln_tcp_port *pb_next(const ln_tcp_port *p) { return (ln_tcp_port *)p->hl.next; }

static void pb_push(uintptr_t *b, ln_tcp_port *p)
{
    ln_tcp_hl_push(b, &p->hl, pb_hash(p->port), PB_BITS);
}

static ln_tcp_port *port_find(const ln_tcp_stack *st, uint16_t port)
{
    if (!st->bhash) return NULL;
    uintptr_t b = st->bhash[port & st->bhash_mask];
    if (!(b & ln_tcp_hb_bit(pb_hash(port), PB_BITS))) return NULL;
    for (ln_tcp_port *p = pb_head(b); p; p = pb_next(p))
        if (p->port == port) return p;
    return NULL;
}

/* Ports come from chunks of a stack's own, given back only with the
 * stack: a client opening thousands of connections binds a new port for
 * nearly each, and a malloc per port was most of binding's cost.  Chunks
 * double from 2 ports to 64, so a host with one connection pays for two. */
typedef struct port_chunk {
    struct port_chunk *next;
    void *mem;                      /* what malloc gave, for free: ports are
                                     * 32-byte aligned, and aligned_alloc cost
                                     * 1% of a million-connection setup */
    uint32_t cap;
    ln_tcp_port p[];
} port_chunk;

static ln_tcp_port *port_new(ln_tcp_stack *st)
{
    ln_tcp_port *p = st->port_free;
    if (p) {
        st->port_free = pb_next(p);
        return p;
    }
    port_chunk *c = st->port_chunks;
    if (!c || st->port_chunk_used == c->cap) {
        uint32_t cap = !c ? 2 : c->cap < 64 ? c->cap * 2 : 64;
        void *mem = malloc(sizeof *c + cap * sizeof c->p[0] + _Alignof(port_chunk) - 1);
        if (!mem) return NULL;
        c = (port_chunk *)(((uintptr_t)mem + _Alignof(port_chunk) - 1) & ~(uintptr_t)(_Alignof(port_chunk) - 1));
        c->mem = mem;
        c->next = st->port_chunks;
        c->cap = cap;
        st->port_chunks = c;
        st->port_chunk_used = 0;
    }
    return &c->p[st->port_chunk_used++];
}

/* Double the table when it holds as many ports as buckets. */
static int ports_grow(ln_tcp_stack *st)
{
    uint32_t old = st->bhash ? st->bhash_mask + 1 : 0, n = old ? old * 2 : 64;
    uintptr_t *t = calloc(n, sizeof *t);
    if (!t) return old ? 0 : -1;            /* keep the old one: longer chains only */
    for (uint32_t i = 0; i < old; i++) {
        for (ln_tcp_port *p = pb_head(st->bhash[i]), *next; p; p = next) {
            next = pb_next(p);
            pb_push(&t[p->port & (n - 1)], p);
        }
    }
    free(st->bhash);
    st->bhash = t;
    st->bhash_mask = n - 1;
    return 0;
}

void ln_tcp_bind_add(ln_tcp_sock *s)
{
    ln_tcp_stack *st = s->st;
    ln_tcp_port *p = port_find(st, s->lport);
    if (!p) {
        if ((!st->bhash || st->n_ports >= st->bhash_mask + 1) && ports_grow(st) != 0)
            ln_fatal("tcp: out of memory for the port table");
        if (!(p = port_new(st))) ln_fatal("tcp: out of memory for a port");
        p->owners = NULL;
        p->n_owners = 0;
        p->port = s->lport;
        pb_push(&st->bhash[s->lport & st->bhash_mask], p);
        st->n_ports++;
    }
    s->bnext = p->owners;
    if (p->owners) p->owners->bpprev = &s->bnext;
    s->bpprev = &p->owners;
    s->bport = p;
    p->owners = s;
    p->n_owners++;
    s->flags |= LN_TF_BOUND;
}

void ln_tcp_bind_del(ln_tcp_sock *s)
{
    if (!(s->flags & LN_TF_BOUND)) return;
    ln_tcp_stack *st = s->st;
    *s->bpprev = s->bnext;
    if (s->bnext) s->bnext->bpprev = s->bpprev;
    ln_tcp_port *p = s->bport;
    s->bnext = NULL;
    s->bpprev = NULL;
    s->bport = NULL;
    s->flags &= ~LN_TF_BOUND;
    if (--p->n_owners) return;
    /* The last owner left: the port is free, and leaves its chain with no
     * look at the bucket unless it is the head (a client with thousands
     * of connections frees a port at nearly every close; its bucket and
     * the ports ahead in the chain are cold). */
    ln_tcp_hl_del(p->hl.pprev ? NULL : &st->bhash[p->port & st->bhash_mask], &p->hl, PB_BITS);
    p->hl.next = (ln_tcp_hl *)st->port_free;
    st->port_free = p;
    st->n_ports--;
}

void ln_tcp_ports_free(ln_tcp_stack *st)
{
    for (port_chunk *c = st->port_chunks, *next; c; c = next) {
        next = c->next;
        free(c->mem);
    }
    free(st->bhash);
    st->bhash = NULL;
    st->port_free = NULL;
    st->port_chunks = NULL;
    st->port_chunk_used = 0;
}

/* Linux's inet_bind_conflict, without SO_REUSEPORT and devices: another
 * socket on the port whose address overlaps ours conflicts unless both
 * have SO_REUSEADDR and the other is not listening.  TIME_WAIT sockets
 * keep their flag (inherited from the listener), so a restarted server
 * rebinds only if the old one and the new one both set it (reference
 * 10). */
/* Do s (on addr: its own digest for IPv6) and o claim a common address?
 * Linux's inet_rcv_saddr_equal, in its two halves: for an IPv4 s,
 * ipv4_rcv_saddr_equal (an IPv6 o is the wildcard when on :: without
 * V6ONLY, an address no IPv4 one equals otherwise, but 0.0.0.0 still
 * overlaps it); for an IPv6 s, ipv6_rcv_saddr_equal (:: overlaps every
 * IPv6 binding, and IPv4 ones unless s is V6ONLY; a specific IPv6
 * address never overlaps an IPv4 one).  The rule is not symmetric:
 * 0.0.0.0 cannot join [2001:db8::1] on a port, but the reverse works, as
 * on Linux. */
static bool addr_overlap(const ln_tcp_sock *s, uint32_t addr, const ln_tcp_sock *o)
{
    bool s6 = (s->flags & LN_TF_V6) != 0, o6 = (o->flags & LN_TF_V6) != 0;
    if (!s6 && !o6) return !addr || !o->laddr || addr == o->laddr;
    if (!s6) {
        if (o->flags & LN_TF_V6ONLY) return false;
        return !addr || !o->laddr;
    }
    bool s_any = ln_in6_is_unspec(&s->v6->laddr);
    if (!o6) return s_any && !(s->flags & LN_TF_V6ONLY);
    return s_any || !o->laddr || ln_in6_eq(&s->v6->laddr, &o->v6->laddr);
}

bool ln_tcp_bind_conflict(const ln_tcp_sock *s, uint32_t addr, uint16_t port)
{
    const ln_tcp_port *p = port_find(s->st, port);
    for (const ln_tcp_sock *o = p ? p->owners : NULL; o; o = o->bnext) {
        if (o == s || (o->flags & LN_TF_DEAD)) continue;
        if (!addr_overlap(s, addr, o)) continue;
        if ((s->flags & LN_TF_REUSEADDR) && (o->flags & LN_TF_REUSEADDR) &&
            o->state != LN_TCP_LISTEN)
            continue;
        return true;
    }
    return false;
}

/* bind(port 0), Linux's inet_csk_find_open_port: the range from a
 * pseudo-random offset, odd ports first (connect() prefers even ones, so
 * the two rarely compete). */
static uint16_t bind_ephemeral(ln_tcp_sock *s, uint32_t addr)
{
    ln_tcp_stack *st = s->st;
    uint32_t lo = st->node->cfg.port_lo, hi = st->node->cfg.port_hi;
    if (hi < lo) return 0;
    uint32_t range = hi - lo + 1;
    uint32_t off = (uint32_t)ln_rng_below(&st->rng, range);
    for (int parity = 1; parity >= 0; parity--) {
        for (uint32_t i = 0; i < range; i++) {
            uint32_t port = lo + (off + i) % range;
            if ((port & 1u) != (uint32_t)parity) continue;
            if (!ln_tcp_bind_conflict(s, addr, (uint16_t)port)) return (uint16_t)port;
        }
    }
    return 0;
}

int ln_tcp_bind(ln_tcp_sock *s, uint32_t addr, uint16_t port)
{
    ln_tcp_stack *st = s->st;
    if ((s->flags & LN_TF_BOUND) || s->state != LN_TCP_CLOSED) return LN_EINVAL;
    if (s->flags & LN_TF_V6) return LN_ENOTSUP;
    if (addr && !ln_ip_is_local(st->node, addr)) return LN_EADDRNOTAVAIL;
    if (port == 0) {
        port = bind_ephemeral(s, addr);
        if (!port) return LN_EADDRNOTAVAIL;
    } else if (ln_tcp_bind_conflict(s, addr, port)) {
        return LN_EADDRINUSE;
    }
    s->laddr = addr;
    s->lport = port;
    ln_tcp_bind_add(s);
    return 0;
}

int ln_tcp_bind6(ln_tcp_sock *s, const ln_in6 *addr, uint16_t port)
{
    ln_tcp_stack *st = s->st;
    if ((s->flags & LN_TF_BOUND) || s->state != LN_TCP_CLOSED) return LN_EINVAL;
    /* An IPv4-mapped address is IPv4: the caller binds that instead. */
    if (ln_in6_is_v4mapped(addr) && !ln_in6_is_unspec(addr)) return LN_ENOTSUP;
    if (!ln_in6_is_unspec(addr) && !ln_ip6_is_local(st->node, addr)) return LN_EADDRNOTAVAIL;
    if (ln_tcp6_set(s)) return LN_ENOMEM;
    s->v6->laddr = *addr;
    uint32_t fold = ln_tcp6_fold(st, addr);
    if (port == 0) {
        port = bind_ephemeral(s, fold);
        if (!port) return LN_EADDRNOTAVAIL;
    } else if (ln_tcp_bind_conflict(s, fold, port)) {
        memset(&s->v6->laddr, 0, sizeof s->v6->laddr);
        return LN_EADDRINUSE;
    }
    s->laddr = fold;
    s->lport = port;
    ln_tcp_bind_add(s);
    return 0;
}

/* May connect() use lport towards raddr:rport?  Ports that bind() took
 * are never shared (Linux: a bucket with fastreuse >= 0); a port other
 * connections chose is, as long as the 4-tuple is new (TIME_WAIT
 * included: lunet does not reuse TIME_WAIT 4-tuples, tcp_tw_reuse's
 * loopback case aside). */
static bool port_ok_for_connect(const ln_tcp_stack *st, uint32_t laddr, uint16_t lport,
                                uint32_t raddr, uint16_t rport, const ln_tcp6 *v6)
{
    const ln_tcp_port *p = port_find(st, lport);
    /* A port nobody holds is free, with no look at the connections:
     * every one of them holds its local port (as in __inet_hash_connect,
     * which checks the established table only on a port with a bind
     * bucket). */
    if (!p) return true;
    for (const ln_tcp_sock *o = p->owners; o; o = o->bnext) {
        if (o->flags & LN_TF_DEAD) continue;
        if (!(o->flags & LN_TF_PORT_AUTO)) return false;
    }
    if (v6) return !ln_tcp_lookup_conn6((ln_tcp_stack *)st, v6, rport, lport);
    return !ln_tcp_lookup_conn((ln_tcp_stack *)st, raddr, rport, laddr, lport);
}

/* connect() without a port: Linux's __inet_hash_connect, even ports
 * first from an offset that depends on the destination and moves on
 * after each use (its table_perturb), so consecutive connections get
 * spread-out but repeatable ports. */
uint16_t ln_tcp_connect_port(ln_tcp_stack *st, uint32_t laddr, uint32_t raddr, uint16_t rport,
                             const ln_tcp6 *v6)
{
    uint32_t lo = st->node->cfg.port_lo, hi = st->node->cfg.port_hi;
    if (hi < lo) return 0;
    uint32_t range = hi - lo + 1;
    uint32_t w[3] = { laddr, raddr, rport };
    uint32_t off = (uint32_t)ln_hash64(w, sizeof w, st->isn_key) + st->port_hint;
    for (uint32_t parity = 0; parity < 2; parity++) {
        for (uint32_t i = 0; i < range; i++) {
            uint32_t port = lo + (off + i) % range;
            if ((port & 1u) != parity) continue;
            if (port_ok_for_connect(st, laddr, (uint16_t)port, raddr, rport, v6)) {
                st->port_hint = (uint16_t)(st->port_hint + i + 2);
                return (uint16_t)port;
            }
        }
    }
    return 0;
}

/* ---- ISNs and timestamps ----------------------------------------------- */

/* RFC 6528: ISN = M + F(4-tuple, secret), M a 4 us clock.  Linux hashes
 * with siphash and a 64 ns clock; lunet follows the RFC's clock. */
ln_seq ln_tcp_isn(ln_tcp_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport,
                  const ln_tcp6 *v6)
{
    if (st->cfg.fixed_isn >= 0) return (ln_seq)st->cfg.fixed_isn;
    uint32_t f;
    if (v6) {
        /* RFC 6528 over the whole IPv6 4-tuple (Linux's secure_tcpv6_seq). */
        uint8_t w[36];
        memcpy(w, v6->laddr.b, 16);
        memcpy(w + 16, v6->raddr.b, 16);
        ln_put16(w + 32, lport);
        ln_put16(w + 34, rport);
        f = (uint32_t)ln_hash64(w, sizeof w, st->isn_key);
    } else {
        uint32_t w[3] = { laddr, raddr, (uint32_t)lport << 16 | rport };
        f = (uint32_t)ln_hash64(w, sizeof w, st->isn_key);
    }
    return f + (uint32_t)(ln_net_now(net_of(st)) / (4 * LN_USEC));
}

/* Linux's secure_tcp_ts_off: a keyed hash of the address pair, so TSvals
 * reveal neither uptime nor other connections' clocks. */
uint32_t ln_tcp_ts_offset(ln_tcp_stack *st, uint32_t laddr, uint32_t raddr, const ln_tcp6 *v6)
{
    if (v6) {                           /* secure_tcpv6_ts_off */
        ln_in6 w[2] = { v6->laddr, v6->raddr };
        return (uint32_t)ln_hash64(w, sizeof w, st->ts_key);
    }
    uint32_t w[2] = { laddr, raddr };
    return (uint32_t)ln_hash64(w, sizeof w, st->ts_key);
}

/* RFC 7323 5.4: a clock of 1 ms ticks (Linux's tcp_clock_ms). */
uint32_t ln_tcp_tsval(ln_tcp_stack *st, uint32_t ts_offset)
{
    return (uint32_t)(ln_net_now(net_of(st)) / LN_MSEC) + ts_offset;
}
