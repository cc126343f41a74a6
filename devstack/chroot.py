"""Provision the dev stack's Debian sid chroot with Asterisk 22 (cached outside the repo).

A chroot counts as done only when its marker file exists; the marker is written
last, inside a temporary directory that is then renamed into place, so a failed or
interrupted debootstrap never leaves a half chroot that looks finished.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from devstack.mounts import safe_rmtree, unmount_all_under

MARKER = ".hotline12330-provisioned"
SUITE = "sid"  # Asterisk 22 is not in bookworm
MIRROR = "http://deb.debian.org/debian"
PACKAGES = ("asterisk", "asterisk-modules", "asterisk-core-sounds-en-wav")
DEBOOTSTRAP_TIMEOUT = 1800.0
# Directories the package gives to the `asterisk` user; we run Asterisk as root.
ASTERISK_DIRS = (
    "etc/asterisk",
    "var/lib/asterisk",
    "var/spool/asterisk",
    "var/log/asterisk",
    "var/cache/asterisk",
    "run/asterisk",
)


class ProvisionError(RuntimeError):
    """debootstrap or the chroot setup failed; the message says where the log is."""


def is_provisioned(root: Path) -> bool:
    return (root / MARKER).is_file() and (root / "usr/sbin/asterisk").is_file()


def partial_dirs(root: Path) -> list[Path]:
    return sorted(root.parent.glob(f"{root.name}.partial-*"))


def provision(root: Path, *, log: Callable[[str], None] = print, mirror: str = MIRROR) -> bool:
    """Make sure root is a finished chroot; True if it was built now.

    The caller holds the dev-stack lock, so any leftover partial directory is from
    an interrupted earlier run and can go.
    """
    if is_provisioned(root):
        return False
    root.parent.mkdir(parents=True, exist_ok=True)
    for stale in partial_dirs(root):
        log(f"removing an unfinished chroot: {stale}")
        unmount_all_under(stale)
        safe_rmtree(stale)
    partial = root.with_name(f"{root.name}.partial-{os.getpid()}")
    logfile = root.with_name(f"{root.name}.debootstrap.log")
    log(f"debootstrap {SUITE} with {', '.join(PACKAGES)} into {partial} (log: {logfile})")
    try:
        _debootstrap(partial, logfile, mirror)
        finish_chroot(partial)
    except BaseException:
        unmount_all_under(partial)
        safe_rmtree(partial)
        raise
    if root.exists():
        log(f"replacing the incomplete chroot {root}")
        unmount_all_under(root)
        safe_rmtree(root)
    partial.rename(root)
    return True


def _debootstrap(target: Path, logfile: Path, mirror: str) -> None:
    command = [
        "debootstrap",
        "--variant=minbase",
        f"--include={','.join(PACKAGES)}",
        SUITE,
        str(target),
        mirror,
    ]
    with logfile.open("w", encoding="utf-8") as out:
        try:
            done = subprocess.run(
                command, stdout=out, stderr=subprocess.STDOUT, timeout=DEBOOTSTRAP_TIMEOUT
            )
        except FileNotFoundError as exc:
            raise ProvisionError(
                "debootstrap is not installed (apt-get install debootstrap)"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise ProvisionError(
                f"debootstrap took over {DEBOOTSTRAP_TIMEOUT:.0f}s; see {logfile}"
            ) from exc
    if done.returncode != 0:
        tail = logfile.read_text(encoding="utf-8", errors="replace").splitlines()[-5:]
        raise ProvisionError(
            f"debootstrap failed (exit {done.returncode}); see {logfile}:\n" + "\n".join(tail)
        )


def finish_chroot(root: Path) -> None:
    """Post-debootstrap setup; writes the marker last."""
    if not (root / "usr/sbin/asterisk").is_file():
        raise ProvisionError(f"{root}: no /usr/sbin/asterisk after debootstrap")
    for relative in ASTERISK_DIRS:
        directory = root / relative
        directory.mkdir(parents=True, exist_ok=True)
        _chown_tree_to_root(directory)
    _link_english_sounds(root)
    version = subprocess.run(
        ["chroot", str(root), "asterisk", "-V"], capture_output=True, text=True, timeout=30
    ).stdout.strip()
    marker = {
        "suite": SUITE,
        "packages": list(PACKAGES),
        "asterisk": version,
        "provisioned_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    (root / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


def _chown_tree_to_root(top: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(top):
        for name in (*dirnames, *filenames):
            os.lchown(os.path.join(dirpath, name), 0, 0)
    os.lchown(top, 0, 0)


def _link_english_sounds(root: Path) -> None:
    # The package installs the prompts as sounds/en_US_f_Allison; Asterisk looks in sounds/en.
    sounds = root / "usr/share/asterisk/sounds"
    if not (sounds / "en_US_f_Allison").is_dir():
        raise ProvisionError(
            f"{sounds}/en_US_f_Allison missing: is asterisk-core-sounds-en-wav in?"
        )
    english = sounds / "en"
    if english.is_symlink() or english.is_file():
        english.unlink()
    if not english.exists():
        english.symlink_to("en_US_f_Allison")


def marker_info(root: Path) -> dict[str, object]:
    try:
        return json.loads((root / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
