/* names.c - the string tables: error words, drop reasons, event types, MIB
 * counter names.  Generated from the X-macro lists so they cannot drift. */
#include "err.h"
#include "event.h"
#include "mib.h"

const char *ln_strerror(int err)
{
    switch (err) {
#define LN_ERR_CASE(name, val, word) case val: return word;
    LN_ERRORS(LN_ERR_CASE)
#undef LN_ERR_CASE
    default: return "unknown error";
    }
}

const char *ln_drop_reason_name(ln_drop_reason r)
{
    static const char *const names[] = {
#define LN_DROP_NAME(name, word) word,
        LN_DROP_REASONS(LN_DROP_NAME)
#undef LN_DROP_NAME
    };
    return (unsigned)r < LN_DROP__COUNT ? names[r] : "unknown";
}

const char *ln_ev_type_name(ln_ev_type t)
{
    static const char *const names[LN_EV__COUNT] = {
        "tx", "rx", "drop", "link", "arp", "icmp", "tcp_state", "tcp_cwnd",
        "timer", "user", "tcp_rtt", "queue",
    };
    return (unsigned)t < LN_EV__COUNT ? names[t] : "unknown";
}

const char *const ln_mib_names[LN_MIB__COUNT] = {
#define LN_MIB_NAME(name) #name,
    LN_MIB_LIST(LN_MIB_NAME)
#undef LN_MIB_NAME
};
