#!/usr/bin/env bash
# Create VENV (default .venv) from REQUIREMENTS (default requirements-dev.txt). The venv is rebuilt
# from scratch only when that file or the Python interpreter changes (hash kept in a stamp file).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"

root="$(cd "$here/.." && pwd)"
venv="${VENV:-$root/.venv}"
python="${PYTHON:-python3}"
requirements="${REQUIREMENTS:-$root/requirements-dev.txt}"
stamp="$venv/.voipguard-stamp"

command -v "$python" >/dev/null 2>&1 || die "no '$python' on PATH: install Python 3.11 (Debian 12: apt-get install python3 python3-venv) or set PYTHON=/path/to/python3.11"
wanted="$( (sha256sum "$requirements" | cut -d' ' -f1; "$python" -c 'import sys; print(sys.version)') | sha256sum | cut -d' ' -f1)"

if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
    exit 0
fi

started=$SECONDS
log "venv: building $venv from $(basename "$requirements") with $("$python" --version 2>&1)"
rm -rf "$venv"
"$python" -m venv "$venv" || die "'$python -m venv' failed (Debian: apt-get install python3-venv)"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
"$venv/bin/python" -m pip check >/dev/null || { "$venv/bin/python" -m pip check; die "venv: inconsistent requirements in $(basename "$requirements")"; }
echo "$wanted" >"$stamp"
log "venv: ready in $(elapsed "$started") (ansible-core $("$venv/bin/python" -c 'import ansible.release; print(ansible.release.__version__)'))"
