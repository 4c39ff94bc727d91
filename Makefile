# aisec-rt build: BPF objects -> one linked object -> skeleton -> agent binary.
# Quiet unless V=1. See README.md for the two commands most people need.

OUTPUT ?= build
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/' -e 's/s390x/s390/')
VMLINUX_DIR := bpf/vmlinux/$(ARCH)
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
PREFIX ?= /usr/local
VERSION := 0.1.0
GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

# Sanitizer build: make test-asan uses OUTPUT=build-asan SAN=1.
ifeq ($(SAN),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
SAN_FLAGS :=
endif

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
	-Iinclude -Iagent -I$(OUTPUT) $(SAN_FLAGS) \
	-DAISEC_VERSION='"$(VERSION)"' -DAISEC_GIT_REV='"$(GIT_REV)"' -DAISEC_RULES_DIR='"$(PREFIX)/share/aisec-rt/rules"'
LDFLAGS += $(SAN_FLAGS)
LDLIBS := -lbpf -lelf -lz -lcjson -lxxhash -lcap -lrdkafka -lmicrohttpd -lcurl
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-I$(VMLINUX_DIR) -Ibpf/lib -Iinclude

BPF_SRCS := $(sort $(wildcard bpf/*.bpf.c))
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
AGENT_SRCS := $(sort $(filter-out agent/main.c,$(wildcard agent/*.c)))
AGENT_OBJS := $(patsubst agent/%.c,$(OUTPUT)/agent/%.o,$(AGENT_SRCS))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
ITEST_SRCS := $(sort $(wildcard tests/integration/test_*.c tests/bpf/test_*.c))
ITEST_BINS := $(patsubst tests/%.c,$(OUTPUT)/tests/%,$(ITEST_SRCS))
TEST_HELPER_SRCS := $(sort $(wildcard tests/lib/*.c))
TEST_HELPER_OBJS := $(patsubst tests/lib/%.c,$(OUTPUT)/tests/lib/%.o,$(TEST_HELPER_SRCS))
# libFuzzer targets: the agent modules (all but the skeleton loader) in one
# archive, so each target links only what it uses.
FUZZ_SECONDS ?= 30
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(OUTPUT)/fuzz/%,$(FUZZ_SRCS))
FUZZ_OBJS := $(patsubst agent/%.c,$(OUTPUT)/fuzz/agent/%.o,$(filter-out agent/loader.c,$(AGENT_SRCS)))
FUZZ_CFLAGS := -g -O1 -std=gnu11 -Wall -D_GNU_SOURCE -Iinclude -Iagent -fno-sanitize-recover=all \
	-DAISEC_VERSION='"$(VERSION)"' -DAISEC_GIT_REV='"$(GIT_REV)"' -DAISEC_RULES_DIR='"$(PREFIX)/share/aisec-rt/rules"'

DEB_PACKAGES := make clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libcjson-dev libxxhash-dev \
	librdkafka-dev libcap-dev libcmocka-dev pkg-config gcc libc6-dev iproute2 \
	libclang-rt-14-dev python3 procps curl postgresql-15 mariadb-server mariadb-client python3-psycopg2 python3-flask openssl \
	libicu72 kcat libmicrohttpd-dev python3-yaml libcurl4-openssl-dev libcap2-bin

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY: $(TEST_HELPER_OBJS)
.PHONY: all deps vmlinux tests-build check test bench bench-deps bench-syscall bench-ringbuf bench-sql bench-e2e bench-fmt test-unit test-integration test-asan fuzz demo install clean format

all: $(OUTPUT)/aisec-rt

# Every Debian package the build, the tests and the demo need; quiet when present.
# Then the npm tools the tests run (tests/tools: the SARIF Multitool, a .NET
# binary that needs libicu72), exactly as pinned by its package-lock.json;
# reinstalled only when the lock file changed.
# npm comes from Debian only when there is none (NodeSource's nodejs ships its own).
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@command -v npm >/dev/null || { echo "installing: nodejs npm"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; }
	@if ! cmp -s tests/tools/package-lock.json tests/tools/node_modules/.aisec-lock; then \
		echo "installing: tests/tools (npm ci)"; \
		cd tests/tools && npm ci --no-audit --no-fund --loglevel=error >/dev/null && \
		cp package-lock.json node_modules/.aisec-lock; \
	fi

# Regenerate the checked-in vmlinux.h from this machine's BTF.
vmlinux:
	$(call msg,VMLINUX,$(VMLINUX_DIR)/vmlinux.h)
	$(Q)mkdir -p $(VMLINUX_DIR)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX_DIR)/vmlinux.h

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/lib/*.h) include/aisec/events.h $(VMLINUX_DIR)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# All programs linked into one object, so maps are shared and one skeleton loads them.
$(OUTPUT)/aisec.bpf.o: $(BPF_OBJS)
	$(call msg,LINK-BPF,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(OUTPUT)/aisec.skel.h: $(OUTPUT)/aisec.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name aisec_bpf > $@

$(OUTPUT)/agent/%.o: agent/%.c $(wildcard agent/*.h) include/aisec/events.h $(OUTPUT)/aisec.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUTPUT)/libaisec.a: $(AGENT_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUTPUT)/aisec-rt: $(OUTPUT)/agent/main.o $(OUTPUT)/libaisec.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/tests/lib/%.o: tests/lib/%.c $(wildcard tests/lib/*.h) $(OUTPUT)/aisec.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests/lib -c $< -o $@

$(OUTPUT)/tests/%: tests/%.c $(OUTPUT)/libaisec.a $(TEST_HELPER_OBJS) $(wildcard tests/lib/*.h)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests/lib $< $(TEST_HELPER_OBJS) $(OUTPUT)/libaisec.a $(LDFLAGS) $(LDLIBS) -lcmocka -o $@

# Test tools: helpers the tests start (not shipped), e.g. librdkafka's mock cluster.
$(OUTPUT)/tests/tools/kafka_mock: tests/tools/kafka_mock.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $< $(LDFLAGS) -lrdkafka -o $@

tests-build: $(OUTPUT)/aisec-rt $(UNIT_BINS) $(ITEST_BINS) $(OUTPUT)/tests/tools/kafka_mock

# Unit tests, BPF load tests and integration tests; ends with "N passed, N failed".
test: tests-build
	$(Q)bash tests/run.sh $(UNIT_BINS) $(ITEST_BINS)

# Everything CI runs: the suite on the normal build and again under ASan+UBSan,
# one runner so the output ends with one "N passed, N failed" line.
check: tests-build
	$(Q)$(MAKE) --no-print-directory OUTPUT=build-asan SAN=1 tests-build
	$(Q)bash tests/run.sh $(UNIT_BINS) $(ITEST_BINS) $(patsubst $(OUTPUT)/%,build-asan/%,$(UNIT_BINS) $(ITEST_BINS))

test-unit: $(UNIT_BINS)
	$(Q)bash tests/run.sh $(UNIT_BINS)

# Agent and unit tests under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan:
	$(Q)$(MAKE) --no-print-directory OUTPUT=build-asan SAN=1 test

$(OUTPUT)/fuzz/agent/%.o: agent/%.c $(wildcard agent/*.h) include/aisec/events.h
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

$(OUTPUT)/fuzz/libaisec.a: $(FUZZ_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUTPUT)/fuzz/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h) $(OUTPUT)/fuzz/libaisec.a
	$(call msg,LD-FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $< $(OUTPUT)/fuzz/libaisec.a -lcjson -lxxhash -lz -o $@

# Every libFuzzer target for FUZZ_SECONDS each, seeded from tests/fixtures/<name>
# when there is one (fuzz_sarif: tests/fixtures/sarif). Corpus, log and any crash
# input are kept next to the binary ($(OUTPUT)/fuzz/<name>.corpus, .log, .crash-*).
fuzz: $(FUZZ_BINS)
	$(Q)for f in $(FUZZ_BINS); do \
		echo "=== $${f##*/} ($(FUZZ_SECONDS) s)"; mkdir -p $$f.corpus; \
		seeds=tests/fixtures/$${f##*/fuzz_}; [ -d $$seeds ] || seeds=; \
		if ! $$f -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -artifact_prefix=$$f. $$f.corpus $$seeds >$$f.log 2>&1; then \
			tail -n 40 $$f.log; echo "$${f##*/} failed; full log in $$f.log"; exit 1; \
		fi; \
		grep -E '^Done [0-9]+ runs' $$f.log; \
	done

demo: $(OUTPUT)/aisec-rt
	$(Q)bash examples/demo.sh $(OUTPUT)/aisec-rt

install: $(OUTPUT)/aisec-rt
	install -D -m 0755 $(OUTPUT)/aisec-rt $(DESTDIR)$(PREFIX)/bin/aisec-rt
	install -d $(DESTDIR)$(PREFIX)/share/aisec-rt/rules
	cp -r rules/. $(DESTDIR)$(PREFIX)/share/aisec-rt/rules/

# Benchmarks (never part of the tests; method and results in docs/PERFORMANCE.md). make bench runs
# every part there is, one after another (timings must not overlap), and goes on past a part that
# fails; each part also runs alone. BENCH_JSON=file collects every part's numbers as JSON lines;
# BENCH_SMOKE=1 makes every part tiny (what tests/integration/test_bench_smoke runs).
BENCH_PARTS := bench-syscall bench-ringbuf $(if $(wildcard bench/sql.sh),bench-sql) $(if $(wildcard bench/e2e.sh),bench-e2e)
bench: bench-deps $(OUTPUT)/aisec-rt
	$(Q)failed=; for t in $(BENCH_PARTS); do \
		echo "=== $$t"; $(MAKE) --no-print-directory $$t || failed="$$failed $$t"; \
	done; \
	if [ -n "$$failed" ]; then echo "bench: failed:$$failed"; exit 1; fi

# The peers bench-syscall and bench-ringbuf measure against (bpftrace, libbpf-tools' opensnoop and
# tcpconnect) and the compiler for their drivers; installed when missing. When apt cannot install
# them the parts still run and say which peer they skipped.
BENCH_PACKAGES := bpftrace libbpf-tools gcc libc6-dev util-linux
bench-deps:
	@missing=$$(for p in $(BENCH_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; } || \
			echo "bench-deps: could not install $$missing; the parts skip the peers that need them"; \
	fi

bench-syscall: bench-deps $(OUTPUT)/aisec-rt
	$(Q)bash bench/syscall.sh $(OUTPUT)/aisec-rt

bench-ringbuf: bench-deps $(OUTPUT)/aisec-rt
	$(Q)bash bench/ringbuf.sh $(OUTPUT)/aisec-rt

# pgbench with and without SQL capture, and the demo service under load (bench/sql.sh, bench/e2e.sh).
# Each installs the Debian packages it needs when missing (a subset of make deps).
bench_need = @missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "installing: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; fi

bench-sql: $(OUTPUT)/aisec-rt
	$(call bench_need,postgresql-15 python3 util-linux)
	$(Q)bash bench/sql.sh $(OUTPUT)/aisec-rt

bench-e2e: $(OUTPUT)/aisec-rt $(OUTPUT)/bench/httpload
	$(call bench_need,postgresql-15 python3-flask python3-psycopg2 iproute2 curl util-linux)
	$(Q)bash bench/e2e.sh $(OUTPUT)/aisec-rt $(OUTPUT)/bench/httpload

$(OUTPUT)/bench/httpload: bench/httpload.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -pthread $< $(LDFLAGS) -pthread -o $@

# The cost of formatting one event as a JSON line (format__json), without the kernel: a microbenchmark
# for the output path, a few seconds long and not a part of make bench. BENCH_FMT_ARGS are passed on
# (-n EVENTS, -r ROUNDS; -d FILE writes a varied set of lines to compare two builds byte for byte).
$(OUTPUT)/bench/fmt: bench/fmt.c $(OUTPUT)/libaisec.a
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $< $(OUTPUT)/libaisec.a $(LDFLAGS) $(LDLIBS) -o $@

bench-fmt: $(OUTPUT)/bench/fmt
	$(Q)$(OUTPUT)/bench/fmt $(BENCH_FMT_ARGS)

format:
	clang-format -i agent/*.c agent/*.h bpf/*.bpf.c bpf/lib/*.h include/aisec/*.h tests/*/*.c

clean:
	rm -rf build build-asan
