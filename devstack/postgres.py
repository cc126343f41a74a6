"""The PostgreSQL dev server: a private cluster under the cache dir, run as `postgres`.

`up` is idempotent: initdb once, (re)write our settings, start the server if it is
not running (restart it if it listens on another port), then make sure the role and
database hotline12330 exist. The cluster listens on 127.0.0.1 only and has no Unix
socket; administration goes over TCP as the superuser, whose generated password is
kept in a root-only file next to the cluster.

PostgreSQL refuses to run as root, so every server binary runs as the `postgres` OS
user; that user needs search (x) permission on the directories above the cluster.
When one of them blocks it (root's home is mode 700), `up` grants the postgres user
search-only access to that directory with a POSIX ACL and says so.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import pwd
import re
import secrets
import shlex
import shutil
import struct
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

OS_USER = "postgres"
ROLE = DATABASE = "hotline12330"
PASSWORD = "hotline12330"  # noqa: S105  (the dev server's fixed, documented password)
HOST = "127.0.0.1"
DEFAULT_PORT = 55432
PORT_ENV = "HOTLINE12330_POSTGRES_PORT"
BIN_ENV = "HOTLINE12330_POSTGRES_BIN"  # a bin dir holding initdb and pg_ctl
DEBIAN_LIB = Path("/usr/lib/postgresql")
START_TIMEOUT = 60
COMMAND_TIMEOUT = 120.0
CONF_NAME = "hotline12330.conf"

Log = Callable[[str], None]


class PostgresError(RuntimeError):
    """The dev server could not be set up, started or stopped; the message says why."""


@dataclass(frozen=True)
class Cluster:
    root: Path  # <cache>/hotline12330/postgres
    port: int = DEFAULT_PORT

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "log" / "server.log"

    @property
    def password_file(self) -> Path:
        return self.root / "superuser-password"

    @property
    def lockfile(self) -> Path:
        return self.root.with_name(f"{self.root.name}.lock")

    def url(self, database: str = DATABASE) -> str:
        """The SQLAlchemy URL of the service's role on `database`."""
        return f"postgresql+psycopg://{ROLE}:{PASSWORD}@{HOST}:{self.port}/{database}"


@dataclass(frozen=True)
class ClusterStatus:
    initialised: bool
    running: bool
    pid: int | None = None
    port: int | None = None  # the port the running server listens on


def default_cluster(environ: Mapping[str, str] | None = None) -> Cluster:
    """The cluster under $XDG_CACHE_HOME (or ~/.cache)/hotline12330/postgres."""
    env = os.environ if environ is None else environ
    cache = Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hotline12330"
    raw_port = env.get(PORT_ENV)
    port = DEFAULT_PORT
    if raw_port:
        if not re.fullmatch(r"[0-9]{1,5}", raw_port) or not 1 <= int(raw_port) <= 65535:
            raise PostgresError(f"{PORT_ENV}={raw_port!r} is not a port number (1..65535)")
        port = int(raw_port)
    return Cluster(root=cache / "postgres", port=port)


