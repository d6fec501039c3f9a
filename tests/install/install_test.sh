#!/usr/bin/env bash
# install_test.sh BUILD: `cmake --install` into a temporary DESTDIR with
# PREFIX=/usr/local, then what was installed is used as a user would: the
# binary runs an installed example, a stock lua5.4 finds the module along
# its default paths (moved into DESTDIR), man renders both pages, bash and
# zsh load the completions; then uninstall.cmake must leave the tree as it
# found it.  Builds nothing: BUILD must hold lunet and lunet.so already.
#
# Exit 0 when everything held, 1 when something did not, 77 (skipped, for
# ctest) without lua5.4 or man.
set -u

skip() { echo "SKIP: $*"; exit 77; }
command -v lua5.4 >/dev/null 2>&1 || skip "no lua5.4 (Debian: apt-get install lua5.4)"
command -v man >/dev/null 2>&1 || skip "no man (Debian: apt-get install man-db)"

build=${1:?usage: install_test.sh BUILD_DIR}
build=$(cd "$build" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
prefix=/usr/local
[ -x "$build/lunet" ] && [ -f "$build/lunet.so" ] ||
  { echo "FAIL: $build has no lunet or lunet.so: build them first"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lunet-install.XXXXXX")
dest=$tmp/dest
root=$dest$prefix
# cmake --install writes BUILD/install_manifest.txt (and install_dirs.cmake
# BUILD/install_dirs.txt and install_destdir.txt): keep the ones of a real
# install, which `make uninstall` needs, and put them back at the end.
saved=$tmp/saved
mkdir -p "$saved"
for f in install_manifest.txt install_dirs.txt install_destdir.txt; do
  [ -e "$build/$f" ] && cp -p "$build/$f" "$saved/$f"
done
finish() {
  for f in install_manifest.txt install_dirs.txt install_destdir.txt; do
    if [ -e "$saved/$f" ]; then cp -p "$saved/$f" "$build/$f"; else rm -f "$build/$f"; fi
  done
  rm -rf "$tmp"
}
trap finish EXIT

failed=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failed=1; }
# check NAME CMD...: ok when CMD succeeds, else its output after FAIL
check() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then ok "$name"; else fail "$name"; printf '%s\n' "$out" | sed 's/^/    /'; fi
}

# Debian ships an empty /usr/local/share/man: uninstall must leave it, and
# anything else that was there before.
mkdir -p "$root/share/man" "$root/bin"
echo keep >"$root/bin/other"

if ! DESTDIR=$dest cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1; then
  fail "cmake --install"
  sed 's/^/    /' "$tmp/install.log"
  exit 1
fi
if ! [ -x "$root/bin/lunet" ]; then
  fail "cmake --install put no bin/lunet in place (was $build configured before the install rules? run cmake on it again)"
  exit 1
fi
ok "cmake --install --prefix $prefix, DESTDIR=\$TMP"
echo "installed:"
sort "$build/install_manifest.txt" | sed 's/^/    /'

# --- the binary -----------------------------------------------------------
out=$("$root/bin/lunet" version 2>&1)
case $out in
  "lunet "*) ok "lunet version: ${out%%$'\n'*}" ;;
  *) fail "lunet version"; printf '%s\n' "$out" | sed 's/^/    /' ;;
esac
# An installed example, from elsewhere: it finds its topology in
# ../topologies, beside it under share/lunet.
mkdir -p "$tmp/work"
check "lunet run share/lunet/scripts/ping.lua (its topology found beside it)" \
  bash -c 'cd "$1" && "$2/bin/lunet" run "$2/share/lunet/scripts/ping.lua" >run.log 2>&1 ||
           { cat run.log; exit 1; }' _ "$tmp/work" "$root"

