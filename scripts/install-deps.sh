#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Installs every build and test dependency from Debian's apt, idempotently:
# when all packages are already present it does nothing (no apt-get update).
set -eu

PKGS="clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libdw-dev
libcmocka-dev golang-go python3 make gcc pkg-config clang-format perl
util-linux procps libclang-rt-14-dev libc6-dbg libmicrohttpd-dev libsystemd-dev libinih-dev"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
