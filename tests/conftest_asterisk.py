"""pytest plugin: the Asterisk 22 dev stack, up once per test session.

Enable it in tests/conftest.py with `pytest_plugins = ["conftest_asterisk"]`, then
ask for the `asterisk_stack` fixture (and mark the test `@pytest.mark.asterisk`).

The stack uses the cached chroot (settings.asterisk_root, shared with
`python -m devstack asterisk up`) but its own data directory under pytest's tmp dir, and
a free FastAGI port: a test serves its FastAGI handler on `stack.settings.agi_port`.
Simulated operators answer instead of phones. When the stack cannot come up the tests
fail with CI=true and are skipped otherwise.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import tomli_w
from ports import free_port

from config.asterisk_files import fallback_file, load_directory
from config.asterisk_gen import generate, options_from_settings
from config.model import Directory
from config.settings import Settings, load_settings
from devstack import asterisk as stack_mod
from devstack.ami import CallResult, SimulatedCaller, originate_and_wait
from devstack.mounts import unmount

# Queues ring at most this long in the test stack, so no-answer cases end quickly.
TEST_RING_TIMEOUT = 5  # the shortest ring timeout check-config accepts


def _short_ring_centres(source: Path, target: Path) -> Path:
    """The sample centres with every ring timeout cut to TEST_RING_TIMEOUT.

    The FastAGI service passes the centre's ring timeout to Queue(); the generated
    queues read the same file, so both sides agree and no-answer calls end quickly.
    """
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    data.setdefault("defaults", {})["ring_timeout"] = TEST_RING_TIMEOUT
    for centre in data.get("centre", []):
        if "ring_timeout" in centre:
            centre["ring_timeout"] = TEST_RING_TIMEOUT
    target.write_text(tomli_w.dumps(data), encoding="utf-8")
    return target


def stack_settings(data_dir: Path) -> Settings:
    """Settings for the test stack: own data dir, the shared cached chroot, a free AGI port."""
    # Defaults (the sample centres), except the chroot: reuse the one already cached.
    base = load_settings(path=None, environ={})
    data_dir.mkdir(parents=True, exist_ok=True)
    return dataclasses.replace(
        base,
        centres_file=_short_ring_centres(base.centres_file, data_dir / "centres.toml"),
        asterisk_root=load_settings().asterisk_root,
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'hotline12330.sqlite3'}",
        recordings_root=data_dir / "recordings",
        prompts_dir=data_dir / "prompts",
        agi_port=free_port(),
    )


@dataclass
class AsteriskStack:
    settings: Settings
    paths: stack_mod.StackPaths

    def cli(self, command: str) -> str:
        """Output of one Asterisk CLI command; raises if it fails."""
        done = stack_mod.cli(self.paths, command)
        if done.returncode != 0:
            raise AssertionError(f"asterisk -rx {command!r} failed: {done.stdout}{done.stderr}")
        return done.stdout

    async def originate_and_wait(
        self,
        dialed: str = "12330",
        *,
        caller: SimulatedCaller | None = None,
        caller_id: str = "13800138000",
        variables: dict[str, str] | None = None,
        timeout: float = 90.0,
        system_name: str = "",
    ) -> CallResult:
        """Place a call into hotline12330-inbound and wait until both legs hung up.
        `system_name` prefixes the uniqueids as asterisk.conf's systemname would."""
        return await originate_and_wait(
            self.settings,
            dialed=dialed,
            caller=caller,
            caller_id=caller_id,
            variables=variables,
            limit_seconds=timeout,
            system_name=system_name,
        )

    def restart(self, *, crash: bool) -> None:
        """Restart Asterisk with calls up: SIGKILL (`crash`) or `core stop now`."""
        stack_mod.restart(self.settings, crash=crash, log=lambda _line: None)

    def recording_path(self, result: CallResult) -> Path:
        return self.settings.recordings_root / result.recording_relpath

    def install_directory(
        self, directory: Directory, *, ring_timeout_override: int | None = TEST_RING_TIMEOUT
    ) -> None:
        """Regenerate queues, mailboxes and endpoints for another directory and reload."""
        options = options_from_settings(
            self.settings, dev_operators=True, ring_timeout_override=ring_timeout_override
        )
        changed = stack_mod.install_config(self.paths, generate(directory, options))
        if changed:
            self.cli("core reload")


def _snapshot(paths: stack_mod.StackPaths) -> dict[str, str]:
    if not paths.etc.is_dir():
        return {}
    return {
        p.name: p.read_text(encoding="utf-8")
        for p in paths.etc.glob("*.conf")
        if p.name.startswith("hotline12330-")
    }


def _restore(paths: stack_mod.StackPaths, files: dict[str, str]) -> None:
    for name, text in files.items():
        (paths.etc / name).write_text(text, encoding="utf-8")
    for extra in set(_snapshot(paths)) - set(files):  # e.g. a fallback file the tests added
        (paths.etc / extra).unlink()
    stack_mod.cli(paths, "core reload")


def _cdr_length(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _forget_test_cdr(path: Path, length: int) -> None:
    """Cut the CDR file back to its length before the tests: the chroot is shared with the
    dev stack, whose service would otherwise reconcile every test call into its database
    at start-up (and wait for their recordings, which lived in pytest's tmp dir)."""
    if _cdr_length(path) > length:
        with path.open("r+b") as cdr:
            cdr.truncate(length)


def _fail_or_skip(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"Asterisk dev stack unavailable (CI=true): {reason}", pytrace=False)
    pytest.skip(f"Asterisk dev stack unavailable: {reason}")


@pytest.fixture(scope="session")
def asterisk_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AsteriskStack]:
    settings = stack_settings(tmp_path_factory.mktemp("asterisk-stack"))
    paths = stack_mod.paths_for(settings)
    if os.geteuid() != 0:
        _fail_or_skip("needs root (chroot and mount)")
    was_running = stack_mod.running_pid(paths) is not None and stack_mod.responds(paths)
    before = _snapshot(paths) if was_running else {}
    cdr_length = _cdr_length(settings.cdr_csv)
    try:
        options = options_from_settings(
            settings, dev_operators=True, ring_timeout_override=TEST_RING_TIMEOUT
        )
        files = {**generate(load_directory(settings), options), **fallback_file(settings)}
        stack_mod.up(settings, files, log=lambda _line: None)
    except Exception as exc:  # whatever stops the stack, CI must see it as a failure
        _fail_or_skip(f"{type(exc).__name__}: {exc}")
    yield AsteriskStack(settings, paths)
    _forget_test_cdr(settings.cdr_csv, cdr_length)
    if was_running:
        # Someone's dev stack was running: give it back its config; drop our mounts.
        _restore(paths, before)
        for directory in (settings.recordings_root, settings.prompts_dir):
            unmount(paths.inside(directory))
    else:
        stack_mod.down(settings, log=lambda _line: None)
