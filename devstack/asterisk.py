"""The Asterisk 22 dev stack: a Debian sid chroot run as root, cached outside the repo.

`up` is idempotent: provision the chroot if needed, mount what is missing, install
the static files from asterisk-conf/ and the generated per-centre files, then start
Asterisk (or reload it if it already runs). `down` stops it and unmounts.
The recordings root and the prompts directory are bind-mounted at the SAME absolute
paths inside the chroot, so Asterisk and the service see identical file paths.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from config.settings import Settings
from devstack.chroot import is_provisioned, marker_info, provision
from devstack.mounts import bind_mount, mount_proc, mounts_under, unmount_all_under

STATIC_CONF_DIR = Path(__file__).resolve().parents[1] / "asterisk-conf"
# Changing these needs a restart; everything else is applied by `core reload`.
RESTART_FILES = frozenset({"asterisk.conf", "modules.conf", "pjsip.conf", "logger.conf"})
DEVICE_NODES = ("null", "zero", "random", "urandom", "full")
BOOT_TIMEOUT = 60.0
CLI_TIMEOUT = 20.0

Log = Callable[[str], None]


class StackError(RuntimeError):
    """The dev stack could not be brought up, or a CLI command failed."""


@dataclass(frozen=True)
class StackPaths:
    root: Path

    @property
    def pidfile(self) -> Path:
        return self.root.with_name(f"{self.root.name}.asterisk.pid")

    @property
    def console_log(self) -> Path:
        return self.root.with_name(f"{self.root.name}.asterisk.log")

    @property
    def lockfile(self) -> Path:
        return self.root.with_name(f"{self.root.name}.lock")

    @property
    def etc(self) -> Path:
        return self.root / "etc/asterisk"

    @property
    def messages_log(self) -> Path:
        return self.root / "var/log/asterisk/messages.log"

    @property
    def cdr_csv(self) -> Path:
        """cdr_csv's Master.csv: one line per call, also when the AGI server was down."""
        return self.root / "var/log/asterisk/cdr-csv/Master.csv"

    @property
    def voicemail_spool(self) -> Path:
        """Mailboxes of context hotline12330: <box>/INBOX/msgNNNN.{wav,txt}."""
        return self.root / "var/spool/asterisk/voicemail/hotline12330"

    def inside(self, host_path: Path) -> Path:
        """Where an absolute host path appears when bind-mounted at the same path."""
        return self.root / host_path.resolve().relative_to("/")


@dataclass
class StackStatus:
    root: Path
    provisioned: bool
    running: bool
    pid: int | None
    version: str
    mounts: list[Path] = field(default_factory=list)

    def lines(self) -> list[str]:
        state = f"running (pid {self.pid})" if self.running else "stopped"
        out = [
            f"chroot:   {self.root} ({'provisioned' if self.provisioned else 'not provisioned'})",
            f"asterisk: {state}" + (f", {self.version}" if self.version else ""),
        ]
        out += [f"mount:    {m}" for m in self.mounts] or ["mounts:   none"]
        return out


def paths_for(settings: Settings) -> StackPaths:
    return StackPaths(settings.asterisk_root)


@contextlib.contextmanager
def stack_lock(paths: StackPaths) -> Iterator[None]:
    """One `up`/`down` at a time per chroot (tests and the CLI may race)."""
    paths.lockfile.parent.mkdir(parents=True, exist_ok=True)
    with paths.lockfile.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ---- running Asterisk ---------------------------------------------------------------------


