# Entry points. Every target installs what it needs first (scripts/setup is idempotent).
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)

.PHONY: setup build demo test test-fast test-asan bench fuzz-smoke fuzz clean

setup:
	@scripts/setup

build: setup
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@ninja -C $(BUILD) -j $(JOBS)

# The main job on the embedded default: examples/hello on the simulated host.
demo: build
	$(BUILD)/cli/dk run $(BUILD)/guest/hello -- world

# Everything CI runs: the tests, then the same tests under ASan+UBSan, then a few seconds of
# every fuzz target when the 30-minute CI budget leaves room for the clang build
# (scripts/fuzz ci; docs/fuzzing.md).
test:
	@start=$$(date +%s); $(MAKE) --no-print-directory test-fast test-asan && scripts/fuzz ci $$start

test-fast: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-asan: setup
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DDK_SANITIZE=ON -DDK_BUILD_BENCH=OFF >/dev/null
	@ninja -C $(ASAN_BUILD) -j $(JOBS)
	@ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

bench: build
	@scripts/bench

# libFuzzer targets (clang): a few seconds each from the seed corpora, as CI runs them.
fuzz-smoke: setup
	@scripts/fuzz smoke

fuzz:
	@echo "Fuzzing (docs/fuzzing.md):"
	@echo "  scripts/fuzz smoke [SECONDS]          every target briefly, from its seed corpus"
	@echo "  scripts/fuzz run TARGET [SECONDS]     a campaign; corpus in \$$FUZZ_WORK (/tmp/dk-fuzz),"
	@echo "                                        crashes in tests/fuzz/crashes/TARGET/"
	@echo "  scripts/fuzz list                     the targets"

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
