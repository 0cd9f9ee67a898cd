#!/usr/bin/env bash
# `make newest`: voipguard.pbx with the newest ansible-core it supports (requirements-newest.txt: ansible-core
# 2.21 and its `ansible` bundle on Python 3.13), in the voipguard/ansible-newest image (Debian 13; built by
# molecule/resources/images/build.sh). With this checkout mounted at the same path and the host's Docker
# socket, the container runs:
#   1. ansible-test sanity on a copy in .cache/newest/sanity (scripts/sanity.sh, Python 3.13);
#   2. the unit tests (tests/unit), as `make unit`;
#   3. the integration tests (tests/integration) with fail2ban, sipp, PostgreSQL and nft required, as `make integration`;
#   4. the default molecule scenario: destroy, create (with prepare), converge, idempotence (NEWEST_MOLECULE_STEPS),
#      then destroy whatever happened. Its sibling containers and network have fixed names: never run this
#      while another run of the default scenario is going (`make test` runs one target after another).
# Environment: NEWEST_IMAGE (default voipguard/ansible-newest:2.21), VOIPGUARD_FUSIONPBX_SOURCE (the
# Makefile's verified FusionPBX tarball for the database tests), NEWEST_STEPS (default "sanity unit integration molecule").
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"
root="$(cd "$here/.." && pwd)"
steps="${NEWEST_STEPS:-sanity unit integration molecule}"
molecule_steps="${NEWEST_MOLECULE_STEPS:-create converge idempotence}"
out="$root/.cache/newest"

inside() {
    local started step collections="/tmp/newest-collections"
    # voipguard.pbx is this checkout; community.general and community.docker are the bundle's (in the venv).
    mkdir -p "$collections/ansible_collections/voipguard"
    ln -sfn "$root" "$collections/ansible_collections/voipguard/pbx"
    export ANSIBLE_COLLECTIONS_PATH="$collections" PYTHONPATH="$collections" ANSIBLE_HOME=/tmp/ansible-home
    cd "$root"
    log "newest: $(ansible --version | head -n1), $(python --version), ansible $(pip show ansible | sed -n 's/^Version: //p'), molecule $(pip show molecule | sed -n 's/^Version: //p') on $(sed -n 's/^PRETTY_NAME=//p' /etc/os-release | tr -d '"')"
    for step in $steps; do
        started=$SECONDS
        case "$step" in
            sanity)
                log "newest: ansible-test sanity (Python 3.13)"
                SANITY_ROOT="$out/sanity" SANITY_PYTHON=3.13 "$here/sanity.sh"
                ;;
            unit)
                log "newest: pytest tests/unit (but the docs site's tests: make docs builds it with its own toolchain)"
                python -m pytest -q -rs -p no:cacheprovider --ignore tests/unit/test_docs_site.py tests/unit
                ;;
            integration)
                log "newest: pytest tests/integration"
                [ -n "${VOIPGUARD_FUSIONPBX_SOURCE:-}" ] || die "newest: VOIPGUARD_FUSIONPBX_SOURCE is not set (make newest sets it)"
                VOIPGUARD_REQUIRE_FAIL2BAN=1 VOIPGUARD_REQUIRE_SIPP=1 VOIPGUARD_REQUIRE_POSTGRES=1 \
                    python -m pytest -q -rs -p no:cacheprovider tests/integration
                ;;
            molecule)
                molecule_default
                ;;
            *) die "newest: unknown step $step (NEWEST_STEPS: sanity unit integration molecule)" ;;
        esac
        log "newest: $step passed in $(elapsed "$started")"
    done
}

molecule_default() {
    local step
    # Whatever happens, the scenario's containers and network go away.
    trap 'log "newest: molecule destroy -s default"; molecule destroy -s default >/dev/null 2>&1 || warn "newest: molecule destroy failed"' EXIT
    log "newest: molecule destroy -s default (leftovers of an interrupted run)"
    molecule destroy -s default
    for step in $molecule_steps; do
        log "newest: molecule $step -s default"
        molecule "$step" -s default
    done
    trap - EXIT
    log "newest: molecule destroy -s default"
    molecule destroy -s default
}

if [ "${1:-}" = --inside ]; then
    inside
    exit 0
fi

image="${NEWEST_IMAGE:-voipguard/ansible-newest:2.21}"
docker image inspect "$image" >/dev/null 2>&1 || die "newest: no image $image (make newest builds it: molecule/resources/images/build.sh ansible-newest:2.21)"
mkdir -p "$out"
# ansible-test's sanity virtualenvs are kept in .cache/newest/ansible-test from one run to the next.
mkdir -p "$out/ansible-test"
mounts=(-v "$root:$root" -v /var/run/docker.sock:/var/run/docker.sock -v "$out/ansible-test:/root/.ansible/test")
# A git worktree keeps its repository elsewhere: sanity.sh's `git ls-files` needs it too.
git_dir="$(git -C "$root" rev-parse --path-format=absolute --git-common-dir)"
case "$git_dir/" in
    "$root"/*) ;;
    *) mounts+=(-v "$git_dir:$git_dir:ro") ;;
esac
started=$SECONDS
log "newest: in $image: $steps"
status=0
# Root in the container (runuser for PostgreSQL, network namespaces for nft, chattr +i); files it leaves in the
# checkout go back to the checkout's owner.
docker run --rm --name "voipguard-newest-$$" --hostname voipguard-newest \
    --cap-add SYS_ADMIN --cap-add NET_ADMIN --cap-add LINUX_IMMUTABLE --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    "${mounts[@]}" -w "$root" \
    -e GIT_CONFIG_COUNT=1 -e GIT_CONFIG_KEY_0=safe.directory -e GIT_CONFIG_VALUE_0='*' \
    -e VOIPGUARD_FUSIONPBX_SOURCE="${VOIPGUARD_FUSIONPBX_SOURCE:-}" -e NEWEST_STEPS="$steps" \
    -e NEWEST_MOLECULE_STEPS="$molecule_steps" \
    "$image" bash -c "status=0; '$here/newest.sh' --inside || status=\$?; chown -R $(stat -c %u:%g "$root") '$out' .hypothesis 2>/dev/null; exit \$status" ||
    status=$?
if [ "$status" -eq 0 ]; then
    log "newest: passed in $(elapsed "$started")"
else
    log "newest: FAILED (exit $status) after $(elapsed "$started")"
fi
exit "$status"
