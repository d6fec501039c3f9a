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
ROOT=$PWD
FIX=tests/cli/fixtures
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
unset LUNET_PCAP_DIR                   # where captures go is checked below

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
has() { grep -aqE -- "$2" "$TMP/$1.out"; }
show() { sed 's/^/      | /' "$TMP/$1.out" | head -40 | tr -d '\000'; }

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

# --- a missing path is a usage error, not a failing test ---------------------------
# (changed on purpose: it used to be reported as a failing test, exit 1)
run missing "$LUNET" test $FIX/passing.lua $FIX/no_such_file.lua
if [ $rc -eq 2 ] && has missing "^lunet test: $FIX/no_such_file.lua: No such file or directory$" &&
   ! has missing "^ok " && ! has missing "passed"
then pass "missing path: exit 2, the path named, nothing run"
else fail "missing path: exit $rc" "$(show missing)"; fi

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
# (the exit code and the words are main.c's to choose: 1 and "interrupted!"
# before, 130 and "interrupted at t=..." now; tests/cli/faults_signals_test.sh
# checks them exactly)
if [ $rc -ne 0 ] && has sigint "interrupted" && has sigint "runaway_task.fixture:6"; then
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
# (changed on purpose: the Lua error of "errors <&>..." is an <error> now, not a <failure>)
if grep -q "<testsuite name=\"$FIX/failing.lua\" tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\"" "$J" &&
   grep -q "<testsuite name=\"$FIX/passing.lua\" tests=\"3\" failures=\"0\"" "$J" &&
   grep -q '<testcase classname="[^"]*" name="fails" time="[0-9.]*">' "$J" &&
   grep -q '<failure message="[^"]*failing.lua:4: at t=[^"]*expected 2 to equal 3"' "$J" &&
   grep -q '<skipped message="not today"/>' "$J" &&
   grep -q 'name="errors &lt;&amp;&gt;&quot;&apos;"' "$J" &&
   grep -q 'bad &lt;tag&gt; &amp; &quot;quote&quot;' "$J"
then pass "junit: suites, cases, failure, skipped, escaping"
else fail "junit: content" "$(sed 's/^/      | /' "$J" | head -30)"; fi

# JUnit read back by a real XML parser: <failure> for a failed expect,
# <error> for a Lua error, a timeout and a missing matcher, <skipped>, the
# tests' output in <system-out> (also what XML 1.0 forbids, made harmless),
# and durations in wall-clock time.
run junit2 "$LUNET" test --junit "$TMP/junit2.xml" $FIX/failing.lua $FIX/noisy.lua $FIX/no_matcher.lua $FIX/sleeper.lua
run junit3 "$LUNET" test --timeout 0.5s --junit "$TMP/junit3.xml" tests/cli/runaway/slow_tests.fixture
if ! python3 -c 'import xml.etree.ElementTree' 2>/dev/null; then
  echo "skip junit: no python3 with xml.etree here: the XML is not parsed"
elif python3 - "$J" "$TMP/junit2.xml" "$TMP/junit3.xml" "$FIX" >"$TMP/xml.err" 2>&1 <<'PY'
import sys, xml.etree.ElementTree as ET
j1, j2, j3, fix = sys.argv[1:5]
ET.parse(j1)                                  # well-formed
root = ET.parse(j2).getroot()
bad = []
def need(cond, what):
    if not cond: bad.append(what)
suites = {s.get("name"): s for s in root.iter("testsuite")}
def case(suite, name):
    s = suites.get(fix + "/" + suite)
    for c in (s.iter("testcase") if s is not None else []):
        if c.get("name") == name: return c
    bad.append("no testcase %s: %s" % (suite, name))
    return ET.Element("missing")
f = suites.get(fix + "/failing.lua")
need(f is not None and (f.get("failures"), f.get("errors"), f.get("skipped")) == ("1", "1", "1"),
     "failing.lua: failures=1 errors=1 skipped=1")
need((root.get("failures"), root.get("errors")) == ("2", "3"), "testsuites: failures=2 errors=3, got %s %s" % (root.get("failures"), root.get("errors")))
c = case("failing.lua", "fails")
need(c.find("failure") is not None and c.find("error") is None, "fails: a <failure>")
need(c.find("failure") is not None and c.find("failure").get("type") == "expect", "fails: type expect")
c = case("failing.lua", "errors <&>\"'")
need(c.find("error") is not None and c.find("failure") is None, "errors: an <error>")
need(c.find("error") is not None and 'bad <tag> & "quote"' in c.find("error").text, "errors: the message, unescaped")
need(case("failing.lua", "skipped").find("skipped") is not None, "skipped: <skipped>")
c = case("noisy.lua", "prints and fails")
out = c.find("system-out")
need(c.find("failure") is not None, "noisy: a <failure>")
need(out is not None and "first line from the failing test\nio.write 42 1.5\nio.stdout:write\nio.stderr:write\n" == out.text,
     "noisy: <system-out> holds what the failing test printed, got %r" % (out is not None and out.text))
