#!/usr/bin/env bash
# Runs `coop` live against the local model server on one example task and
# checks the result with the example's hidden acceptance tests.
#
# Usage: examples/local-model/live-run.sh EXAMPLE [MODEL_NAME]
#   EXAMPLE     e.g. 01-strutil-reverse (a directory under examples/)
#   MODEL_NAME  served model name (default qwen2.5-coder-1.5b-instruct)
#
# Environment:
#   COOP_BIN          coop binary (default: target/release/coop, else target/debug/coop)
#   COOP_PLUGIN_DIR   plugins (default: <repo>/target/plugins)
#   COOP_BASE_URL     default http://127.0.0.1:8080/v1
#   LIVE_RUNS_DIR     where run directories and results are kept (default /tmp/coop-live-runs)
#   LIVE_TAG          suffix of the kept directory name (default: none)
#   COOP_EXTRA_ARGS   extra arguments of `coop run` (e.g. --replay FILE to test this script)
#
# Keeps: $LIVE_RUNS_DIR/EXAMPLE[-LIVE_TAG]/{summary.json, coop.stderr, acceptance.log,
# result.json, run/ (the .coop/runs/<id>/ directory)}.
# Needs go on PATH for the acceptance check (GOFLAGS=-mod=mod GOPROXY=off).
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
ex="${1:?usage: live-run.sh EXAMPLE [MODEL_NAME]}"
model="${2:-qwen2.5-coder-1.5b-instruct}"
exdir="$root/examples/$ex"
[ -d "$exdir/repo" ] || { echo "no example $exdir" >&2; exit 2; }
coop="${COOP_BIN:-}"
if [ -z "$coop" ]; then
    for c in "$root/target/release/coop" "$root/target/debug/coop"; do [ -x "$c" ] && { coop=$c; break; }; done
fi
[ -x "$coop" ] || { echo "no coop binary; set COOP_BIN" >&2; exit 2; }
plugins="${COOP_PLUGIN_DIR:-$root/target/plugins}"
base_url="${COOP_BASE_URL:-http://127.0.0.1:8080/v1}"
keep_root="${LIVE_RUNS_DIR:-/tmp/coop-live-runs}"
keep="$keep_root/$ex${LIVE_TAG:+-$LIVE_TAG}"
rm -rf "$keep"; mkdir -p "$keep"

work="$(mktemp -d)"
repo="$work/repo"
cp -R "$exdir/repo" "$repo"
(
    cd "$repo" && git init -q -b main && git add -A &&
    git -c user.name=live -c user.email=live@example.invalid commit -qm "initial"
) || { echo "git init failed" >&2; exit 1; }

echo "== $ex with $model (repo $repo)" >&2
t0=$(date +%s)
"$coop" --plugin-dir "$plugins" run --repo "$repo" --base-url "$base_url" --model "$model" \
    --json ${COOP_EXTRA_ARGS:-} --file "$exdir/task.md" >"$keep/summary.json" 2>"$keep/coop.stderr"
code=$?
t1=$(date +%s)
echo "   exit $code after $((t1 - t0)) s" >&2

run_dir="$(ls -dt "$repo"/.coop/runs/*/ 2>/dev/null | head -1)"
run_id=""
if [ -n "$run_dir" ]; then
    run_id="$(basename "$run_dir")"
    cp -R "$run_dir" "$keep/run"
fi

# acceptance: check out the result branch, add the hidden tests, go test ./...
acc="skipped"
if [ -n "$run_id" ] && git -C "$repo" rev-parse -q --verify "coop/$run_id" >/dev/null; then
    git -C "$repo" worktree add -q "$work/accept" "coop/$run_id" 2>/dev/null ||
        git -C "$repo" worktree add -q --detach "$work/accept" "coop/$run_id"
    cp -R "$exdir/acceptance/." "$work/accept/"
    if (cd "$work/accept" && GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GOWORK=off \
            GOCACHE="${GOCACHE:-/tmp/coop-live-gocache}" go vet ./... && \
            GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GOWORK=off \
            GOCACHE="${GOCACHE:-/tmp/coop-live-gocache}" go test ./...) >"$keep/acceptance.log" 2>&1; then
        acc="pass"
    else
        acc="fail"
    fi
    git -C "$repo" diff main "coop/$run_id" >"$keep/branch.diff" 2>/dev/null || true
fi
echo "   acceptance: $acc" >&2
printf '{"example":"%s","model":"%s","exit_code":%d,"wall_secs":%d,"run_id":"%s","acceptance":"%s","repo":"%s"}\n' \
    "$ex" "$model" "$code" "$((t1 - t0))" "$run_id" "$acc" "$repo" >"$keep/result.json"
cat "$keep/result.json"
