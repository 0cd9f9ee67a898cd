#!/usr/bin/env bash
# Make sure a Docker engine answers `docker info`.
# As root on Debian: install docker.io when missing and start the engine (systemd when it runs the
# host, otherwise dockerd in the background with its log in DOCKERD_LOG). Anywhere else: say what to do.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"

DOCKERD_LOG="${DOCKERD_LOG:-/var/log/voipguard-dockerd.log}"
DOCKERD_START_TIMEOUT="${DOCKERD_START_TIMEOUT:-90}"

docker_answers() { command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1; }

if docker_answers; then
    log "docker: engine $(docker version -f '{{.Server.Version}}' 2>/dev/null) answers (cgroup v$(docker info -f '{{.CgroupVersion}}' 2>/dev/null))"
    exit 0
fi

if ! is_debian || ! is_root; then
    die "no Docker engine answers 'docker info'. Start one (for example 'sudo systemctl start docker'), make sure this user may use it (docker group), then run make again. As root on Debian, 'make docker' installs docker.io and starts the engine itself."
fi

"$here/host-packages.sh" docker.io:dockerd

started=$SECONDS
deadline=$((SECONDS + DOCKERD_START_TIMEOUT))
if has_systemd; then
    log "docker: starting docker.service"
    systemctl enable --now --quiet docker.service
fi
# Without systemd: start dockerd unless one is already starting; a dockerd that is still shutting
# down (or dies) is replaced once it has gone. Give up at the deadline.
launched=0
until docker info >/dev/null 2>&1; do
    if ! has_systemd && ! pgrep -x dockerd >/dev/null; then
        [ "$launched" -lt 2 ] || { tail -n 30 "$DOCKERD_LOG" >&2; die "dockerd exited twice (log above, full log: $DOCKERD_LOG)"; }
        log "docker: starting dockerd in the background (log: $DOCKERD_LOG)"
        mkdir -p "$(dirname "$DOCKERD_LOG")"
        # setsid: the engine outlives this make run and is not killed with its process group.
        setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
        launched=$((launched + 1))
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
        if [ -r "$DOCKERD_LOG" ]; then tail -n 30 "$DOCKERD_LOG" >&2; fi
        die "the Docker engine did not answer within ${DOCKERD_START_TIMEOUT}s (log: $DOCKERD_LOG; with systemd: journalctl -u docker)"
    fi
    sleep 1
done
log "docker: engine $(docker version -f '{{.Server.Version}}') answers after $(elapsed "$started") (cgroup v$(docker info -f '{{.CgroupVersion}}'))"
