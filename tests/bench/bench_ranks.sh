#!/bin/bash
# bench_ranks.sh LUNET [key=value...] - one network split across 1, 2 and 4
# MPI ranks (tests/bench/wan_sites.lua: sites in a ring of 10 ms WAN
# links): wall time, events per second per rank, messages, windows
# (synchronisation rounds) and the lookahead.  A benchmark that prints
# figures, not a test: on a machine with fewer cores than ranks the ranks
# share them (mpirun --oversubscribe), which the table says.
set -u
LUNET=${1:?usage: bench_ranks.sh LUNET [sites=N hosts=N bytes=N seconds=N]}
shift
DIR=$(cd "$(dirname "$0")" && pwd)
if ! command -v mpirun >/dev/null 2>&1; then
  echo "bench_ranks: skipped: mpirun not found (apt-get install openmpi-bin libopenmpi-dev)"
  exit 0
fi
cores=$(nproc 2>/dev/null || echo 1)
echo "split run: tests/bench/wan_sites.lua $* on 1, 2, 4 ranks ($cores cores here)"
printf "%5s %8s %12s %14s %9s %12s %10s %14s\n" ranks "wall s" "events" "events/s/rank" windows "msgs/rank" lookahead "peak MB/rank"
base=""
for np in 1 2 4; do
  if [ $np = 1 ]; then
    out=$("$LUNET" run "$DIR/wan_sites.lua" "$@" 2>&1)
  else
    out=$(mpirun --oversubscribe --allow-run-as-root -np $np "$LUNET" run --ranks "$DIR/wan_sites.lua" "$@" 2>&1)
  fi
  if ! echo "$out" | grep -q "^rank"; then echo "bench_ranks: $np ranks failed:"; echo "$out"; exit 1; fi
  echo "$out" | grep "^rank" | awk -v np=$np '
    { wall = ($4 > wall) ? $4 : wall; ev += $6; win = $8; msgs += $10; la = $16; rss = ($18 > rss) ? $18 : rss }
    END { printf "%5d %8.3f %12d %14.0f %9d %12.0f %10s %14.1f\n", np, wall, ev, ev / np / wall, win, msgs / np, la, rss / 1024 }'
done
[ "$cores" -lt 4 ] && echo "(4 ranks on $cores cores: oversubscribed, ranks take turns)"
exit 0
