#!/bin/bash
# transfer.sh LUNET - 10 MB each way between Linux and a virtual host,
# through a TAP bridge (issue 14, scenario 1): a Linux client (python3) to
# a virtual server, then a virtual client to a Linux server, both full
# duplex; every file arrives intact (sha256 on both sides).
#
# Registered with ctest by tests/extra.cmake as interop.transfer; skipped
# (77) without root, /dev/net/tun, ip or python3.  About 4 s.
NAME=transfer
. "$(dirname "$0")/lib.sh"
need_root_tun_ip
need_peer
setup_ns

transfers 30

echo "figures:"
grep -E '^(a_|b_|v_|link_|bridge_)' "$TMP/lunet.out" | sed 's/^/    /'
finish