def find_bin_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The newest PostgreSQL server bin dir (Debian: /usr/lib/postgresql/<major>/bin)."""
    env = os.environ if environ is None else environ
    if env.get(BIN_ENV):
        candidates = [Path(env[BIN_ENV])]
    else:
        versions = DEBIAN_LIB.glob("*/bin") if DEBIAN_LIB.is_dir() else []
        candidates = sorted(versions, key=_major_version, reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    where = env.get(BIN_ENV) or f"{DEBIAN_LIB}/*/bin"
    raise PostgresError(
        f"no PostgreSQL server binaries (initdb, pg_ctl) in {where}; "
        "install the Debian package postgresql"
    )


def _major_version(bin_dir: Path) -> tuple[int, ...]:
    digits = re.findall(r"[0-9]+", bin_dir.parent.name)
    return tuple(int(d) for d in digits) or (0,)


@contextlib.contextmanager
def cluster_lock(cluster: Cluster) -> Iterator[None]:
    """Serialise up/down of one cluster (the test suite and a shell may race)."""
    cluster.lockfile.parent.mkdir(parents=True, exist_ok=True)
    with cluster.lockfile.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def status(cluster: Cluster, bin_dir: Path | None = None) -> ClusterStatus:
    if not (cluster.data / "PG_VERSION").is_file():
        return ClusterStatus(initialised=False, running=False)
    bin_dir = bin_dir or find_bin_dir()
    result = _as_postgres([str(bin_dir / "pg_ctl"), "status", "-D", str(cluster.data)])
    if result.returncode != 0:  # 3: not running
        return ClusterStatus(initialised=True, running=False)
    pid, port = _read_pid_file(cluster.data / "postmaster.pid")
    return ClusterStatus(initialised=True, running=True, pid=pid, port=port)


def up(cluster: Cluster, log: Log = lambda _msg: None) -> str:
    """Initialise and start the cluster as needed; return the service's database URL."""
    bin_dir = find_bin_dir()
    with cluster_lock(cluster):
        _prepare_directories(cluster, log)
        if not (cluster.data / "PG_VERSION").is_file():
            _initdb(cluster, bin_dir, log)
        _write_settings(cluster)
        state = status(cluster, bin_dir)
        if state.running and state.port != cluster.port:
            log(f"restarting PostgreSQL: it listens on port {state.port}, wanted {cluster.port}")
            _pg_ctl(cluster, bin_dir, "stop", "-m", "fast")
            state = ClusterStatus(initialised=True, running=False)
        if state.running:
            log(f"PostgreSQL already running (pid {state.pid}, port {state.port})")
        else:
            log(f"starting PostgreSQL ({bin_dir.parent.name}) on {HOST}:{cluster.port}")
            _pg_ctl(
                cluster, bin_dir, "start", "-l", str(cluster.log_file), "-t", str(START_TIMEOUT)
            )
        _ensure_role_and_database(cluster, log)
    return cluster.url()


def down(cluster: Cluster, log: Log = lambda _msg: None) -> bool:
    """Stop the server; False if it was not running."""
    if not (cluster.data / "PG_VERSION").is_file():
        log("no PostgreSQL dev cluster")
        return False
    bin_dir = find_bin_dir()
    with cluster_lock(cluster):
        if not status(cluster, bin_dir).running:
            log("PostgreSQL is not running")
            return False
        _pg_ctl(cluster, bin_dir, "stop", "-m", "fast")
        log("PostgreSQL stopped")
        return True


def superuser_conninfo(cluster: Cluster, database: str = "postgres") -> str:
    password = cluster.password_file.read_text(encoding="utf-8").strip()
    return psycopg.conninfo.make_conninfo(
        host=HOST, port=cluster.port, user=OS_USER, password=password, dbname=database
    )


# --- setting up ----------------------------------------------------------------------


def _prepare_directories(cluster: Cluster, log: Log) -> None:
    uid, gid = _postgres_ids()
    cluster.root.mkdir(parents=True, exist_ok=True)
    cluster.root.chmod(0o755)
    for directory, mode in ((cluster.data, 0o700), (cluster.log_file.parent, 0o755)):
        directory.mkdir(exist_ok=True)
        os.chown(directory, uid, gid)
        directory.chmod(mode)
    _give_postgres_search_access(cluster.root, uid, log)


def _postgres_ids() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam(OS_USER)
    except KeyError:
        raise PostgresError(
            f"no {OS_USER!r} OS user; install the Debian package postgresql"
        ) from None
    return entry.pw_uid, entry.pw_gid


def _give_postgres_search_access(target: Path, uid: int, log: Log) -> None:
    if _postgres_can_reach(target):
        return
    for directory in reversed([target, *target.parents]):
        if _postgres_can_reach(directory):
            continue
        try:
            grant_search_acl(directory, uid)
        except OSError as exc:
            raise PostgresError(
                f"the {OS_USER} user cannot reach {directory} and adding an ACL failed "
                f"({exc.strerror}); set XDG_CACHE_HOME to a directory it can reach"
            ) from exc
        log(f"granted the {OS_USER} user search (x) access to {directory} (POSIX ACL)")
    if not _postgres_can_reach(target):
        raise PostgresError(f"the {OS_USER} user still cannot reach {target}")


