#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (tests/browser.py drives it headless).
# Idempotent, quiet, bounded. It never fails the caller: where it cannot install (no apt-get,
# neither root nor passwordless sudo, no repository reachable) it says why and exits 0, and
# the browser tests then skip, saying so.
set -uo pipefail

limit=600 # seconds for each apt-get step: a stuck mirror must not hang CI

if [ -n "${CONVARITH_CHROMIUM:-}" ]; then
    echo "install_browser: CONVARITH_CHROMIUM=$CONVARITH_CHROMIUM is set; nothing to install"
    exit 0
fi
if [ -x /usr/bin/chromium ]; then
    # stderr: Debian's launcher script complains about its own /dev/shm check on some hosts
    echo "install_browser: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) already installed"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_browser: no apt-get (not Debian/Ubuntu); install Chromium and set CONVARITH_CHROMIUM;" \
        "the browser tests skip until then"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    echo "install_browser: not root and no passwordless sudo; run as root: apt-get install chromium;" \
        "the browser tests skip until then"
    exit 0
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
apt() {
    # -qq still lets dpkg talk: the log is shown only when something fails.
    # The lock timeout waits for another apt run on the machine instead of failing at once.
    ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive \
        timeout "$limit" apt-get -qq -o DPkg::Lock::Timeout=120 "$@" >>"$log" 2>&1
}

echo "install_browser: installing Debian's chromium (apt-get)..."
# A failed update (one unreachable mirror) may still leave usable lists: try the install anyway.
why() { [ "$1" -eq 124 ] && echo "timed out after ${limit} s" || echo "failed (exit $1)"; }
apt update || echo "install_browser: apt-get update $(why $?); trying the install with the lists there are"
apt install -y --no-install-recommends chromium
status=$?
if [ "$status" -ne 0 ]; then
    echo "install_browser: apt-get install chromium $(why "$status"); the browser tests will skip"
    tail -n 15 "$log" | sed 's/^/    apt: /'
    exit 0
fi
if ! version="$(/usr/bin/chromium --version 2>/dev/null)"; then
    echo "install_browser: chromium installed but 'chromium --version' fails; the browser tests will say why"
    exit 0
fi
echo "install_browser: $version"
