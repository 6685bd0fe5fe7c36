#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Runs each libFuzzer target for SECONDS, starting from its seed corpus in
# tests/fuzz/corpus/NAME (kept) and a scratch corpus beside the binary.
set -eu
secs=$1
shift
fail=0
for bin in "$@"; do
	name=$(basename "$bin")
	out=$(dirname "$bin")
	seeds="tests/fuzz/corpus/$name"
	work="$out/corpus/$name"
	mkdir -p "$work" "$seeds"
	echo "== fuzz $name for ${secs}s"
	if ! "$bin" -max_total_time="$secs" -max_len=65536 -print_final_stats=0 \
		"$work" "$seeds" >"$out/$name.log" 2>&1; then
		echo "FUZZ FAILURE in $name: see $out/$name.log" >&2
		tail -40 "$out/$name.log" >&2
		fail=1
	fi
done
exit $fail