def cli(
    paths: StackPaths, command: str, *, timeout: float = CLI_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """`asterisk -rx COMMAND` inside the chroot."""
    return subprocess.run(
        ["chroot", str(paths.root), "asterisk", "-rx", command],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _pid_alive(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    zombie = state.rpartition(")")[2].split()[:1] == ["Z"]
    return not zombie and b"asterisk" in cmdline


def _threads_left(pid: int) -> bool:
    """Whether any thread of the process still runs (a zombie leader does not count)."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return False
    return any(_pid_alive(int(tid)) for tid in tasks) or len(tasks) > 1


def running_pid(paths: StackPaths) -> int | None:
    try:
        pid = int(paths.pidfile.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None
    return pid if _pid_alive(pid) else None


def responds(paths: StackPaths) -> bool:
    try:
        return cli(paths, "core waitfullybooted", timeout=10).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def _start(paths: StackPaths, log: Log, timeout: float) -> int:
    for directory in ("run/asterisk", "var/log/asterisk/cdr-csv"):
        (paths.root / directory).mkdir(parents=True, exist_ok=True)
    with paths.console_log.open("ab") as console:
        process = subprocess.Popen(
            ["chroot", str(paths.root), "/usr/sbin/asterisk", "-f", "-n"],
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives the CLI that started it
        )
    paths.pidfile.write_text(f"{process.pid}\n", encoding="ascii")
    log(f"started asterisk (pid {process.pid}); waiting until fully booted")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(
                f"asterisk exited with {process.returncode} while booting; see "
                f"{paths.console_log} and {paths.messages_log}"
            )
        if responds(paths):
            return process.pid
        time.sleep(0.3)
    raise StackError(f"asterisk did not boot within {timeout:.0f}s; see {paths.messages_log}")


def _stop(paths: StackPaths, log: Log) -> None:
    pid = running_pid(paths)
    if pid is None and not responds(paths):
        paths.pidfile.unlink(missing_ok=True)
        return
    with contextlib.suppress(subprocess.TimeoutExpired):
        cli(paths, "core stop now", timeout=15)
    if pid is not None:
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            if sig is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and _pid_alive(pid):
                time.sleep(0.1)
            if not _pid_alive(pid):
                break
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
    paths.pidfile.unlink(missing_ok=True)
    log("asterisk stopped")


# ---- mounts and config ----------------------------------------------------------------------


def _ensure_mounts(paths: StackPaths, shared_dirs: list[Path], log: Log) -> None:
    if mount_proc(paths.root / "proc"):
        log(f"mounted proc on {paths.root / 'proc'}")
    for name in DEVICE_NODES:
        node = paths.root / "dev" / name
        if not (node.exists() and stat.S_ISCHR(node.stat().st_mode)):
            # debootstrap normally creates these; without them bind the host's.
            node.parent.mkdir(parents=True, exist_ok=True)
            node.touch()
            subprocess.run(["mount", "--bind", f"/dev/{name}", str(node)], check=True, timeout=30)
            log(f"bound /dev/{name}")
    # Parents before children, so a nested directory is not hidden by its parent's mount.
    for directory in sorted({d.resolve() for d in shared_dirs}, key=lambda p: len(p.parts)):
        if bind_mount(directory, paths.inside(directory)):
            log(f"bound {directory} at the same path inside the chroot")


def _write_if_changed(target: Path, text: str) -> bool:
    try:
        if target.read_text(encoding="utf-8") == text:
            return False
    except OSError:
        pass
    partial = target.with_name(f".{target.name}.tmp")
    partial.write_text(text, encoding="utf-8")
    partial.replace(target)
    return True


def static_files(conf_dir: Path = STATIC_CONF_DIR) -> dict[str, str]:
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(conf_dir.glob("*.conf"))}
    if "hotline12330-extensions.conf" not in files:
        raise StackError(f"{conf_dir}: the static Asterisk config is missing")
    return files


def install_config(paths: StackPaths, generated: Mapping[str, str]) -> set[str]:
    """Static asterisk-conf/*.conf plus the generated files into /etc/asterisk; the names
    of the files that changed."""
    files = static_files()
    overlap = set(files) & set(generated)
    if overlap:
        raise StackError(f"generated files would overwrite static ones: {sorted(overlap)}")
    paths.etc.mkdir(parents=True, exist_ok=True)
    changed = set()
    for name, text in {**files, **generated}.items():
        if _write_if_changed(paths.etc / name, text):
            changed.add(name)
    return changed


# ---- commands --------------------------------------------------------------------------------


def up(
    settings: Settings,
    generated: Mapping[str, str],
    *,
    log: Log = print,
    boot_timeout: float = BOOT_TIMEOUT,
) -> StackStatus:
    """Provision, mount, install config, start or reload. Safe to repeat."""
    paths = paths_for(settings)
    with stack_lock(paths):
        provision(paths.root, log=log)
        _ensure_mounts(paths, [settings.recordings_root, settings.prompts_dir], log)
        changed = install_config(paths, generated)
        if changed:
            log(f"installed {len(changed)} changed config file(s) in {paths.etc}")
        pid = running_pid(paths)
        if pid is not None and responds(paths):
            if changed & RESTART_FILES:
                log(f"restarting asterisk for {', '.join(sorted(changed & RESTART_FILES))}")
                _stop(paths, log)
                _start(paths, log, boot_timeout)
            elif changed:
                result = cli(paths, "core reload")
                if result.returncode != 0:
                    raise StackError(f"core reload failed: {result.stdout}{result.stderr}")
                log("asterisk reloaded")
            else:
                log(f"asterisk already running (pid {pid}), config unchanged")
        else:
            if pid is not None:
                _stop(paths, log)  # alive but not answering: start clean
            _start(paths, log, boot_timeout)
        return status(settings)


def restart(settings: Settings, *, crash: bool, log: Log = print) -> int:
    """Restart a running stack with its installed config, as a fault: `crash` kills
    Asterisk with SIGKILL (no hangup handlers, no CDR), otherwise `core stop now`."""
    paths = paths_for(settings)
    with stack_lock(paths):
        pid = running_pid(paths)
        if crash and pid is not None:
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            # The leader turns zombie before its other threads let go of the sockets
            # (asterisk.ctl, the AMI port): a new Asterisk would find them taken.
            while _threads_left(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            paths.pidfile.unlink(missing_ok=True)
        else:
            _stop(paths, log)
        pid = _start(paths, log, BOOT_TIMEOUT)
        _wait_for_port(settings.ami_host, settings.ami_port, BOOT_TIMEOUT)
        return pid


def _wait_for_port(host: str, port: int, timeout: float) -> None:
    """Until the port accepts: the old process may have held it a moment too long."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise StackError(f"nothing listens on {host}:{port} after the restart") from None
            time.sleep(0.1)


def down(settings: Settings, *, log: Log = print) -> None:
    paths = paths_for(settings)
    with stack_lock(paths):
        if paths.root.exists():
            _stop(paths, log)
            for point in unmount_all_under(paths.root):
                log(f"unmounted {point}")


def status(settings: Settings) -> StackStatus:
    paths = paths_for(settings)
    pid = running_pid(paths)
    running = pid is not None and responds(paths)
    version = ""
    if running:
        version = cli(paths, "core show version").stdout.strip()
    elif is_provisioned(paths.root):
        version = str(marker_info(paths.root).get("asterisk", ""))
    mounts = mounts_under(paths.root) if paths.root.exists() else []
    return StackStatus(paths.root, is_provisioned(paths.root), running, pid, version, mounts)
