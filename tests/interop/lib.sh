# lib.sh - what the interop drivers share (issue 14); sourced by each
# tests/interop/<scenario>.sh after it sets NAME.
#
# Each driver runs lunet in a network namespace of its own
# (lunet-it-<pid>-<scenario>), where net:bridge creates the TAP device lt0:
# the Linux side is the namespace's stack (10.77.0.1), the virtual hosts sit
# behind the TAP (10.77.0.2, ...).  Nothing outside the namespace is
# touched, and the namespace, with every process the driver started, goes
# away on exit, on failure or on a signal.
#
# Without root, /dev/net/tun, ip(8), a namespace that works or a TAP that
# can be created in it, the driver prints "SKIP: <reason>" and exits 77,
# which ctest reports as skipped.
#
#   need_root_tun_ip                 the skip checks every scenario makes
#   need CMD [why]                   skip unless CMD is installed
#   need_peer                        skip without python3; PEER is the
#                                    command that runs peer.py
#   setup_ns                         the namespace (lo up, no IPv6), or skip
#   nsx CMD...                       CMD inside the namespace
#   start_lunet SCRIPT ARGS...       lunet run --realtime SCRIPT dir=$TMP ARGS
#                                    in the namespace, output in $TMP/lunet.out
#   start_bg NAME CMD...             CMD in the namespace in the background,
#                                    output in $TMP/NAME.out
#   wait_until SECONDS CMD...        poll CMD every 50 ms until it succeeds
#   wait_ready [SECONDS]             until the script wrote $TMP/ready
#   wait_pid PID SECONDS             until PID ends: its exit status in $rc
#   go                               tell the script to go on ($TMP/go)
#   pass / fail NAME [DETAIL...]     one line per check
#   check_eq NAME GOT WANT           pass if equal
#   tshark_scan PCAP OUT             one tshark pass: a line per frame
#   scan_flagged OUT, scan_tcp OUT   what tshark flags; how many TCP frames
#   transfers SECONDS ARGS...        transfer.lua's 10 MB both ways, sha256
#   finish                           exit 0 if nothing failed, else 1
#
# LUNET_IT_KEEP=1 keeps the scratch directory (outputs, captures, files).

