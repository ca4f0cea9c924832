# Makefile: build, test and install bpcheck (plain GNU make; `make help` lists the targets).

VERSION := 0.1.0

PREFIX  ?= /usr/local
DESTDIR ?=
# The CBLAS under GSL's gsl_blas: GSL's own (gslcblas, the default), or any CBLAS pkg-config
# knows, e.g. `make BLAS=openblas` (Debian libopenblas-dev), built apart in build/openblas.
BLAS    ?= gslcblas
ifeq ($(BLAS),gslcblas)
BUILD   ?= build
BIN     ?= bin
else
BUILD   ?= build/$(BLAS)
BIN     ?= build/$(BLAS)/bin
endif

CFLAGS  ?= -std=c11 -O2 -g -Wall -Wextra -Wpedantic
# Warnings are errors in CI (CI is set there), so nothing lands with a warning.
ifneq ($(CI),)
WERROR := -Werror
endif
# make check-sanitize sets SANITIZE=1 and builds into build/sanitize.
ifneq ($(SANITIZE),)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
# make coverage sets COVERAGE=1 and builds into build/coverage (gcov at -O1: the lines map
# to the code more closely than at -O2).
ifneq ($(COVERAGE),)
SAN_FLAGS := --coverage -O1 -DBPCHECK_COVERAGE
endif

# Libraries, found through pkg-config; Debian packages that provide everything, for make deps.
PKGS := gsl mpfr jansson
DEBIAN_PACKAGES := gcc libc6-dev make pkg-config perl valgrind libgsl-dev libmpfr-dev \
                   libjansson-dev python3-numpy python3-torch python3-sklearn gnuplot-nox \
                   libopenblas-dev clang libclang-rt-dev gcovr python3-venv python3-pytest
# What building and running `bpcheck conform` needs, and no more (make deps-runtime: the CI
# recipes of the README); a Python adapter brings its own packages.
RUNTIME_PACKAGES := gcc libc6-dev make pkg-config libgsl-dev libmpfr-dev libjansson-dev

# The Python that runs the numpy and PyTorch adapters and the mutants: Debian's, where
# python3-numpy and python3-torch go.
PYTHON ?= /usr/bin/python3
# make conform IMPL='python3 my_adapter.py': the implementation to check (default: the
# bundled reference).
IMPL ?=

NEED_LIBS := $(filter-out deps deps-runtime help clean uninstall,$(or $(MAKECMDGOALS),all))
ifneq ($(NEED_LIBS),)
ifneq ($(shell pkg-config --exists $(PKGS) 2>/dev/null && echo yes),yes)
$(error pkg-config cannot find $(PKGS): run 'make deps' (as root, or with sudo) first)
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))
ifneq ($(BLAS),gslcblas)
ifneq ($(shell pkg-config --exists $(BLAS) 2>/dev/null && echo yes),yes)
$(error BLAS=$(BLAS): pkg-config does not know it (for OpenBLAS: apt-get install libopenblas-dev))
endif
PKG_LIBS   := $(filter-out -lgslcblas,$(PKG_LIBS)) $(shell pkg-config --libs $(BLAS))
endif
endif

# Each folder holds its own code (README "Layout"); a file includes another by its name.
INCLUDES := -Ireference -Ifixtures -Itestsuite/tap -Itestsuite/oracles -Itestsuite/bugs \
            -Itestsuite/conform -Iderivations -Itestsuite
# -ffp-contract=off whatever CFLAGS says: the fast exact path's error-free transformations
# (testsuite/oracles/dd.h) need a * b + c rounded twice, never fused. OPT_EXTRA: a file's own
# optimisation, before SAN_FLAGS (coverage's -O1 still wins).
ALL_CFLAGS = $(CFLAGS) $(OPT_EXTRA) -ffp-contract=off $(WERROR) $(SAN_FLAGS) $(INCLUDES) $(PKG_CFLAGS) \
             -I$(BUILD) -DBPCHECK_VERSION='"$(VERSION)"' -DBPCHECK_BLAS='"$(BLAS)"' -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SAN_FLAGS)
