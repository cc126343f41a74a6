"""`hotline12330 serve` as a process: health route, SIGHUP reload, SIGTERM shutdown."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from ports import free_port

from config.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent


def health(port: int) -> dict[str, object]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
        assert response.status == 200
        return json.loads(response.read())


def wait_for(condition, limit: float = 15.0) -> None:
    end = time.monotonic() + limit
    while True:
        try:
            if condition():
                return
        except OSError:
            pass
        assert time.monotonic() < end, "condition not reached in time"
        time.sleep(0.2)


@pytest.fixture
def served(tmp_path):
    defaults = load_settings(path=None, environ={})
    centres = tmp_path / "centres.toml"
    shutil.copy(defaults.centres_file, centres)
    ports = {"agi": free_port(), "health": free_port(), "ami": free_port()}
    env = {
        **os.environ,
        "HOTLINE12330_DATA_DIR": str(tmp_path / "data"),
        "HOTLINE12330_CENTRES_FILE": str(centres),
        "HOTLINE12330_CDR_CSV": str(tmp_path / "no-cdr.csv"),
        "HOTLINE12330_AGI_PORT": str(ports["agi"]),
        "HOTLINE12330_HEALTH_PORT": str(ports["health"]),
        "HOTLINE12330_AMI_PORT": str(ports["ami"]),  # nothing listens: AMI is down
    }
    # serve refuses a config whose prompt files are missing: generate the defaults.
    generate = [sys.executable, "-m", "cli", "prompt", "generate"]
    subprocess.run(generate, cwd=ROOT, env=env, check=True, capture_output=True)
    log = (tmp_path / "serve.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:
        yield proc, ports, centres, tmp_path / "serve.log"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()


def test_serve_reports_health_keeps_config_on_bad_reload_and_stops_on_sigterm(served):
    proc, ports, centres, log = served
    wait_for(lambda: health(ports["health"])["accepting"] is True)
    status = health(ports["health"])
    assert status["agi_port"] == ports["agi"] and status["ami_connected"] is False
    # The journal and the database state are on /health: this database was never
    # migrated, so the drainer cannot write, and says so, while the server accepts calls.
    wait_for(lambda: health(ports["health"])["database"]["ok"] is False)
    status = health(ports["health"])
    assert "no such table" in status["database"]["error"]
    assert status["journal"]["depth"] == 0 and status["journal"]["dropped"] == 0
    assert status["journal"]["max_bytes"] == 1024 * 1024 * 1024
    # The FastAGI port accepts connections.
    socket.create_connection(("127.0.0.1", ports["agi"]), timeout=2).close()

    centres.write_text("[[centre]]\nid = 'broken'\n", encoding="utf-8")
    proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "service.reload_rejected" in log.read_text())
    assert health(ports["health"])["accepting"] is True  # the last good config serves on

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", ports["agi"]), timeout=1).close()
