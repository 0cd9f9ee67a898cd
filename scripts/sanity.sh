#!/usr/bin/env bash
# ansible-test sanity for voipguard.pbx. ansible-test needs the collection at
# .../ansible_collections/voipguard/pbx, so this copies the files git knows about (tracked, plus
# new files that are not ignored) to .cache/sanity/ansible_collections/voipguard/pbx and runs
# there. Test requirements come from PyPI into ansible-test's own virtualenvs (--venv), so the
# pinned .venv stays as it is. Any error fails the run.
# SANITY_ROOT: where the copy goes (default .cache/sanity; `make newest` uses its own);
# SANITY_PYTHON: the Python version ansible-test runs the tests with (default 3.11).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"

root="$(cd "$here/.." && pwd)"
sanity_root="${SANITY_ROOT:-$root/.cache/sanity}"
copy="$sanity_root/ansible_collections/voipguard/pbx"
python_version="${SANITY_PYTHON:-3.11}"

git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
    die "sanity needs a git checkout: it copies the files git tracks (plus new, not ignored ones)"

started=$SECONDS
rm -rf "$sanity_root"
mkdir -p "$copy"
copy_checkout "$root" "$copy"
log "sanity: copied $(find "$copy" -type f | wc -l) files to $copy"

# ansible-test bootstraps pip in its virtualenvs with a script from ci-files.testing.ansible.com,
# which CI cannot reach: cache a stand-in that uses ensurepip and PyPI instead (a real cached copy wins).
pip_version="$(python - <<'PY'
import pathlib, re, ansible_test
text = (pathlib.Path(ansible_test.__file__).parent / '_internal' / 'python_requirements.py').read_text()
print(re.search(r"pip='([0-9.]+)'", text).group(1))
PY
)"
get_pip_cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
if [ ! -s "$get_pip_cache" ]; then
    mkdir -p "$(dirname "$get_pip_cache")"
    cp "$here/ansible_test_get_pip.py" "$get_pip_cache"
    log "sanity: cached a pip $pip_version bootstrap stand-in at $get_pip_cache"
fi

cd "$copy"
# The copy lies inside this git work tree (ignored): name the content root so ansible-test does
# not walk up to the outer .git and list nothing.
export ANSIBLE_TEST_CONTENT_ROOT="$copy"
ansible-test sanity --venv --python "$python_version" --color=no "$@"
log "sanity: passed in $(elapsed "$started")"
