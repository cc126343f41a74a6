#!/usr/bin/env bash
# The project's own entry point on a fresh Debian machine (run as root).
#   ./dev.sh demo   install everything, provision Asterisk 22, migrate, start the service
#                   and its web console, place a demo call and print where its recording
#                   and call row are, and how to log in to the console
#   ./dev.sh test   install everything and run every test (SQLite and PostgreSQL, real Asterisk)
#   ./dev.sh stop   stop the service, Asterisk and the dev PostgreSQL
#   ./dev.sh setup  only install (idempotent; what demo and test run first)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
VENV="$ROOT/.venv"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/hotline12330"
# chromium: the console's browser tests (Playwright drives /usr/bin/chromium);
# fonts-noto-cjk: Chinese text in its screenshots.
APT_PACKAGES=(python3 python3-venv python3-dev gcc debootstrap espeak-ng sox ffmpeg
              postgresql sip-tester ca-certificates procps util-linux chromium fonts-noto-cjk)
DEMO_PASSWORD="demo-12330-console"  # the demo accounts' password (dev stack only)

log() { printf '\n==> %s\n' "$*" >&2; }

install_debian_packages() {
    local missing=()
    for pkg in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    if ((${#missing[@]})); then
        log "installing Debian packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
    fi
}

install_python_env() {
    local stamp="$VENV/.installed-from"
    local want
    want=$(sha256sum pyproject.toml | cut -d' ' -f1)
    if [[ ! -x "$VENV/bin/python" ]]; then
        log "creating virtualenv $VENV"
        python3 -m venv "$VENV"
    fi
    if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
        log "installing the project and its dependencies"
        "$VENV/bin/pip" install -q --upgrade pip
        "$VENV/bin/pip" install -q -e ".[dev]"
        echo "$want" >"$stamp"
    fi
}

setup() {
    install_debian_packages
    install_python_env
    mkdir -p "$CACHE"
}

hl() { "$VENV/bin/hotline12330" "$@"; }
# The dev stack's commands: devstack/ is not installed; python -m finds it in the cwd (ROOT).
dev() { "$VENV/bin/python" -m devstack "$@"; }

demo() {
    setup
    log "checking the configuration"
    hl prompt generate
    hl check-config
    log "migrating the database"
    hl db upgrade
    hl db seed-categories
    log "console accounts: demo-operator (Shanghai centre), demo-supervisor (all centres)"
    echo "$DEMO_PASSWORD" | hl user add demo-operator --role operator --centre sh \
        --display-name 演示接线员 --password-stdin --update
    echo "$DEMO_PASSWORD" | hl user add demo-supervisor --role supervisor --all-centres \
        --display-name 演示督导 --password-stdin --update
    log "starting Asterisk 22 (Debian sid chroot, cached in $CACHE)"
    dev asterisk up
    log "starting the FastAGI server"
    if [[ -f "$CACHE/serve.pid" ]] && kill -0 "$(cat "$CACHE/serve.pid")" 2>/dev/null; then
        echo "already running (pid $(cat "$CACHE/serve.pid"))"
    else
        # --allow-test-clock lets the demo call pick its own instant (a working Wednesday),
        # so the demo reaches an operator whatever day it is run; real calls ignore it.
        nohup "$VENV/bin/hotline12330" serve --console --allow-test-clock \
            >"$CACHE/serve.log" 2>&1 </dev/null &
        echo $! >"$CACHE/serve.pid"
    fi
    # The server listens first; reconcile and the journal's drain run behind it.
    hl serve --wait-healthy 60
    log "placing a demo call: 02112330 from 13800138000, menu digit 1 (Shanghai), operator answers"
    dev call --dialed 02112330 --caller 13800138000 --digits 1 --operator answer --say 3 \
        --at 2026-11-25T10:00
    log "the console: http://127.0.0.1:8330/ (Chromium, or any browser on this machine)"
    echo "  operator:   demo-operator / $DEMO_PASSWORD   (today's calls -> the demo call -> 保存记录)"
    echo "  supervisor: demo-supervisor / $DEMO_PASSWORD (抽查: tick 包括测试呼叫 -> play, score)"
    log "the service keeps running: logs in $CACHE/serve.log; './dev.sh stop' stops everything"
}

stop() {
    if [[ -f "$CACHE/serve.pid" ]]; then
        kill "$(cat "$CACHE/serve.pid")" 2>/dev/null || true
        rm -f "$CACHE/serve.pid"
    fi
    [[ -x "$VENV/bin/python" ]] || return 0
    dev asterisk down || true
    dev postgres down || true
}

run_tests() {
    setup
    log "lint"
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check .
    log "starting the dev PostgreSQL for the PostgreSQL half of the tests"
    HOTLINE12330_TEST_PG_URL=$(dev postgres up --print-url)
    export HOTLINE12330_TEST_PG_URL
    log "running every test (SQLite and PostgreSQL, real Asterisk 22)"
    local rc=0
    "$VENV/bin/pytest" -p no:cacheprovider -rfEs "$@" || rc=$?
    if ((rc == 5)); then
        echo "pytest collected no tests: that is a failure" >&2
        return 1
    fi
    return "$rc"
}

case "${1:-}" in
    demo) demo ;;
    test) shift; run_tests "$@" ;;
    stop) stop ;;
    setup) setup ;;
    *) sed -n '2,7p' "$0" >&2; exit 2 ;;
esac
