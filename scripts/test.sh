#!/usr/bin/env bash
# test.sh — the whole test suite, twice: a normal build, then a build with
# AddressSanitizer and UndefinedBehaviorSanitizer (leaks included), where
# the CLI and end-to-end tests run the instrumented govfed too.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
(cd build && ctest --output-on-failure)

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DGOVFED_SANITIZE=ON \
	-DGOVFED_BENCH=OFF >/dev/null
cmake --build build-asan -j "$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
(cd build-asan && ctest --output-on-failure)
echo "test.sh: all tests passed, plain and under ASan+UBSan"
