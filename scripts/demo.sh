#!/usr/bin/env bash
# `make demo`: bring up the default scenario's containers (a PBX running the FreeSWITCH stand-in,
# an attacker, a whitelisted host, a phone), protect the PBX with the collection, then attack it
# and tell in plain words what happened.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"

cd "$here/.."
log "demo: creating the containers and applying voipguard.pbx (molecule converge -s default)"
molecule converge -s default
log "demo: attacking the PBX"
python molecule/resources/demo_story.py
