#!/usr/bin/env bash
# Make sure the host has the Debian packages the toolchain and tests need.
# Arguments are PACKAGE:COMMAND pairs (COMMAND proves the package is there on non-Debian hosts).
# On Debian as root, missing packages are installed (one `apt-get update` first); anywhere else
# the script stops and says what to install. Services a package would start on the host (fail2ban)
# are kept from starting and from being enabled: the tests only need fail2ban-regex on the host.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"

[ "$#" -gt 0 ] || die "usage: $0 PACKAGE:COMMAND..."

has_package() {
    if is_debian; then
        [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
    else
        command -v "$2" >/dev/null 2>&1
    fi
}

missing=()
for pair in "$@"; do
    package="${pair%%:*}"
    command_name="${pair#*:}"
    has_package "$package" "$command_name" || missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if ! is_debian || ! is_root; then
    die "missing host packages: ${missing[*]}. Install them (on Debian/Ubuntu: apt-get install ${missing[*]}) or run as root on Debian to let the Makefile install them."
fi

export DEBIAN_FRONTEND=noninteractive
log "host packages: installing ${missing[*]}"
started=$SECONDS

# Keep package scripts from starting services (fail2ban) while installing, unless the admin already
# has a policy in place. Exit code 101 means "action forbidden" to invoke-rc.d.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# Temporary: voipguard.pbx scripts/host-packages.sh\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    trap 'rm -f "$policy"' EXIT
fi

# One `apt-get update` per hour at most: a second call in the same `make test` finds fresh lists.
apt_stamp=/var/lib/apt/lists/.voipguard-updated
if [ -z "$(find "$apt_stamp" -mmin -60 2>/dev/null)" ]; then
    apt-get update -qq
    touch "$apt_stamp"
fi
apt-get install -y -qq "${missing[@]}" >/dev/null

for package in "${missing[@]}"; do
    if [ "$package" = fail2ban ] && has_systemd; then
        # The package enables and may start its service; the host must not run it.
        systemctl disable --now --quiet fail2ban.service
    fi
done
log "host packages: installed ${missing[*]} in $(elapsed "$started")"