def _postgres_can_reach(directory: Path) -> bool:
    return _as_postgres(["test", "-x", str(directory)]).returncode == 0


def _initdb(cluster: Cluster, bin_dir: Path, log: Log) -> None:
    if any(cluster.data.iterdir()):
        raise PostgresError(
            f"{cluster.data} is not empty but holds no cluster (no PG_VERSION); "
            "remove it and run `python -m devstack postgres up` again"
        )
    log(f"initialising a PostgreSQL cluster in {cluster.data}")
    password = secrets.token_urlsafe(24)
    uid, gid = _postgres_ids()
    pwfile = cluster.log_file.parent / f".initdb-pw-{secrets.token_hex(4)}"
    fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(password + "\n")
        os.chown(pwfile, uid, gid)
        _run_as_postgres(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(cluster.data),
                "--username",
                OS_USER,
                "--pwfile",
                str(pwfile),
                "--auth-local",
                "peer",
                "--auth-host",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--locale",
                "C",
            ],
            "initdb",
        )
    finally:
        pwfile.unlink(missing_ok=True)
    fd = os.open(cluster.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(password + "\n")
    with (cluster.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write(f"\ninclude_if_exists = '{CONF_NAME}'\n")


def _write_settings(cluster: Cluster) -> None:
    uid, gid = _postgres_ids()
    path = cluster.data / CONF_NAME
    path.write_text(
        "# Written by `python -m devstack postgres up` on every run; edit the code, not this.\n"
        f"listen_addresses = '{HOST}'\n"
        f"port = {cluster.port}\n"
        "unix_socket_directories = ''  # TCP only: no socket path to share with the system\n"
        "# A throwaway dev server: speed over crash safety.\n"
        "fsync = off\n"
        "synchronous_commit = off\n"
        "full_page_writes = off\n",
        encoding="utf-8",
    )
    os.chown(path, uid, gid)


def _ensure_role_and_database(cluster: Cluster, log: Log) -> None:
    with psycopg.connect(superuser_conninfo(cluster), autocommit=True, connect_timeout=10) as conn:
        role = sql.Identifier(ROLE)
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ROLE,)).fetchone()
        verb = sql.SQL("ALTER" if exists else "CREATE")
        # CREATEDB: the test suite creates a fresh database per test.
        conn.execute(
            sql.SQL("{} ROLE {} LOGIN CREATEDB PASSWORD {}").format(
                verb, role, sql.Literal(PASSWORD)
            )
        )
        if not exists:
            log(f"created role {ROLE}")
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
        if found.fetchone() is None:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(DATABASE), role)
            )
            log(f"created database {DATABASE}")


# --- running as the postgres user -----------------------------------------------------


