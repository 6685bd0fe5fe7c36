#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# make demo: profile the bundled demo workload for a few seconds and write a
# flame graph and a pprof file under demo-out/.
set -eu
B=${1:-build}
out=demo-out
mkdir -p "$out"

"$B/workloads/demo_app" 12 >/dev/null &
app=$!
trap 'kill $app 2>/dev/null || true' EXIT INT TERM
sleep 0.5

echo "zprofd demo: profiling the demo workload (pid $app) for 5 seconds"
"$B/zprofd" --pid "$app" --duration 5 --frequency 199 \
	--title "zprofd demo: demo_app" \
	-o "$out/flamegraph.svg" -o "$out/profile.pb.gz" -o "$out/profile.folded"

echo
echo "Open the flame graph:   $(pwd)/$out/flamegraph.svg"
echo "Read the pprof profile: go tool pprof -top $(pwd)/$out/profile.pb.gz"
echo "Folded stacks:          $(pwd)/$out/profile.folded"
