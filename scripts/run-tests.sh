#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Runs a set of TAP-producing tests with prove: cmocka unit binaries (TAP via
# CMOCKA_MESSAGE_OUTPUT) or integration scripts. B names the build directory.
set -eu
kind=$1
shift
export CMOCKA_MESSAGE_OUTPUT=TAP
export B="${B:-build}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
echo "== $kind tests ($B)"
exec prove --norc -v "$@"
