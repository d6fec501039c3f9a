#!/bin/bash
# determinism_test.sh LUNET - the same script and seed give the same bytes
# in two separate processes (Lua randomises table order per process, so a
# pairs() that reaches the wire would show here and not in one process):
# every demonstration in scripts/ is run twice with --pcap into two
# directories, and every pcap and the printed output must match byte for
# byte.  With another seed, a script with random loss must differ.
#
# Registered with ctest by tests/extra.cmake as cli.determinism.
set -u
LUNET=${1:?usage: determinism_test.sh PATH/TO/lunet}
case $LUNET in /*) ;; *) LUNET=$PWD/$LUNET ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../.."
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

fails=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; shift; for l in "$@"; do echo "    $l"; done; fails=$((fails + 1)); }

# run_into DIR SCRIPT [ARGS]: the pcaps in DIR, the output (with DIR's
# name taken out of it: scripts print their pcaps' paths) in DIR.out
run_into() {
  local dir=$1 script=$2; shift 2
  mkdir -p "$dir"
  "$LUNET" run "$@" --pcap "$dir" "$script" 2>&1 | sed "s#$dir#DIR#g" >"$dir.out"
}

for f in scripts/*.lua; do
  name=$(basename "$f" .lua)
  run_into "$TMP/a/$name" "$f"
  run_into "$TMP/b/$name" "$f"
  n=$(find "$TMP/a/$name" -name '*.pcap' | wc -l)
  if [ "$n" -eq 0 ]; then fail "$name: no pcap written"; continue; fi
  if diff -r "$TMP/a/$name" "$TMP/b/$name" >/dev/null && cmp -s "$TMP/a/$name.out" "$TMP/b/$name.out"; then
    pass "$name: $n pcaps and the output, byte for byte, from two processes"
  else
    fail "$name: the two runs differ" "$(diff -r "$TMP/a/$name" "$TMP/b/$name" | head -3)" \
         "$(diff "$TMP/a/$name.out" "$TMP/b/$name.out" | head -5)"
  fi
done

# a handler's headers in a Lua table (tcpapps once wrote them in pairs()
# order: that differed from one process to the next)
run_into "$TMP/a/http" tests/cli/determinism/http_headers.lua
run_into "$TMP/b/http" tests/cli/determinism/http_headers.lua
if grep -q '^hello$' "$TMP/a/http.out" && diff -r "$TMP/a/http" "$TMP/b/http" >/dev/null; then
  pass "HTTP headers from a Lua table: the same bytes from two processes"
else fail "HTTP headers: the runs differ (or failed)" "$(cat "$TMP/a/http.out" | head -5)"; fi

# sockets dropped without close(), with collections in between: the
# collector once closed them, at moments that changed between processes
run_into "$TMP/a/dropped" tests/cli/determinism/dropped_socket.lua
run_into "$TMP/b/dropped" tests/cli/determinism/dropped_socket.lua
if grep -q '^connected 20$' "$TMP/a/dropped.out" && grep -q '^hello$' "$TMP/a/dropped.out" &&
   diff -r "$TMP/a/dropped" "$TMP/b/dropped" >/dev/null; then
  pass "sockets nobody closes: the same bytes from two processes"
else fail "dropped sockets: the runs differ (or failed)" "$(head -5 "$TMP/a/dropped.out")"; fi

# another seed: the lossy link of tcp_vs_udp loses other packets
run_into "$TMP/s2/tcp_vs_udp" scripts/tcp_vs_udp.lua --seed 2
if ! cmp -s "$TMP/a/tcp_vs_udp/tcp_vs_udp/client-eth0.pcap" "$TMP/s2/tcp_vs_udp/tcp_vs_udp/client-eth0.pcap"; then
  pass "tcp_vs_udp: --seed 2 gives other packets"
else fail "tcp_vs_udp: --seed 2 gave the same pcap"; fi

echo
if [ $fails -eq 0 ]; then echo "determinism: all checks passed"; exit 0; fi
echo "determinism: $fails check(s) failed"
exit 1
