#!/usr/bin/env bash
# check-install.sh BUILD_DIR - install tether into a temporary prefix and
# build examples/consumer against it twice: with find_package(tether) and
# with pkg-config. Both programs must run and succeed.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
cmake --install "$root/$build" --prefix "$prefix" >/dev/null 2>&1 ||
	cmake --install "$build" --prefix "$prefix" >/dev/null

echo "check-install: CMake find_package(tether)"
cmake -S "$root/examples/consumer" -B "$tmp/cm" -G Ninja \
	-DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$tmp/cm" >/dev/null
LD_LIBRARY_PATH="$prefix/lib" "$tmp/cm/consumer"

echo "check-install: pkg-config tether, with the installed tetherc"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
mkdir -p "$tmp/gen"
"$prefix/bin/tetherc" -o "$tmp/gen" "$root/examples/consumer/hello.x"
cc -std=c11 -Wall -Wextra -Werror -I"$tmp/gen" -o "$tmp/pc-consumer" \
	"$root/examples/consumer/main.c" "$tmp/gen/hello.c" $(pkg-config --cflags --libs tether)
LD_LIBRARY_PATH="$prefix/lib" "$tmp/pc-consumer"

echo "check-install: static link via pkg-config --static"
cc -std=c11 -Wall -Wextra -Werror -I"$tmp/gen" -o "$tmp/static-consumer" \
	"$root/examples/consumer/main.c" "$tmp/gen/hello.c" -Wl,-Bstatic $(pkg-config --cflags --libs-only-L tether) -ltether -Wl,-Bdynamic \
	$(pkg-config --static --libs-only-l tether | sed 's/-ltether//')
"$tmp/static-consumer"

echo "check-install: ok"
