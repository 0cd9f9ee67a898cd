#!/usr/bin/env bash
# galaxy-importer (requirements-docs.txt, in DOCS_VENV) on the collection tarball, as Galaxy and
# Automation Hub run it on an upload:
#  - "galaxy": the importer's defaults (.config/galaxy-importer/galaxy.cfg) on the tarball
#    `make build` writes;
#  - "automation-hub": Automation Hub's settings (.config/galaxy-importer/automation-hub.cfg) on the
#    same files built as version 1.0.0 when galaxy.yml still says 0.x (Automation Hub takes 1.0.0 and
#    later only), which is what releasing 1.0.0 would upload.
# The importer runs with an empty environment (no PYTHONPATH, no ANSIBLE_COLLECTIONS_PATH, its own
# HOME): only the tarball is seen, as on Galaxy. Any ERROR or WARNING line, or a failed import, fails.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"

root="$(cd "$here/.." && pwd)"
venv="${DOCS_VENV:-$root/.cache/venv-docs}"
work="$root/.cache/galaxy-import"
[ -x "$venv/bin/python" ] || die "no $venv: run make docs-venv"

started=$SECONDS
rm -rf "$work"
mkdir -p "$work/home" "$work/dist"

version="$(sed -n 's/^version: *//p' "$root/galaxy.yml" | tr -d "\"'")"
"$venv/bin/ansible-galaxy" collection build --force --output-path "$work/dist" "$root" >/dev/null
tarball="$work/dist/voipguard-pbx-$version.tar.gz"
[ -f "$tarball" ] || die "ansible-galaxy did not write $tarball"

hub_tarball="$tarball"
if [ "${version%%.*}" = 0 ]; then
    stage="$work/release-1.0.0"
    mkdir -p "$stage"
    copy_checkout "$root" "$stage"
    sed -i 's/^version: .*/version: 1.0.0/' "$stage/galaxy.yml"
    "$venv/bin/ansible-galaxy" collection build --force --output-path "$work/dist" "$stage" >/dev/null
    hub_tarball="$work/dist/voipguard-pbx-1.0.0.tar.gz"
fi

failed=0
run_importer() {
    local name="$1" archive="$2" log="$work/$1/importer.log" rc=0 findings
    mkdir -p "$work/$name"
    # importer_result.json lands in the working directory.
    (cd "$work/$name" && env -i HOME="$work/home" PATH="$venv/bin:/usr/bin:/bin" LANG=C.UTF-8 LC_ALL=C.UTF-8 \
        GALAXY_IMPORTER_CONFIG="$root/.config/galaxy-importer/$name.cfg" \
        "$venv/bin/python" -m galaxy_importer.main "$archive" >"$log" 2>&1) || rc=$?
    findings="$(grep -cE '^(WARNING|ERROR|CRITICAL):' "$log" || true)"
    if [ "$rc" -ne 0 ] || [ "$findings" -ne 0 ] || ! grep -qx 'Importer processing completed successfully' "$log"; then
        grep -vE '^Loading ' "$log" >&2
        warn "galaxy-import: $name settings on $(basename "$archive"): exit $rc, $findings ERROR/WARNING lines (log: $log)"
        failed=1
        return
    fi
    log "galaxy-import: $name settings on $(basename "$archive"): imported, no ERROR or WARNING" \
        "($("$venv/bin/python" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["contents"]))' \
            "$work/$name/importer_result.json") contents)"
}

log "galaxy-import: $("$venv/bin/python" -c 'import importlib.metadata as m; print("galaxy-importer", m.version("galaxy-importer"), "with ansible-core", m.version("ansible-core"), "and ansible-lint", m.version("ansible-lint"))')"
run_importer galaxy "$tarball"
run_importer automation-hub "$hub_tarball"
[ "$failed" -eq 0 ] || die "galaxy-import: galaxy-importer reported problems (above)"
log "galaxy-import: passed in $(elapsed "$started")"
