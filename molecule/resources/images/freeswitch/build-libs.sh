#!/bin/sh
# Build the libraries FreeSWITCH 1.10+ needs and Debian's packages are too old for: sofia-sip and
# spandsp, from the pinned source tarballs in /usr/src (their names are the arguments, without
# .tar.gz). Installed into /usr/local for the FreeSWITCH build, and copied under /opt/stage for the
# runtime image.
set -eu
stage=/opt/stage
for name in "$@"; do
    echo "--- building $name"
    tar -xzf "/usr/src/$name.tar.gz" -C /usr/src
    cd "/usr/src/$name"
    ./bootstrap.sh
    ./configure --prefix=/usr/local --disable-static --disable-dependency-tracking
    make -j"$(nproc)"
    make install
    make install DESTDIR="$stage"
    cd /
    rm -rf "/usr/src/$name"
done
ldconfig
# Headers, pkg-config files and libtool archives only serve builds.
rm -rf "$stage/usr/local/include" "$stage/usr/local/lib/pkgconfig" "$stage/usr/local/share"
find "$stage" -name '*.la' -delete
