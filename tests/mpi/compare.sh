#!/bin/bash
# compare.sh LUNET SCRIPT - run SCRIPT whole (lunet run) and split across
# 2 and 4 ranks (mpirun ... lunet run --ranks), oversubscribed on this
# machine, and check that every capture and counter file is the same byte
# for byte, and that every link any rank reads (OUT.views.rankN) reads as
# in the whole run.  Skipped (exit 77, saying why) without mpirun or without MPI
# in this lunet.
set -u
LUNET=$1
SCRIPT=$2
NAME=$(basename "$SCRIPT" .lua)
if ! command -v mpirun >/dev/null 2>&1; then
  echo "SKIP: mpirun not found (apt-get install openmpi-bin libopenmpi-dev; make deps installs them)"
  exit 77
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/lunet-mpi-$NAME.XXXXXX")
trap 'rm -rf "$W"' EXIT
# Open MPI refuses root without this, and keeps what it allocated until
# exit, which LeakSanitizer would call leaks in a sanitizer build.
MPIRUN=(mpirun --oversubscribe --allow-run-as-root)
export OMPI_MCA_btl_vader_single_copy_mechanism=none
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

mkdir -p "$W/np1"
if ! "$LUNET" run --pcap "$W/np1" "$SCRIPT" "$W/np1" >"$W/np1.log" 2>&1; then
  echo "FAIL: the whole run failed:"; cat "$W/np1.log"; exit 1
fi
if "$LUNET" run --ranks "$SCRIPT" "$W/np1" 2>&1 | grep -q "built without MPI"; then
  echo "SKIP: this lunet was built without MPI (install libopenmpi-dev and rebuild)"
  exit 77
fi
n1=$(ls "$W/np1" | wc -l)
npcap=$(ls "$W/np1"/*.pcap 2>/dev/null | wc -l)
if [ "$npcap" -lt 2 ]; then echo "FAIL: the whole run wrote $npcap captures"; ls "$W/np1"; exit 1; fi
if [ ! -s "$W/np1.views.rank0" ]; then echo "FAIL: the whole run wrote no link views"; exit 1; fi
status=0
for np in 2 4; do
  mkdir -p "$W/np$np"
  if ! "${MPIRUN[@]}" -np $np "$LUNET" run --ranks --pcap "$W/np$np" "$SCRIPT" "$W/np$np" \
       >"$W/np$np.log" 2>&1; then
    echo "FAIL: the run on $np ranks failed:"; cat "$W/np$np.log"; status=1; continue
  fi
  grep "^rank" "$W/np$np.log" | sort
  if ! diff <(cd "$W/np1" && ls) <(cd "$W/np$np" && ls) >/dev/null; then
    echo "FAIL: $np ranks wrote other files:"; diff <(cd "$W/np1" && ls) <(cd "$W/np$np" && ls); status=1
    continue
  fi
  bad=0
  for f in "$W/np1"/*; do
    b=$(basename "$f")
    if ! cmp -s "$f" "$W/np$np/$b"; then echo "FAIL: $b differs on $np ranks"; bad=1; fi
  done
  # Every link a rank could read (lib.views) reads as in the whole run: a
  # link cut between ranks, on every rank, even one that runs neither end.
  nv=0
  for v in "$W/np$np".views.rank*; do
    [ -e "$v" ] || continue
    nv=$((nv + 1))
    if [ ! -s "$v" ]; then echo "FAIL: $(basename "$v"): no link readable"; bad=1; continue; fi
    if grep -vxFf "$W/np1.views.rank0" "$v" >"$W/stale"; then
      echo "FAIL: on $np ranks, $(basename "$v") reads links otherwise than the whole run:"
      head -3 "$W/stale"; bad=1
    fi
  done
  [ $nv = $np ] || { echo "FAIL: $nv link views from $np ranks"; bad=1; }
  if [ $bad = 0 ]; then echo "ok   $NAME: $n1 files ($npcap captures) identical on $np ranks"; else status=1; fi
done
exit $status
