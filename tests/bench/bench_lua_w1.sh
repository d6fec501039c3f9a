#!/bin/bash
# bench_lua_w1.sh LUNET BENCH_TCP [SCALE] - issue 15's W1 (one TCP
# connection sends 200,000,000 bytes to a sink) twice: in C (bench_tcp w1)
# and in Lua with the stock h:bulk_send and h:sink (bench_lua_w1.lua), and
# the ratio of their CPU times.  A benchmark that prints figures, not a
# test.  Each program runs RUNS times (default 5) and the median CPU time
# (user + system, of the whole process: start-up included) is shown.
# BENCH_CALLGRIND=1 also counts both programs' instructions under
# valgrind's callgrind at a tenth of the size (20 MB; a minute or so).
set -u
LUNET=${1:?usage: bench_lua_w1.sh LUNET BENCH_TCP [SCALE]}
BENCH_TCP=${2:?usage: bench_lua_w1.sh LUNET BENCH_TCP [SCALE]}
SCALE=${3:-1}
RUNS=${RUNS:-5}
DIR=$(cd "$(dirname "$0")" && pwd)
SCRIPT=$DIR/bench_lua_w1.lua

# CPU seconds (user + system) of one run of "$@"; its output is left in $tmp.
cpu_of() {
  local t
  TIMEFORMAT='%U %S'
  t=$( { time "$@" > "$tmp" 2>&1; } 2>&1 ) || { cat "$tmp" >&2; return 1; }
  echo "$t" | awk '{ printf "%.3f\n", $1 + $2 }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
c_all="" lua_all="" run_all=""
for i in $(seq "$RUNS"); do
  c=$(cpu_of "$BENCH_TCP" w1 "$SCALE") || { echo "bench_lua_w1: bench_tcp failed"; exit 1; }
  c_all="$c_all $c"
  l=$(cpu_of "$LUNET" run "$SCRIPT" "$SCALE") || { echo "bench_lua_w1: the Lua W1 failed"; exit 1; }
  lua_all="$lua_all $l"
  run_all="$run_all $(awk '/^lua-w1/ { print $7 }' "$tmp")"
done
c=$(echo $c_all | tr ' ' '\n' | median)
l=$(echo $lua_all | tr ' ' '\n' | median)
r=$(echo $run_all | tr ' ' '\n' | median)
bytes=$(awk -v s="$SCALE" 'BEGIN { printf "%d", 200000000 * s }')
echo "W1 in Lua with the stock h:bulk_send and h:sink, against bench_tcp w1 ($bytes bytes, median of $RUNS)"
printf "  C    bench_tcp w1        %8.3f s CPU\n" "$c"
printf "  Lua  bench_lua_w1.lua    %8.3f s CPU (net:run %.3f s; the rest: start-up, the check)\n" "$l" "$r"
awk -v l="$l" -v c="$c" 'BEGIN { printf "  ratio Lua / C           %8.2f  (issue 15: at most 1.5)\n", l / c }'

if [ "${BENCH_CALLGRIND:-0}" != 0 ]; then
  if ! command -v valgrind >/dev/null 2>&1; then
    echo "  instructions: skipped (valgrind not found)"
    exit 0
  fi
  count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
      awk '/Collected/ { gsub(",", "", $NF); print $NF }'
  }
  ci=$(count "$BENCH_TCP" w1 0.1)
  li=$(count "$LUNET" run "$SCRIPT" 0.1)
  awk -v l="$li" -v c="$ci" 'BEGIN {
    printf "  instructions at 20 MB (callgrind): C %.1f M, Lua %.1f M, ratio %.2f\n", c / 1e6, l / 1e6, l / c }'
fi
exit 0