out = case("noisy.lua", "prints and passes").find("system-out")
need(out is not None and "NOISE from a passing test" in out.text, "noisy: a passing test's <system-out>")
out = case("noisy.lua", "prints what XML 1.0 forbids").find("system-out")
need(out is not None and "<&>\"' ]]>" in out.text and "fine: \u00e9 \u2713" in out.text and "red" in out.text and "\x1b" not in out.text,
     "noisy: forbidden characters replaced, the rest kept: %r" % (out is not None and out.text))
s = suites.get(fix + "/noisy.lua")
need(s is not None and s.find("system-out") is not None and "loading noisy.lua" in s.find("system-out").text,
     "noisy: what loading the file printed, in the suite's <system-out>")
c = case("no_matcher.lua", "no matcher")
need(c.find("error") is not None and "has no matcher" in c.find("error").get("message"), "no_matcher: an <error>")
c = case("sleeper.lua", "sleeps")
need(float(c.get("time")) >= 0.3, "sleeper: time=%s, want >= 0.3 (wall clock)" % c.get("time"))
slow = [c for c in ET.parse(j3).getroot().iter("testcase") if c.get("name") == "slow"]
need(slow and slow[0].find("error") is not None and slow[0].find("error").get("type") == "timeout"
     and "timeout" in slow[0].find("error").get("message"), "timeout: an <error type=timeout>")
for b in bad: print(b)
sys.exit(1 if bad else 0)
PY
then pass "junit: parsed; failure vs error (timeout, no matcher), skipped, system-out, wall time"
else fail "junit: parsed content" "$(cat "$TMP/xml.err")" "$(sed 's/^/      | /' "$TMP/junit2.xml" | head -60)"; fi

# --- quiet by default: what a test prints shows only when it fails ------------------
run quiet "$LUNET" test $FIX/noisy.lua
if [ $rc -eq 1 ] && ! has quiet "NOISE" && ! has quiet "loading noisy.lua" &&
   [ "$(last_line quiet)" = "3 passed, 1 failed" ]
