#!/bin/bash
# repl_test.sh LUNET - drives `lunet repl` through piped stdin: a topology
# loads, a ping spawned at the prompt runs while the shell sleeps (the
# network advances in real time between lines), net:run works at the
# prompt, errors (at the prompt and in a background task) do not end the
# session, multi-line statements and dot commands work, and EOF exits 0
# with the captures written.  When python3 is there, one more session runs
# on a pseudo-terminal to see the prompt, Ctrl-C and Ctrl-D.
#
# Registered with ctest by tests/extra.cmake as cli.repl.  About 3 s of
# wall time: the network runs in real time.
set -u
LUNET=${1:?usage: repl_test.sh PATH/TO/lunet}
case $LUNET in /*) ;; *) LUNET=$PWD/$LUNET ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../.."                       # the source tree: paths as users write them
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

fails=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; shift; for l in "$@"; do echo "    $l"; done; fails=$((fails + 1)); }
has() { grep -qE -- "$2" "$TMP/$1"; }
show() { sed 's/^/      | /' "$TMP/$1" | head -60; }
check() {   # check NAME FILE REGEX
  if has "$2" "$3"; then pass "$1"; else fail "$1: no /$3/ in $2" "$(show "$2")"; fi
}

# --- a piped session -------------------------------------------------------------
{
  echo '1 + 1'
  echo 'h1:spawn(function() r = h1:ping("10.0.0.2", {count = 3, interval = "0.2s"}) end)'
  sleep 1.5                            # the prompt waits; the network does not
  # (>= 0.6 s, not 1.5 s: a loaded machine may take a while to start lunet)
  echo 'print("background", r and r.received, net:now() >= 0.6e9)'
  echo 'h2:spawn(function() r2 = h2:ping("10.0.0.1", {count = 2, interval = "0.3s", quiet = true}) end)'
  echo 'net:run("1s")'
  echo 'print("run", r2.received)'
  echo 'error("boom")'
  echo 'print("after error")'
  echo 'for i = 1, 2 do'
  echo '  print("loop", i)'
  echo 'end'
  echo 'net:spawn(function() error("task boom") end)'   # runs, and fails, at once
  echo 'print("after task error")'
  echo '.help'
  echo 'nodes()'
  echo 'ss(h1)'
} | "$LUNET" repl --pcap "$TMP/pcap" topologies/two_hosts.lua >"$TMP/s.out" 2>"$TMP/s.err"
rc=$?
cat "$TMP/s.out" "$TMP/s.err" >"$TMP/s.all"
if [ $rc -eq 0 ]; then pass "session: EOF exits 0"; else fail "session: exit $rc" "$(show s.all)"; fi
check "session: topology globals announced" s.out '^topologies/two_hosts\.lua: net, h1, h1_ip, h2, h2_ip, link$'
check "session: return <line> prints the value" s.out '^2$'
check "session: a spawned ping prints as the network runs" s.out '^64 bytes from 10\.0\.0\.2: icmp_seq=3 ttl=64'
check "session: the network advanced while the shell slept" s.out $'^background\t3\ttrue$'
check "session: net:run at the prompt" s.out $'^run\t2$'
check "session: an error prints with a traceback" s.err '^lunet: stdin:1: boom$'
check "session: ... and its traceback" s.err 'stack traceback:'
check "session: the session goes on after an error" s.out '^after error$'
check "session: multi-line statement" s.out $'^loop\t2$'
check "session: a background task's error is printed" s.err '^lunet: stdin:1: task boom$'
check "session: ... and the session goes on" s.out '^after task error$'
check "session: .help" s.out '^  ping SRC DST \[count=3\]'
check "session: nodes()" s.out '^  eth0 +10\.0\.0\.1/24 +02:00:00:00:00:01  -> h2\.eth0$'
check "session: ss()" s.out '^Node +Netid +State'
if has s.out '^lunet [0-9.]+s> |^>> '; then fail "session: prompts printed without a terminal" "$(show s.out)"
else pass "session: no prompts when stdin is not a terminal"; fi
if [ "$(stat -c %s "$TMP/pcap/h1-eth0.pcap" 2>/dev/null || echo 0)" -gt 24 ]; then
  pass "session: --pcap capture written at exit"
else
  fail "session: no capture in $TMP/pcap" "$(ls -la "$TMP/pcap" 2>&1)"
fi

# --- an unfinished statement at EOF, .quit, no file ---------------------------------
printf 'x = \n' | "$LUNET" repl >"$TMP/eof.all" 2>&1
rc=$?
if [ $rc -eq 0 ] && has eof.all "^lunet: stdin:1: unexpected symbol near <eof>$"; then
  pass "unfinished statement at EOF: reported, exit 0"
else fail "unfinished statement at EOF: exit $rc" "$(show eof.all)"; fi
printf 'print("one")\n.quit\nprint("two")\n' | "$LUNET" repl >"$TMP/quit.all" 2>&1
rc=$?
if [ $rc -eq 0 ] && has quit.all '^one$' && ! has quit.all '^two$'; then pass ".quit ends the session"
else fail ".quit: exit $rc" "$(show quit.all)"; fi

# --- a file that fails: no session, exit 1 ------------------------------------------
echo 'error("bad topology")' >"$TMP/bad.lua"
echo 'print("never")' | "$LUNET" repl "$TMP/bad.lua" >"$TMP/bad.all" 2>&1
rc=$?
if [ $rc -eq 1 ] && has bad.all 'bad\.lua:1: bad topology' && ! has bad.all '^never$'; then
  pass "failing file: reported, exit 1"
else fail "failing file: exit $rc" "$(show bad.all)"; fi

# --- lunet version says whether the REPL edits lines ---------------------------------
"$LUNET" version >"$TMP/version.out" 2>&1
check "version: line editing reported" version.out '^repl: (line editing and history with libedit|no line editing)'

# --- on a terminal: prompt with virtual time, Ctrl-C, Ctrl-D -----------------------------
if command -v python3 >/dev/null 2>&1; then
  python3 - "$LUNET" >"$TMP/tty.out" 2>&1 <<'EOF'
import os, pty, re, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "xterm"
    os.environ["HOME"] = "/nonexistent"          # no history file
    os.execv(sys.argv[1], [sys.argv[1], "repl", "topologies/two_hosts.lua"])
buf = b""
def expect(pat, timeout=5.0):
    global buf
    end = time.time() + timeout
    while not re.search(pat, buf):
        rem = end - time.time()
        if rem <= 0:
            raise SystemExit("timeout waiting for %r; got %r" % (pat, buf))
        r, _, _ = select.select([fd], [], [], rem)
        if r:
            try: d = os.read(fd, 4096)
            except OSError: d = b""
            if not d: raise SystemExit("EOF waiting for %r; got %r" % (pat, buf))
            buf += d
expect(rb"lunet \d+\.\d{3}s> ")
os.write(fd, b"6 * 7\r")
expect(rb"\r\n42\r\n")
expect(rb"lunet \d+\.\d{3}s> $")
os.write(fd, b"for i = 1, 2 do\r")
expect(rb">> $")
os.write(fd, b"\x03")                            # Ctrl-C: the statement is dropped
expect(rb"\^C\r\nlunet \d+\.\d{3}s> $")
os.write(fd, b"print('x' .. 1)\r")
expect(rb"\r\nx1\r\n")
# libedit flushes typed-ahead input when it puts the terminal in raw mode,
# so Ctrl-D goes after the next prompt, as a person would press it
expect(rb"lunet \d+\.\d{3}s> $")
os.write(fd, b"\x04")                            # Ctrl-D: exit
# wait at most 10 s, reading what it prints (a full pty would block it)
end = time.time() + 10
while time.time() < end:
    p, st = os.waitpid(pid, os.WNOHANG)
    if p:
        print("exit", os.waitstatus_to_exitcode(st))
        raise SystemExit(0)
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try: buf += os.read(fd, 4096)
        except OSError: pass
os.kill(pid, 9)
raise SystemExit("no exit 10 s after Ctrl-D; the screen ended with %r" % buf[-400:])
EOF
  if grep -q '^exit 0$' "$TMP/tty.out"; then pass "terminal: prompt, result, Ctrl-C, Ctrl-D"
  else fail "terminal session" "$(show tty.out)"; fi
else
  echo "skip terminal session: no python3"
fi

echo
if [ $fails -eq 0 ]; then echo "all repl checks passed"; exit 0; fi
echo "$fails repl check(s) failed"
exit 1
