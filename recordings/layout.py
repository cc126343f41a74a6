"""Where call recordings live under the recordings root, and safe lookups inside it.

A recording's path is derived only from the call's start date and its Asterisk
uniqueid (YYYY/MM/DD/<uniqueid>.wav), so the database stores a short relative path
and a path read back from the database can never point outside the root.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path, PurePosixPath, PureWindowsPath

# Asterisk uniqueids are "<epoch seconds>.<counter>", prefixed "<systemname>-" when
# asterisk.conf sets systemname (e.g. "pbx1-1764740200.1"). The system name is kept to
# ASCII letters, digits, "_", "-" and single dots, so a uniqueid is always one safe file
# name: never "/", "\\", "..", a space, NUL or a leading dot.
_SYSTEM_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9_-]|\.(?!\.))*"
_UNIQUEID = re.compile(rf"(?:{_SYSTEM_NAME}-)?[0-9]+(?:\.[0-9]+)*", re.ASCII)
_MAX_UNIQUEID_LENGTH = 64  # models.calls.UNIQUEID_LENGTH


class UnsafePathError(ValueError):
    """A relative path that would leave the root it must stay under."""


def validate_uniqueid(uniqueid: str) -> str:
    """Return `uniqueid` if it is safe as a file name, else raise ValueError."""
    if (
        not isinstance(uniqueid, str)
        or len(uniqueid) > _MAX_UNIQUEID_LENGTH
        or not _UNIQUEID.fullmatch(uniqueid)
    ):
        raise ValueError(
            "not an Asterisk uniqueid ([<systemname>-]<epoch>.<counter>, at most "
            f"{_MAX_UNIQUEID_LENGTH} characters): {uniqueid!r}"
        )
    return uniqueid


def recording_relpath(uniqueid: str, started_at: dt.datetime) -> PurePosixPath:
    """YYYY/MM/DD/<uniqueid>.wav; the date is taken from `started_at` as given
    (pass the call start in the service time zone)."""
    validate_uniqueid(uniqueid)
    return PurePosixPath(
        f"{started_at:%Y}", f"{started_at:%m}", f"{started_at:%d}", f"{uniqueid}.wav"
    )


def resolve_under_root(root: Path, relpath: str | PurePosixPath) -> Path:
    """The real path of `relpath` inside `root`.

    Refuses empty paths, absolute paths (POSIX or Windows style), `..` components,
    NUL bytes, and symlinks whose target lies outside the root.
    """
    text = str(relpath)
    if not text or text in (".",):
        raise UnsafePathError("empty relative path")
    if "\x00" in text:
        raise UnsafePathError(f"NUL byte in path: {text!r}")
    posix = PurePosixPath(text)
    windows = PureWindowsPath(text)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or text.startswith("\\"):
        raise UnsafePathError(f"absolute path not allowed: {text!r}")
    if ".." in posix.parts or ".." in windows.parts:
        raise UnsafePathError(f"'..' not allowed in path: {text!r}")

    real_root = root.resolve()
    candidate = (real_root / posix).resolve()
    if not candidate.is_relative_to(real_root) or candidate == real_root:
        raise UnsafePathError(f"path leaves the root {real_root}: {text!r}")
    return candidate
