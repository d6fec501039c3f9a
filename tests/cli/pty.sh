# pty.sh - sourced by the terminal tests: `pty NAME CMD...` runs CMD on a
# pseudo-terminal (script(1) from util-linux) and keeps what the terminal
# showed (stdout and stderr together, \n as \r\n) in $TMP/NAME.out.
#
# script(1) missing: the test exits 77, which tests/extra.cmake registers
# as SKIP_RETURN_CODE (skipped, not passed); .ci/run installs it.

need_script() {
  if ! command -v script >/dev/null 2>&1; then
    echo "SKIP: script(1) (util-linux) is not installed; run: apt-get install bsdutils"
    exit 77
  fi
  # script -c must really give the command a terminal here
  if ! script -qfec "test -t 1 && test -t 2" /dev/null </dev/null >/dev/null 2>&1; then
    echo "SKIP: script(1) cannot open a pseudo-terminal here (no /dev/pts?)"
    exit 77
  fi
}

# A known terminal, whatever the environment running the tests has set.
pty() {
  local name=$1; shift
  local cmd
  cmd=$(printf '%q ' "$@")
  TERM=xterm script -qfec "$cmd" /dev/null </dev/null >"$TMP/$name.out" 2>&1
  rc=$?
}
