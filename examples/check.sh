#!/usr/bin/env bash
# Checks the benchmark tasks under examples/.
#
# For each task directory (NN-*/):
#   1. copy repo/ to a temp dir; gofmt -l, go vet ./..., go test ./... must pass;
#   2. copy acceptance/ in; go test ./... must FAIL (the task is not done yet).
# With --reference, additionally (for tasks that have reference/):
#   R. copy repo/, overlay reference/ (a reference solution, never shown to
#      models), copy acceptance/ in; gofmt -l, go vet, go build and go test
#      ./... must pass. This shows each task can be done.
# With --fixtures, additionally (for tasks that have fixtures/replay.json):
#   3. copy repo/ again, apply the implementer edits of fixtures/replay.json
#      (apply_fixture.py), copy acceptance/ in; gofmt -l, go vet, go build and
#      go test ./... must pass.
#
# Usage: examples/check.sh [--fixtures] [--reference] [TASK_DIR...]
# Needs go (and python3 for --fixtures). No network: GOPROXY=off.
set -u

here="$(cd "$(dirname "$0")" && pwd)"
export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GOWORK=off
export GOCACHE="${GOCACHE:-/tmp/coop-examples-gocache}"

fixtures=0
reference=0
tasks=()
for arg in "$@"; do
    case "$arg" in
        --fixtures) fixtures=1 ;;
        --reference) reference=1 ;;
        *) tasks+=("$(cd "$arg" && pwd)") ;;
    esac
done
if [ ${#tasks[@]} -eq 0 ]; then
    for d in "$here"/[0-9][0-9]-*/; do tasks+=("${d%/}"); done
fi

command -v go >/dev/null || { echo "check.sh: go not found in PATH" >&2; exit 2; }
gofmt="$(command -v gofmt || echo "$(go env GOROOT)/bin/gofmt")"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failed=0

fail() { echo "  FAIL: $*"; failed=1; }

# run_quiet NAME CMD...: runs CMD in the current dir, keeps its output in $tmp/NAME.log
run_quiet() { local name=$1; shift; "$@" >"$tmp/$name.log" 2>&1; }

for task in "${tasks[@]}"; do
    id="$(basename "$task")"
    echo "== $id"

    # 1. the repo as given
    work="$tmp/$id-orig"
    cp -R "$task/repo" "$work"
    (
        cd "$work" || exit 1
        out="$("$gofmt" -l .)"; [ -z "$out" ] || { echo "  gofmt: $out"; exit 1; }
        run_quiet "$id-vet" go vet ./... || { cat "$tmp/$id-vet.log"; exit 1; }
        run_quiet "$id-test" go test ./... || { cat "$tmp/$id-test.log"; exit 1; }
    ) && echo "  ok: repo/ is gofmt-clean, vets and passes its own tests" \
      || fail "repo/ does not vet/test cleanly"

    # 2. acceptance on the unmodified repo must fail
    cp -R "$task/acceptance/." "$work/"
    if (cd "$work" && run_quiet "$id-acc-orig" go test ./...); then
        fail "acceptance PASSES on the unmodified repo"
    elif grep -q -e '\[setup failed\]' -e 'cannot find module' -e 'no required module' "$tmp/$id-acc-orig.log"; then
        cat "$tmp/$id-acc-orig.log"
        fail "acceptance does not set up (wrong import path or layout?)"
    else
        echo "  ok: acceptance fails on the unmodified repo, as expected:"
        grep -E -- '^(--- FAIL|FAIL|.*\.go:[0-9]+:[0-9]+:)' "$tmp/$id-acc-orig.log" | head -n 4 | sed 's/^/      /'
    fi

    # R. optional: acceptance on the reference solution must pass
    if [ "$reference" -eq 1 ] && [ -d "$task/reference" ]; then
        work="$tmp/$id-reference"
        cp -R "$task/repo" "$work"
        cp -R "$task/reference/." "$work/"
        (
            cd "$work" || exit 1
            out="$("$gofmt" -l .)"; [ -z "$out" ] || { echo "  gofmt: $out"; exit 1; }
            run_quiet "$id-rvet" go vet ./... || { cat "$tmp/$id-rvet.log"; exit 1; }
            run_quiet "$id-rbuild" go build ./... || { cat "$tmp/$id-rbuild.log"; exit 1; }
            run_quiet "$id-rtest" go test ./... || { cat "$tmp/$id-rtest.log"; exit 1; }
            cp -R "$task/acceptance/." "$work/"
            run_quiet "$id-racc" go test -count=1 ./... || { cat "$tmp/$id-racc.log"; exit 1; }
        ) && echo "  ok: reference solution is gofmt-clean, vets, builds, passes its tests and acceptance" \
          || fail "reference solution does not pass"
    elif [ "$reference" -eq 1 ]; then
        fail "no reference/ solution"
    fi

    # 3. optional: acceptance on the fixture-applied result must pass
    if [ "$fixtures" -eq 1 ] && [ -f "$task/fixtures/replay.json" ]; then
        work="$tmp/$id-fixture"
        cp -R "$task/repo" "$work"
        if ! run_quiet "$id-apply" python3 "$here/apply_fixture.py" "$task/fixtures/replay.json" "$work"; then
            cat "$tmp/$id-apply.log"; fail "fixture edits do not apply"; continue
        fi
        (
            cd "$work" || exit 1
            out="$("$gofmt" -l .)"; [ -z "$out" ] || { echo "  gofmt: $out"; exit 1; }
            run_quiet "$id-fvet" go vet ./... || { cat "$tmp/$id-fvet.log"; exit 1; }
            run_quiet "$id-fbuild" go build ./... || { cat "$tmp/$id-fbuild.log"; exit 1; }
            run_quiet "$id-ftest" go test ./... || { cat "$tmp/$id-ftest.log"; exit 1; }
            cp -R "$task/acceptance/." "$work/"
            run_quiet "$id-facc" go test -count=1 ./... || { cat "$tmp/$id-facc.log"; exit 1; }
        ) && echo "  ok: fixture-applied result is gofmt-clean, vets, builds, passes its tests and acceptance" \
          || fail "fixture-applied result does not pass"
    fi
done

if [ "$failed" -ne 0 ]; then echo "check.sh: FAILED"; exit 1; fi
echo "check.sh: all ok"
