#!/usr/bin/env bash
# Installs headless Chromium for the browser end-to-end test (tests/e2e/test_browser.py): the Debian packages
# chromium and chromium-driver. Playwright drives it via executable_path=/usr/bin/chromium, because
# `playwright install` cannot download its own browsers here. Idempotent: does nothing when Chromium is present.
#
# Runs in a subshell function, so sourcing it cannot change the caller's shell options.

main() (
    set -euo pipefail
    local chromium=/usr/bin/chromium

    if [ -x "$chromium" ]; then
        echo "10-chromium: $("$chromium" --version 2>/dev/null || echo "$chromium") already installed"
        return 0
    fi

    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null; then
            echo "10-chromium: $chromium is missing and installing it needs root (or sudo)" >&2
            return 1
        fi
        sudo="sudo"
    fi

    echo "10-chromium: installing chromium and chromium-driver with apt-get"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver
    "$chromium" --version
)

main "$@"
