#!/usr/bin/env bash
# Build the container images the molecule scenarios run on:
#   voipguard/debian-systemd:11|12|13  Debian bullseye/bookworm/trixie booting systemd
#   voipguard/sip-client:12            Debian bookworm with SIPp, for the SIP test bed
# Base images: the public debian:<suite> image when it is present or can be pulled within
# PULL_TIMEOUT seconds, else a base built from Debian packages with debootstrap and imported as
# voipguard/debian-base:<suite>. Each image carries a label with the hash of its build inputs
# (Dockerfile, shared files, suite): an image whose label matches is not rebuilt.
#
# Environment: IMAGES_FORCE=1 rebuilds everything (bases too); IMAGES_PULL=no never pulls;
# PULL_TIMEOUT (default 60); DEBIAN_MIRROR (default http://deb.debian.org/debian);
# IMAGES_WORKDIR (default <repo>/.cache/images) holds logs and debootstrap trees.
set -euo pipefail
images_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$images_dir/../../.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$root/scripts/lib.sh"

# Bump when this script changes what it builds, to rebuild every image once.
BUILD_SCHEMA=1
LABEL=org.voipguard.inputs
NAMESPACE="${IMAGE_NAMESPACE:-voipguard}"
PULL_TIMEOUT="${PULL_TIMEOUT:-60}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
workdir="${IMAGES_WORKDIR:-$root/.cache/images}"
# The legacy builder works with every engine this project meets (docker.io 20.10 has no buildx).
export DOCKER_BUILDKIT=0

# name:tag:suite, in build order (images of one suite are built one after another).
IMAGES=(
    debian-systemd:11:bullseye
    debian-systemd:12:bookworm
    debian-systemd:13:trixie
    sip-client:12:bookworm
)

mkdir -p "$workdir"
total_started=$SECONDS

inputs_hash() { # name suite
    local name="$1" suite="$2"
    {
        echo "schema=$BUILD_SCHEMA name=$name suite=$suite"
        cd "$images_dir" && find common "$name" -type f -print0 | sort -z | xargs -0 sha256sum
    } | sha256sum | cut -d' ' -f1
}

