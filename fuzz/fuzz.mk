# GNU make file for the libFuzzer build, run by `make fuzz` (Makefile.am),
# which passes CLANG, top_srcdir, SRCS (libvt's sources), CPPFLAGS,
# PKG_CFLAGS, LIBS, HARNESSES and FUZZ_SECONDS. Kept out of automake so the
# clang objects never mix with the gcc ones: everything lands in fuzz/build/.
#
# Outputs (all ignored by git): fuzz/build/fuzz_NAME (the binaries),
# fuzz/corpus/NAME (inputs libFuzzer found interesting), fuzz/artifacts/NAME
# (crash-*, leak-*, timeout-*, oom-* inputs), fuzz/logs/NAME.log.
OUT := fuzz/build
SAN := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined
LIB_OBJS := $(patsubst %.c,$(OUT)/lib/%.o,$(filter %.c,$(SRCS)))
BINS := $(HARNESSES:%=$(OUT)/fuzz_%)

build: $(BINS)

# The same harnesses with clang's source coverage and no sanitizer, for
# `make fuzz-long`'s per-file coverage of the corpus (fuzz/fuzz_report.py).
COV_OUT := fuzz/build-cov
COV := -g -O1 -fprofile-instr-generate -fcoverage-mapping
COV_OBJS := $(patsubst %.c,$(COV_OUT)/lib/%.o,$(filter %.c,$(SRCS)))
cov-build: $(HARNESSES:%=$(COV_OUT)/fuzz_%)

$(COV_OUT)/lib/%.o: $(top_srcdir)/%.c
	@mkdir -p $(dir $@)
	@echo "  CLANGCOV $*.c"
	@$(CLANG) $(COV) -fsanitize=fuzzer-no-link -MMD -MP $(CPPFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(COV_OUT)/libvt-cov.a: $(COV_OBJS)
	@rm -f $@
	@ar rcs $@ $(COV_OBJS)

$(COV_OUT)/fuzz_%: $(top_srcdir)/fuzz/fuzz_%.c $(top_srcdir)/fuzz/fuzz.h $(COV_OUT)/libvt-cov.a
	@echo "  CLANGLD  cov fuzz_$*"
	@$(CLANG) $(COV) -fsanitize=fuzzer $(CPPFLAGS) $(PKG_CFLAGS) -o $@ $< \
		$(COV_OUT)/libvt-cov.a $(LIBS)

# Coverage instrumentation for the library too (fuzzer-no-link), so
# libFuzzer sees edges in the parsers, not only in the harness.
$(OUT)/lib/%.o: $(top_srcdir)/%.c
	@mkdir -p $(dir $@)
	@echo "  CLANG    $*.c"
	@$(CLANG) $(SAN) -fsanitize=fuzzer-no-link -MMD -MP $(CPPFLAGS) $(PKG_CFLAGS) -c -o $@ $<

# An archive like libvt.a: a harness links only the objects it needs.
$(OUT)/libvt-fuzz.a: $(LIB_OBJS)
	@rm -f $@
	@ar rcs $@ $(LIB_OBJS)

$(OUT)/fuzz_%: $(top_srcdir)/fuzz/fuzz_%.c $(top_srcdir)/fuzz/fuzz.h $(OUT)/libvt-fuzz.a
	@echo "  CLANGLD  fuzz_$*"
	@$(CLANG) $(SAN) -fsanitize=fuzzer $(CPPFLAGS) $(PKG_CFLAGS) -o $@ $< \
		$(OUT)/libvt-fuzz.a $(LIBS)

-include $(LIB_OBJS:.o=.d) $(COV_OBJS:.o=.d)

# Seeds come from the real test dumps (fuzz/make-seeds.sh); without dumps
# the fuzzers start from the saved regression inputs alone. Made again when
# the scripts that cut them change.
fuzz/seeds/.done: $(top_srcdir)/fuzz/make-seeds.sh $(top_srcdir)/fuzz/make_seeds.py
	@$(top_srcdir)/fuzz/make-seeds.sh fuzz/seeds || \
		echo "make fuzz: no seeds from real dumps (make-seeds.sh exit $$?); starting from tests/fuzz-regressions only"

run: $(HARNESSES:%=run-%)

# One harness for FUZZ_SECONDS. A finding stops it with the input saved in
# fuzz/artifacts/NAME/; fix it, then keep the input as a regression test in
# tests/fuzz-regressions/NAME/ (`make check` replays those).
run-%: $(OUT)/fuzz_% fuzz/seeds/.done
	@mkdir -p fuzz/corpus/$* fuzz/artifacts/$* fuzz/logs
	@echo "fuzz_$*: $(FUZZ_SECONDS) s (log: fuzz/logs/$*.log)"
	@ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
	LSAN_OPTIONS=suppressions=$(top_srcdir)/tests/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(OUT)/fuzz_$* -max_total_time=$(FUZZ_SECONDS) -timeout=25 \
		-max_len=$$($(top_srcdir)/fuzz/max-len.sh fuzz/corpus/$* fuzz/seeds/$* \
			$(top_srcdir)/tests/fuzz-regressions/$*) \
		-rss_limit_mb=2560 -print_final_stats=1 \
		-artifact_prefix=fuzz/artifacts/$*/ fuzz/corpus/$* \
		$(wildcard fuzz/seeds/$*) $(top_srcdir)/tests/fuzz-regressions/$* \
		> fuzz/logs/$*.log 2>&1; rc=$$?; \
	grep -E '^#[0-9]+.*(DONE|pulse|NEW)' fuzz/logs/$*.log | tail -n 1; \
	grep -E 'stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' fuzz/logs/$*.log; \
	if [ $$rc -ne 0 ]; then \
		grep -E 'ERROR|SUMMARY|Test unit written' fuzz/logs/$*.log | head -n 5; \
		echo "fuzz_$*: FINDING (exit $$rc): input in fuzz/artifacts/$*/, see fuzz/logs/$*.log"; \
		exit 1; \
	fi

.PHONY: build cov-build run seeds
seeds: fuzz/seeds/.done
# Keep the objects (make deletes intermediate files of chained rules).
.SECONDARY:
