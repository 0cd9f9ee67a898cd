#!/usr/bin/env bash
# Build the container images the molecule scenarios run on:
#   voipguard/debian-systemd:11|12|13  Debian bullseye/bookworm/trixie booting systemd
#   voipguard/sip-client:12            Debian bookworm with SIPp, for the SIP test bed
#   voipguard/freeswitch:<tag>         debian-systemd:12 with real FreeSWITCH built from pinned sources
#                                      (FREESWITCH_BUILDS below; freeswitch/Dockerfile)
#   voipguard/fusionpbx:5.5            freeswitch:1.11.2-fhs with FusionPBX 5.5 installed as its official
#                                      Debian installer does (FUSIONPBX_BUILDS below; fusionpbx/Dockerfile)
#   voipguard/ansible-newest:2.21      Debian trixie, Python 3.13 and requirements-newest.txt's toolchain, for
#                                      `make newest` (ansible-newest/Dockerfile); built only when named:
#                                      build.sh ansible-newest:2.21
# With arguments NAME:TAG..., only those images are built; without, every image in IMAGES.
# Base images: the public debian:<suite> image when it is present or can be pulled within
# PULL_TIMEOUT seconds, else a base built from Debian packages with debootstrap and imported as
# voipguard/debian-base:<suite>. Each image carries a label with the hash of its build inputs
# (Dockerfile, shared files, suite): an image whose label matches is not rebuilt.
#
# FreeSWITCH images also hash the pinned checksums of their sources (molecule/resources/sources/
# sources.lock), which ../sources/fetch_sources.py verifies into .cache/sources before a build.
#
# Environment: IMAGES_FORCE=1 rebuilds everything (bases too); IMAGES_PULL=no never pulls;
# PULL_TIMEOUT (default 60); DEBIAN_MIRROR (default http://deb.debian.org/debian);
# IMAGES_WORKDIR (default <repo>/.cache/images) holds logs and debootstrap trees;
# VOIPGUARD_SOURCES: a directory holding the pinned source tarballs (unset: download them from
# upstream); SOURCES_CACHE (default <repo>/.cache/sources) holds the verified tarballs.
set -euo pipefail
images_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$images_dir/../../.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$root/scripts/lib.sh"

# Bump when this script changes what it builds, to rebuild every image once.
BUILD_SCHEMA=1
sources_dir="$root/molecule/resources/sources"
SOURCES_CACHE="${SOURCES_CACHE:-$root/.cache/sources}"
LABEL=org.voipguard.inputs
NAMESPACE="${IMAGE_NAMESPACE:-voipguard}"
PULL_TIMEOUT="${PULL_TIMEOUT:-60}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
workdir="${IMAGES_WORKDIR:-$root/.cache/images}"
# The legacy builder works with every engine this project meets (docker.io 20.10 has no buildx).
export DOCKER_BUILDKIT=0

# name:tag:suite, in build order (images of one suite are built one after another; an image built
# FROM another of ours comes after it).
IMAGES=(
    debian-systemd:11:bullseye
    debian-systemd:12:bookworm
    debian-systemd:13:trixie
    sip-client:12:bookworm
    freeswitch:1.10.12:bookworm
    freeswitch:1.10.6:bookworm
    freeswitch:1.11.2-fhs:bookworm
    fusionpbx:5.5:bookworm
)
# Built only when named on the command line (no molecule scenario runs on them).
ON_DEMAND_IMAGES=(
    ansible-newest:2.21:trixie
)
if [ "$#" -gt 0 ]; then
    selected=()
    for wanted in "$@"; do
        found=""
        for entry in "${IMAGES[@]}" "${ON_DEMAND_IMAGES[@]}"; do
            if [ "${entry%:*}" = "$wanted" ]; then found="$entry"; fi
        done
        [ -n "$found" ] || die "images: no image $wanted here (known: $(printf '%s ' "${IMAGES[@]%:*}" "${ON_DEMAND_IMAGES[@]%:*}"))"
        selected+=("$found")
    done
    IMAGES=("${selected[@]}")
fi
# FreeSWITCH image tag -> "source tarball, install layout" (freeswitch/build-freeswitch.sh):
# 1.10.12 is what most PBXs run; 1.10.6 the last release whose log lines have no idle-CPU field;
# 1.11.2 the newest, in the FHS layout that FusionPBX's installer and the packages use.
declare -A FREESWITCH_BUILDS=(
    [1.10.12]="freeswitch-1.10.12.tar.gz classic"
    [1.10.6]="freeswitch-1.10.6.tar.gz classic"
    [1.11.2-fhs]="freeswitch-1.11.2.tar.gz fhs"
)
# FusionPBX image tag -> "FusionPBX tarball, installer tarball, FreeSWITCH image tag it is built FROM".
declare -A FUSIONPBX_BUILDS=(
    [5.5]="fusionpbx-5.5-56cb26d35b.tar.gz fusionpbx-install.sh-4edf944a30.tar.gz 1.11.2-fhs"
)
# Built first, in this order, into every FreeSWITCH image (Debian's are too old for FreeSWITCH 1.10+).
FREESWITCH_LIBRARIES="sofia-sip-1.13.17.tar.gz spandsp-0c7bceb.tar.gz"
# The image FreeSWITCH images are built FROM.
FREESWITCH_RUNTIME=debian-systemd:12

mkdir -p "$workdir"
# One build at a time on this machine (two scenarios started together share the images and the
# build context directory).
exec 9>"$workdir/build.lock"
flock 9
total_started=$SECONDS

inputs_hash() { # name suite [tag]
    local name="$1" suite="$2" tag="${3:-}" tarball
    {
        echo "schema=$BUILD_SCHEMA name=$name suite=$suite"
        # READMEs do not change an image.
        (cd "$images_dir" && find common "$name" -type f ! -name '*.md' -print0 | sort -z | xargs -0 sha256sum)
        if [ "$name" = freeswitch ]; then
            echo "build=${FREESWITCH_BUILDS[$tag]} runtime=$(inputs_hash "${FREESWITCH_RUNTIME%%:*}" "$suite")"
            for tarball in $FREESWITCH_LIBRARIES $(freeswitch_source "$tag"); do
                grep -P "^\Q$tarball\E\t" "$sources_dir/sources.lock" || die "images: $tarball is not pinned in $sources_dir/sources.lock"
            done
        fi
        if [ "$name" = ansible-newest ]; then
            # The pinned toolchain; the wheels it installs follow from it.
            (cd "$root" && sha256sum requirements-newest.txt)
        fi
        if [ "$name" = fusionpbx ]; then
            # The FreeSWITCH image it is built FROM, with everything that image hashes.
            echo "build=${FUSIONPBX_BUILDS[$tag]} base=$(inputs_hash freeswitch "$suite" "$(fusionpbx_base "$tag")")"
            for tarball in $(fusionpbx_sources "$tag"); do
                grep -P "^\Q$tarball\E\t" "$sources_dir/sources.lock" || die "images: $tarball is not pinned in $sources_dir/sources.lock"
            done
        fi
    } | sha256sum | cut -d' ' -f1
}

freeswitch_source() { local build="${FREESWITCH_BUILDS[$1]}"; echo "${build% *}"; }
freeswitch_layout() { local build="${FREESWITCH_BUILDS[$1]}"; echo "${build#* }"; }
fusionpbx_sources() { local build="${FUSIONPBX_BUILDS[$1]}"; echo "${build% *}"; }
fusionpbx_base() { local build="${FUSIONPBX_BUILDS[$1]}"; echo "${build##* }"; }

image_label() { docker image inspect -f "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null || true; }
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# Which images need building, and which suites' bases they need.
declare -A wanted_hash=()
declare -A suites_to_build=()
to_build=()
sources_needed=()
for entry in "${IMAGES[@]}"; do
    IFS=: read -r name tag suite <<<"$entry"
    ref="$NAMESPACE/$name:$tag"
    hash="$(inputs_hash "$name" "$suite" "$tag")"
    wanted_hash[$ref]="$hash"
    if [ "${IMAGES_FORCE:-0}" != 1 ] && [ "$(image_label "$ref")" = "$hash" ]; then
        log "images: $ref is up to date"
        continue
    fi
    to_build+=("$entry")
    suites_to_build[$suite]=1
    if [ "$name" = freeswitch ]; then
        # shellcheck disable=SC2206 # a list of file names
        sources_needed+=($FREESWITCH_LIBRARIES "$(freeswitch_source "$tag")")
    fi
    if [ "$name" = fusionpbx ]; then
        # shellcheck disable=SC2207 # a list of file names
        sources_needed+=($(fusionpbx_sources "$tag"))
    fi
done

if [ "${#to_build[@]}" -eq 0 ]; then
    log "images: nothing to build ($(elapsed "$total_started"))"
    exit 0
fi

# The verified source tarballs, before anything is built: a missing or altered one stops here.
if [ "${#sources_needed[@]}" -gt 0 ]; then
    log "images: sources from ${VOIPGUARD_SOURCES:-upstream (VOIPGUARD_SOURCES is not set)} into $SOURCES_CACHE"
    mapfile -t sources_needed < <(printf '%s\n' "${sources_needed[@]}" | sort -u)
    python3 "$sources_dir/fetch_sources.py" --dest "$SOURCES_CACHE" "${sources_needed[@]}" ||
        die "images: the FreeSWITCH sources could not be verified (above)"
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

build_freeswitch() { # tag suite base ref
    local tag="$1" suite="$2" base="$3" ref="$4" context="$workdir/context-freeswitch" tarball source
    source="$(freeswitch_source "$tag")"
    # A context of its own: the Dockerfile's files and just the tarballs this build uses (hard links
    # into the verified cache), libraries apart, so their build stage is shared by every version.
    rm -rf "$context"
    mkdir -p "$context/sources/libraries" "$context/sources/freeswitch"
    cp -a "$images_dir/common" "$images_dir/freeswitch" "$context/"
    for tarball in $FREESWITCH_LIBRARIES; do
        ln "$SOURCES_CACHE/$tarball" "$context/sources/libraries/" 2>/dev/null || cp "$SOURCES_CACHE/$tarball" "$context/sources/libraries/"
    done
    ln "$SOURCES_CACHE/$source" "$context/sources/freeswitch/" 2>/dev/null || cp "$SOURCES_CACHE/$source" "$context/sources/freeswitch/"
    docker build --pull=false -f "$context/freeswitch/Dockerfile" -t "$ref" \
        --build-arg "BASE_IMAGE=$base" --build-arg "SUITE=$suite" \
        --build-arg "RUNTIME_IMAGE=$NAMESPACE/$FREESWITCH_RUNTIME" \
        --build-arg "LIBRARY_SOURCES=${FREESWITCH_LIBRARIES//.tar.gz/}" \
        --build-arg "FREESWITCH_SOURCE=${source%.tar.gz}" --build-arg "FREESWITCH_LAYOUT=$(freeswitch_layout "$tag")" \
        --label "$LABEL=${wanted_hash[$ref]}" --label "org.voipguard.base=$base" \
        --label "org.voipguard.freeswitch=${source%.tar.gz} $(freeswitch_layout "$tag")" \
        "$context"
    rm -rf "$context"
}

build_fusionpbx() { # tag base ref
    local tag="$1" base="$2" ref="$3" context="$workdir/context-fusionpbx" tarball sources
    sources="$(fusionpbx_sources "$tag")"
    rm -rf "$context"
    mkdir -p "$context/sources/fusionpbx"
    cp -a "$images_dir/common" "$images_dir/fusionpbx" "$context/"
    for tarball in $sources; do
        ln "$SOURCES_CACHE/$tarball" "$context/sources/fusionpbx/" 2>/dev/null || cp "$SOURCES_CACHE/$tarball" "$context/sources/fusionpbx/"
    done
    # shellcheck disable=SC2086 # two file names
    set -- $sources
    docker build --pull=false -f "$context/fusionpbx/Dockerfile" -t "$ref" \
        --build-arg "BASE_IMAGE=$NAMESPACE/freeswitch:$(fusionpbx_base "$tag")" \
        --build-arg "FUSIONPBX_SOURCE=${1%.tar.gz}" --build-arg "INSTALLER_SOURCE=${2%.tar.gz}" \
        --label "$LABEL=${wanted_hash[$ref]}" --label "org.voipguard.base=$NAMESPACE/freeswitch:$(fusionpbx_base "$tag")" \
        --label "org.voipguard.fusionpbx=${1%.tar.gz} ${2%.tar.gz}" \
        "$context"
    rm -rf "$context"
}

build_ansible_newest() { # suite base ref
    local suite="$1" base="$2" ref="$3" context="$workdir/context-ansible-newest" wheels="$workdir/wheels-ansible-newest"
    # The wheels are downloaded here, on the host, with the pip of PIP_PYTHON (the Makefile passes .venv's).
    rm -rf "$wheels" "$context"
    PIP_PYTHON="${PIP_PYTHON:-python3}" "$images_dir/ansible-newest/download-wheels.sh" "$root/requirements-newest.txt" "$wheels"
    mkdir -p "$context"
    cp -a "$images_dir/common" "$images_dir/ansible-newest" "$root/requirements-newest.txt" "$context/"
    mv "$wheels" "$context/wheels"
    docker build --pull=false -f "$context/ansible-newest/Dockerfile" -t "$ref" \
        --build-arg "BASE_IMAGE=$base" --build-arg "SUITE=$suite" \
        --label "$LABEL=${wanted_hash[$ref]}" --label "org.voipguard.base=$base" \
        --label "org.voipguard.ansible-core=$(sed -n 's/^ansible-core==//p' "$root/requirements-newest.txt")" \
        "$context"
    rm -rf "$context"
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
        if [ "$name" = fusionpbx ]; then
            echo "--- docker build $ref from $NAMESPACE/freeswitch:$(fusionpbx_base "$tag")"
        else
            echo "--- docker build $ref from $base"
        fi
        if [ "$name" = freeswitch ]; then
            build_freeswitch "$tag" "$suite" "$base" "$ref"
        elif [ "$name" = fusionpbx ]; then
            build_fusionpbx "$tag" "$base" "$ref"
        elif [ "$name" = ansible-newest ]; then
            build_ansible_newest "$suite" "$base" "$ref"
        else
            docker build --pull=false -f "$images_dir/$name/Dockerfile" -t "$ref" \
                --build-arg "BASE_IMAGE=$base" --build-arg "SUITE=$suite" \
                --label "$LABEL=${wanted_hash[$ref]}" --label "org.voipguard.base=$base" \
                "$images_dir"
        fi
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
