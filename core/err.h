/* err.h - error codes shared by every layer of the engine.
 *
 * Functions that can fail return 0 or a negative LN_E* code; ln_strerror()
 * gives the lowercase word the Lua layer hands to scripts ("refused",
 * "timeout", ...), so C and Lua speak the same vocabulary. */
#ifndef LN_ERR_H
#define LN_ERR_H

#define LN_ERRORS(X)                                   \
    X(LN_OK,             0,  "ok")                     \
    X(LN_ENOMEM,        -1,  "out of memory")          \
    X(LN_EINVAL,        -2,  "invalid argument")       \
    X(LN_ENOENT,        -3,  "not found")              \
    X(LN_EEXIST,        -4,  "exists")                 \
    X(LN_ENETUNREACH,   -5,  "unreachable")            \
    X(LN_EHOSTUNREACH,  -6,  "host unreachable")       \
    X(LN_EMSGSIZE,      -7,  "message too long")       \
    X(LN_ENOBUFS,       -8,  "no buffer space")        \
    X(LN_EADDRINUSE,    -9,  "in use")                 \
    X(LN_EADDRNOTAVAIL, -10, "address not available")  \
    X(LN_ECONNREFUSED,  -11, "refused")                \
    X(LN_ETIMEDOUT,     -12, "timeout")                \
    X(LN_ECONNRESET,    -13, "reset")                  \
    X(LN_ENOTCONN,      -14, "not connected")          \
    X(LN_ENETDOWN,      -15, "network down")           \
    X(LN_ECLOSED,       -16, "closed")                 \
    X(LN_EBUSY,         -17, "busy")                   \
    X(LN_EAGAIN,        -18, "would block")            \
    X(LN_EPROTO,        -19, "protocol error")        \
    X(LN_ENODEV,        -20, "no such device")         \
    X(LN_ENOTSUP,       -21, "not supported")

enum {
#define LN_ERR_ENUM(name, val, word) name = (val),
    LN_ERRORS(LN_ERR_ENUM)
#undef LN_ERR_ENUM
};

/* The word for an error code; "unknown error" for anything else. */
const char *ln_strerror(int err);

/* Print "lunet: internal error: <message>" and abort (fatal.c): for
 * broken invariants and failures nothing can recover from. */
_Noreturn void ln_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
