# shellcheck shell=bash
# Shared helpers for the scripts the Makefile calls. Source it; it does not run anything.

log() { printf '==> %s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() {
    printf 'ERROR: %s\n' "$*" >&2
    exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }
is_debian() { [ -r /etc/debian_version ] && command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; }
# systemd is PID 1 only when this directory exists (sd_booted()).
has_systemd() { [ -d /run/systemd/system ]; }

# elapsed START: seconds since START (a value of $SECONDS), for timing output.
elapsed() { printf '%ss' "$((SECONDS - $1))"; }
