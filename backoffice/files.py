"""Find a recording or voicemail file on disk from a database row, never from a request.

The rows hold paths relative to a root; this refuses anything that would leave it
(absolute paths, `..`, symlinks pointing out), as a second line behind the
database constraints.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath


def file_under(root: Path, relative: str) -> Path | None:
    """The existing regular file at root/relative, or None if it is missing or escapes."""
    if not relative or "\x00" in relative:
        return None
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or "\\" in relative:
        return None
    base = root.resolve()
    try:
        candidate = (base / pure).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not candidate.is_relative_to(base) or not candidate.is_file():
        return None
    return candidate
