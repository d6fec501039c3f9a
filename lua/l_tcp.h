/* l_tcp.h - the TcpSocket userdata, shared by l_tcp.c (the blocking,
 * task-facing calls) and l_tcp_nb.c (the non-blocking ones). */
#ifndef LNL_TCP_H
#define LNL_TCP_H

#include <stdbool.h>
#include <stddef.h>

#include "node.h"
#include "tcp.h"
#include "lunet.h"

typedef struct lnl_tsock {
    ln_tcp_sock *s;               /* NULL once released or the network closed */
    lnl_net *n;
    ln_node *node;
    struct lnl_tsock *next, *prev;/* n->tsocks while s != NULL */
    lnl_task *rwait, *wwait;      /* tasks blocked reading / writing */
    char *rbuf;                   /* read-ahead: bytes taken from the stack */
    size_t rlen, rcap;
    bool was_listening;
    /* A blocked call's progress, which the task's poll (run from the
     * scheduler, without Lua) and the call's continuation share. */
    struct {
        const char *data;         /* the string being sent (on the task's
                                   * stack), NULL for the generated pattern */
        size_t len, off;          /* bytes to queue, bytes queued */
        int64_t res;              /* 0 done, LN_EAGAIN waiting, else the error */
    } w;
    struct {
        int kind;                 /* the receive pattern (l_tcp.c) */
        size_t count;             /* its byte count */
        int64_t res;              /* how it ended (l_tcp.c: R_*) */
        int64_t end;              /* R_END: 0 at EOF, else the error */
        uint64_t bytes, hash;     /* drain: bytes taken and their digest */
    } r;
} lnl_tsock;

/* The socket at argument 1 of fname; raises if its network is closed. */
lnl_tsock *lnl_tcp_check(lua_State *L, const char *fname);
/* Wrap an engine socket the user owns in a new userdata (pushed). */
lnl_tsock *lnl_tcp_push(lua_State *L, lnl_net *n, ln_node *node, ln_tcp_sock *s);
/* The socket leaves the user: forget the engine pointer, wake waiters. */
void lnl_tcp_release(lua_State *L, lnl_tsock *k);
/* Take the next connection of listener k: pushes it (1), or nil and the
 * socket's error or not_listening when k is no longer listening (2);
 * 0 when none waits. */
int lnl_tcp_accept_step(lua_State *L, lnl_tsock *k, int not_listening);
/* The read-ahead buffer: room for extra more bytes; push the first n. */
bool lnl_tcp_rbuf_reserve(lnl_tsock *k, size_t extra);
void lnl_tcp_rbuf_take(lua_State *L, lnl_tsock *k, size_t n, size_t skip);

/* Adds the try_* methods to TcpSocket (l_tcp_nb.c). */
void lnl_open_tcp_nb(lua_State *L);

#endif
