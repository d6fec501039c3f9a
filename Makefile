# lunet - the two commands:
#   make run    install missing build deps (apt), build, run the default demo
#   make test   install missing build deps, build, run every test through ctest
# Other targets: build, deps, bench, sanitize, gallery, clean.

BUILD    ?= build
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
DEMO     ?= scripts/handshake.lua
PCAP_DIR ?= $(BUILD)/pcap
REPORT_DIR ?= $(BUILD)/report

# Debian packages and a file each one provides, to tell whether it is there.
DEPS := cmake:/usr/bin/cmake \
        pkg-config:/usr/bin/pkg-config \
        gcc:/usr/bin/gcc \
        liblua5.4-dev:/usr/include/lua5.4/lua.h \
        libev-dev:/usr/include/ev.h \
        libpcap-dev:/usr/include/pcap/pcap.h \
        libedit-dev:/usr/include/editline/readline.h \
        tshark:/usr/bin/tshark

.PHONY: all run test build deps bench sanitize gallery clean

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

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

run: build
	@mkdir -p $(PCAP_DIR)
	$(BUILD)/lunet run --pcap $(PCAP_DIR) --report $(REPORT_DIR) $(DEMO)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

bench: build
	$(BUILD)/bench_engine
	$(BUILD)/bench_tcp

sanitize: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLUNET_SANITIZE=ON -DLUNET_WERROR=ON
	cmake --build build-asan -j$(JOBS)
	cd build-asan && ctest --output-on-failure -j$(JOBS)

# The README's pictures (docs/gallery) and the golden pictures of the
# tests (tests/golden), drawn again: review the diff before committing.
gallery: build
	LUNET_UPDATE_GOLDEN=1 $(BUILD)/lunet test tests/scenarios/golden.lua

clean:
	rm -rf $(BUILD) build-asan
