# pty.sh - sourced by the terminal tests: `pty NAME CMD...` runs CMD on a
# pseudo-terminal (script(1) from util-linux) and keeps what the terminal
# showed (stdout and stderr together, \n as \r\n) in $TMP/NAME.out.
#
# script(1) missing: installed with apt-get when root, else the test exits
# 77, which tests/extra.cmake registers as SKIP_RETURN_CODE (skipped, not
# passed).

need_script() {
  command -v script >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "script(1) missing: installing it with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    # bsdutils on Debian 12, util-linux on later releases
    apt-get install -y -qq bsdutils >/dev/null 2>&1 ||
      apt-get install -y -qq util-linux >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 &&
        { apt-get install -y -qq bsdutils || apt-get install -y -qq util-linux; } >/dev/null 2>&1; }
  fi
  if ! command -v script >/dev/null 2>&1; then
    echo "SKIP: script(1) (util-linux) is not installed and could not be installed;"
    echo "      run: apt-get install util-linux"
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