def _as_postgres(argv: list[str]) -> subprocess.CompletedProcess[str]:
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        command = [runuser, "-u", OS_USER, "--", *argv] if runuser else _su_command(argv)
    elif pwd.getpwuid(os.geteuid()).pw_name == OS_USER:
        command = argv
    else:
        raise PostgresError(f"run as root (to switch to the {OS_USER} user) or as {OS_USER}")
    try:
        return subprocess.run(
            command,
            cwd="/",  # the postgres user may not be allowed into our working directory
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise PostgresError(f"{argv[0]} did not finish in {COMMAND_TIMEOUT:.0f} s") from exc


def _su_command(argv: list[str]) -> list[str]:
    return ["su", "-s", "/bin/sh", OS_USER, "-c", shlex.join(argv)]


def _run_as_postgres(argv: list[str], what: str) -> str:
    result = _as_postgres(argv)
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip()
        raise PostgresError(f"{what} failed (exit {result.returncode}): {output}")
    return result.stdout


def _pg_ctl(cluster: Cluster, bin_dir: Path, action: str, *options: str) -> None:
    argv = [str(bin_dir / "pg_ctl"), action, "-D", str(cluster.data), "-w", *options]
    try:
        _run_as_postgres(argv, f"pg_ctl {action}")
    except PostgresError as exc:
        raise PostgresError(f"{exc}\n{_log_tail(cluster)}") from None


def _log_tail(cluster: Cluster, lines: int = 15) -> str:
    try:
        text = cluster.log_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return f"(no server log at {cluster.log_file})"
    tail = "\n".join(text.splitlines()[-lines:])
    return f"last lines of {cluster.log_file}:\n{tail}"


def _read_pid_file(path: Path) -> tuple[int | None, int | None]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None, None
    pid = int(lines[0]) if lines and lines[0].strip().isdigit() else None
    port = int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None
    return pid, port


# --- POSIX ACLs without the acl tools -------------------------------------------------

_ACL_XATTR = "system.posix_acl_access"
_ACL_VERSION = 2
_ACL_USER_OBJ, _ACL_USER, _ACL_GROUP_OBJ, _ACL_GROUP, _ACL_MASK, _ACL_OTHER = (
    0x01,
    0x02,
    0x04,
    0x08,
    0x10,
    0x20,
)
_ACL_UNDEFINED_ID = 0xFFFFFFFF
_ACL_SEARCH = 0o1
_ACL_HEADER = struct.Struct("<I")
_ACL_ENTRY = struct.Struct("<HHI")


def grant_search_acl(directory: Path, uid: int) -> None:
    """Add `user:<uid>:--x` to the directory's access ACL (like `setfacl -m u:uid:x`).

    Only search (x) is granted: the user can pass through, not list or write. Existing
    entries are kept; the mask gains x so that the new entry takes effect.
    """
    entries = _read_acl(directory)
    named = [e for e in entries if e[0] == _ACL_USER and e[2] == uid]
    if named:
        entries = [
            (tag, perm | _ACL_SEARCH, ident)
            if (tag, ident) == (_ACL_USER, uid)
            else (tag, perm, ident)
            for tag, perm, ident in entries
        ]
    else:
        entries.append((_ACL_USER, _ACL_SEARCH, uid))
    masks = [e for e in entries if e[0] == _ACL_MASK]
    if masks:
        entries = [
            (tag, perm | _ACL_SEARCH, ident) if tag == _ACL_MASK else (tag, perm, ident)
            for tag, perm, ident in entries
        ]
    else:
        group_class = 0
        for tag, perm, _ident in entries:
            if tag in (_ACL_USER, _ACL_GROUP_OBJ, _ACL_GROUP):
                group_class |= perm
        entries.append((_ACL_MASK, group_class, _ACL_UNDEFINED_ID))
    entries.sort(key=lambda e: (e[0], e[2]))
    raw = _ACL_HEADER.pack(_ACL_VERSION) + b"".join(_ACL_ENTRY.pack(*e) for e in entries)
    os.setxattr(directory, _ACL_XATTR, raw)


def _read_acl(directory: Path) -> list[tuple[int, int, int]]:
    try:
        raw = os.getxattr(directory, _ACL_XATTR)
    except OSError as exc:
        if exc.errno not in (errno.ENODATA, errno.ENOTSUP):
            raise
        raw = b""
    if len(raw) < _ACL_HEADER.size:
        mode = directory.stat().st_mode
        return [
            (_ACL_USER_OBJ, (mode >> 6) & 0o7, _ACL_UNDEFINED_ID),
            (_ACL_GROUP_OBJ, (mode >> 3) & 0o7, _ACL_UNDEFINED_ID),
            (_ACL_OTHER, mode & 0o7, _ACL_UNDEFINED_ID),
        ]
    (version,) = _ACL_HEADER.unpack_from(raw)
    if version != _ACL_VERSION:
        raise OSError(errno.EINVAL, f"unknown ACL version {version} on {directory}")
    body = raw[_ACL_HEADER.size :]
    return [_ACL_ENTRY.unpack_from(body, offset) for offset in range(0, len(body), _ACL_ENTRY.size)]
