# lunet - the two commands:
#   make run    install missing build deps (apt), build lunet, run the default demo
#   make test   install missing build deps, build everything, run every test through ctest
# Other targets: build, lunet, deps, bench, bench-deps, bench-scale, install, uninstall,
# sanitize, fuzz, gallery, clean.

BUILD    ?= build
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
DEMO     ?= scripts/handshake.lua
PCAP_DIR ?= $(BUILD)/pcap
REPORT_DIR ?= $(BUILD)/report
PREFIX   ?= /usr/local
# DESTDIR (staged installs) is read from the command line or the environment.
BENCHES  := bench_engine bench_tcp bench_partition

# Debian packages and a file each one provides, to tell whether it is there.
# Open MPI (lunet run --ranks) and METIS (its partitioner) are optional for
# the build, but make installs them so that the split-run tests run; ping,
# iproute2 (ip, ss, nstat), python3 (the Linux peer), ethtool and curl are
# for the bridge's interop tests (tests/interop/).
MULTIARCH := $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
DEPS := cmake:/usr/bin/cmake \
        pkg-config:/usr/bin/pkg-config \
        gcc:/usr/bin/gcc \
        liblua5.4-dev:/usr/include/lua5.4/lua.h \
        libev-dev:/usr/include/ev.h \
        libpcap-dev:/usr/include/pcap/pcap.h \
        libedit-dev:/usr/include/editline/readline.h \
        libopenmpi-dev:/usr/lib/$(MULTIARCH)/openmpi/include/mpi.h \
        openmpi-bin:/usr/bin/mpirun \
        libmetis-dev:/usr/include/metis.h \
        tshark:/usr/bin/tshark \
        iputils-ping:/usr/bin/ping \
        iproute2:/usr/bin/nstat \
        python3:/usr/bin/python3 \
        ethtool:/usr/sbin/ethtool \
        curl:/usr/bin/curl

.PHONY: all run test build lunet deps bench bench-deps bench-scale install uninstall sanitize fuzz gallery clean wireshark-profile

all: build

deps:
	@missing=""; \
	for d in $(DEPS); do \
	  pkg=$${d%%:*}; file=$${d#*:}; \
	  [ -e "$$file" ] || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "lunet: installing$$missing"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true; \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends$$missing || exit 1; \
	  else \
	    echo "lunet: missing build dependencies:$$missing"; \
	    echo "run:   sudo apt-get install$$missing"; \
	    exit 1; \
	  fi; \
	fi

# What make bench needs beyond the build, and only it (make test and CI do
# not): ns-3 3.37 (Debian 12's libns3-dev) and a C++ compiler for
# tests/bench/bench_ns3.sh, GNU time for peak RSS.  Without root it only
# says what is missing: bench_ns3.sh then reports itself skipped.
BENCH_DEPS := libns3-dev:/usr/include/ns3/core-module.h \
              g++:/usr/bin/g++ \
              time:/usr/bin/time

bench-deps:
	@missing=""; \
	for d in $(BENCH_DEPS); do \
	  pkg=$${d%%:*}; file=$${d#*:}; \
	  [ -e "$$file" ] || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "lunet: installing for the benchmarks$$missing"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends$$missing || exit 1; \
	  else \
	    echo "lunet: the ns-3 comparison needs:$$missing (sudo apt-get install$$missing)"; \
	  fi; \
	fi

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

# Everything: lunet, the Lua module, the unit tests and the benchmarks.
build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

# The binary alone: what run and gallery need, without the two dozen test
# programs and the second copy of the engine in lunet.so.
lunet: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS) --target lunet

run: lunet
	@mkdir -p $(PCAP_DIR)
	$(BUILD)/lunet run --pcap $(PCAP_DIR) --report $(REPORT_DIR) $(DEMO)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

bench: deps bench-deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS) --target $(BENCHES)
	for b in $(BENCHES); do $(BUILD)/$$b || exit 1; done
	cmake --build $(BUILD) -j$(JOBS) --target lunet
	bash tests/bench/bench_lua_w1.sh $(BUILD)/lunet $(BUILD)/bench_tcp
	bash tests/bench/bench_ranks.sh $(BUILD)/lunet
	bash tests/bench/bench_bridge.sh $(BUILD)/lunet
	bash tests/bench/ack_pattern.sh $(BUILD)/lunet
	bash tests/bench/bench_ns3.sh $(BUILD)/bench_tcp

# Issue 15's scale figures, apart from bench because they take a minute or
# two and the largest case 2.4 GB: 1,000 to 100,000 hosts behind routers,
# 10,000 to 1,000,000 concurrent connections.  Other sizes:
# $(BUILD)/bench_scale topology 5000, $(BUILD)/bench_scale connections 200000.
bench-scale: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS) --target bench_scale
	$(BUILD)/bench_scale

