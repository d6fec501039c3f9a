#!/bin/bash
# run_cli_tests.sh LUNET - checks the exit codes and the output formats of
# `lunet test` and `lunet run` on the fixtures beside this script.
#
# Registered with ctest by tests/extra.cmake as cli.exit_codes.
set -u
LUNET=${1:?usage: run_cli_tests.sh PATH/TO/lunet}
case $LUNET in /*) ;; *) LUNET=$PWD/$LUNET ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../.."                       # the source tree: paths as users write them
FIX=tests/cli/fixtures
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

fails=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; shift; for l in "$@"; do echo "    $l"; done; fails=$((fails + 1)); }

# run NAME CMD...: runs CMD, keeps stdout+stderr in $TMP/NAME.out and the
# exit code in $rc
run() {
  local name=$1; shift
  "$@" >"$TMP/$name.out" 2>&1
  rc=$?
}
last_line() { tail -n 1 "$TMP/$1.out"; }
has() { grep -qE -- "$2" "$TMP/$1.out"; }
show() { sed 's/^/      | /' "$TMP/$1.out" | head -40; }

# --- a passing file ----------------------------------------------------------
run passing "$LUNET" test $FIX/passing.lua
if [ $rc -eq 0 ]; then pass "passing: exit 0"; else fail "passing: exit $rc, want 0" "$(show passing)"; fi
if [ "$(last_line passing)" = "3 passed, 0 failed" ]; then pass "passing: summary line"
else fail "passing: last line '$(last_line passing)'" "$(show passing)"; fi
if has passing "^ok   $FIX/passing.lua: one \([0-9.]+s\)$"; then pass "passing: ok line format"
else fail "passing: no 'ok   FILE: one (Ns)' line" "$(show passing)"; fi

# --- a failing file ----------------------------------------------------------
run failing "$LUNET" test $FIX/failing.lua
if [ $rc -ne 0 ]; then pass "failing: exit $rc"; else fail "failing: exit 0, want non-zero" "$(show failing)"; fi
if [ "$(last_line failing)" = "1 passed, 2 failed, 1 skipped" ]; then pass "failing: summary line"
else fail "failing: last line '$(last_line failing)'" "$(show failing)"; fi
if has failing "^FAIL $FIX/failing.lua: fails$"; then pass "failing: FAIL line"
else fail "failing: no FAIL line" "$(show failing)"; fi
if has failing "^ +$FIX/failing.lua:4: at t=[^:]+: sum: expected 2 to equal 3$"; then pass "failing: message names file:line, time, values"
else fail "failing: expect message" "$(show failing)"; fi
if has failing "^skip $FIX/failing.lua: skipped: not today$"; then pass "failing: skip line"
else fail "failing: no skip line" "$(show failing)"; fi
if has failing "failing.lua:5: bad <tag>"; then pass "failing: Lua error message with file:line"
else fail "failing: Lua error message" "$(show failing)"; fi

# --- --filter ------------------------------------------------------------------
run filter "$LUNET" test --filter ': passes$' $FIX/failing.lua
if [ $rc -eq 0 ] && [ "$(last_line filter)" = "1 passed, 0 failed" ]; then pass "--filter selects one test"
else fail "--filter: exit $rc, last line '$(last_line filter)'" "$(show filter)"; fi

# --- --seed --------------------------------------------------------------------
LUNET_EXPECT_SEED=99 run seed "$LUNET" test --seed 99 $FIX/passing.lua
if [ $rc -eq 0 ]; then pass "--seed reaches the networks"
else fail "--seed 99: exit $rc" "$(show seed)"; fi

# --- a script without test() is one test ------------------------------------------
run script "$LUNET" test $FIX/script_ok.lua
if [ $rc -eq 0 ] && [ "$(last_line script)" = "1 passed, 0 failed" ] && has script "^ok   $FIX/script_ok.lua: script_ok"
then pass "script without test(): one test"
else fail "script without test(): exit $rc" "$(show script)"; fi
run script_expect "$LUNET" test $FIX/script_expect.lua
if [ $rc -ne 0 ] && has script_expect "script_expect.lua:4: at t=[^:]+: now: expected 1500000000 to equal 0"
then pass "script expect failure: file:line and virtual time"
else fail "script expect failure: exit $rc" "$(show script_expect)"; fi

# --- several paths, a directory -------------------------------------------------
run dir "$LUNET" test $FIX
if [ $rc -ne 0 ] && has dir "^FAIL $FIX/failing.lua: fails$" && has dir "^ok   $FIX/passing.lua: one"
then pass "directory: recursed, exit $rc"
else fail "directory: exit $rc" "$(show dir)"; fi
run missing "$LUNET" test $FIX/no_such_file.lua
if [ $rc -ne 0 ]; then pass "missing path: exit $rc"; else fail "missing path: exit 0" "$(show missing)"; fi

# --- runaway scripts: --timeout, Ctrl-C, livelock ------------------------------------
# (not *.lua: `lunet test` of a directory must never pick them up)
RUN=tests/cli/runaway
start=$(date +%s)
run timeout "$LUNET" run --timeout 1s $RUN/runaway_task.fixture
if [ $rc -eq 124 ] && has timeout "timeout: the wall-clock limit of --timeout ran out" &&
   has timeout "runaway_task.fixture:6" && [ $(( $(date +%s) - start )) -le 5 ]
then pass "run --timeout: a task in a loop stopped, exit 124, at the task's line"
else fail "run --timeout: exit $rc" "$(show timeout)"; fi
run test_timeout "$LUNET" test --timeout 0.5s $RUN/slow_tests.fixture
if [ $rc -ne 0 ] && [ "$(last_line test_timeout)" = "1 passed, 1 failed" ] &&
   has test_timeout "^FAIL $RUN/slow_tests.fixture: slow$"
then pass "test --timeout: the slow test fails, the next one runs"
else fail "test --timeout: exit $rc" "$(show test_timeout)"; fi
"$LUNET" run $RUN/runaway_task.fixture >"$TMP/sigint.out" 2>&1 &
pid=$!
sleep 1
kill -INT $pid
wait $pid
rc=$?
if [ $rc -eq 1 ] && has sigint "interrupted!" && has sigint "runaway_task.fixture:6"; then
  pass "run: Ctrl-C stops a task in a loop, at its line"
else fail "run: Ctrl-C on a task in a loop: exit $rc" "$(show sigint)"; fi
run livelock "$LUNET" run $RUN/livelock.fixture
if [ $rc -eq 1 ] && has livelock "livelock: virtual time stuck at 1.000s for 100000 events" &&
   has livelock "the task that ran last: h, $RUN/livelock.fixture:5"
then pass "run: a livelock is reported, with the task that causes it"
else fail "run: livelock: exit $rc" "$(show livelock)"; fi

# --- TAP ---------------------------------------------------------------------------
run tap "$LUNET" test --tap $FIX/failing.lua
if [ $rc -ne 0 ]; then pass "tap: exit $rc"; else fail "tap: exit 0" "$(show tap)"; fi
if [ "$(head -n 1 "$TMP/tap.out")" = "TAP version 13" ] &&
   has tap "^ok 1 - $FIX/failing.lua: passes$" &&
   has tap "^not ok 2 - $FIX/failing.lua: fails$" &&
   has tap "^  ---$" && has tap "^  \.\.\.$" &&
   has tap "^ok 4 - $FIX/failing.lua: skipped # SKIP not today$" &&
   has tap "^1\.\.4$"
then pass "tap: version, ok/not ok lines, YAML block, SKIP, plan"
else fail "tap: output shape" "$(show tap)"; fi
if grep -vE '^(TAP version 13|(not )?ok [0-9]+ - .*|1\.\.[0-9]+|#.*|  .*)$' "$TMP/tap.out" | grep -q .; then
  fail "tap: lines that are not TAP" "$(grep -vE '^(TAP version 13|(not )?ok [0-9]+ - .*|1\.\.[0-9]+|#.*|  .*)$' "$TMP/tap.out" | head -5)"
else pass "tap: every line is TAP"; fi

# --- JUnit -------------------------------------------------------------------------
run junit "$LUNET" test --junit "$TMP/junit.xml" $FIX/failing.lua $FIX/passing.lua
J=$TMP/junit.xml
if [ $rc -ne 0 ] && [ -s "$J" ]; then pass "junit: file written, exit $rc"
else fail "junit: exit $rc, file $(ls -l "$J" 2>&1)" "$(show junit)"; fi
if grep -q "<testsuite name=\"$FIX/failing.lua\" tests=\"4\" failures=\"2\" errors=\"0\" skipped=\"1\"" "$J" &&
   grep -q "<testsuite name=\"$FIX/passing.lua\" tests=\"3\" failures=\"0\"" "$J" &&
   grep -q '<testcase classname="[^"]*" name="fails" time="[0-9.]*">' "$J" &&
   grep -q '<failure message="[^"]*failing.lua:4: at t=[^"]*expected 2 to equal 3"' "$J" &&
   grep -q '<skipped message="not today"/>' "$J" &&
   grep -q 'name="errors &lt;&amp;&gt;&quot;&apos;"' "$J" &&
   grep -q 'bad &lt;tag&gt; &amp; &quot;quote&quot;' "$J"
then pass "junit: suites, cases, failure, skipped, escaping"
else fail "junit: content" "$(sed 's/^/      | /' "$J" | head -30)"; fi
if command -v python3 >/dev/null 2>&1; then
  if python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$J" 2>"$TMP/xml.err"
  then pass "junit: well-formed XML"
  else fail "junit: not well-formed" "$(cat "$TMP/xml.err")"; fi
fi

# --- lunet run -----------------------------------------------------------------
run run_err "$LUNET" run $FIX/script_error.lua
if [ $rc -ne 0 ] && has run_err "script_error.lua:4:"
then pass "run: Lua error exits $rc and names file:line"
else fail "run: exit $rc" "$(show run_err)"; fi
run run_expect "$LUNET" run $FIX/script_expect.lua
if [ $rc -ne 0 ] && has run_expect "script_expect.lua:4: at t=[^:]+: now: expected 1500000000 to equal 0"
then pass "run: failed expect exits $rc with file:line and time"
else fail "run: failed expect, exit $rc" "$(show run_expect)"; fi
run run_ok "$LUNET" run $FIX/script_ok.lua
if [ $rc -eq 0 ] && has run_ok "^script ran$"; then pass "run: a good script exits 0"
else fail "run: good script, exit $rc" "$(show run_ok)"; fi

echo
if [ $fails -eq 0 ]; then echo "cli: all checks passed"; exit 0; fi
echo "cli: $fails check(s) failed"
exit 1
