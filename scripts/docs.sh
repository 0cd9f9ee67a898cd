#!/usr/bin/env bash
# The collection's documentation with antsibull-docs (requirements-docs.txt, in DOCS_VENV):
#   docs.sh lint   antsibull-docs lint-collection-docs --plugin-docs: plugin, role and extra docs
#                  (schemas, markup, references) as docs.ansible.com would build them; any finding fails.
#   docs.sh site   the documentation site in .cache/docs (`antsibull-docs sphinx-init`, then its
#                  build.sh: every module, filter, test and role, and the guides of docs/docsite/extra-docs.yml,
#                  rendered from the Markdown files with scripts/sphinx_voipguard.py). Sphinx runs with
#                  -W (a warning fails) and offline: no intersphinx inventory is fetched, links to
#                  docs.ansible.com are written from its URL layout (scripts/sphinx_voipguard.py).
# antsibull-docs calls ansible-doc from DOCS_VENV on voipguard.pbx (COLLECTIONS_DIR) and its
# dependencies: community.general from COLLECTIONS_DIR (Galaxy) or the `ansible` bundle in VENV.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"

root="$(cd "$here/.." && pwd)"
docs_venv="${DOCS_VENV:-$root/.cache/venv-docs}"
dev_venv="${VENV:-$root/.venv}"
collections_dir="${COLLECTIONS_DIR:-$root/.cache/collections}"
[ -x "$docs_venv/bin/antsibull-docs" ] || die "no antsibull-docs in $docs_venv: run make docs-venv"
[ -x "$dev_venv/bin/python" ] || die "no $dev_venv: run make collections"

bundle="$("$dev_venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
unset PYTHONPATH VIRTUAL_ENV
export PATH="$docs_venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$collections_dir:$bundle"
# A private ANSIBLE_HOME: a voipguard.pbx installed under ~/.ansible would shadow this checkout.
export ANSIBLE_HOME="$root/.cache/ansible-home"

case "${1:-}" in
lint)
    started=$SECONDS
    antsibull-docs lint-collection-docs --plugin-docs "$root"
    log "docs: antsibull-docs lint-collection-docs --plugin-docs found nothing ($(elapsed "$started"))"
    ;;
site)
    started=$SECONDS
    site="$root/.cache/docs"
    rm -rf "$site"
    mkdir -p "$site"
    antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error --dest-dir "$site" \
        --project voipguard.pbx --copyright 'voipguard.pbx contributors' --title 'voipguard.pbx' voipguard.pbx >/dev/null
    cat >>"$site/conf.py" <<EOF

# Added by scripts/docs.sh: the Markdown guides and offline links (scripts/sphinx_voipguard.py).
import sys  # noqa: E402
sys.path.insert(0, '$here')
extensions.append('sphinx_voipguard')
intersphinx_mapping = {}
EOF
    "$site/build.sh" >"$site/build.log" 2>&1 || { cat "$site/build.log" >&2; die "docs: the site did not build (log above: $site/build.log)"; }
    pages="$(find "$site/build/html" -name '*.html' ! -name search.html ! -name genindex.html | wc -l)"
    log "docs: $pages pages in $site/build/html/index.html ($(elapsed "$started"))"
    ;;
*)
    die "usage: $0 lint|site"
    ;;
esac