then pass "quiet: a passing test's output and the file's are not shown"
else fail "quiet: exit $rc" "$(show quiet)"; fi
# the FAIL line, the message, then the output indented, in that order
if [ "$(grep -a -A 6 "^FAIL $FIX/noisy.lua: prints and fails$" "$TMP/quiet.out" | sed 's/ ([0-9.]*s)$//')" = "FAIL $FIX/noisy.lua: prints and fails
    $FIX/noisy.lua:12: at t=0s: sum: expected 2 to equal 3
    | first line from the failing test
    | io.write 42 1.5
    | io.stdout:write
    | io.stderr:write
ok   $FIX/noisy.lua: prints what XML 1.0 forbids" ]
then pass "quiet: a failing test's output follows its FAIL line and message, indented"
else fail "quiet: the failing test's block" "$(show quiet)"; fi
if ! grep -vE '^(ok   |FAIL |skip |    |[0-9]+ passed, )' "$TMP/quiet.out" | grep -q .; then
  pass "quiet: every line is a result, an indented detail or the summary"
else fail "quiet: stray lines" "$(show quiet)"; fi
run verbose "$LUNET" test -v $FIX/noisy.lua
noise_at=$(grep -an '^NOISE from a passing test$' "$TMP/verbose.out" | cut -d: -f1)
ok_at=$(grep -an "^ok   $FIX/noisy.lua: prints and passes" "$TMP/verbose.out" | cut -d: -f1)
if [ $rc -eq 1 ] && has verbose "^loading noisy.lua$" && has verbose "^first line from the failing test$" &&
   [ -n "$noise_at" ] && [ -n "$ok_at" ] && [ "$noise_at" -lt "$ok_at" ]
then pass "-v: every test's output, as it comes (before its result line)"
else fail "-v: output" "$(show verbose)"; fi

# --- durations are wall-clock time ------------------------------------------------
run sleeper "$LUNET" test $FIX/sleeper.lua
secs=$(sed -n "s|^ok   $FIX/sleeper.lua: sleeps (\([0-9.]*\)s)$|\1|p" "$TMP/sleeper.out")
if [ $rc -eq 0 ] && [ -n "$secs" ] && awk -v s="$secs" 'BEGIN { exit !(s >= 0.3 && s < 10) }'
then pass "duration: a test sleeping 0.3 s of wall time shows ${secs}s"
else fail "duration: exit $rc, '${secs}'s (want >= 0.3)" "$(show sleeper)"; fi

# --- expect() without a matcher fails --------------------------------------------
run nomatch "$LUNET" test $FIX/no_matcher.lua
if [ $rc -eq 1 ] && has nomatch "^FAIL $FIX/no_matcher.lua: no matcher$" &&
   has nomatch "^    expect\(\.\.\.\) at $FIX/no_matcher.lua:3 has no matcher \(use :eq, :truthy, \.\.\.\)$" &&
   has nomatch "^    expect\(\.\.\.\) at $FIX/no_matcher.lua:5 has no matcher .*; also at $FIX/no_matcher.lua:6$" &&
   has nomatch "^ok   $FIX/no_matcher.lua: matchers on later lines" &&
   [ "$(last_line nomatch)" = "1 passed, 2 failed" ]
then pass "no matcher: the test fails naming the line(s); matchers on later lines are fine"
else fail "no matcher: exit $rc" "$(show nomatch)"; fi
run nomatch_script "$LUNET" test $FIX/script_no_matcher.lua
if [ $rc -eq 1 ] && has nomatch_script "^    expect\(\.\.\.\) at $FIX/script_no_matcher.lua:4 has no matcher"
then pass "no matcher: in a script without test() too"
else fail "no matcher in a script: exit $rc" "$(show nomatch_script)"; fi
run nomatch_run "$LUNET" run $FIX/no_matcher.lua
if [ $rc -eq 1 ] && has nomatch_run "expect\(\.\.\.\) at $FIX/no_matcher.lua:3 has no matcher"
then pass "no matcher: test() under lunet run raises too"
else fail "no matcher under lunet run: exit $rc" "$(show nomatch_run)"; fi

# --- any working directory, nothing left in it ------------------------------------
# From an empty directory: the demonstrations pass, print one line each,
# and leave the directory empty (their captures went to a temporary
# directory, under $TMPDIR, removed at the end).
EMPTY=$TMP/empty; TMPD=$TMP/tmpdir
mkdir -p "$EMPTY" "$TMPD"
(cd "$EMPTY" && TMPDIR=$TMPD "$LUNET" test "$ROOT/scripts") >"$TMP/elsewhere.out" 2>&1
rc=$?
n_scripts=$(ls "$ROOT"/scripts/*.lua | wc -l)
if [ $rc -eq 0 ] && [ "$(wc -l <"$TMP/elsewhere.out")" -eq $((n_scripts + 1)) ] &&
   [ "$(last_line elsewhere)" = "$n_scripts passed, 0 failed" ]
then pass "scripts/ from another directory: $n_scripts passed, one line each"
else fail "scripts/ from another directory: exit $rc" "$(show elsewhere)"; fi
if [ -z "$(ls -A "$EMPTY")" ] && [ -z "$(ls -A "$TMPD")" ]; then
  pass "nothing left in the current directory, the temporary one removed"
else fail "files left behind" "$(cd "$TMP" && find empty tmpdir | head -20)"; fi
# scenario tests find their files from their own place, by any path
rel=$(realpath --relative-to="$EMPTY" "$ROOT/tests/scenarios/topologies.lua" 2>/dev/null)
(cd "$EMPTY" && "$LUNET" test "$ROOT/tests/scenarios/topologies.lua" ${rel:+"$rel"} "$ROOT/tests/scenarios/golden.lua") >"$TMP/scen.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && [ -z "$(ls -A "$EMPTY")" ]; then
  pass "scenarios from another directory (absolute${rel:+ and relative} paths)"
else fail "scenarios from another directory: exit $rc" "$(show scen)"; fi

# --- where captures go -----------------------------------------------------------
(cd "$EMPTY" && TMPDIR=$TMPD "$LUNET" test -v "$ROOT/$FIX/captures.lua") >"$TMP/cap.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && has cap "^pcap_dir=$TMPD/lunet-test\.[^/]+$" && [ -z "$(ls -A "$EMPTY")" ] && [ -z "$(ls -A "$TMPD")" ]
then pass "captures: in a temporary directory while the tests run, gone after"
else fail "captures (default): exit $rc" "$(show cap)" "$(cd "$TMP" && find empty tmpdir | head)"; fi
(cd "$EMPTY" && "$LUNET" test --pcap "$TMP/pc" "$ROOT/$FIX/captures.lua") >"$TMP/cap_pcap.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && [ -s "$TMP/pc/${ROOT#/}/$FIX/captures/captures/one.pcap" ] &&
   [ -s "$TMP/pc/${ROOT#/}/$FIX/captures/captures/sub/a-eth0.pcap" ] && [ -z "$(ls -A "$EMPTY")" ]
then pass "captures: --pcap DIR keeps them in DIR/<file path>/<test>/"
else fail "captures (--pcap): exit $rc" "$(show cap_pcap)" "$(find "$TMP/pc" | head)"; fi
(cd "$EMPTY" && LUNET_PCAP_DIR=$TMP/envpc "$LUNET" test "$ROOT/$FIX/captures.lua") >"$TMP/cap_env.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && [ -s "$TMP/envpc/one.pcap" ] && [ -s "$TMP/envpc/sub/a-eth0.pcap" ] && [ -z "$(ls -A "$EMPTY")" ]
then pass "captures: \$LUNET_PCAP_DIR keeps them there"
else fail "captures (\$LUNET_PCAP_DIR): exit $rc" "$(show cap_env)" "$(find "$TMP/envpc" | head)"; fi

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
