#!/bin/bash
# errors.sh LUNET - the refusals of a split run (errors.lua on 2 ranks), and
# --ranks outside mpirun on one rank.  Skipped (77) without Open MPI.
set -u
LUNET=$1
DIR=$(cd "$(dirname "$0")" && pwd)
if ! command -v mpirun >/dev/null 2>&1; then
  echo "SKIP: mpirun not found (apt-get install openmpi-bin libopenmpi-dev; make deps installs them)"
  exit 77
fi
export OMPI_MCA_btl_vader_single_copy_mechanism=none
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
out=$("$LUNET" run --ranks "$DIR/errors.lua" /nonexistent 2>&1)
if echo "$out" | grep -q "built without MPI"; then
  echo "SKIP: this lunet was built without MPI (install libopenmpi-dev and rebuild)"
  exit 77
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/lunet-mpi-errors.XXXXXX")
trap 'rm -rf "$W"' EXIT
out=$(mpirun --oversubscribe --allow-run-as-root -np 2 "$LUNET" run --ranks "$DIR/errors.lua" "$W" 2>&1)
rc=$?
echo "$out"
[ $rc = 0 ] || { echo "FAIL: exit $rc"; exit 1; }
n=$(echo "$out" | grep -c "^ok ")
[ "$n" = 10 ] || { echo "FAIL: $n of 10 checks passed"; exit 1; }
# --realtime and --ranks do not mix: a usage error (2)
"$LUNET" run --ranks --realtime "$DIR/errors.lua" /nonexistent >/dev/null 2>&1
rc=$?
[ $rc = 2 ] || { echo "FAIL: --ranks --realtime exited $rc, not 2"; exit 1; }
echo "ok   --ranks --realtime is a usage error"
