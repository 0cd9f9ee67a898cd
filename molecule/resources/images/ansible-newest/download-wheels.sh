#!/usr/bin/env bash
# Download, on the build host, every wheel the voipguard/ansible-newest image installs: the pinned
# toolchain (REQUIREMENTS, requirements-newest.txt), the requirements of each ansible-test sanity test of
# the pinned ansible-core (installed into ansible-test's own virtualenvs, `sanity --venv`) and the pip
# those virtualenvs are given. The image installs from these files only (pip --no-index), so neither its
# build nor `make newest` asks PyPI anything from inside a container.
# Usage: download-wheels.sh REQUIREMENTS DEST. PIP_PYTHON: a Python with pip (default python3).
set -euo pipefail
requirements="$1"
dest="$2"
python="${PIP_PYTHON:-python3}"
mkdir -p "$dest"
# Wheels for the image's CPython 3.13 on x86_64 (Debian 13's glibc 2.41 accepts all these tags).
target=(--only-binary=:all: --python-version 3.13 --implementation cp --abi cp313
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64
    --platform manylinux_2_34_x86_64)
pip_download() { "$python" -m pip download --quiet --disable-pip-version-check --dest "$dest" "${target[@]}" "$@"; }

pip_download --no-deps -r "$requirements"

# ansible-test's requirement files and pip version, from the ansible-core wheel just downloaded.
core_version="$(sed -n 's/^ansible-core==\([^ ]*\).*/\1/p' "$requirements")"
[ -n "$core_version" ] || { echo "ERROR: $requirements pins no ansible-core" >&2; exit 1; }
wheel="$dest/ansible_core-$core_version-py3-none-any.whl"
extract="$(mktemp -d)"
trap 'rm -rf "$extract"' EXIT
"$python" - "$wheel" "$extract" <<'PY'
import re
import sys
import zipfile

wheel, extract = sys.argv[1:]
with zipfile.ZipFile(wheel) as archive:
    for name in archive.namelist():
        if re.match(r'ansible_test/_data/requirements/sanity\.[a-z0-9.-]+\.txt$', name):
            with open('%s/%s' % (extract, name.rsplit('/', 1)[1]), 'wb') as handle:
                handle.write(archive.read(name))
    source = archive.read('ansible_test/_internal/python_requirements.py').decode('utf-8')
with open('%s/pip.txt' % extract, 'w') as handle:
    handle.write('pip==%s\n' % re.search(r"pip='([0-9.]+)'", source).group(1))
PY
for file in "$extract"/*.txt; do
    pip_download -r "$file"
done
echo "==> wheels: $(find "$dest" -name '*.whl' | wc -l) wheels for ansible-core $core_version on Python 3.13 in $dest"
