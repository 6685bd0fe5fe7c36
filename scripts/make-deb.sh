#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Builds $B/zprofd_VERSION_ARCH.deb from $B/zprofd with dpkg-deb, from a
# staging tree in $B/deb-root. Usage: scripts/make-deb.sh [BUILD_DIR]
#
# Depends is derived from the binary, as dpkg-shlibdeps would (without
# needing a debian/ source tree): each DT_NEEDED library is looked up in
# ldd's resolution, the package owning it with dpkg -S, and the
# minimum version from that package's shlibs file. A library linked later
# therefore shows up in Depends without anyone editing a list.
set -eu
B=${1:-${B:-build}}
src=$(cd "$(dirname "$0")/.." && pwd)
bin=$B/zprofd
[ -x "$bin" ] || { echo "make-deb: $bin not built" >&2; exit 1; }

version=$("$bin" --version | awk 'NR == 1 { print $2 }')
arch=$(dpkg --print-architecture)
case $version in
[0-9]*) ;;
*) echo "make-deb: cannot read the version from $bin --version" >&2; exit 1 ;;
esac

# "libbpf1 (>= 1.1.2)" for one soname, from the owning package's shlibs.
dep_for() {
	soname=$1
	path=$(ldd "$bin" | awk -v s="$soname" '$1 == s && $2 == "=>" { print $3; exit }')
	[ -n "$path" ] || { echo "make-deb: ldd does not resolve $soname" >&2; return 1; }
	real=$(readlink -f "$path")
	pkg=$(dpkg -S "$real" 2>/dev/null || dpkg -S "$path")
	pkg=${pkg%%:*}
	name=${soname%%.so.*}
	ver=${soname##*.so.}
	line=$(cat /var/lib/dpkg/info/"$pkg".shlibs /var/lib/dpkg/info/"$pkg":"$arch".shlibs 2>/dev/null |
		awk -v n="$name" -v v="$ver" '$1 == n && $2 == v { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }')
	echo "${line:-$pkg}"
}

deps=""
for so in $(objdump -p "$bin" | awk '$1 == "NEEDED" { print $2 }'); do
	d=$(dep_for "$so")
	case ", $deps, " in
	*", $d, "*) ;;
	*) deps=${deps:+$deps, }$d ;;
	esac
done

root=$B/deb-root
rm -rf "$root"
install -d "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" \
	"$root/etc/zprofd" "$root/usr/share/doc/zprofd"
install -m 0755 -s "$bin" "$root/usr/bin/zprofd"
install -m 0644 "$src/packaging/systemd/zprofd.service" "$root/lib/systemd/system/"
install -m 0644 "$src/packaging/zprofd.conf" "$root/etc/zprofd/zprofd.conf"
install -m 0644 "$src/packaging/debian/copyright" "$root/usr/share/doc/zprofd/"
install -m 0644 "$src/README.md" "$root/usr/share/doc/zprofd/"
install -m 0644 "$src/packaging/debian/conffiles" "$root/DEBIAN/"
for s in postinst prerm postrm; do
	install -m 0755 "$src/packaging/debian/$s" "$root/DEBIAN/"
done
size=$(du -sk --exclude=DEBIAN "$root" | awk '{ print $1 }')
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" \
	-e "s/@DEPENDS@/$deps/" "$src/packaging/debian/control.in" >"$root/DEBIAN/control"

out=$B/zprofd_${version}_${arch}.deb
# files owned by root:root whoever builds the package
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "make-deb: $out"
