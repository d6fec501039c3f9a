#!/bin/bash
# ack_pattern.sh LUNET - how often Linux's receiver ACKs a 100 kB flow,
# beside lunet's (issue 15: lunet ACKs about every W2 data segment where
# ns-3 ACKs every second one).  Linux 6.x, in a network namespace of its
# own, reads what a virtual host sends through the bridge, 5 ms away on a
# 1 Gbit/s link, as bench_tcp's W2 does; then the same with a virtual
# receiver.  A benchmark: it prints the figures.  Linux's count depends on
# its reader keeping up (a reader that falls behind stops the window's
# growth, and with it the quick ACKs), so run it on an idle machine.
# Without root, /dev/net/tun, ip or python3 it says why and exits 0.
NAME=ackpat
HERE_BENCH=$(cd "$(dirname "$0")" && pwd)
. "$HERE_BENCH/../interop/lib.sh"
skip() { echo "ack_pattern: skipped: $*"; exit 0; }
need_root_tun_ip
need_peer
setup_ns
: >"$TMP/empty"
# One flow (peer.py serves connections one after the other, which would
# leave later flows unread), three times: Linux's count varies with load.
for run in 1 2 3; do
  rm -f "$TMP/ready" "$TMP/go"
  start_lunet ../bench/ack_pattern.lua receiver=linux flows=1
  wait_ready
  start_bg peer "${PEER[@]}" server 5001 --send "$TMP/empty" --recv /dev/null
  wait_until 10 grep -q listening "$TMP/peer.out" || { echo "ack_pattern: no Linux reader"; exit 1; }
  go
  wait_pid "$LPID" 40
  grep '^receiver=' "$TMP/lunet.out" || { echo "ack_pattern: lunet failed:"; show lunet; exit 1; }
done
"$LUNET" run "$HERE_BENCH/ack_pattern.lua" receiver=virtual flows=1
"$LUNET" run "$HERE_BENCH/ack_pattern.lua" receiver=virtual flows=20