# --- require "lunet" from a stock lua5.4 ----------------------------------
# The default paths with every /usr/local entry moved under DESTDIR and
# the others dropped, so that only the installed tree can answer.
moved() {
  env -u LUA_PATH -u LUA_PATH_5_4 -u LUA_CPATH -u LUA_CPATH_5_4 -u LUA_INIT -u LUA_INIT_5_4 \
    lua5.4 -e "print(package.$1)" | tr ';' '\n' | grep "^$prefix/" | sed "s|^|$dest|" |
    paste -sd';'
}
cpath=$(moved cpath)
lpath=$(moved path)
if [ -z "$cpath" ]; then
  fail "lua5.4's package.cpath has no $prefix entry: $(lua5.4 -e 'print(package.cpath)')"
else
  # A sanitizer build's lunet.so (make sanitize) needs the ASan runtime
  # loaded first, which a stock lua5.4 does not do.
  preload=$(ldd "$root/lib/lua/5.4/lunet.so" 2>/dev/null |
            awk '/lib(a|ub)san\.so/ && $3 ~ /^\// {print $3}' | paste -sd' ')
  [ -n "$preload" ] && echo "     (lua5.4 with LD_PRELOAD=$preload: lunet.so is a sanitizer build)"
  lua() {
    env -u LUA_PATH_5_4 -u LUA_CPATH_5_4 -u LUA_INIT -u LUA_INIT_5_4 \
      ${preload:+LD_PRELOAD="$preload"} LUA_CPATH="$cpath" LUA_PATH="$lpath" lua5.4 "$@"
  }
  out=$(cd "$tmp/work" && lua -e '
    local lunet = require "lunet"
    print(lunet.version)
    print(package.searchpath("lunet", package.cpath))
    print(package.searchpath("lunet.ladder", package.path))' 2>&1)
  if [ $? -eq 0 ] && [ "$(sed -n 2p <<<"$out")" = "$root/lib/lua/5.4/lunet.so" ]; then
    ok "lua5.4: require \"lunet\" (version $(sed -n 1p <<<"$out")) from \$DESTDIR$prefix/lib/lua/5.4"
  else
    fail "lua5.4: require \"lunet\" with LUA_CPATH=$cpath"
    printf '%s\n' "$out" | sed 's/^/    /'
  fi
  if [ "$(sed -n 3p <<<"$out")" = "$root/share/lua/5.4/lunet/ladder.lua" ]; then
    ok "lua5.4: the .lua modules are on the default package.path"
  else
    fail "lua5.4: lunet.ladder not at \$DESTDIR$prefix/share/lua/5.4/lunet/ladder.lua: $(sed -n 3p <<<"$out")"
  fi
  # A network, a ping, from the stock interpreter.
  out=$(cd "$tmp/work" && lua -e '
    local lunet = require "lunet"
    local net = lunet.net{seed = 1}
    local h1, h2 = net:host("h1"), net:host("h2")
    net:link(h1, h2, {delay = "5ms", ip = {"10.0.0.1/24", "10.0.0.2/24"}})
    local got
    h1:spawn(function() got = h1:ping("10.0.0.2", {count = 2, quiet = true}).received end)
    net:run()
    assert(got == 2, "replies: " .. tostring(got))' 2>&1)
  if [ $? -eq 0 ]; then ok "lua5.4: two hosts and a ping"; else fail "lua5.4: a ping"; printf '%s\n' "$out" | sed 's/^/    /'; fi
fi

# --- the Wireshark profile -------------------------------------------------
for f in colorfilters preferences; do
  if [ -s "$root/share/lunet/wireshark/lunet/$f" ]; then ok "wireshark profile: $f"
  else fail "wireshark profile: $f not installed"; fi
done

# --- man pages ------------------------------------------------------------
for page in man1/lunet.1 man7/lunet-lua.7; do
  f=$root/share/man/$page
  if ! [ -f "$f" ]; then fail "$page not installed"; continue; fi
  if MANWIDTH=80 MANPAGER=cat PAGER=cat man -l "$f" >"$tmp/man.out" 2>"$tmp/man.err" &&
     ! [ -s "$tmp/man.err" ] && grep -q NAME "$tmp/man.out"; then
    ok "man -l $page ($(wc -l <"$tmp/man.out") lines)"
  else
    fail "man -l $page"
    sed 's/^/    /' "$tmp/man.err"
  fi
  if command -v groff >/dev/null 2>&1; then
    warn=$(groff -man -Tutf8 -ww -z "$f" 2>&1)
    if [ -z "$warn" ]; then ok "groff -ww $page: no warnings"; else fail "groff -ww $page"; printf '%s\n' "$warn" | sed 's/^/    /'; fi
  fi
done

# --- bash completion ------------------------------------------------------
comp=$root/share/bash-completion/completions/lunet
mkdir -p "$tmp/work/sub"
touch "$tmp/work/a.lua" "$tmp/work/b.txt"
# ask WORDS...: what the completion offers for the last word, sorted.
out=$(cd "$tmp/work" && bash --norc --noprofile -c '
  source "$1" || exit 1
  complete -p lunet
  ask() {
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _lunet
    printf "%s\n" "${COMPREPLY[@]}" | sort | paste -sd" "
  }
  ask lunet r
  ask lunet run --col
  ask lunet run --color = ""
  ask lunet run ""
  ask lunet test tests/x.lua --ta' _ "$comp" 2>&1)
expect_line() {
  local n=$1 want=$2 what=$3 got
  got=$(sed -n "${n}p" <<<"$out")
  if [ "$got" = "$want" ]; then ok "bash: $what -> $want"; else fail "bash: $what -> '$got', want '$want'"; fi
}
expect_line 1 "complete -F _lunet lunet" "source; complete -p lunet"
expect_line 2 "repl run" "lunet r<Tab>"
expect_line 3 "--color=" "lunet run --col<Tab>"
expect_line 4 "always auto never" "lunet run --color=<Tab>"
expect_line 5 "a.lua sub" "lunet run <Tab> (*.lua and directories)"
expect_line 6 "--tap" "lunet test tests/x.lua --ta<Tab>"

# --- zsh completion -------------------------------------------------------
zcomp=$root/share/zsh/site-functions/_lunet
if command -v zsh >/dev/null 2>&1; then
  check "zsh -n _lunet" zsh -n "$zcomp"
  # compinit finds it in the installed site-functions by its #compdef line
  # (its dump goes to a file of ours: compinit rewrote a /dev/null given to -d)
  out=$(env -i HOME="$tmp" PATH="$PATH" zsh -f -c '
    fpath=("$1" $fpath); autoload -Uz compinit; compinit -u -d "$2"
    print -r -- $_comps[lunet]' _ "${zcomp%/*}" "$tmp/zcompdump" 2>&1)
  if [ "$out" = "_lunet" ]; then ok "zsh: compinit binds lunet to _lunet"; else fail "zsh: compinit: '$out'"; fi
else
  echo "skip zsh: zsh is not installed, _lunet not checked"
fi

# --- uninstall ------------------------------------------------------------
# (DESTDIR from install_destdir.txt: a DESTDIR in the environment would win)
if env -u DESTDIR cmake -DLUNET_BUILD_DIR="$build" -P "$src/cmake/uninstall.cmake" >"$tmp/uninstall.log" 2>&1; then
  left=$(cd "$dest" && find . -mindepth 1 | sort | paste -sd' ')
  want="./usr ./usr/local ./usr/local/bin ./usr/local/bin/other ./usr/local/share ./usr/local/share/man"
  if [ "$left" = "$want" ]; then
    ok "uninstall: removed what install added, kept what was there"
  else
    fail "uninstall: left $left"
    echo "    want $want"
  fi
else
  fail "uninstall.cmake"
  sed 's/^/    /' "$tmp/uninstall.log"
fi

exit $failed
