"""Dev-stack plumbing that needs no Asterisk: chroot provisioning safety, mount parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack import chroot as devstack_chroot
from devstack.chroot import MARKER, ProvisionError, is_provisioned, provision
from devstack.mounts import MountError, mount_points, mounts_under, safe_rmtree

MOUNTS = """\
/dev/vda / ext4 rw,relatime 0 0
proc /cache/asterisk-sid/proc proc rw 0 0
/dev/vda /cache/asterisk-sid/data/my\\040recordings ext4 rw 0 0
/dev/vda /cache/asterisk-sid-other/proc ext4 rw 0 0
"""


def test_mount_points_unescape_octal_sequences():
    assert Path("/cache/asterisk-sid/data/my recordings") in mount_points(MOUNTS)


@pytest.mark.parametrize(
    ("root", "expected"),
    [
        (
            "/cache/asterisk-sid",
            ["/cache/asterisk-sid/proc", "/cache/asterisk-sid/data/my recordings"],
        ),
        ("/cache/asterisk-sid-other", ["/cache/asterisk-sid-other/proc"]),
        ("/cache/nothing", []),
    ],
)
def test_mounts_under_a_root_only_match_whole_path_components(root, expected):
    assert mounts_under(Path(root), MOUNTS) == [Path(p) for p in expected]


def test_safe_rmtree_refuses_a_tree_with_a_mount_inside(tmp_path, monkeypatch):
    root = tmp_path / "chroot"
    (root / "proc").mkdir(parents=True)
    monkeypatch.setattr("devstack.mounts.PROC_MOUNTS", tmp_path / "mounts", raising=True)
    (tmp_path / "mounts").write_text(f"proc {root / 'proc'} proc rw 0 0\n", encoding="utf-8")
    with pytest.raises(MountError, match="refusing to delete"):
        safe_rmtree(root)
    assert root.is_dir()


def test_a_chroot_without_its_marker_is_not_provisioned(tmp_path):
    root = tmp_path / "asterisk-sid"
    (root / "usr/sbin").mkdir(parents=True)
    (root / "usr/sbin/asterisk").write_text("", encoding="utf-8")
    assert not is_provisioned(root)
    (root / MARKER).write_text("{}", encoding="utf-8")
    assert is_provisioned(root)


def test_failed_debootstrap_leaves_neither_root_nor_partial(tmp_path, monkeypatch):
    root = tmp_path / "asterisk-sid"
    stale = tmp_path / "asterisk-sid.partial-1"
    (stale / "etc").mkdir(parents=True)  # left over by an interrupted earlier run
    monkeypatch.setattr("devstack.mounts.PROC_MOUNTS", tmp_path / "mounts")
    (tmp_path / "mounts").write_text("", encoding="utf-8")

    def failing_debootstrap(target: Path, logfile: Path, mirror: str) -> None:
        (target / "usr/sbin").mkdir(parents=True)  # half a system, then the network drops
        raise ProvisionError("debootstrap failed (exit 1)")

    monkeypatch.setattr(devstack_chroot, "_debootstrap", failing_debootstrap)
    with pytest.raises(ProvisionError):
        provision(root, log=lambda _line: None)
    assert not root.exists()
    assert list(tmp_path.glob("asterisk-sid.partial-*")) == []


def test_an_incomplete_root_is_replaced_only_after_a_successful_build(tmp_path, monkeypatch):
    root = tmp_path / "asterisk-sid"
    (root / "half").mkdir(parents=True)  # no marker: an older failed attempt
    monkeypatch.setattr("devstack.mounts.PROC_MOUNTS", tmp_path / "mounts")
    (tmp_path / "mounts").write_text("", encoding="utf-8")

    def fake_debootstrap(target: Path, logfile: Path, mirror: str) -> None:
        (target / "usr/sbin").mkdir(parents=True)
        (target / "usr/sbin/asterisk").write_text("", encoding="utf-8")

    def fake_finish(target: Path) -> None:
        (target / MARKER).write_text("{}", encoding="utf-8")

    monkeypatch.setattr(devstack_chroot, "_debootstrap", fake_debootstrap)
    monkeypatch.setattr(devstack_chroot, "finish_chroot", fake_finish)
    assert provision(root, log=lambda _line: None) is True
    assert is_provisioned(root) and not (root / "half").exists()
    assert provision(root, log=lambda _line: None) is False  # idempotent
