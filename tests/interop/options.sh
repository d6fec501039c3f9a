#!/bin/bash
# options.sh LUNET - the TCP options lunet negotiates with Linux (issue
# 14, scenario 2), seen three ways: on the wire (dumpcap on the TAP inside
# the namespace, read by tshark), by Linux (TCP_INFO, through peer.py) and
# by lunet (s:info(), asserted by options.lua).  Three virtual hosts behind
# a bridged switch: v1 with the defaults, v2 with SACK, timestamps and
# window scaling off, v3 with a 1400-byte MTU and a smaller window scale
# than Linux's; each accepts a connection from Linux and makes one to it.  Then tshark must find nothing wrong
# in lunet's own capture of the bridge link (no malformed frame, no bad
# checksum, no expert warning), which holds every TCP frame the Linux
# capture holds.
#
# Registered with ctest by tests/extra.cmake as interop.options; skipped
# (77) without root, /dev/net/tun, ip, python3, tshark or dumpcap.  About 8 s.
NAME=options
. "$(dirname "$0")/lib.sh"
need_root_tun_ip
need_peer
need tshark "apt-get install tshark"
need dumpcap "apt-get install tshark"
setup_ns

start_bg server "${PEER[@]}" info-server 7002 --count 3
SPID=${PIDS[-1]}
wait_until 10 grep -q listening "$TMP/server.out" || { fail "Linux server started" "$(show server)"; finish; }

start_lunet options.lua
wait_ready
start_bg dumpcap dumpcap -i "$TAP" -w "$TMP/linux.pcapng"
DPID=${PIDS[-1]}
wait_until 15 grep -q "Capturing on" "$TMP/dumpcap.out" || { fail "dumpcap started" "$(show dumpcap)"; finish; }
go

for ip in 10.77.0.2 10.77.0.3 10.77.0.4; do
  nsx "${PEER[@]}" info-client $ip 7001 >"$TMP/client-$ip.out" 2>&1 ||
    fail "Linux client to $ip:7001" "$(show client-$ip)"
done
wait_pid "$SPID" 20
[ $rc = 0 ] && pass "Linux server: three connections" || fail "Linux server (exit $rc)" "$(show server)"
check_lunet 20
# The TAP went with lunet, and dumpcap with it, its file complete.
wait_pid "$DPID" 10

# ---- the SYNs on the wire -----------------------------------------------------

tshark_scan "$TMP/linux.pcapng" "$TMP/linux.scan"
tshark_scan "$TMP/lunet.pcap" "$TMP/lunet.scan"
# One line per SYN and SYN-ACK in the Linux-side capture: src sport dst
# dport ack mss wscale tsval tsecr kinds (the option kinds in order: 2 MSS,
# 3 window scale, 4 SACK permitted, 8 timestamps; 1 NOP); "-" for none.
awk -F'\t' -v OFS=' ' '$11 == "1" || $11 == "True" {
    ack = ($12 == "1" || $12 == "True") ? 1 : 0
    for (i = 13; i <= 17; i++) if ($i == "") $i = "-"
    print $7, $8, $9, $10, ack, $13, $14, $15, $16, $17 }' "$TMP/linux.scan" >"$TMP/syns.txt"

# syn SRC DST SPORT DPORT ACK: the SYN (ACK 0) or SYN-ACK (ACK 1) between
# them; a port given as "-" matches any.
syn() {
  awk -v s="$1" -v d="$2" -v sp="$3" -v dp="$4" -v a="$5" \
    '$1 == s && $3 == d && (sp == "-" || $2 == sp) && (dp == "-" || $4 == dp) && ($5 == a || ($5 == "True" && a == 1) || ($5 == "False" && a == 0)) { print; exit }' \
    "$TMP/syns.txt"
}
f() { echo "$1" | cut -d' ' -f"$2"; }
has_kind() { echo ",$(f "$1" 10)," | grep -q ",$2,"; }
yn() { if has_kind "$1" "$2"; then echo yes; else echo no; fi; }

# lunet's view: lv CONN HOST KEY from options.lua's "conn=... host=..." lines
lv() { grep "^conn=$1 host=$2 " "$TMP/lunet.out" | grep -o "\b$3=[^ ]*" | cut -d= -f2; }
# Linux's view: jv FILE KEY [REMOTE-PREFIX] from peer.py's lines (for the
# server, the line of the connection from that address)
jv() { grep "remote=${3:-}" "$1" | head -1 | grep -o "\b$2=[^ ]*" | cut -d= -f2; }

