#!/usr/bin/env bash
# `make demo`: bring up the default scenario's containers (PBXs running real FreeSWITCH built from
# pinned sources, an attacker, a whitelisted host, a phone), protect the PBXs with the collection,
# then attack the FreeSWITCH 1.10.12 one and tell in plain words what happened.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"

cd "$here/.."
log "demo: creating the containers and applying voipguard.pbx (molecule converge -s default)"
molecule converge -s default
log "demo: attacking the PBX"
python molecule/resources/demo_story.py
