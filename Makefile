# SPDX-License-Identifier: BSD-2-Clause
# zprofd build. Pattern-rule chain in the libbpf-bootstrap shape:
#   bpf/%.bpf.c -> $(B)/%.bpf.o -> $(B)/%.skel.h -> user objects -> zprofd
# Quiet unless V=1. SANITIZE=address,undefined builds into build-san/.

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

SANITIZE ?=
ifneq ($(SANITIZE),)
B ?= build-san
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
else
B ?= build
SANFLAGS :=
endif

CC ?= cc
ifeq ($(origin CC),default)
CC = gcc
endif
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
ARCH := x86

PKGS := libbpf libelf zlib libmicrohttpd inih libsystemd libcurl
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wno-missing-field-initializers \
	  -fno-omit-frame-pointer -D_GNU_SOURCE -Iinclude -I$(B) $(SANFLAGS)
LDLIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -lelf -lz -lmicrohttpd -linih -lsystemd -lcurl) -lm
LDFLAGS += $(SANFLAGS)

BPF_SRCS := $(wildcard bpf/*.bpf.c)
SKELS := $(patsubst bpf/%.bpf.c,$(B)/%.skel.h,$(BPF_SRCS))
LIB_SRCS := $(wildcard src/*/*.c)
LIB_OBJS := $(patsubst src/%.c,$(B)/obj/%.o,$(LIB_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))
WORKLOAD_SRCS := $(wildcard tests/workloads/*.c)
WORKLOADS := $(patsubst tests/workloads/%.c,$(B)/workloads/%,$(WORKLOAD_SRCS))
BENCH_SRCS := $(wildcard tests/bench/*.c)
BENCH_BINS := $(patsubst tests/bench/%.c,$(B)/bench/%,$(BENCH_SRCS))

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all deps demo test test-unit test-integration test-sanitize fuzz \
	fuzz-smoke bench vmlinux format-check deb clean

all: $(B)/zprofd

deps:
	$(Q)scripts/install-deps.sh

$(B)/%.bpf.o: bpf/%.bpf.c include/sample_abi.h $(wildcard bpf/*.h) vmlinux/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux -Iinclude \
		-Wall -Werror -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(B)/%.skel.h: $(B)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(B)/obj/%.o: src/%.c $(wildcard include/*.h src/*/*.h) | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# objects that embed a skeleton must rebuild when the BPF program changes
$(B)/obj/sampler/sampler.o: $(SKELS)

$(B)/libzprofd.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/zprofd: src/main.c $(B)/libzprofd.a $(wildcard include/*.h)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) src/main.c $(B)/libzprofd.a $(LDLIBS) -o $@

$(B)/tests/%: tests/unit/%.c $(B)/libzprofd.a tests/unit/testutil.h
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -Itests/unit $< $(B)/libzprofd.a $(LDLIBS) -lcmocka -o $@

# Workloads keep frame pointers (clang: gcc 12 drops them in leaf functions
# even with -fno-omit-frame-pointer), modest optimisation, no inlining and no
# sibling calls, so their call chain is exactly what the source says
# (integration tests assert on it). Never sanitized: they are the targets.
$(B)/workloads/%: tests/workloads/%.c
	$(call msg,WORKLOAD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) -O1 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
		-fno-inline -fno-optimize-sibling-calls -Wall -Werror $< -o $@ -lpthread -ldl

# nofp_* workloads are what production binaries look like: optimised and
# without frame pointers, so only the unwind tables recover their stacks.
# Still no inlining or sibling calls, so the source's call chain is the
# stack's. A stripped copy checks files that have CFI but no symbols.
$(B)/workloads/nofp_%: tests/workloads/nofp_%.c
	$(call msg,WORKLOAD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) -O2 -g -fomit-frame-pointer -fno-inline -fno-builtin \
		-fno-optimize-sibling-calls -Wall -Werror $< -o $@ -lpthread -ldl
	$(Q)strip -o $@_stripped $@

$(B)/bench/%: tests/bench/%.c $(B)/libzprofd.a
	$(call msg,BENCH,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(B)/libzprofd.a $(LDLIBS) -o $@

demo: deps
	$(Q)$(MAKE) --no-print-directory all workloads
	$(Q)scripts/demo.sh $(B)

workloads: $(WORKLOADS)

# Everything CI runs: plain build, then the same tests under ASan+UBSan,
# then a short fuzz pass over every parser.
test: deps
	$(Q)$(MAKE) --no-print-directory test-unit test-integration
	$(Q)$(MAKE) --no-print-directory test-sanitize
	$(Q)$(MAKE) --no-print-directory fuzz-smoke
	$(Q)$(MAKE) --no-print-directory format-check

test-unit: $(UNIT_BINS) $(B)/zprofd $(WORKLOADS)
	$(Q)B=$(B) scripts/run-tests.sh unit $(UNIT_BINS)

test-integration: $(B)/zprofd $(WORKLOADS)
	$(Q)B=$(B) scripts/run-tests.sh integration tests/integration/test_*.py

test-sanitize:
	$(Q)$(MAKE) --no-print-directory SANITIZE=address,undefined test-unit test-integration

# libFuzzer targets, built with clang into $(FB)/. FUZZ_SECONDS each.
FUZZ_SECONDS ?= 60
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FB ?= build-fuzz
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(FB)/%,$(FUZZ_SRCS))
FUZZ_LIB_OBJS := $(patsubst src/%.c,$(FB)/obj/%.o,$(filter-out src/sampler/%,$(LIB_SRCS)))
FUZZ_CFLAGS := -O1 -g -std=gnu11 -D_GNU_SOURCE -Iinclude -I$(FB) \
	       -fsanitize=address,undefined -fno-sanitize-recover=all

$(FB)/obj/%.o: src/%.c $(wildcard include/*.h src/*/*.h)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

# an archive, so each target links only the objects it needs
$(FB)/libzprofd-fuzz.a: $(FUZZ_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FB)/%: tests/fuzz/%.c $(FB)/libzprofd-fuzz.a
	$(call msg,FUZZER,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FB)/libzprofd-fuzz.a $(LDLIBS) -o $@

fuzz: deps $(FUZZ_BINS)
	$(Q)scripts/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

fuzz-smoke: $(FUZZ_BINS)
	$(Q)scripts/run-fuzz.sh 5 $(FUZZ_BINS)

bench: deps
	$(Q)$(MAKE) --no-print-directory all workloads $(BENCH_BINS)
	$(Q)B=$(B) python3 tests/bench/bench.py

# Debian package from packaging/: $(B)/zprofd_VERSION_ARCH.deb
deb: $(B)/zprofd
	$(Q)scripts/make-deb.sh $(B)

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h

format-check:
	$(Q)scripts/format-check.sh

clean:
	rm -rf build build-san $(FB)
