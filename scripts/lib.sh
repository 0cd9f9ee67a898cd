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

# copy_checkout ROOT DEST: copy the files git knows about in the checkout ROOT (tracked, plus new files
# that are not ignored) into DEST. Files deleted in the work tree are still listed by `git ls-files -c`:
# only what exists is copied.
copy_checkout() {
    git -C "$1" rev-parse --is-inside-work-tree >/dev/null 2>&1 || die "$1 is not a git checkout: run this in a clone"
    git -C "$1" ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' path; do
            if [ -e "$1/$path" ] || [ -L "$1/$path" ]; then printf '%s\0' "$path"; fi
        done |
        tar -C "$1" --null --files-from=- -cf - | tar -C "$2" -xf -
}

# elapsed START: seconds since START (a value of $SECONDS), for timing output.
elapsed() { printf '%ss' "$((SECONDS - $1))"; }
