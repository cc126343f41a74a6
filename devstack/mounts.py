"""Mounts of the dev-stack chroot: read /proc/mounts, mount only what is missing,
and refuse to delete a directory tree while anything is mounted inside it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

PROC_MOUNTS = Path("/proc/mounts")


class MountError(RuntimeError):
    """A mount or unmount that failed; the message has mount's own error text."""


def _unescape(field: str) -> str:
    # /proc/mounts writes space, tab, newline and backslash as octal escapes.
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def mount_points(mounts_text: str | None = None) -> list[Path]:
    """Every mount point, in mount order (parents before children)."""
    text = PROC_MOUNTS.read_text(encoding="utf-8") if mounts_text is None else mounts_text
    points = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2:
            points.append(Path(_unescape(fields[1])))
    return points


def is_mounted(path: Path, mounts_text: str | None = None) -> bool:
    return path.resolve() in mount_points(mounts_text)


def mounts_under(root: Path, mounts_text: str | None = None) -> list[Path]:
    """Mount points at or below root, deepest last."""
    real = root.resolve()
    return [p for p in mount_points(mounts_text) if p == real or p.is_relative_to(real)]


def _run_mount(args: list[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:
        raise MountError(f"{' '.join(args)}: {done.stderr.strip() or done.returncode}")


def mount_proc(target: Path) -> bool:
    """Mount proc on target unless already mounted; True if it mounted now."""
    if is_mounted(target):
        return False
    target.mkdir(parents=True, exist_ok=True)
    _run_mount(["mount", "-t", "proc", "proc", str(target)])
    return True


def bind_mount(source: Path, target: Path) -> bool:
    """Bind source on target (both created) unless target is already a mount point."""
    source.mkdir(parents=True, exist_ok=True)
    target.mkdir(parents=True, exist_ok=True)
    if is_mounted(target):
        return False
    _run_mount(["mount", "--bind", str(source), str(target)])
    return True


def unmount(point: Path) -> bool:
    """Unmount one mount point if mounted; True if it was."""
    if not is_mounted(point):
        return False
    _run_mount(["umount", str(point)])
    return True


def unmount_all_under(root: Path) -> list[Path]:
    """Unmount everything at or below root, deepest first; the paths unmounted."""
    done = []
    for point in reversed(mounts_under(root)):
        if point == root.resolve():
            continue
        _run_mount(["umount", str(point)])
        done.append(point)
    remaining = [p for p in mounts_under(root) if p != root.resolve()]
    if remaining:
        raise MountError(f"still mounted under {root}: {', '.join(map(str, remaining))}")
    return done


def safe_rmtree(path: Path) -> None:
    """Delete a chroot tree, but never through a mount (bind-mounted recordings!)."""
    if not path.exists() and not path.is_symlink():
        return
    mounted = mounts_under(path)
    if mounted:
        raise MountError(
            f"refusing to delete {path}: still mounted: {', '.join(map(str, mounted))}"
        )
    shutil.rmtree(path)
