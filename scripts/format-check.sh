#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Fails when a C source differs from .clang-format (kernel style).
set -eu
files=$(find bpf src include tests -name '*.c' -o -name '*.h' | sort)
clang-format --dry-run -Werror $files
echo "format-check: $(echo "$files" | wc -l) files clean"
