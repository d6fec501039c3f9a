#!/bin/bash
# bench_bridge.sh LUNET [mb=100] [delay=1ms] [bandwidth=...] - lunet
# bridged to Linux through a TAP device (net:bridge), in a network
# namespace of its own: bulk TCP throughput both ways (Linux's python3
# against a virtual host, each clock's Mbit/s) and the latency the bridge
# adds (100 pings 10 ms apart each way, with the link's delay at 0 and at
# `delay`: what the RTT holds beyond twice the delay).  A benchmark that
# prints figures, not a test: without root, /dev/net/tun, ip, python3 or
# ping it says why and exits 0.  Shares tests/interop/lib.sh with the
# interop tests.
NAME=bench
. "$(dirname "$0")/../interop/lib.sh"
skip() { echo "bench_bridge: skipped: $*"; exit 0; }
shift
need_root_tun_ip
need_peer
need ping "apt-get install iputils-ping"
setup_ns
args=("$@")
arg() { local a; for a in "${args[@]}"; do case $a in "$1"=*) echo "${a#*=}"; return ;; esac; done; echo "$2"; }
MB=$(arg mb 100); DELAY=$(arg delay 1ms); BW=$(arg bandwidth "1Gbps (net:link's default)")
BYTES=$(awk -v m="$MB" 'BEGIN { printf "%d", m * 1e6 }')
die() { echo "bench_bridge: $*"; [ -e "$TMP/lunet.out" ] && sed 's/^/  | /' "$TMP/lunet.out" | tail -20; exit 1; }

start_bg server "${PEER[@]}" server 5002 --recv /dev/null
SPID=${PIDS[-1]}
wait_until 10 grep -q listening "$TMP/server.out" || die "the Linux server did not start"
start_lunet ../bench/bench_bridge.lua "$@"
wait_ready

# Linux -> virtual, then virtual -> Linux (timed on both sides).
nsx "${PEER[@]}" client 10.77.0.2 5001 --bytes "$BYTES" --recv /dev/null >"$TMP/client.out" 2>&1 ||
  die "Linux -> virtual failed: $(cat "$TMP/client.out")"
go
wait_pid "$SPID" 120
[ "$rc" = 0 ] || die "virtual -> Linux failed: $(cat "$TMP/server.out")"

# pings from Linux with the link's delay at 0, then at DELAY
nsx ping -n -q -c 100 -i 0.01 -W 2 10.77.0.2 >"$TMP/ping0.out" 2>&1
touch "$TMP/pinged0"
wait_until 60 test -e "$TMP/delayed" || die "no link delay set"
nsx ping -n -q -c 100 -i 0.01 -W 2 10.77.0.2 >"$TMP/ping1.out" 2>&1
touch "$TMP/pinged1"
wait_pid "$LPID" 60
[ "$rc" = 0 ] || die "lunet failed (exit $rc)"

lv() { grep -o "\b$1=[^ ]*" "$TMP/lunet.out" | tail -1 | cut -d= -f2; }
pv() { grep -o "\b$1=[^ ]*" "$TMP/$2.out" | tail -1 | cut -d= -f2; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", b * 8 / s / 1e6; else print "?" }'; }
added() { awk -v a="$1" -v d="$2" 'BEGIN { if (a != "") printf "%.3f", a - 2 * d; else print "?" }'; }
# the delay in ms, from lunet's units (a bare number is seconds)
delay_ms=$(echo "$DELAY" | awk '{ v = $0 + 0; u = $0; sub(/^[0-9.]+ */, "", u)
  print v * (u == "us" ? 0.001 : u == "ms" ? 1 : u == "ns" ? 1e-6 : 1000) }')

echo "lunet bridged to Linux through a TAP device ($(nproc) cores; link bandwidth $BW)"
printf "%-18s %10s %16s %16s\n" direction MB "Mbit/s (Linux)" "Mbit/s (lunet)"
printf "%-18s %10s %16s %16s\n" "Linux -> virtual" "$MB" "$(mbps "$(pv sent client)" "$(pv seconds client)")" "$(lv in_mbps)"
printf "%-18s %10s %16s %16s\n" "virtual -> Linux" "$MB" "$(mbps "$(pv received server)" "$(pv seconds server)")" "$(lv out_mbps)"
echo
echo "ping RTT through the bridge, 100 pings 10 ms apart (ms; added = avg - 2 x delay)"
printf "%-10s %-16s %9s %9s %9s %9s %9s\n" "delay" "pinger" received min avg max added
for i in 0 1; do
  d=0; [ $i = 1 ] && d=$delay_ms
  label=0; [ $i = 1 ] && label=$DELAY
  read -r mn av mx _ < <(grep -o 'rtt [^=]*= [0-9./]*' "$TMP/ping$i.out" | awk '{ print $4 }' | tr / ' ')
  rx=$(grep -o '[0-9]* received' "$TMP/ping$i.out" | awk '{ print $1 }')
  printf "%-10s %-16s %9s %9s %9s %9s %9s\n" "$label" "Linux (ping)" "$rx/100" "$mn" "$av" "$mx" \
    "$(added "$av" "$d")"
  va=$(lv ping${i}_avg_ms)
  printf "%-10s %-16s %9s %9s %9s %9s %9s\n" "$label" "virtual (h:ping)" "$(lv ping${i}_received)/100" \
    "$(lv ping${i}_min_ms)" "$va" "$(lv ping${i}_max_ms)" "$(added "$va" "$d")"
done
exit 0