# Installs what `cmake --install` lists in $(BUILD)/install_manifest.txt:
# the binary, lunet.so for a stock lua5.4, the man pages, the completions,
# the examples.  Build as yourself first (make lunet), then sudo make install.
install: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS) --target lunet lunet_module
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

# Exactly what the last install put there, under its DESTDIR unless
# another is given.
uninstall:
	DESTDIR="$(DESTDIR)" cmake -DLUNET_BUILD_DIR=$(BUILD) -P cmake/uninstall.cmake

# lunet's Wireshark profile (colouring for retransmissions, zero windows,
# RSTs and SYN floods; absolute sequence numbers; checksums validated)
# into your Wireshark configuration: pick it under Edit > Configuration
# Profiles, or `wireshark -C lunet`, `tshark -C lunet`.
WIRESHARK_PROFILES ?= $(or $(XDG_CONFIG_HOME),$(HOME)/.config)/wireshark/profiles
wireshark-profile:
	mkdir -p "$(WIRESHARK_PROFILES)/lunet"
	cp share/wireshark/lunet/colorfilters share/wireshark/lunet/preferences "$(WIRESHARK_PROFILES)/lunet/"
	@echo "installed: $(WIRESHARK_PROFILES)/lunet (wireshark -C lunet)"

sanitize: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLUNET_SANITIZE=ON -DLUNET_WERROR=ON
	cmake --build build-asan -j$(JOBS)
	cd build-asan && ctest --output-on-failure -j$(JOBS)

# libFuzzer: clang builds tests/fuzz/fuzz_*.c in $(FUZZ_BUILD) (the engine
# instrumented, with ASan and UBSan), then runs each target for
# FUZZ_SECONDS on a scratch copy of its corpus (tests/fuzz/corpus/<target>,
# plus tests/fuzz/regress/<target>, which libFuzzer only reads), and prints
# its last status line: runs, coverage, corpus size.  Fails if any target
# crashes, leaks or hangs; what it found is in $(FUZZ_BUILD)/crashes/<target>/
# (move it to tests/fuzz/regress/<target>/ once fixed: ctest replays it).
# Installs clang and libFuzzer (apt) when root and they are missing.
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(filter-out fuzz_replay,$(basename $(notdir $(wildcard tests/fuzz/fuzz_*.c))))
FUZZ_PROBE   := echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' | \
                clang -fsanitize=fuzzer -x c - -o /dev/null >/dev/null 2>&1

fuzz: deps
	@if ! { $(FUZZ_PROBE); }; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "lunet: installing clang and libFuzzer"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends clang || exit 1; \
	    $(FUZZ_PROBE) || apt-get install -y -qq --no-install-recommends libclang-rt-dev || exit 1; \
	  else \
	    echo "lunet: make fuzz needs clang with libFuzzer"; \
	    echo "run:   sudo apt-get install clang libclang-rt-dev"; \
	    exit 1; \
	  fi; \
	fi
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLUNET_FUZZ=ON
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target $(FUZZ_TARGETS)
	@fail=""; \
	for t in $(FUZZ_TARGETS); do \
	  corpus=$(FUZZ_BUILD)/corpus/$$t; crashes=$(FUZZ_BUILD)/crashes/$$t; log=$(FUZZ_BUILD)/logs/$$t.log; \
	  rm -rf $$corpus; mkdir -p $$corpus $$crashes $(FUZZ_BUILD)/logs; \
	  [ -d tests/fuzz/corpus/$$t ] && cp tests/fuzz/corpus/$$t/* $$corpus/; \
	  extra=""; [ -d tests/fuzz/regress/$$t ] && extra=tests/fuzz/regress/$$t; \
	  if $(FUZZ_BUILD)/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=25 -print_final_stats=1 \
	       -artifact_prefix=$$crashes/ $$corpus $$extra >$$log 2>&1; then \
	    printf '%-14s %s\n' "$$t" "$$(grep -a 'DONE' $$log | tail -1 | tr -s ' \t' ' ')"; \
	  else \
	    echo "$$t: FAILED (log: $$log)"; tail -40 $$log; ls -l $$crashes; fail="$$fail $$t"; \
	  fi; \
	done; \
	if [ -n "$$fail" ]; then echo "fuzz: failed:$$fail"; exit 1; fi

# The README's pictures (docs/gallery) and the golden pictures of the
# tests (tests/golden), drawn again: review the diff before committing.
gallery: lunet
	LUNET_UPDATE_GOLDEN=1 $(BUILD)/lunet test tests/scenarios/golden.lua

clean:
	rm -rf $(BUILD) build-asan $(FUZZ_BUILD)
