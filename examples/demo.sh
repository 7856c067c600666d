#!/usr/bin/env bash
# The main job: build everything (verification image, plugins, coop) and run
# the benchmark with no API key and no model: every model reply is replayed
# from the set recorded from the real local model (examples/replays/), through
# the real plugins, real git and real Docker (verification and the hidden
# acceptance tests). Prints the recorded live figures, then this replay's
# table, and fails (exit 3) if any run does not reproduce its recording.
#
# To run the benchmark live on the local model instead, see
# examples/local-model/README.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash sandbox/build-image.sh
bash plugins/build.sh
cargo build --locked --release -p coop-cli
coop="${CARGO_TARGET_DIR:-$root/target}/release/coop"
set_dir="$(find examples/replays -mindepth 2 -maxdepth 2 -name bench.json -printf '%h\n' | sort | head -n1)"
[ -n "$set_dir" ] || { echo "demo.sh: no recorded set under examples/replays" >&2; exit 1; }
report="${COOP_DEMO_REPORT:-$root/target/bench-replay}"
rm -rf "$report"
modes="$(python3 -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))["modes"]))' "$set_dir/bench.json")"
echo "replaying $set_dir (modes $modes) into $report"
"$coop" --plugin-dir "$root/target/plugins" bench examples --modes "$modes" --replay-set "$set_dir" --report "$report" --jobs 2
