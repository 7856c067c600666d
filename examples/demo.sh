#!/usr/bin/env bash
# The main job: build everything (verification image, plugins, coop) and run
# the mob on the examples with no API key. Model replies come from each
# example's fixtures/replay.json; those are hand-written test fixtures, not
# output of a model (see examples/README.md).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash sandbox/build-image.sh
bash plugins/build.sh
cargo build --locked --release -p coop-cli
coop="${CARGO_TARGET_DIR:-$root/target}/release/coop"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0
for ex in examples/[0-9]*/; do
  name="$(basename "$ex")"
  repo="$work/$name"
  cp -r "$ex/repo" "$repo"
  git -C "$repo" init -q -b main
  git -C "$repo" add -A
  git -C "$repo" -c user.name=demo -c user.email=demo@localhost commit -q -m fixture
  echo
  echo "=== $name: $(head -n1 "$ex/task.md")"
  "$coop" --plugin-dir "$root/target/plugins" run --repo "$repo" --replay "$ex/fixtures/replay.json" --file "$ex/task.md" || status=$?
  branch="$(git -C "$repo" branch --list 'coop/*' --format '%(refname:short)' | head -n1)"
  if [ -n "$branch" ]; then
    echo "--- change on $branch:"
    git -C "$repo" diff --stat main "$branch"
  fi
done
echo
echo "(model replies above were replayed from hand-written fixtures; run against a live model with --base-url, see README.md)"
exit $status
