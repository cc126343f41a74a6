"""Recording paths: YYYY/MM/DD/<uniqueid>.wav and lookups that cannot leave the root."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path, PurePosixPath

import pytest

from recordings.layout import UnsafePathError, recording_relpath, resolve_under_root

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.parametrize(
    ("uniqueid", "started_at", "expected"),
    [
        ("1700000000.42", dt.datetime(2025, 1, 5, 9, 30), "2025/01/05/1700000000.42.wav"),
        ("1735660799.7", dt.datetime(2024, 12, 31, 23, 59, 59), "2024/12/31/1735660799.7.wav"),
        ("1", dt.datetime(2026, 10, 1, 0, 0), "2026/10/01/1.wav"),
        # The date is the one written in started_at, in whatever zone it carries.
        (
            "1700000000.1",
            dt.datetime(2025, 2, 1, 0, 30, tzinfo=SHANGHAI),
            "2025/02/01/1700000000.1.wav",
        ),
        ("1700000000.1.2", dt.datetime(2025, 2, 1), "2025/02/01/1700000000.1.2.wav"),
        # asterisk.conf `systemname = pbx1` prefixes every uniqueid.
        ("pbx1-1764740200.1", dt.datetime(2025, 12, 3), "2025/12/03/pbx1-1764740200.1.wav"),
        ("pbx-bj.node_2-1764740200.17", dt.datetime(2025, 12, 3), None),
        ("PBX1-1764740200.1", dt.datetime(2025, 12, 3), None),
        ("a" * 51 + "-1764740200.1", dt.datetime(2025, 12, 3), None),  # 64 characters
    ],
)
def test_recording_relpath(uniqueid: str, started_at: dt.datetime, expected: str) -> None:
    relpath = recording_relpath(uniqueid, started_at)
    expected = expected or f"{started_at:%Y/%m/%d}/{uniqueid}.wav"
    assert relpath == PurePosixPath(expected)
    assert relpath.name == f"{uniqueid}.wav" and len(relpath.parts) == 4
    assert not relpath.is_absolute()


@pytest.mark.parametrize(
    "uniqueid",
    [
        "",
        "abc",
        "1700000000.4a",
        "../1",
        "1..2",
        ".1",
        "1.",
        "1 2",
        "1/2",
        "1\\2",
        "１２３",
        "1" * 65,
        "a" * 52 + "-1764740200.1",  # 65 characters
        # A system-name prefix must not smuggle in a path, a space or a hidden file.
        "pbx1-",
        "-1764740200.1",
        "pbx1",
        "pbx1-abc",
        "../pbx1-1764740200.1",
        "pbx/1-1764740200.1",
        "pbx\\1-1764740200.1",
        "pbx..1-1764740200.1",
        ".pbx1-1764740200.1",
        "pbx 1-1764740200.1",
        "pbx1\x00-1764740200.1",
        "pbx1-1764740200.1\n",
        "pbx1-1764740200.1.wav/..",
        "pbx１-1764740200.1",
        "pbx1-1764740200.1;rm",
    ],
)
def test_recording_relpath_refuses_unsafe_uniqueid(uniqueid: str) -> None:
    with pytest.raises(ValueError, match="uniqueid"):
        recording_relpath(uniqueid, dt.datetime(2025, 1, 5))


@pytest.mark.parametrize(
    ("relpath", "expected"),
    [
        ("2025/01/05/1700000000.42.wav", "2025/01/05/1700000000.42.wav"),
        ("a/./b.wav", "a/b.wav"),
        ("a//b.wav", "a/b.wav"),
        (PurePosixPath("2025/01/05/1.wav"), "2025/01/05/1.wav"),
    ],
)
def test_resolve_under_root_accepts(tmp_path: Path, relpath: str, expected: str) -> None:
    root = tmp_path / "recordings"
    root.mkdir()
    assert resolve_under_root(root, relpath) == root.resolve() / expected


@pytest.mark.parametrize(
    "relpath",
    [
        "",
        ".",
        "..",
        "../secret.wav",
        "a/../../secret.wav",
        "a/../b.wav",  # harmless, but a stored path never needs '..'
        "/etc/passwd",
        "//etc/passwd",
        "C:\\Windows\\win.ini",
        "C:secret.wav",
        "\\\\server\\share\\x.wav",
        "a\\..\\..\\secret.wav",
        "a\x00.wav",
    ],
)
def test_resolve_under_root_refuses(tmp_path: Path, relpath: str) -> None:
    root = tmp_path / "recordings"
    root.mkdir()
    with pytest.raises(UnsafePathError):
        resolve_under_root(root, relpath)


def test_symlink_escaping_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "recordings"
    (root / "2025").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.wav").write_bytes(b"x")
    os.symlink(outside, root / "2025" / "01")
    os.symlink(outside / "secret.wav", root / "link.wav")

    with pytest.raises(UnsafePathError, match="leaves the root"):
        resolve_under_root(root, "2025/01/secret.wav")
    with pytest.raises(UnsafePathError, match="leaves the root"):
        resolve_under_root(root, "link.wav")


def test_symlink_inside_root_and_symlinked_root_are_fine(tmp_path: Path) -> None:
    real_root = tmp_path / "disk" / "recordings"
    (real_root / "2025" / "01").mkdir(parents=True)
    (real_root / "2025" / "01" / "1.wav").write_bytes(b"x")
    os.symlink(real_root / "2025" / "01", real_root / "latest")
    root_link = tmp_path / "recordings"
    os.symlink(real_root, root_link)

    expected = real_root.resolve() / "2025" / "01" / "1.wav"
    assert resolve_under_root(root_link, "latest/1.wav") == expected
    assert resolve_under_root(root_link, "2025/01/1.wav") == expected


def test_relpath_round_trips_through_resolve(tmp_path: Path) -> None:
    relpath = recording_relpath("1700000000.42", dt.datetime(2025, 3, 8, 14, 0))
    path = resolve_under_root(tmp_path, str(relpath))
    assert path == tmp_path.resolve() / "2025" / "03" / "08" / "1700000000.42.wav"
