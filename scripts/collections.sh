#!/usr/bin/env bash
# Make the collections the project needs visible to Ansible:
#  - this repository as voipguard.pbx: COLLECTIONS_DIR/ansible_collections/voipguard/pbx -> repo root;
#  - community.general, community.docker: from Ansible Galaxy into COLLECTIONS_DIR
#    when Galaxy answers within GALAXY_TIMEOUT seconds, else the copies shipped in the `ansible`
#    PyPI bundle installed in the venv (found through Python's sys.path).
# Set GALAXY=no to skip the Galaxy attempt. Expects the venv's bin on PATH and
# ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_DIR (the Makefile exports both).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"

root="$(cd "$here/.." && pwd)"
collections_dir="${COLLECTIONS_DIR:-$root/.cache/collections}"
galaxy_timeout="${GALAXY_TIMEOUT:-45}"
stamp="$collections_dir/.voipguard-source"
required=(community.general community.docker)

mkdir -p "$collections_dir/ansible_collections/voipguard"
link="$collections_dir/ansible_collections/voipguard/pbx"
if [ "$(readlink "$link" 2>/dev/null)" != "$root" ]; then
    [ ! -e "$link" ] || [ -L "$link" ] || die "$link exists and is not a symlink: remove it"
    ln -sfn "$root" "$link"
fi

# Galaxy is asked once per requirements.yml change; the answer is kept in the stamp.
wanted="$(sha256sum "$root/requirements.yml" | cut -d' ' -f1)"
if [ "$(head -n1 "$stamp" 2>/dev/null)" = "$wanted" ]; then
    log "collections: using $(sed -n 2p "$stamp")"
    exit 0
fi

source_used=""
if [ "${GALAXY:-yes}" != no ]; then
    started=$SECONDS
    log "collections: trying Ansible Galaxy (timeout ${galaxy_timeout}s)"
    # Without the sys.path scan, ansible-galaxy does not count the bundle's copies as installed
    # and really asks Galaxy.
    if ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false timeout "$galaxy_timeout" ansible-galaxy collection install \
        --timeout 15 -r "$root/requirements.yml" -p "$collections_dir" >"$collections_dir/galaxy.log" 2>&1; then
        source_used="Ansible Galaxy (installed into $collections_dir)"
    else
        log "collections: Galaxy did not answer after $(elapsed "$started") (log: $collections_dir/galaxy.log)"
    fi
fi
if [ -z "$source_used" ]; then
    # Copies an earlier Galaxy run left would shadow the bundle: drop them.
    rm -rf "$collections_dir/ansible_collections/ansible" "$collections_dir/ansible_collections/community"
    source_used="the ansible PyPI bundle in the venv ($(pip show ansible 2>/dev/null | sed -n 's/^Version: /ansible==/p'))"
fi

listing="$(ansible-galaxy collection list 2>/dev/null)"
for name in "${required[@]}" voipguard.pbx; do
    grep -q "^$name " <<<"$listing" || die "collection $name is not visible to Ansible after using $source_used"
done
printf '%s\n%s\n' "$wanted" "$source_used" >"$stamp"
log "collections: using $source_used"
for name in "${required[@]}"; do
    grep "^$name " <<<"$listing" | head -n1 | awk '{print "    " $1 " " $2}'
done