image_label() { docker image inspect -f "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null || true; }
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# Which images need building, and which suites' bases they need.
declare -A wanted_hash=()
declare -A suites_to_build=()
to_build=()
for entry in "${IMAGES[@]}"; do
    IFS=: read -r name tag suite <<<"$entry"
    ref="$NAMESPACE/$name:$tag"
    hash="$(inputs_hash "$name" "$suite")"
    wanted_hash[$ref]="$hash"
    if [ "${IMAGES_FORCE:-0}" != 1 ] && [ "$(image_label "$ref")" = "$hash" ]; then
        log "images: $ref is up to date"
        continue
    fi
    to_build+=("$entry")
    suites_to_build[$suite]=1
done

if [ "${#to_build[@]}" -eq 0 ]; then
    log "images: nothing to build ($(elapsed "$total_started"))"
    exit 0
fi

# Choose each needed suite's base image. Pulls are tried one at a time and given up for the
# rest of the run after the first failure (no registry reachable).
declare -A base_of=()
pull_works="${IMAGES_PULL:-auto}"
for suite in $(printf '%s\n' "${!suites_to_build[@]}" | sort); do
    public="debian:$suite"
    own="$NAMESPACE/debian-base:$suite"
    if [ "${IMAGES_FORCE:-0}" != 1 ] && image_exists "$public"; then
        base_of[$suite]="$public"
    elif [ "${IMAGES_FORCE:-0}" != 1 ] && image_exists "$own"; then
        base_of[$suite]="$own"
    elif [ "$pull_works" != no ] && log "images: pulling $public (timeout ${PULL_TIMEOUT}s)" &&
        timeout "$PULL_TIMEOUT" docker pull -q "$public" >"$workdir/pull-$suite.log" 2>&1; then
        base_of[$suite]="$public"
    else
        if [ "$pull_works" != no ]; then
            log "images: cannot pull $public ($(tail -n1 "$workdir/pull-$suite.log")); building bases with debootstrap"
            pull_works=no
        fi
        base_of[$suite]="debootstrap:$own"
    fi
done

build_base() { # suite ref
    local suite="$1" ref="$2" tree="$workdir/rootfs-$1"
    is_root || die "debootstrap needs root to build $ref (or make $ref / debian:$suite available)"
    command -v debootstrap >/dev/null || die "debootstrap is not installed (Debian: apt-get install debootstrap)"
    rm -rf "$tree"
    debootstrap --variant=minbase "$suite" "$tree" "$DEBIAN_MIRROR"
    # Downloaded packages and lists only make the image bigger; resolv.conf is the build host's.
    rm -rf "$tree"/var/cache/apt/archives/*.deb "$tree"/var/lib/apt/lists/* "$tree"/etc/resolv.conf "$tree"/etc/hostname
    tar --numeric-owner -C "$tree" -c . |
        docker import --change 'CMD ["/bin/bash"]' --change "LABEL org.voipguard.debootstrap=$suite" - "$ref"
    rm -rf "$tree"
}

build_suite() { # suite: base (if needed) then every image of that suite, in order
    local suite="$1" base="${base_of[$1]}" started entry name tag entry_suite ref
    if [ "${base#debootstrap:}" != "$base" ]; then
        base="${base#debootstrap:}"
        started=$SECONDS
        echo "--- debootstrap $suite -> $base"
        build_base "$suite" "$base"
        echo "--- built $base in $(elapsed "$started")"
        printf '%s %s\n' "$base" "$(elapsed "$started")" >>"$workdir/built-$suite"
    fi
    for entry in "${to_build[@]}"; do
        IFS=: read -r name tag entry_suite <<<"$entry"
        [ "$entry_suite" = "$suite" ] || continue
        ref="$NAMESPACE/$name:$tag"
        started=$SECONDS
        echo "--- docker build $ref from $base"
        docker build --pull=false -f "$images_dir/$name/Dockerfile" -t "$ref" \
            --build-arg "BASE_IMAGE=$base" --build-arg "SUITE=$suite" \
            --label "$LABEL=${wanted_hash[$ref]}" --label "org.voipguard.base=$base" \
            "$images_dir"
        echo "--- built $ref in $(elapsed "$started")"
        printf '%s %s\n' "$ref" "$(elapsed "$started")" >>"$workdir/built-$suite"
    done
}

# Suites build in parallel: debootstrap and apt downloads wait on the network, not the CPU.
declare -A pid_of=()
for suite in "${!suites_to_build[@]}"; do
    rm -f "$workdir/built-$suite"
    log "images: building for $suite on ${base_of[$suite]#debootstrap:}$([ "${base_of[$suite]#debootstrap:}" != "${base_of[$suite]}" ] && echo ' (debootstrap)') (log: $workdir/build-$suite.log)"
    (build_suite "$suite") >"$workdir/build-$suite.log" 2>&1 &
    pid_of[$suite]=$!
done

failed=()
for suite in "${!pid_of[@]}"; do
    if ! wait "${pid_of[$suite]}"; then
        failed+=("$suite")
        printf '\n--- last lines of %s\n' "$workdir/build-$suite.log" >&2
        tail -n 25 "$workdir/build-$suite.log" >&2
    fi
    if [ -r "$workdir/built-$suite" ]; then
        while read -r ref took; do log "images: built $ref in $took"; done <"$workdir/built-$suite"
    fi
done
[ "${#failed[@]}" -eq 0 ] || die "images: build failed for ${failed[*]} (logs in $workdir)"

# Images replaced by a rebuild are left untagged: remove those of ours.
docker image prune -f --filter "label=$LABEL" >/dev/null
log "images: done in $(elapsed "$total_started")"