# check_pair HOST IP DIR MTU OPTS: DIR "in" (Linux's SYN to IP:7001) or
# "out" (IP's SYN to Linux's 7002); OPTS yes when the host offers them.
check_pair() {
  local host=$1 ip=$2 dir=$3 mtu=$4 opts=$5 s sa lsyn vsyn linux want
  if [ "$dir" = in ]; then
    s=$(syn 10.77.0.1 "$ip" - 7001 0); sa=$(syn "$ip" 10.77.0.1 7001 - 1)
    lsyn=$s; vsyn=$sa; linux="$TMP/client-$ip.out"; want=
  else
    s=$(syn "$ip" 10.77.0.1 - 7002 0); sa=$(syn 10.77.0.1 "$ip" 7002 - 1)
    lsyn=$sa; vsyn=$s; linux="$TMP/server.out"; want="$ip:"
  fi
  local tag="$host $dir"
  if [ -z "$s" ] || [ -z "$sa" ]; then
    fail "$tag: SYN and SYN-ACK in the Linux-side capture" "SYN: $s" "SYN-ACK: $sa" "$(cat "$TMP/syns.txt")"
    return
  fi
  # What lunet sent.
  check_eq "$tag: lunet's MSS option" "$(f "$vsyn" 6)" $((mtu - 40))
  check_eq "$tag: lunet's SACK permitted" "$(yn "$vsyn" 4)" "$opts"
  check_eq "$tag: lunet's timestamps" "$(yn "$vsyn" 8)" "$opts"
  if [ "$opts" = yes ]; then
    check_eq "$tag: lunet's window scale = its rcv_wscale" "$(f "$vsyn" 7)" "$(lv $dir $host rcv_wscale)"
  else
    check_eq "$tag: lunet sends no window scale" "$(f "$vsyn" 7)" "-"
  fi
  # What Linux sent: everything in a SYN, only what was offered in a SYN-ACK.
  local lopts=yes
  [ "$dir" = out ] && lopts=$opts
  check_eq "$tag: Linux's MSS option (lt0's MTU is 1500)" "$(f "$lsyn" 6)" 1460
  check_eq "$tag: Linux's SACK permitted" "$(yn "$lsyn" 4)" "$lopts"
  check_eq "$tag: Linux's timestamps" "$(yn "$lsyn" 8)" "$lopts"
  if [ "$opts" = yes ]; then
    check_eq "$tag: lunet's snd_wscale = Linux's window scale" "$(lv $dir $host snd_wscale)" "$(f "$lsyn" 7)"
    check_eq "$tag: the SYN-ACK echoes the SYN's TSval" "$(f "$sa" 9)" "$(f "$s" 8)"
  fi
  # What Linux made of it (TCP_INFO).
  check_eq "$tag: Linux: timestamps on" "$(jv "$linux" ts $want)" "$([ $opts = yes ] && echo true || echo false)"
  check_eq "$tag: Linux: SACK on" "$(jv "$linux" sack $want)" "$([ $opts = yes ] && echo true || echo false)"
  check_eq "$tag: Linux: window scaling on" "$(jv "$linux" wscale_ok $want)" "$([ $opts = yes ] && echo true || echo false)"
  if [ "$opts" = yes ]; then
    check_eq "$tag: Linux's snd_wscale = lunet's window scale" "$(jv "$linux" snd_wscale $want)" "$(f "$vsyn" 7)"
  fi
  check_eq "$tag: Linux's send MSS" "$(jv "$linux" snd_mss $want)" $((mtu - 40 - $([ $opts = yes ] && echo 12 || echo 0)))
}

check_pair v1 10.77.0.2 in 1500 yes
check_pair v1 10.77.0.2 out 1500 yes
check_pair v2 10.77.0.3 in 1500 no
check_pair v2 10.77.0.3 out 1500 no
check_pair v3 10.77.0.4 in 1400 yes
check_pair v3 10.77.0.4 out 1400 yes

# ---- lunet's own capture, as tshark sees it -------------------------------------

check_eq "lunet's capture: frames tshark flags (malformed, bad checksum, warnings)" "$(scan_flagged "$TMP/lunet.scan")" ""
nl=$(scan_tcp "$TMP/lunet.scan")
nk=$(scan_tcp "$TMP/linux.scan")
check_ge "lunet's capture: TCP frames" "$nl" 30
check_eq "TCP frames: lunet's capture of the bridge link = Linux's capture of the TAP" "$nl" "$nk"
check_eq "Linux-side capture: frames tshark flags" "$(scan_flagged "$TMP/linux.scan")" ""

echo "the SYNs (src sport dst dport ack mss wscale tsval tsecr kinds):"
sed 's/^/    /' "$TMP/syns.txt"
finish
