#!/bin/sh
# Build FreeSWITCH from a pinned source tarball and install it under /opt/stage for the runtime image.
#   build-freeswitch.sh NAME LAYOUT
# NAME: the tarball in /usr/src without .tar.gz (freeswitch-1.10.12); patches/NAME/*.patch are applied.
# LAYOUT: classic (no --prefix: everything under /usr/local/freeswitch, as a plain source install)
#         or fhs (--prefix=/usr --sysconfdir=/etc --localstatedir=/var, as FusionPBX's installer and
#         the Debian packages lay it out: /etc/freeswitch, /var/log/freeswitch, /usr/bin/freeswitch).
set -eu
name="$1"
layout="$2"
stage=/opt/stage
src="/usr/src/$name"

tar -xzf "/usr/src/$name.tar.gz" -C /usr/src
cd "$src"
for patch in /usr/src/patches/"$name"/*.patch; do
    [ -e "$patch" ] || continue
    echo "--- applying $(basename "$patch")"
    patch -p1 <"$patch"
done
cp /usr/src/modules.conf modules.conf

case "$layout" in
    classic) layout_flags="" ;;
    fhs) layout_flags="--prefix=/usr --sysconfdir=/etc --localstatedir=/var" ;;
    *) echo "build-freeswitch.sh: unknown layout '$layout' (classic or fhs)" >&2; exit 2 ;;
esac

# -Wno-error: configure adds -Werror, and 1.10.6 meets deprecation warnings of OpenSSL 3 it would turn
# into errors. The later releases build without it; the same flags for every build keep the builds
# alike, and a warning does not change what is built.
./bootstrap.sh -j
# shellcheck disable=SC2086 # layout_flags is a list of options
./configure $layout_flags --disable-dependency-tracking --disable-libvpx --disable-libyuv \
    CFLAGS="-g -O2 -Wno-error" CXXFLAGS="-g -O2 -Wno-error"
make -j"$(nproc)"
make install DESTDIR="$stage"
cd /
rm -rf "$src"

# What a build made: the binaries, the vanilla configuration and where the log goes. Not /var/run:
# on the host it is a link to /run (systemd's RuntimeDirectory makes /run/freeswitch), and copying a
# directory there would replace the link.
rm -rf "$stage/var/run"
find "$stage" -name '*.la' -delete
rm -rf "$stage"/usr/local/freeswitch/include "$stage"/usr/include "$stage"/usr/local/freeswitch/lib/pkgconfig "$stage"/usr/lib/pkgconfig
