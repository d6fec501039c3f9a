#!/bin/bash
# report_test.sh LUNET [SHOT.png] - the HTML report of scripts/handshake.lua
# (`lunet run --report DIR`) opened from its file:// URL in headless
# Chromium: no console messages or uncaught exceptions, nothing loaded
# besides the page and no http(s) references, one ladder arrow per TCP
# segment of the client's capture, pcap links that resolve, and a
# screenshot in SHOT.png (default: beside LUNET) to look at.
#
# Chromium is /usr/bin/chromium (Debian's package; CHROMIUM=PATH for
# another; .ci/run installs it).  Missing, the test says so and exits 77,
# which ctest reports as skipped.
#
# How the page's errors are seen: with --enable-logging=stderr --v=0 Chromium
# logs every console message and uncaught exception of a page as a line
# "[...:INFO:CONSOLE:LINE] "text", source: URL (LINE)" (console.log and
# console.error alike); --vmodule=file_url_loader_factory=1 adds
# "FileURLLoader::Start: URL" for every file:// load.  The report has no
# script and must load nothing, so any such line but the page's own is a
# failure.  A bad page of our own is opened first, to prove the detector
# still sees what it must (log formats change between Chromium versions).
#
# Registered with ctest by tests/extra.cmake as browser.report (exit 77: skipped).
set -u
LUNET=${1:?usage: report_test.sh PATH/TO/lunet [SHOT.png]}
case $LUNET in /*) ;; *) LUNET=$PWD/$LUNET ;; esac
SHOT=${2:-$(dirname "$LUNET")/report-handshake.png}
case $SHOT in /*) ;; *) SHOT=$PWD/$SHOT ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/../.." || exit 1              # the source tree: paths as users write them
unset LUNET_PCAP_DIR                   # captures go where --pcap says
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
INSTALL="apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core"
TMP=$(mktemp -d)                       # also every Chromium profile: removed at exit
trap 'rm -rf "$TMP"' EXIT

# --- Chromium ------------------------------------------------------------------
# Tests do not install software: CI's .ci/run installs Chromium first.
if [ ! -x "$CHROMIUM" ]; then
  echo "SKIP: no Chromium at $CHROMIUM (install it as root: $INSTALL)"
  exit 77
fi

fails=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; shift; for l in "$@"; do printf '%s\n' "$l" | sed 's/^/    /'; done; fails=$((fails + 1)); }
run() { local name=$1; shift; "$@" >"$TMP/$name.out" 2>&1; rc=$?; }
show() { local t; t=$(sed 's/^/  | /' "$1" | tail -n "${2:-20}"); echo "${t:-  (nothing)}"; }

# The file:// URL of an absolute path, as Chromium writes it in its log.
file_url() {
  local LC_ALL=C p=$1 out="" c i
  for ((i = 0; i < ${#p}; i++)); do
    c=${p:i:1}
    case $c in [A-Za-z0-9/._~-]) out+=$c ;; *) printf -v c '%%%02X' "'$c"; out+=$c ;; esac
  done
  echo "file://$out"
}

# browse NAME URL FLAGS...: URL in headless Chromium with a profile of its
# own; stdout (what --dump-dom prints) in $TMP/NAME.dom, the log in
# $TMP/NAME.log, the exit code in $rc.
browse() {
  local name=$1 url=$2; shift 2
  timeout -k 5 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update \
    --disable-sync --user-data-dir="$TMP/profile-$name" \
    --enable-logging=stderr --v=0 --vmodule=file_url_loader_factory=1 \
    "$@" "$url" >"$TMP/$name.dom" 2>"$TMP/$name.log"
  rc=$?
}
# problems NAME URL: what the page NAME did that a page without scripts or
# resources must not, one line each: "console: ..." for a console message or
# an uncaught exception, "load: URL" for a file it loaded besides itself.
problems() {
  sed -nE -e 's/^\[[^]]*:CONSOLE[:(][0-9]*\)?\] /console: /p' \
          -e 's/^\[[^]]*\] FileURLLoader::Start: (.*)$/load: \1/p' "$TMP/$1.log" |
    grep -vxF "load: $2"
}
# Chromium's log without the noise of a machine with no D-Bus.
show_log() { grep -v -e dbus -e 'unexpected operator' "$TMP/$1.log" | show /dev/stdin 15; }

# --- the detector sees a bad page's errors ---------------------------------------
mkdir "$TMP/bad"
cat >"$TMP/bad/index.html" <<'EOF'
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>bad</title></head><body>
<img src="missing.png" alt="">
<script>console.error("canary: console.error"); no_such_function();</script>
</body></html>
EOF
BAD=$(file_url "$TMP/bad/index.html")
browse bad "$BAD" --dump-dom
problems bad "$BAD" >"$TMP/bad.problems"
missing=()
grep -q '^console: "canary: console.error"' "$TMP/bad.problems" || missing+=("console.error")
grep -q '^console: "Uncaught ReferenceError: no_such_function' "$TMP/bad.problems" || missing+=("the uncaught exception")
grep -qxF "load: $(file_url "$TMP/bad/missing.png")" "$TMP/bad.problems" || missing+=("the load of missing.png")
if [ $rc -eq 0 ] && [ ${#missing[@]} -eq 0 ]; then
  pass "detector: a bad page's console.error, uncaught exception and missing image are seen"
else
  fail "detector: Chromium exit $rc; not seen on a bad page: ${missing[*]:-} (the page checks below could not fail)" \
       "problems found:" "$(show "$TMP/bad.problems")" "log:" "$(show_log bad)"
fi

# --- the report ------------------------------------------------------------------
OUT=$TMP/report
run lunet "$LUNET" run --report "$OUT" --pcap "$OUT" scripts/handshake.lua
if [ $rc -eq 0 ] && [ -s "$OUT/index.html" ]; then pass "lunet run --report: exit 0, index.html written"
else fail "lunet run --report: exit $rc, no $OUT/index.html" "$(show "$TMP/lunet.out")"; fi
PAGE=$(file_url "$OUT/index.html")

browse page "$PAGE" --dump-dom --screenshot="$TMP/shot.png" --window-size=1280,2000 --hide-scrollbars
if [ $rc -eq 0 ] && grep -q '</html>' "$TMP/page.dom"; then pass "chromium: rendered $PAGE"
else fail "chromium: exit $rc, $(wc -c <"$TMP/page.dom") bytes of DOM" "$(show_log page)"; fi

problems page "$PAGE" >"$TMP/page.problems"
if grep -q '^console: ' "$TMP/page.problems"; then
  fail "page: console messages or uncaught exceptions" "$(grep '^console: ' "$TMP/page.problems" | show /dev/stdin)"
else pass "page: no console messages, no uncaught exceptions"; fi
if grep -q '^load: ' "$TMP/page.problems"; then
  fail "page: loaded files besides itself (the page must be self-contained)" "$(grep '^load: ' "$TMP/page.problems" | show /dev/stdin)"
else pass "page: loaded nothing besides itself"; fi

# --- the rendered DOM ----------------------------------------------------------------
run facts "$LUNET" run tests/browser/dom.lua "$TMP/page.dom"
F=$TMP/facts.out
if [ $rc -ne 0 ]; then fail "dom.lua: exit $rc" "$(show "$F")"; fi
sed -nE 's/^ref [^ ]+ [^ ]+ //p; s/^cssurl //p' "$F" | grep -iE '^[[:space:]]*(https?:|//)' >"$TMP/external"
if [ -s "$TMP/external" ]; then fail "dom: references outside the page" "$(show "$TMP/external")"
else pass "dom: no http(s) src, href or CSS url()"; fi

ladders=$(sed -n 's/^ladders //p' "$F"); segs=$(sed -n 's/^segs //p' "$F")
kinds=$(sed -n 's/^seg-kinds //p' "$F")
tcp=$(tshark -r "$OUT/client-eth0.pcap" -Y tcp -T fields -e frame.number 2>"$TMP/tshark.err" | wc -l)
tshark_rc=${PIPESTATUS[0]}
if ! command -v tshark >/dev/null 2>&1; then
  fail "tshark: not found (make deps installs it)"
elif [ "$tshark_rc" -ne 0 ]; then
  fail "tshark -r client-eth0.pcap: exit $tshark_rc" "$(show "$TMP/tshark.err")"
elif [ "${ladders:-0}" -ge 1 ] && [ "${segs:-0}" -gt 0 ] && [ "$segs" -eq "$tcp" ]; then
  pass "ladder: $segs seg arrows ($kinds) = $tcp TCP segments in client-eth0.pcap"
else
  fail "ladder: ${ladders:-?} svg.lunet-ladder, ${segs:-?} seg arrows in the first ($kinds), $tcp TCP segments in client-eth0.pcap" \
       "$(tshark -r "$OUT/client-eth0.pcap" -Y tcp 2>/dev/null | show /dev/stdin)"
fi

pcaps=$(sed -nE 's/^ref a href (.*\.pcap)$/\1/p' "$F")
have=$(tr '\n' ' ' <<<"$pcaps")
bad_links=()
while IFS= read -r h; do
  [ -n "$h" ] || continue
  f=$(printf '%b' "${h//%/\\x}")          # %XX decoded
  case $f in /* | *:*) bad_links+=("$h: not relative to the page") ;;
             *) [ -s "$OUT/$f" ] || bad_links+=("$h: no such file beside the page") ;; esac
done <<<"$pcaps"
if grep -qx 'client-eth0.pcap' <<<"$pcaps" && grep -qx 'server-eth0.pcap' <<<"$pcaps" &&
   [ ${#bad_links[@]} -eq 0 ]; then
  pass "pcap links: ${have% } resolve beside the page"
else fail "pcap links: want client-eth0.pcap and server-eth0.pcap beside the page; have: ${have% }" "${bad_links[@]}"; fi

# --- the screenshot ----------------------------------------------------------------------
size=$(wc -c 2>/dev/null <"$TMP/shot.png" || echo 0)
sig=$(od -An -tx1 -N8 "$TMP/shot.png" 2>/dev/null | tr -d ' \n')
read -r w0 w1 w2 w3 h0 h1 h2 h3 < <(od -An -tu1 -j16 -N8 "$TMP/shot.png" 2>/dev/null | tr '\n' ' ')
dims="$(( (${w0:-0} << 24) | (${w1:-0} << 16) | (${w2:-0} << 8) | ${w3:-0} ))x$(( (${h0:-0} << 24) | (${h1:-0} << 16) | (${h2:-0} << 8) | ${h3:-0} ))"
if [ "$sig" = 89504e470d0a1a0a ] && [ "$size" -gt 20000 ] && [ "$dims" = 1280x2000 ]; then
  # into place in one rename, so a copy of this test running beside it
  # never leaves half a file
  mkdir -p "$(dirname "$SHOT")" && cp "$TMP/shot.png" "$SHOT.$$.tmp" && mv -f "$SHOT.$$.tmp" "$SHOT"
  if [ -s "$SHOT" ]; then pass "screenshot: $SHOT ($dims, $size bytes)"
  else fail "screenshot: could not write $SHOT"; fi
else
  fail "screenshot: want a 1280x2000 PNG over 20 kB; have signature '$sig', $dims, $size bytes" "$(show_log page)"
fi

echo
if [ $fails -eq 0 ]; then echo "browser: all checks passed"; exit 0; fi
echo "browser: $fails check(s) failed"
exit 1