set -u
LUNET=${1:?usage: $0 PATH/TO/lunet}
case $LUNET in /*) ;; *) LUNET=$PWD/$LUNET ;; esac
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NS=lunet-it-$$-$NAME
TAP=lt0
PIDS=()
TMP=
fails=0
export NO_COLOR=1 LUNET_PROGRESS=never

skip() { echo "SKIP: $*"; exit 77; }

need_root_tun_ip() {
  [ "$(id -u)" = 0 ] || skip "not root (a TAP device and a network namespace need CAP_NET_ADMIN)"
  [ -c /dev/net/tun ] || skip "no /dev/net/tun (modprobe tun; in a container: --device /dev/net/tun)"
  command -v ip >/dev/null 2>&1 || skip "ip(8) not installed (apt-get install iproute2)"
}

need() {
  command -v "$1" >/dev/null 2>&1 || skip "$1 not installed${2:+ ($2)}"
}

# python3 as the interpreter itself, not a wrapper (pyenv's shims take
# most of a second to start, a dozen times per test).
need_peer() {
  need python3
  local py
  py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
  [ -x "$py" ] || py=$(command -v python3)
  PEER=("$py" "$HERE/peer.py")
}

nsx() { ip netns exec "$NS" "$@"; }

cleanup() {
  local p i
  # What we started, by id: the script, the Linux-side peers, tshark.
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for i in $(seq 1 40); do
    local alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.05
  done
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  # Anything still inside the namespace was started by this driver too
  # (a child of one of those), and would keep it alive.
  if ip netns list 2>/dev/null | grep -qw "^$NS"; then
    for p in $(ip netns pids "$NS" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns del "$NS" 2>/dev/null
  fi
  if [ -n "$TMP" ]; then
    if [ -n "${LUNET_IT_KEEP:-}" ]; then echo "kept: $TMP"; else rm -rf "$TMP"; fi
  fi
}

# Namespaces of earlier runs of these drivers that were killed too hard
# for their trap (SIGKILL, a ctest timeout): lunet-it-PID-* whose PID is
# gone, with whatever still runs in them.
reap_stale() {
  local ns pid p
  for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }' | grep '^lunet-it-[0-9]*-'); do
    pid=${ns#lunet-it-}; pid=${pid%%-*}
    kill -0 "$pid" 2>/dev/null && continue
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
}

# The namespace, or skip saying why: `ip netns add` fails in many
# containers (no mount namespace, a read-only /run), and a namespace may
# exist but refuse a TAP device (no CAP_NET_ADMIN over it).
setup_ns() {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/lunet-it-$NAME.XXXXXX")
  trap cleanup EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 141' PIPE
  trap 'exit 143' TERM
  reap_stale
  local err
  if ! err=$(ip netns add "$NS" 2>&1); then
    skip "cannot create a network namespace (ip netns add: $err)"
  fi
  if ! err=$(nsx ip link set lo up 2>&1); then
    skip "cannot enter the network namespace (ip netns exec: $err)"
  fi
  if ! err=$(nsx ip tuntap add dev ltprobe mode tap 2>&1); then
    skip "cannot create a TAP device in a network namespace (ip tuntap add: $err)"
  fi
  nsx ip link del ltprobe 2>/dev/null
  # No IPv6 on lt0: no router solicitations or MLD reports in the captures
  # and counters (lunet ignores them, but they would be noise).
  nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
}

# Not through nsx: a function in the background is a subshell, whose id
# is not the command's; `ip netns exec` execs the command, so $! is its.
start_bg() {
  local name=$1; shift
  ip netns exec "$NS" "$@" >"$TMP/$name.out" 2>&1 &
  PIDS+=($!)
}

# lunet in the namespace, paced by the wall clock (a bridged network
# always is; --realtime says so).  --timeout bounds a script that hangs.
start_lunet() {
  local script=$1; shift
  ip netns exec "$NS" "$LUNET" run --realtime --timeout 60s "$HERE/$script" dir="$TMP" tap="$TAP" "$@" \
    >"$TMP/lunet.out" 2>&1 &
  LPID=$!
  PIDS+=($LPID)
}

wait_until() {
  local secs=$1 i; shift
  for i in $(seq 1 $((secs * 20))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  return 1
}

# The script writes $TMP/ready from its first task: the TAP is up and the
# network runs.  A script that died first is reported at once.
wait_ready() {
  local i
  for i in $(seq 1 $((${1:-20} * 20))); do
    [ -e "$TMP/ready" ] && return 0
    if ! kill -0 "$LPID" 2>/dev/null; then
      fail "lunet started" "lunet ended before it was ready:" "$(show lunet)"
      finish
    fi
    sleep 0.05
  done
  fail "lunet started" "no $TMP/ready after ${1:-20} s:" "$(show lunet)"
  finish
}

go() { touch "$TMP/go"; }

# wait_pid PID SECONDS: its exit status in rc (124 if it had to be killed).
wait_pid() {
  local pid=$1 i
  rc=124
  for i in $(seq 1 $(($2 * 20))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    sleep 0.5
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
  fi
  wait "$pid"
  rc=$?
}

show() { sed 's/^/      | /' "$TMP/$1.out" 2>/dev/null | tail -${2:-30}; }

pass() { echo "ok   $1"; }
fail() {
  echo "FAIL $1"
  shift
  local l
  for l in "$@"; do echo "    $l"; done
  fails=$((fails + 1))
}
check_eq() {
  if [ "$2" = "$3" ]; then pass "$1 ($2)"; else fail "$1" "got:  $2" "want: $3"; fi
}
# check_ge NAME GOT MIN: an integer at least MIN
check_ge() {
  if [ -n "$2" ] && [ "$2" -ge "$3" ] 2>/dev/null; then pass "$1 ($2)"; else fail "$1" "got: $2, want >= $3"; fi
}

# The script's own verdict: it asserts what it sees with expect(), so a
# non-zero exit is a failed check, shown with its output.
check_lunet() {
  wait_pid "$LPID" "${1:-30}"
  if [ "$rc" = 0 ]; then pass "lunet script: its own checks"
  else fail "lunet script: its own checks (exit $rc)" "$(show lunet 40)"; fi
}

sha() { sha256sum "$1" 2>/dev/null | cut -c1-64; }

# value NAME FILE: the number after "NAME=" on the last line that has it
# (the scripts print "key=value" lines for the drivers).
value() { grep -o "\b$1=[0-9.-]*" "$2" 2>/dev/null | tail -1 | cut -d= -f2; }

# tshark_scan PCAP OUT: one pass of tshark (it takes a second or two to
# start) over a capture, a line per frame, tab-separated: 1 number,
# 2 protocols, 3 malformed, 4 expert severities, 5 TCP and 6 IP checksum
# status (0 bad, 1 good), 7 ip.src, 8 sport, 9 ip.dst, 10 dport, 11 SYN,
# 12 ACK, 13 MSS, 14 window scale, 15 TSval, 16 TSecr, 17 option kinds.
tshark_scan() {
  tshark -r "$1" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -T fields -E separator=/t \
    -E occurrence=a -E aggregator=, -e frame.number -e frame.protocols -e _ws.malformed \
    -e _ws.expert.severity -e tcp.checksum.status -e ip.checksum.status -e ip.src -e tcp.srcport \
    -e ip.dst -e tcp.dstport -e tcp.flags.syn -e tcp.flags.ack -e tcp.options.mss_val \
    -e tcp.options.wscale.shift -e tcp.options.timestamp.tsval -e tcp.options.timestamp.tsecr \
    -e tcp.option_kind >"$2" 2>"$2.err"
}
# The frames Wireshark finds fault with: malformed, an expert warning or
# error (severity 0x600000 and up: a note or a chat is no fault), a bad
# checksum.  One line each; nothing when the capture is clean.
scan_flagged() {
  awk -F'\t' '{ bad = ""
    if ($3 != "") bad = bad " malformed"
    n = split($4, s, ","); for (i = 1; i <= n; i++) if (s[i] + 0 >= 6291456) { bad = bad " expert-warning"; break }
    if ($5 ~ /(^|,)0(,|$)/) bad = bad " bad-TCP-checksum"
    if ($6 ~ /(^|,)0(,|$)/) bad = bad " bad-IP-checksum"
    if (bad != "") print "frame " $1 ":" bad }' "$1"
}
scan_tcp() { awk -F'\t' '$2 ~ /:tcp/' "$1" | wc -l; }

# transfers SECONDS [transfer.lua ARGS...]: 10 MB each way at once, a
# Linux client against the virtual server and the virtual client against
# a Linux server (transfer.lua, peer.py), every file checked by sha256 on
# the side that received it.  SECONDS bounds the wait for each side.
transfers() {
  local secs=$1; shift
  local size=$((10 * 1024 * 1024)) spid crc
  head -c $size /dev/urandom >"$TMP/linux.bin"       # what Linux sends
  head -c $size /dev/urandom >"$TMP/virt.bin"        # what the virtual host sends
  # The Linux server listens before the virtual client connects.
  start_bg server "${PEER[@]}" server 5002 --send "$TMP/linux.bin" --recv "$TMP/l_recv_b.bin"
  spid=${PIDS[-1]}
  wait_until 10 grep -q listening "$TMP/server.out" || { fail "Linux server started" "$(show server)"; finish; }
  start_lunet transfer.lua size=$size "$@"
  wait_ready
  nsx "${PEER[@]}" client 10.77.0.2 5001 --send "$TMP/linux.bin" --recv "$TMP/l_recv_a.bin" \
    >"$TMP/client.out" 2>&1
  crc=$?
  [ $crc = 0 ] && pass "Linux client to the virtual server" || fail "Linux client (exit $crc)" "$(show client)"
  wait_pid "$spid" "$secs"
  [ $rc = 0 ] && pass "Linux server for the virtual client" || fail "Linux server (exit $rc)" "$(show server)"
  check_lunet "$secs"
  local want_l want_v
  want_l=$(sha "$TMP/linux.bin")
  want_v=$(sha "$TMP/virt.bin")
  check_eq "Linux -> virtual server: sha256" "$(sha "$TMP/v_recv_a.bin")" "$want_l"
  check_eq "virtual server -> Linux: sha256" "$(sha "$TMP/l_recv_a.bin")" "$want_v"
  check_eq "Linux server -> virtual client: sha256" "$(sha "$TMP/v_recv_b.bin")" "$want_l"
  check_eq "virtual client -> Linux server: sha256" "$(sha "$TMP/l_recv_b.bin")" "$want_v"
}

finish() {
  if [ "$fails" = 0 ]; then echo "interop.$NAME: passed"; exit 0; fi
  echo "interop.$NAME: $fails check(s) failed"
  exit 1
}