SHLIB_LIBS = $(PKG_LIBS) -lm  # gsl.pc names -lm too; harmless, and -lm is ours regardless
# STATIC_DEPS=yes (the default): the programs take GSL, its CBLAS, MPFR, GMP and jansson from
# their static archives where the compiler finds them (Debian's -dev packages ship them), libc,
# libm and any other BLAS shared. A process then maps three shared objects, not eight, and
# skips their symbol resolution: `bpcheck --version` starts in 1.08 ms instead of 1.64 (the
# medians of 400 interleaved runs; /bin/true: 0.77 ms), and every test spawns bpcheck many
# times. Valgrind and the sanitizers still see every allocation, through the shared libc.
# STATIC_DEPS=no links them all shared; so does the shared library, whatever this says.
STATIC_DEPS ?= yes
STATIC_OK := gsl gslcblas mpfr gmp jansson
ifeq ($(STATIC_DEPS),yes)
static_lib = $(if $(filter /%,$(shell $(CC) -print-file-name=lib$(1).a)),-l$(1))
STATIC_LIBS := $(foreach l,$(patsubst -l%,%,$(filter $(STATIC_OK:%=-l%),$(PKG_LIBS))),$(call static_lib,$(l)))
endif
# (the flags in variables: a comma inside $(if ...) would split its arguments)
STATIC_ON := -Wl,-Bstatic
STATIC_OFF := -Wl,-Bdynamic
LDLIBS = $(if $(STATIC_LIBS),$(STATIC_ON) $(STATIC_LIBS) $(STATIC_OFF)) \
         $(filter-out $(STATIC_LIBS),$(PKG_LIBS)) -lm

