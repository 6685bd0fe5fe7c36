#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Installs every build and test dependency from Debian's apt, idempotently:
# when all packages are already present it does nothing (no apt-get update).
# prometheus is there for promtool (test_daemon checks /metrics output with
# it) and for the server itself (test_daemon_stress runs one that scrapes
# the daemon); its postinst may try to start a prometheus service, which we
# do not need and which may fail to start in a container. systemd is there for
# systemd-analyze and python3-yaml for the manifests (test_packaging checks
# the unit and the Kubernetes YAML with them).
set -eu

PKGS="clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libdw-dev
libcmocka-dev golang-go python3 make gcc pkg-config clang-format perl
util-linux procps libclang-rt-14-dev libc6-dbg libmicrohttpd-dev libsystemd-dev
libinih-dev libcurl4-openssl-dev prometheus systemd python3-yaml"

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
# no service may start from a package's postinst (prometheus ships one)
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
