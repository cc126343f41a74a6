"""`hotline12330 user`, `hotline12330 console` and `serve --console` as processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from ports import free_port

from migrations import upgrade

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def env(tmp_path):
    database = f"sqlite:///{tmp_path / 'console.sqlite3'}"
    upgrade(database)
    return {
        **os.environ,
        "HOTLINE12330_DATA_DIR": str(tmp_path / "data"),
        "HOTLINE12330_DATABASE_URL": database,
        "HOTLINE12330_CONSOLE_PORT": str(free_port()),
    }


def cli(env, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["op1", "--role", "operator"], "long enough pw", "必须指定所属中心"),
        (["op1", "--role", "operator", "--centre", "nowhere"], "long enough pw", "nowhere"),
        (["op1", "--role", "operator", "--centre", "bj"], "short", "至少 10 个字符"),
        (["sup1", "--role", "supervisor"], "long enough pw", "--all-centres"),
        (["bad name!", "--role", "admin"], "long enough pw", "用户名"),
    ],
)
def test_user_add_refuses_bad_input_clearly(env, args, stdin, message):
    done = cli(env, "user", "add", *args, "--password-stdin", stdin=stdin + "\n")
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert cli(env, "user", "list").stdout == ""


def test_user_add_creates_updates_and_lists(env):
    first = cli(env, "user", "add", "op1", "--role", "operator", "--centre", "bj",
                "--password-stdin", stdin="first password\n")  # fmt: skip
    assert first.returncode == 0 and "created op1" in first.stdout
    again = cli(env, "user", "add", "op1", "--role", "operator", "--centre", "bj",
                "--password-stdin", stdin="first password\n")  # fmt: skip
    assert again.returncode == 2 and "--update" in again.stderr
    moved = cli(env, "user", "add", "op1", "--role", "operator", "--centre", "sh", "--update")
    assert moved.returncode == 0 and "password" not in moved.stdout  # kept, not regenerated
    generated = cli(env, "user", "add", "boss", "--role", "supervisor", "--all-centres")
    assert generated.returncode == 0
    assert len(generated.stdout.split("password: ")[1].strip()) >= 10
    assert cli(env, "user", "list").stdout.splitlines() == [
        "boss\tsupervisor\tall",
        "op1\toperator\tsh",
    ]


def wait_http(url: str, limit: float = 20.0) -> int:
    end = time.monotonic() + limit
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            assert time.monotonic() < end, f"{url} never answered"
            time.sleep(0.2)


def test_console_runs_alone_and_stops_on_sigterm(env, tmp_path):
    port = env["HOTLINE12330_CONSOLE_PORT"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "console"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert wait_http(f"http://127.0.0.1:{port}/login") == 200
        # A second console on the same port says why it cannot start.
        busy = cli(env, "console")
        assert busy.returncode == 1 and "cannot listen" in busy.stderr
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_serve_with_console_serves_both(env, tmp_path):
    agi, health = free_port(), free_port()
    env = {
        **env,
        "HOTLINE12330_AGI_PORT": str(agi),
        "HOTLINE12330_HEALTH_PORT": str(health),
        "HOTLINE12330_AMI_PORT": str(free_port()),
        "HOTLINE12330_CDR_CSV": str(tmp_path / "no-cdr.csv"),
    }
    assert cli(env, "prompt", "generate").returncode == 0
    log = (tmp_path / "serve.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--console"], cwd=ROOT, env=env,
        stdout=log, stderr=log,
    )  # fmt: skip
    try:
        assert wait_http(f"http://127.0.0.1:{health}/health") == 200
        port = env["HOTLINE12330_CONSOLE_PORT"]
        assert wait_http(f"http://127.0.0.1:{port}/health") == 200
        assert wait_http(f"http://127.0.0.1:{port}/calls/today") == 200  # the login page
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