# The library: every reference implementation and the test support code, floor by floor:
# the reference; TAP and the oracles; the fixtures' format (binary arrays, tolerances, the
# reader and writer, the generator); the bug models; the runner; the derivation checks; the
# in-process API and the plots.
LIB_SRC := $(wildcard reference/*.c) \
           testsuite/tap/tap.c testsuite/tap/testutil.c \
           testsuite/oracles/gradcheck.c testsuite/oracles/mpref.c testsuite/oracles/exact.c \
           testsuite/oracles/oracle.c testsuite/oracles/vdual.c \
           fixtures/frame.c fixtures/atomic.c fixtures/tolerance.c fixtures/tensor.c fixtures/scan.c fixtures/fixture.c fixtures/generate.c \
           testsuite/bugs/bugs.c \
           testsuite/conform/child.c testsuite/conform/diagnose.c testsuite/conform/hypotheses.c \
           testsuite/conform/options.c testsuite/conform/run.c testsuite/conform/protocol.c \
           testsuite/conform/judge.c testsuite/conform/report.c testsuite/conform/inproc.c \
           testsuite/conform/conform.c \
           testsuite/adapters/reference.c \
           derivations/checks.c derivations/equations.c \
           testsuite/lib/libbpcheck.c testsuite/plot.c testsuite/plots.c
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB     := $(BUILD)/libbpcheck.a
# libbpcheck for users (bpcheck(3)): the same objects built position-independent, a shared
# library with its soname, the headers under include/bpcheck/, and bpcheck.pc.
SOVERSION := 0
SHLIB     := $(BUILD)/libbpcheck.so.$(VERSION)
PIC_OBJ   := $(LIB_SRC:%.c=$(BUILD)/pic/%.o)
PUBLIC_H  := testsuite/lib/bpcheck.h reference/model.h reference/activation.h fixtures/fixture.h \
             fixtures/generate.h
LIBDIR    ?= $(PREFIX)/lib
# The Python package bpcheck (testsuite/python), for Python's own path: Debian's python3
# reads /usr/lib/python3/dist-packages, and /usr/local/lib/python3.X/dist-packages under
# /usr/local. Its source goes to share/bpcheck/python too, for `pip install` into a
# virtualenv or another interpreter.
PYTHONDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/python3/dist-packages,$(PREFIX)/lib/$(shell $(PYTHON) -c 'import sys; print("python%d.%d" % sys.version_info[:2])' 2>/dev/null || echo python3)/dist-packages)
ADAPTER_TEMPLATES := testsuite/adapters/template.c testsuite/adapters/numpy_adapter.py \
                     testsuite/adapters/torch_adapter.py testsuite/adapters/bpcheck_protocol.py
PY_PACKAGE  := $(wildcard testsuite/python/bpcheck/*.py)
PY_SOURCE   := testsuite/python/pyproject.toml testsuite/python/bpcheck_build.py \
               testsuite/python/bpcheck_protocol.py
MANDIR    ?= $(PREFIX)/share/man

# One test program per area (testsuite/t/NAME.c -> $(BUILD)/t/NAME), run by prove;
# helpers (testsuite/helpers/NAME.c) are programs the tests drive, not tests themselves.
TEST_SRC   := $(wildcard testsuite/t/*.c)
# The longest programs first: prove -j2 starts them in this order, and one of them started
# last would run on alone at the end (t/float32 takes 100 s, t/recipes 36 s).
TESTS_LONG := float32 naming bugs conform recipes hostile panel python equations
TESTS_ALL  := $(TEST_SRC:testsuite/t/%.c=$(BUILD)/t/%)
TESTS      := $(filter $(TESTS_ALL),$(TESTS_LONG:%=$(BUILD)/t/%)) \
              $(filter-out $(TESTS_LONG:%=$(BUILD)/t/%),$(TESTS_ALL))
HELPER_SRC := $(wildcard testsuite/helpers/*.c)
HELPERS    := $(HELPER_SRC:testsuite/helpers/%.c=$(BUILD)/helpers/%)

# The panel of correct variants (testsuite/adapters/variant.c): double, double with every a*b+c
# free to fuse (where the CPU has FMA: the build machine runs the tests), and float.
HAVE_FMA := $(shell grep -qw fma /proc/cpuinfo 2>/dev/null && echo yes)
VARIANTS := $(BUILD)/adapters/variant $(BUILD)/adapters/variant32 $(BUILD)/adapters/mutant \
            $(BUILD)/adapters/template \
            $(if $(HAVE_FMA),$(BUILD)/adapters/variant-fma)

PROGRAM := $(BIN)/bpcheck
BENCH   := $(BUILD)/bench
GEN     := $(BUILD)/fixtures-gen

# The bundled fixtures again, each array in a binary companion (testsuite/helpers/binfixtures.c):
# the same cases and numbers to the bit, read in 0.1 s where the JSON's 17 MB of decimals take
# 0.5 s. The tests run `bpcheck conform` over the bundled cases about 290 times (make check
# spent 245 of its 616 CPU seconds reading them), so BPCHECK_FIXTURES points them here;
# t/fixtures checks that a report on this copy is the report on fixtures/, line for line.
FIXTURES_BIN := $(BUILD)/fixtures-bin

# What the tests need to find: the program, the helpers, the bundled fixtures.
TEST_ENV = BPCHECK=$(PROGRAM) BPCHECK_HELPERS=$(BUILD)/helpers BPCHECK_TESTDIR=$(BUILD)/t \
           BPCHECK_ADAPTERS=$(BUILD)/adapters BPCHECK_FIXTURES=$(abspath $(FIXTURES_BIN)) \
           BPCHECK_FIXTURE_GEN=$(GEN) BPCHECK_PYTHON=$(PYTHON) \
           BPCHECK_MAKE_ARGS='BUILD=$(BUILD) BIN=$(BIN)' BPCHECK_SANITIZE=$(SANITIZE)
VALGRIND = valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=all

# Keep objects that chained rules would delete as intermediates.
.SECONDARY:

.PHONY: planted library all check check-fast check-valgrind check-sanitize check-mutants bench fixtures conform derivations tests clean install uninstall deps deps-runtime help fuzz fuzz-build coverage

all: $(PROGRAM)

# (the sanitizer build leaves out the bench and the shared library, which no test runs there:
# their ASan objects were a third of its compiling, on its critical path in CI)
tests: $(PROGRAM) $(TESTS) $(HELPERS) $(VARIANTS) $(GEN) $(FIXTURES_BIN)/.made $(if $(SANITIZE),,$(BENCH) library)

# (made whole in a temporary directory, then renamed: a run stopped half way leaves none)
$(FIXTURES_BIN)/.made: $(wildcard fixtures/*.json) $(BUILD)/helpers/binfixtures
	rm -rf $(FIXTURES_BIN) $(FIXTURES_BIN).tmp && mkdir -p $(FIXTURES_BIN).tmp
	$(BUILD)/helpers/binfixtures fixtures $(FIXTURES_BIN).tmp
	touch $(FIXTURES_BIN).tmp/.made && mv $(FIXTURES_BIN).tmp $(FIXTURES_BIN)

check: tests
	$(TEST_ENV) $(if $(BPCHECK_LIGHT),BPCHECK_LIGHT=1) prove -j2 $(TESTS)

# The same programs one at a time, the quickest and most specific first, each built just
# before it runs, stopping at the first that fails: the verdict of make check, sooner. The
# mutation runs use it: a mutant needs only one failing program to be caught, and most are
# caught by the first few, before the rest of the programs are even linked.
# FAST_SELF run no other program: each needs only itself built (a mutant caught there costs
# one link, not the eight of the programs the others run). FAST_PROGS run the programs (bpcheck,
# the helpers, the adapters, the generator): those are built with them, but not the other
# test programs, the bench or the shared library, which a mutant of the oracles relinked
# before t/gradcheck caught it (16 s of the 17 it took). The rest get everything.
FAST_SELF  := model quadratic quadratic_003 sgd loglik softmax_ce loglik_canonical vectorized \
              tolerance diagnose
FAST_PROGS := tap gradcheck derivations cli fixtures train conform panel bugs equations
FAST_ALL   := $(FAST_SELF) $(FAST_PROGS) \
              $(filter-out $(FAST_SELF) $(FAST_PROGS),$(TEST_SRC:testsuite/t/%.c=%))
check-fast:
	@for t in $(FAST_ALL); do \
	    case " $(FAST_SELF) " in *" $$t "*) $(MAKE) -s $(BUILD)/t/$$t >/dev/null ;; \
	    *) case " $(FAST_PROGS) " in *" $$t "*) $(MAKE) -s $(BUILD)/t/$$t $(PROGRAM) $(HELPERS) $(VARIANTS) \
	                                                $(GEN) $(FIXTURES_BIN)/.made >/dev/null ;; \
	                                 *) $(MAKE) -s tests >/dev/null ;; esac ;; esac || { echo "$$t does not build"; exit 1; }; \
	    $(TEST_ENV) $(BUILD)/t/$$t >/dev/null 2>&1 || { echo "$$t fails"; exit 1; }; done

# The valgrind and sanitizer re-runs are there for memory errors: BPCHECK_LIGHT trims the
# accuracy measurement of t/bugs (every model's run) that make check already made.
check-valgrind: tests
	$(TEST_ENV) BPCHECK_LIGHT=1 prove -j2 --exec '$(VALGRIND)' $(TESTS)

check-sanitize:
	$(MAKE) BUILD=build/sanitize BIN=build/sanitize/bin SANITIZE=1 BPCHECK_LIGHT=1 check

# Line coverage of the project's own sources (reference/, fixtures/, derivations/ and the
# non-test code of testsuite/) by make check, built with gcov: the line 'lines: NN.N%' and an
# HTML report in build/coverage/html/ (gcovr).
# testsuite/bench.c is left out: it is what make bench runs, never make check.
COVERAGE_FILTER := --filter 'reference/' --filter 'fixtures/' --filter 'derivations/' \
                   --filter 'testsuite/[a-z_]*\.c' --filter 'testsuite/(tap|oracles|bugs|conform)/' \
                   --filter 'testsuite/adapters/reference\.c' \
                   --filter 'testsuite/lib/libbpcheck\.c' --exclude 'testsuite/bench\.c'
coverage:
	rm -f $$(find build/coverage -name '*.gcda' 2>/dev/null)
	@# the report is made whatever make check says (make check itself is the verdict)
	$(MAKE) BUILD=build/coverage BIN=build/coverage/bin COVERAGE=1 check || \
	    echo 'coverage: make check failed in the instrumented build (see above)'
	@mkdir -p build/coverage/html
	gcovr -r . --object-directory build/coverage $(COVERAGE_FILTER) \
	    --html-details build/coverage/html/index.html --print-summary \
	    --txt build/coverage/summary.txt > build/coverage/gcovr.log
	@sed -n 's/^lines: \([0-9.]*%\).*/lines: \1/p' build/coverage/gcovr.log
	@echo "report: build/coverage/html/index.html; by file: build/coverage/summary.txt"

# Each listed source mutation of the reference must make `make check` fail.
# The lists of testsuite/mutate/, and the catalogue's bug models planted in the reference.
# run.pl's private copy of the tree must pass check-fast unmutated first (a file missing from
# the copy would make every mutant look caught); then two workers share the mutants.
check-mutants: tests
	$(PROGRAM) bugs --plants > $(BUILD)/bug-models.txt
	$(if $(and $(filter build,$(BUILD)),$(filter bin,$(BIN))),BPCHECK_MUTATE_REUSE=1) \
	prove -v --exec perl testsuite/mutate/run.pl :: \
	    $(wildcard testsuite/mutate/*.txt) $(BUILD)/bug-models.txt

# The bundled reference with one source file replaced by an edited copy (t/planted plants a
# bug model there): PLANT_SRC the copy of a reference/ file, PLANT_OUT the program to make.
# Only that file is compiled, without -Werror (a planted bug may leave a parameter unused);
# the library supplies the rest.
planted: $(BUILD)/testsuite/bpcheck.o $(LIB)
	$(CC) $(ALL_CFLAGS) -w -c '$(PLANT_SRC)' -o '$(PLANT_OUT).o'
	$(CC) $(ALL_LDFLAGS) $(BUILD)/testsuite/bpcheck.o '$(PLANT_OUT).o' $(LIB) $(LDLIBS) -o '$(PLANT_OUT)'

# The main job: run an implementation against the golden fixtures.
conform: $(PROGRAM)
	$(PROGRAM) conform $(if $(IMPL),--impl "$(IMPL)")

# Every equation checked: regenerate derivations/REPORT.md (make check verifies it is current).
derivations: $(PROGRAM)
	$(PROGRAM) derivations --report derivations/REPORT.md > /dev/null

# The golden values: regenerate fixtures/*.json (make check verifies they are what this makes).
fixtures: $(GEN)
	$(GEN) fixtures

# Speed: a table of medians and ratios measured in one run; it asserts nothing. Where
# OpenBLAS is installed the references' tables are measured again on it.
bench: $(BENCH) $(PROGRAM)
	$(BENCH) --bpcheck $(PROGRAM)
	@if [ "$(BLAS)" = gslcblas ] && pkg-config --exists openblas 2>/dev/null; then \
	    $(MAKE) -s BLAS=openblas build/openblas/bench && \
	    OPENBLAS_NUM_THREADS=1 build/openblas/bench --references-only; fi

# The vector-mode dual numbers (vdual.c) run their lanes as SIMD loops only at -O3 (GCC's -O2
# cost model leaves them scalar); oracle.c keeps the -O3 it was built at when its own lanes
# were there (not measured apart since). No -O level reassociates floating point, so the bits
# are the same.
$(BUILD)/testsuite/oracles/vdual.o $(BUILD)/pic/testsuite/oracles/vdual.o: OPT_EXTRA := -O3
$(BUILD)/testsuite/oracles/oracle.o $(BUILD)/pic/testsuite/oracles/oracle.o: OPT_EXTRA := -O3

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# Where the installed fixtures are, for the programs and the library that look for them:
# rewritten only when PREFIX changes, so that `make install PREFIX=...` rebuilds just those.
# libFuzzer (clang): each target of testsuite/fuzz/ for FUZZ_TIME seconds, built with ASan and
# UBSan (any undefined behaviour is a crash), from its seed corpus and dictionary; the corpus
# grows in $(BUILD)/fuzz/corpus-NAME. A crash stops make with the input that caused it.
FUZZ_CC      ?= clang
FUZZ_TIME    ?= 60
FUZZ_TARGETS := fixture answer csv
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_OBJ     := $(LIB_SRC:%.c=$(BUILD)/fuzz/%.o)

$(BUILD)/fuzz/%.o: %.c $(BUILD)/config.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(filter-out -Werror,$(ALL_CFLAGS)) -O1 -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c $< -o $@

$(BUILD)/fuzz/fuzz-%: testsuite/fuzz/%.c $(FUZZ_OBJ)
	$(FUZZ_CC) $(filter-out -Werror,$(ALL_CFLAGS)) -O1 -fsanitize=fuzzer $(FUZZ_SAN) $< $(FUZZ_OBJ) $(LDLIBS) -o $@

fuzz-build: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz-%)

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(BUILD)/fuzz/corpus-$$t; \
	    echo "fuzz $$t for $(FUZZ_TIME) s"; \
	    $(BUILD)/fuzz/fuzz-$$t -max_total_time=$(FUZZ_TIME) -dict=testsuite/fuzz/$$t.dict \
	        -print_final_stats=1 -artifact_prefix=$(BUILD)/fuzz/crash-$$t- \
	        $(BUILD)/fuzz/corpus-$$t testsuite/fuzz/corpus/$$t 2>&1 | \
	        grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY)|Done' \
	        || true; \
	    if ls $(BUILD)/fuzz/crash-$$t-* >/dev/null 2>&1; then \
	        echo "fuzz $$t: a crash, in $$(ls $(BUILD)/fuzz/crash-$$t-*)"; exit 1; fi; \
	done

$(BUILD)/config.h: FORCE
	@mkdir -p $(@D)
	@# a temporary name of this shell's own: two makes at once (CI builds the fuzz targets
	@# beside make check) must not remove each other's
	@t=$@.$$$$.tmp; echo '#define BPCHECK_DATADIR "$(PREFIX)/share/bpcheck"' > $$t; \
	    cmp -s $$t $@ && rm -f $$t || mv $$t $@
$(BUILD)/testsuite/conform/conform.o $(BUILD)/testsuite/bpcheck.o $(BUILD)/pic/testsuite/conform/conform.o: $(BUILD)/config.h
# Phony, so that config.h and bpcheck.pc are written anew by every make: under .SECONDARY
# (below) a plain FORCE target that does not exist is never remade, and so neither were they:
# `make install PREFIX=P` after a plain `make` kept the first prefix in both.
.PHONY: FORCE
FORCE:

# Built afresh: `ar r` never drops a member, and an object left from a moved source would
# shadow its replacement at link time.
$(LIB): $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIC -c $< -o $@

$(SHLIB): $(PIC_OBJ)
	$(CC) $(ALL_LDFLAGS) -shared -Wl,-soname,libbpcheck.so.$(SOVERSION) $^ $(SHLIB_LIBS) -o $@

$(BUILD)/bpcheck.pc: FORCE
	@mkdir -p $(@D)
	@printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$${prefix}/include' '' \
	    'Name: bpcheck' \
	    'Description: conformance suite and literal reference for backpropagation in MLPs' \
	    'Version: $(VERSION)' 'Requires: gsl jansson' 'Requires.private: mpfr' \
	    'Cflags: -I$${includedir}' 'Libs: -L$${libdir} -lbpcheck' 'Libs.private: -lm' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

library: $(LIB) $(SHLIB) $(BUILD)/bpcheck.pc

$(PROGRAM): $(BUILD)/testsuite/bpcheck.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) $^ $(LDLIBS) -o $@

$(GEN): $(BUILD)/fixtures/gen.o $(LIB)
	$(CC) $(ALL_LDFLAGS) $^ $(LDLIBS) -o $@

$(BENCH): $(BUILD)/testsuite/bench.o $(LIB)
	$(CC) $(ALL_LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/t/%: $(BUILD)/testsuite/t/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) $^ $(LDLIBS) -o $@

# t/alloc makes the project's allocations fail in turn: the link routes them through its own.
ALLOC_WRAP := malloc calloc realloc strdup gsl_matrix_alloc gsl_vector_alloc gsl_rng_alloc
$(BUILD)/t/alloc: ALL_LDFLAGS += $(ALLOC_WRAP:%=-Wl,--wrap=%)
# ... and GSL shared: --wrap reaches every object in the link, and GSL's own mallocs, inside
# a static libgsl, would fail where t/alloc means only the project's to (STATIC_DEPS)
$(BUILD)/t/alloc: STATIC_LIBS :=

$(BUILD)/helpers/%: $(BUILD)/testsuite/helpers/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/adapters/variant: testsuite/adapters/variant.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< $(LIB) $(LDLIBS) -o $@

$(BUILD)/adapters/mutant: testsuite/adapters/mutant.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< $(LIB) $(LDLIBS) -o $@

# -O2 last: gcc contracts only when it optimises, and at the coverage build's -O1 it leaves
# this file's loops uncontracted (t/panel checks that the FMA build's answer differs).
$(BUILD)/adapters/variant-fma: testsuite/adapters/variant.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -ffp-contract=fast -mfma $(ALL_LDFLAGS) -O2 $< $(LIB) $(LDLIBS) -o $@

# the C adapter template builds on its own, with jansson and libm only, as a user's copy would
$(BUILD)/adapters/template: testsuite/adapters/template.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WERROR) $(SAN_FLAGS) $(shell pkg-config --cflags jansson) $(ALL_LDFLAGS) $< \
	    $(shell pkg-config --libs jansson) -lm -o $@

$(BUILD)/adapters/variant32: testsuite/adapters/variant.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DVARIANT_FLOAT $(ALL_LDFLAGS) $< $(LIB) $(LDLIBS) -o $@

install: $(PROGRAM) library
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/doc/bpcheck/examples \
	           $(DESTDIR)$(PREFIX)/share/bpcheck/fixtures $(DESTDIR)$(LIBDIR)/pkgconfig \
	           $(DESTDIR)$(PREFIX)/include/bpcheck $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
	           $(DESTDIR)$(PREFIX)/share/bpcheck/adapters $(DESTDIR)$(PYTHONDIR)
	install -m 755 $(PROGRAM) $(DESTDIR)$(PREFIX)/bin/bpcheck
	install -m 644 README.md testsuite/PROTOCOL.md fixtures/FORMAT.md \
	           $(DESTDIR)$(PREFIX)/share/doc/bpcheck/
	install -m 644 fixtures/*.json $(DESTDIR)$(PREFIX)/share/bpcheck/fixtures/
	install -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/libbpcheck.a
	install -m 755 $(SHLIB) $(DESTDIR)$(LIBDIR)/
	ln -sf libbpcheck.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libbpcheck.so.$(SOVERSION)
	ln -sf libbpcheck.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libbpcheck.so
	install -m 644 $(BUILD)/bpcheck.pc $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 644 $(PUBLIC_H) $(DESTDIR)$(PREFIX)/include/bpcheck/
	install -m 644 doc/bpcheck.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 doc/bpcheck.3 $(DESTDIR)$(MANDIR)/man3/
	install -m 644 testsuite/lib/example.c $(DESTDIR)$(PREFIX)/share/doc/bpcheck/examples/
	install -m 644 testsuite/lib/example.mk $(DESTDIR)$(PREFIX)/share/doc/bpcheck/examples/Makefile
	install -m 644 $(ADAPTER_TEMPLATES) $(DESTDIR)$(PREFIX)/share/bpcheck/adapters/
	install -d $(DESTDIR)$(PYTHONDIR)/bpcheck $(DESTDIR)$(PREFIX)/share/bpcheck/python/bpcheck
	install -m 644 $(PY_PACKAGE) $(DESTDIR)$(PYTHONDIR)/bpcheck/
	install -m 644 testsuite/python/bpcheck_protocol.py $(DESTDIR)$(PYTHONDIR)/
	install -m 644 $(PY_PACKAGE) $(DESTDIR)$(PREFIX)/share/bpcheck/python/bpcheck/
	install -m 644 $(PY_SOURCE) $(DESTDIR)$(PREFIX)/share/bpcheck/python/
	-[ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && ldconfig

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/bpcheck $(DESTDIR)$(LIBDIR)/libbpcheck.* \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/bpcheck.pc $(DESTDIR)$(MANDIR)/man1/bpcheck.1 \
	      $(DESTDIR)$(MANDIR)/man3/bpcheck.3 $(DESTDIR)$(PYTHONDIR)/bpcheck_protocol.py
	rm -rf $(DESTDIR)$(PREFIX)/share/doc/bpcheck $(DESTDIR)$(PREFIX)/share/bpcheck \
	       $(DESTDIR)$(PYTHONDIR)/bpcheck \
	       $(DESTDIR)$(PREFIX)/include/bpcheck

# Installs what building and testing need, printing each command before it runs.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
deps:
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(DEBIAN_PACKAGES)

deps-runtime:
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(RUNTIME_PACKAGES)

clean:
	rm -rf build bin

help:
	@echo 'Targets:'
	@echo '  coverage        make check built with gcov: lines: NN.N% and an HTML report (gcovr)'
	@echo '  fuzz            libFuzzer on the fixture reader, the answer reader and the CSV'
	@echo '                  loader, FUZZ_TIME seconds each (default 60; needs clang)'
	@echo '  all             build bin/bpcheck (the default)'
	@echo '  conform         run IMPL (default: the bundled reference) against the fixtures'
	@echo '  check           build and run every test program under prove -j2'
	@echo '  check-fast      the same tests one by one, stopping at the first failure'
	@echo '  check-valgrind  the same tests under valgrind (leaks and errors fail)'
	@echo '  check-sanitize  the same tests built with -fsanitize=address,undefined'
	@echo '  check-mutants   every mutation in testsuite/mutate/*.txt must fail make check'
	@echo '  bench           time the literal and vectorized references (prints a table)'
	@echo '  fixtures        regenerate the golden values fixtures/*.json'
	@echo '  derivations     regenerate derivations/REPORT.md from the per-equation checks'
	@echo '  library         build libbpcheck (static and shared) and bpcheck.pc'
	@echo '  install         install bpcheck, libbpcheck, its headers, bpcheck.pc, the man pages,'
	@echo '                  the example and the fixtures under $$(DESTDIR)$$(PREFIX) (now $(PREFIX))'
	@echo '  uninstall       remove what install installed'
	@echo '  deps-runtime    install only what building and running bpcheck conform needs'
	@echo '  deps            apt-get install the Debian packages the project and its tests need'
	@echo '  clean           remove build/ and bin/'

-include $(LIB_OBJ:.o=.d) $(PIC_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d) $(BUILD)/testsuite/bpcheck.d $(BUILD)/testsuite/bench.d \
         $(BUILD)/fixtures/gen.d $(TEST_SRC:%.c=$(BUILD)/%.d) \
         $(HELPER_SRC:%.c=$(BUILD)/%.d) $(VARIANTS:=.d)
