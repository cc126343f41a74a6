"""Service settings: a TOML file, overridden by HOTLINE12330_* environment variables.

`HOTLINE12330_CONFIG` names the settings file. Each setting `x_y` can be
overridden by `HOTLINE12330_X_Y` (e.g. HOTLINE12330_DATABASE_URL,
HOTLINE12330_AGI_PORT). Relative paths in the file are relative to the file.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from config.peers import is_loopback_host, parse_peers

ENV_PREFIX = "HOTLINE12330_"
DEFAULTS_DIR = Path(__file__).resolve().parent / "defaults"


class SettingsError(ValueError):
    """A settings file or override that cannot be used; the message names the key."""


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "hotline12330"


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hotline12330"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    recordings_root: Path
    prompts_dir: Path
    centres_file: Path
    calendar_file: Path
    categories_file: Path
    evaluation_file: Path  # the supervisors' scoring form
    asterisk_root: Path  # the Debian sid chroot of the dev stack, cached outside the repo
    # Asterisk's voicemail spool as this server sees it. The default is the dev stack's
    # chroot; a production install sets /var/spool/asterisk/voicemail.
    voicemail_spool: Path
    # Asterisk's cdr_csv Master.csv (as this server sees it), read by `reconcile`.
    cdr_csv: Path
    # Where the service rewrites hotline12330-fallback.conf daily (Asterisk's config
    # directory as this server sees it). The default is the dev stack's chroot.
    asterisk_conf_dir: Path
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    # FastAGI has no authentication: the Asterisk addresses (IPs or CIDRs) allowed to
    # connect; required when agi_host is not a loopback address. Empty: anyone who can
    # reach a loopback port (this machine).
    agi_allowed_peers: tuple[str, ...] = ()
    agi_max_sessions: int = 256
    agi_command_timeout: float = 10.0
    agi_header_timeout: float = 5.0
    # A second FastAGI server (agi://host:port) the dialplan tries when this one cannot
    # be reached; "" = none.
    agi_second_url: str = ""
    health_host: str = "127.0.0.1"
    health_port: int = 4574
    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_user: str = "hotline12330"
    ami_secret: str = "hotline12330-dev"  # noqa: S105  (dev stack default; set it in production)
    ami_timeout: float = 10.0
    timezone: str = "Asia/Shanghai"
    log_level: str = "info"
    console_host: str = "127.0.0.1"
    console_port: int = 8330
    # Secure cookies travel only over HTTPS (Chromium also accepts them on http://localhost
    # and 127.0.0.1). Turn off only for a plain-HTTP console on another host's LAN address.
    console_cookie_secure: bool = True
    console_session_hours: int = 12
    # A voicemail not called back within this many statutory working days is overdue.
    console_callback_working_days: int = 1
    console_login_max_failures: int = 5  # per user name, and per address, in the window
    console_login_window_minutes: int = 15
    # Password checks running at once; argon2id takes 64 MiB each (1..16).
    console_password_checks: int = 2
    # Reverse proxies (addresses or networks) whose X-Forwarded-For the console believes;
    # empty: the socket's peer is the client, whatever the headers say.
    console_trusted_proxies: tuple[str, ...] = ()
    # The console has its own connection pool; a request waits at most this many seconds
    # for a connection, then gets a "busy" page instead of hanging.
    console_pool_timeout: float = 5.0
    # The console's own database URL, e.g. as the restricted role of `hotline12330 postgres
    # console-role` (INSERT and SELECT only on audit_log); "" = database_url.
    console_database_url: str = ""
    # serve's reconcile looks this many days back in the CDR (`reconcile --since` reaches
    # further); it runs once the AGI port listens, then every reconcile_minutes.
    reconcile_days: int = 14
    reconcile_minutes: int = 5
    # Names this server's journal (data_dir/journal-<instance>.sqlite3) and its log lines;
    # two servers on one machine need two names (`serve --instance b`).
    instance: str = "main"
    # The journal's disk bound: past it entries wait in memory, then are dropped (loudly);
    # the calls go on and reconcile rebuilds their rows from the CDR.
    journal_max_mb: int = 1024

    @property
    def journal_path(self) -> Path:
        return self.data_dir / f"journal-{self.instance}.sqlite3"


_PATH_FIELDS = {f.name for f in dataclasses.fields(Settings) if f.type in ("Path", Path)}
_INT_FIELDS = {f.name for f in dataclasses.fields(Settings) if f.type in ("int", int)}
_FLOAT_FIELDS = {f.name for f in dataclasses.fields(Settings) if f.type in ("float", float)}
_BOOL_FIELDS = {f.name for f in dataclasses.fields(Settings) if f.type in ("bool", bool)}
_TRUE_WORDS, _FALSE_WORDS = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _coerce(name: str, value: object, base: Path, source: str) -> object:
    try:
        if name in _PATH_FIELDS:
            path = Path(str(value)).expanduser()
            return path if path.is_absolute() else (base / path).resolve()
        if name in _INT_FIELDS:
            number = _integer(value)
            if name.endswith("_port") and not 1 <= number <= 65535:
                raise ValueError(f"port {number} out of range 1..65535")
            if name.endswith(("_days", "_hours", "_minutes", "_failures", "_mb")) and number < 1:
                raise ValueError(f"{number} days: must be at least 1")
            if name == "console_password_checks" and not 1 <= number <= 16:
                raise ValueError(f"{number} out of range 1..16")
            return number
        if name in _BOOL_FIELDS:
            if isinstance(value, bool):
                return value
            word = str(value).strip().lower() if isinstance(value, str) else None
            if word in _TRUE_WORDS or word in _FALSE_WORDS:
                return word in _TRUE_WORDS
            raise ValueError(f"expected true or false, got {value!r}")
        if name in _FLOAT_FIELDS:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise ValueError(f"expected a number, got {value!r}")
            try:
                number = float(value)
            except ValueError:
                raise ValueError(f"expected a number, got {value!r}") from None
            # nan and inf fail this too: a timeout must be a real wait.
            if name.endswith("_timeout") and not 0 < number < float("inf"):
                raise ValueError(f"{value!r} seconds: must be positive")
            return number
        if name in ("agi_allowed_peers", "console_trusted_proxies"):
            return parse_peers(value)
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {type(value).__name__}")
        if name == "instance" and not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,31}", value):
            raise ValueError(f"{value!r}: lowercase letters, digits, - and _ (at most 32)")
        return value
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"{source}: {name}: {exc}") from exc


def _integer(value: object) -> int:
    # int() alone would accept True and silently truncate 4573.9.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?[0-9]+\s*", value):
        return int(value)
    raise ValueError(f"expected an integer, got {value!r}")


def settings_file_from_env() -> Path | None:
    raw = os.environ.get(ENV_PREFIX + "CONFIG")
    return Path(raw).expanduser().resolve() if raw else None


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Build Settings from defaults, then the TOML file, then the environment."""
    env = os.environ if environ is None else environ
    if path is None and env.get(ENV_PREFIX + "CONFIG"):
        path = Path(env[ENV_PREFIX + "CONFIG"]).expanduser().resolve()

    data_dir = _default_data_dir()
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": f"sqlite:///{data_dir / 'hotline12330.sqlite3'}",
        "recordings_root": data_dir / "recordings",
        "prompts_dir": data_dir / "prompts",
        "centres_file": DEFAULTS_DIR / "centres.toml",
        "calendar_file": DEFAULTS_DIR / "calendar.toml",
        "categories_file": DEFAULTS_DIR / "categories.toml",
        "evaluation_file": DEFAULTS_DIR / "evaluation.toml",
        "asterisk_root": _default_cache_dir() / "asterisk-sid",
        "voicemail_spool": _default_cache_dir() / "asterisk-sid/var/spool/asterisk/voicemail",
        "cdr_csv": _default_cache_dir() / "asterisk-sid/var/log/asterisk/cdr-csv/Master.csv",
        "asterisk_conf_dir": _default_cache_dir() / "asterisk-sid/etc/asterisk",
    }
    known = {f.name for f in dataclasses.fields(Settings)}
    explicit: set[str] = set()  # set by the file or the environment: never rebased

    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SettingsError(f"{path}: cannot read: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise SettingsError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from exc
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: not valid TOML: {exc}") from exc
        except RecursionError:
            raise SettingsError(f"{path}: not valid TOML: nested too deeply") from None
        flat = _flatten(raw)
        for key, value in flat.items():
            if key not in known:
                raise SettingsError(f"{path}: {key}: unknown setting")
            values[key] = _coerce(key, value, path.parent, str(path))
            explicit.add(key)

    for name in known:
        raw_env = env.get(ENV_PREFIX + name.upper())
        if raw_env is not None:
            values[name] = _coerce(name, raw_env, Path.cwd(), ENV_PREFIX + name.upper())
            explicit.add(name)
    # A data_dir set in the file or environment moves every default that lives under it.
    if "data_dir" in explicit:
        _rebase_on_data_dir(values, explicit)
    if "asterisk_root" in explicit and "voicemail_spool" not in explicit:
        root = values["asterisk_root"]
        assert isinstance(root, Path)
        values["voicemail_spool"] = root / "var/spool/asterisk/voicemail"
    if "asterisk_root" in explicit and "cdr_csv" not in explicit:
        root = values["asterisk_root"]
        assert isinstance(root, Path)
        values["cdr_csv"] = root / "var/log/asterisk/cdr-csv/Master.csv"
    if "asterisk_root" in explicit and "asterisk_conf_dir" not in explicit:
        root = values["asterisk_root"]
        assert isinstance(root, Path)
        values["asterisk_conf_dir"] = root / "etc/asterisk"
    settings = Settings(**values)  # type: ignore[arg-type]
    if not is_loopback_host(settings.agi_host) and not settings.agi_allowed_peers:
        raise SettingsError(
            f"agi_host: {settings.agi_host} is reachable from other machines and FastAGI has "
            "no authentication; set agi_allowed_peers (HOTLINE12330_AGI_ALLOWED_PEERS) to "
            'the Asterisk addresses, e.g. ["192.0.2.10"] or "192.0.2.0/28"'
        )
    return settings


# Settings whose defaults point into the dev stack's chroot (asterisk_root): a production
# install must name Asterisk's own spool and CDR file.
DEV_CHROOT_KEYS = ("voicemail_spool", "cdr_csv")


def dev_chroot_settings(settings: Settings) -> list[str]:
    """The DEV_CHROOT_KEYS whose path lies in the dev stack's chroot."""
    chroots = {_default_cache_dir() / "asterisk-sid"}
    if settings.asterisk_root != Path("/"):  # "/" derives the real Asterisk paths
        chroots.add(settings.asterisk_root)
    return [
        key
        for key in DEV_CHROOT_KEYS
        if any(Path(getattr(settings, key)).is_relative_to(root) for root in chroots)
    ]


def _rebase_on_data_dir(values: dict[str, object], explicit: set[str]) -> None:
    data_dir = values["data_dir"]
    assert isinstance(data_dir, Path)
    if "database_url" not in explicit:
        values["database_url"] = f"sqlite:///{data_dir / 'hotline12330.sqlite3'}"
    if "recordings_root" not in explicit:
        values["recordings_root"] = data_dir / "recordings"
    if "prompts_dir" not in explicit:
        values["prompts_dir"] = data_dir / "prompts"


def _flatten(raw: dict[str, object]) -> dict[str, object]:
    """`[agi] port = 1` and `agi_port = 1` mean the same setting."""
    flat: dict[str, object] = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            for sub, subvalue in value.items():
                flat[f"{key}_{sub}"] = subvalue
        else:
            flat[key] = value
    return flat
