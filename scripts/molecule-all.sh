#!/usr/bin/env bash
# `make molecule-all`: run molecule scenarios MOLECULE_JOBS at a time (default 2), each writing its
# output to MOLECULE_LOGS/<scenario>.log (.cache/molecule-logs); a failed scenario's log is printed whole. Every
# scenario runs even when one fails; the exit status says whether all passed.
# molecule's own --workers mode runs scenarios inside the default scenario's single create/destroy,
# which does not fit scenarios that bring their own containers and networks, as ours do.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"

[ "$#" -gt 0 ] || die "usage: $0 SCENARIO..."
jobs="${MOLECULE_JOBS:-2}"
logs="${MOLECULE_LOGS:-$here/../.cache/molecule-logs}"
export MOLECULE_LOGS="$logs" MOLECULE_JOBS="$jobs"
mkdir -p "$logs"

# One scenario (the script runs itself once per scenario through xargs).
if [ "$1" = "--one" ]; then
    scenario="$2" log="$logs/$2.log" started=$SECONDS
    echo "==> molecule: test -s $scenario (log: $log)"
    if molecule test -s "$scenario" >"$log" 2>&1; then
        echo "==> molecule: $scenario passed in $((SECONDS - started))s"
        exit 0
    fi
    echo "==> molecule: $scenario FAILED after $((SECONDS - started))s; its log:"
    sed 's/^/    /' "$log"
    exit 1
fi

started=$SECONDS
status=0
printf '%s\n' "$@" | xargs -P "$jobs" -n 1 "$0" --one || status=$?
if [ "$status" -eq 0 ]; then
    echo "==> molecule-all: $* passed in $((SECONDS - started))s ($jobs at a time)"
else
    echo "==> molecule-all: FAILED (see above) after $((SECONDS - started))s"
fi
exit "$status"
