#!/bin/bash
# color_test.sh LUNET - colour on terminals: `lunet test` and `lunet run`
# through a pseudo-terminal (colour), piped (none), and every override
# (--color, LUNET_COLOR, NO_COLOR, TERM=dumb); lunet.term's own API.
#
# Registered with ctest by tests/extra.cmake as cli.color (exit 77: skipped).
set -u
LUNET=${1:?usage: color_test.sh PATH/TO/lunet}
case $LUNET in /*) ;; *) LUNET=$PWD/$LUNET ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../.."
. tests/cli/pty.sh
need_script
unset NO_COLOR LUNET_COLOR LUNET_PROGRESS
export TERM=xterm
FIX=tests/cli/fixtures
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

fails=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; shift; for l in "$@"; do echo "    $l"; done; fails=$((fails + 1)); }
run() { local name=$1; shift; "$@" >"$TMP/$name.out" 2>&1; rc=$?; }
ESC=$'\033'
has() { grep -qF -- "$2" "$TMP/$1.out"; }
has_esc() { grep -q "$ESC" "$TMP/$1.out"; }
show() { cat -v "$TMP/$1.out" | sed 's/^/      | /' | head -30; }
colored() { if has_esc "$1"; then pass "$2"; else fail "$2: no ANSI codes" "$(show "$1")"; fi; }
plain() { if has_esc "$1"; then fail "$2: ANSI codes" "$(show "$1")"; else pass "$2"; fi; }

T="$FIX/failing.lua $FIX/passing.lua"

# --- lunet test on a terminal ------------------------------------------------
pty tty "$LUNET" test $T
if [ $rc -eq 1 ]; then pass "tty: exit 1 (a test failed)"; else fail "tty: exit $rc" "$(show tty)"; fi
if has tty "${ESC}[32mok${ESC}[0m   $FIX/passing.lua: one (" &&
   has tty "${ESC}[31mFAIL${ESC}[0m $FIX/failing.lua: fails" &&
   has tty "${ESC}[33mskip${ESC}[0m $FIX/failing.lua: skipped: not today" &&
   has tty "${ESC}[32m4 passed${ESC}[0m, ${ESC}[31m2 failed${ESC}[0m, ${ESC}[33m1 skipped${ESC}[0m"
then pass "tty: ok green, FAIL red, skip yellow, summary counts"
else fail "tty: colours" "$(show tty)"; fi
pty tty_pass "$LUNET" test $FIX/passing.lua
if has tty_pass "${ESC}[32m3 passed${ESC}[0m, 0 failed"; then pass "tty: 0 failed is not red"
else fail "tty: summary of a passing run" "$(show tty_pass)"; fi

# --- what turns it off ---------------------------------------------------------
pty no_color env NO_COLOR=1 "$LUNET" test $T
plain no_color "NO_COLOR=1 on a tty"
pty no_color_empty env NO_COLOR= "$LUNET" test $T
colored no_color_empty "NO_COLOR set but empty: colour"
pty dumb env TERM=dumb "$LUNET" test $T
plain dumb "TERM=dumb on a tty"
pty never "$LUNET" test --color=never $T
plain never "--color=never on a tty"
pty env_never env LUNET_COLOR=never "$LUNET" test $T
plain env_never "LUNET_COLOR=never on a tty"
pty flag_beats_env env LUNET_COLOR=never "$LUNET" test --color=auto $T
colored flag_beats_env "--color=auto beats LUNET_COLOR=never"
run piped "$LUNET" test $T
plain piped "piped"
if [ "$(tail -n 1 "$TMP/piped.out")" = "4 passed, 2 failed, 1 skipped" ]; then pass "piped: summary unchanged"
else fail "piped: summary" "$(show piped)"; fi

# --- what forces it --------------------------------------------------------------
run always "$LUNET" test --color=always $T
colored always "--color=always piped"
run always_sep "$LUNET" test --color always $T
colored always_sep "--color always (separate word) piped"
run env_always env LUNET_COLOR=always "$LUNET" test $T
colored env_always "LUNET_COLOR=always piped"
run always_nocolor env NO_COLOR=1 "$LUNET" test --color=always $T
colored always_nocolor "--color=always beats NO_COLOR"
run bad "$LUNET" test --color=sometimes $T
if [ $rc -eq 2 ] && has bad "--color: sometimes is not auto, always or never"; then pass "test --color=sometimes: usage error"
else fail "test --color=sometimes: exit $rc" "$(show bad)"; fi

# --- never in TAP or JUnit ---------------------------------------------------------
pty tap "$LUNET" test --tap --color=always --junit "$TMP/j.xml" $T
plain tap "--tap (and --color=always) on a tty"
if grep -q "$ESC" "$TMP/j.xml"; then fail "junit: ANSI codes" "$(grep "$ESC" "$TMP/j.xml" | cat -v | head -3)"
else pass "junit: no ANSI codes"; fi

# --- lunet run's error line ------------------------------------------------------
pty run_tty "$LUNET" run $FIX/script_error.lua
if [ $rc -ne 0 ] && has run_tty "${ESC}[31mlunet: $FIX/script_error.lua:4:" &&
   has run_tty "${ESC}[0m" && has run_tty "stack traceback:"
then pass "run: the error line red on a tty, traceback after it"
else fail "run: error line, exit $rc" "$(show run_tty)"; fi
if grep -q "traceback.*$ESC" "$TMP/run_tty.out"; then fail "run: traceback coloured" "$(show run_tty)"
else pass "run: traceback plain"; fi
run run_piped "$LUNET" run $FIX/script_error.lua
plain run_piped "run: error line piped"
if has run_piped "lunet: $FIX/script_error.lua:4:"; then pass "run: error line text"
else fail "run: error line text" "$(show run_piped)"; fi
run run_always "$LUNET" run --color=always $FIX/script_error.lua
colored run_always "run --color=always piped: red error line"
pty run_never "$LUNET" run --color=never $FIX/script_error.lua
plain run_never "run --color=never on a tty"
pty run_no_color env NO_COLOR=1 "$LUNET" run $FIX/script_error.lua
plain run_no_color "run: NO_COLOR=1 on a tty"
run run_bad "$LUNET" run --color=yes $FIX/script_ok.lua
if [ $rc -eq 2 ] && has run_bad "--color needs auto, always or never, got yes"; then pass "run --color=yes: usage error"
else fail "run --color=yes: exit $rc" "$(show run_bad)"; fi

# --- the text ladder ----------------------------------------------------------------
# (the handshake demo; its pcaps go to $TMP, not the source tree)
pty lad_tty env LUNET_PCAP_DIR="$TMP" "$LUNET" run scripts/handshake.lua
if [ $rc -eq 0 ] && has lad_tty "|${ESC}[32m-------------------- SYN seq=1000 ------------------->${ESC}[0m|" &&
   has lad_tty "${ESC}[36mESTABLISHED${ESC}[0m"
then pass "ladder on a tty: SYN arrow green, states cyan"
else fail "ladder on a tty: exit $rc" "$(show lad_tty)"; fi
pty lad_nc env NO_COLOR=1 LUNET_PCAP_DIR="$TMP" "$LUNET" run scripts/handshake.lua
plain lad_nc "ladder: NO_COLOR=1 on a tty"
run lad_piped env LUNET_PCAP_DIR="$TMP" "$LUNET" run scripts/handshake.lua
plain lad_piped "ladder piped"

# --- repl takes --color --------------------------------------------------------------
echo 'print("color:", require("lunet.term").color("stdout"))' |
  "$LUNET" repl --color=always >"$TMP/repl.out" 2>&1
if grep -q "color:.true" "$TMP/repl.out"; then pass "repl --color=always"
else fail "repl --color=always" "$(show repl)"; fi

# --- lunet.term and lunet.isatty ---------------------------------------------------
run api "$LUNET" test tests/cli/term/colors.lua
if [ $rc -eq 0 ]; then pass "lunet.term API (tests/cli/term/colors.lua)"
else fail "lunet.term API: exit $rc" "$(show api)"; fi

echo
if [ $fails -eq 0 ]; then echo "color: all checks passed"; exit 0; fi
echo "color: $fails check(s) failed"
exit 1
