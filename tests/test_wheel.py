"""The wheel: built from the tree, installed into a fresh virtualenv, run from there.

Production installs the wheel, not the repository: `asterisk-config` must find the
includable Asterisk files as package data, and the dev stack must not be shipped.
Offline: the build uses this venv's setuptools (no build isolation), the fresh venv
sees this venv's dependencies through a .pth line (not its editable install).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from config.asterisk_files import INCLUDABLE_FILES, generated_files
from config.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
# What a build must not see: caches and earlier builds (stale files would be shipped).
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "var"
)
SITE_SECRET = "wheel-test-site-secret"

pytestmark = pytest.mark.slow


def run(command: list[object], cwd: Path, *, ok: bool = True) -> subprocess.CompletedProcess[str]:
    """Run without this session's settings or Python path: only what the command brings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("HOTLINE12330_", "PYTHON", "PIP_", "VIRTUAL_ENV"))
    }
    env |= {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if ok:
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=NOT_SOURCES)
    out = work / "dist"
    pip = [sys.executable, "-m", "pip"]
    run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", out, source], work)
    (built,) = out.glob("hotline12330-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel installed, and only this venv's dependencies."""
    venv = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", "--without-pip", venv], venv)
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", python]
    run([*pip, "install", "--no-deps", "--no-index", wheel], venv)
    site = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], venv)
    dependencies = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site.stdout.strip()) / "dependencies.pth").write_text("\n".join(dependencies) + "\n")
    return venv


def test_the_wheel_ships_the_includable_files_and_no_dev_stack(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        for name in INCLUDABLE_FILES:
            shipped = archive.read(f"config/asterisk_static/{name}").decode("utf-8")
            assert shipped == (ROOT / "asterisk-conf" / name).read_text(encoding="utf-8")
    top_level = {name.split("/", 1)[0] for name in names}
    assert {"agi", "cli", "config", "routing"} <= top_level
    assert not top_level & {"devstack", "bench", "tests", "asterisk-conf"}
    assert not [name for name in names if "dev-extensions" in name]


def test_asterisk_config_runs_from_the_installed_wheel(venv: Path, tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text(
        f'data_dir = "{tmp_path / "data"}"\nami_secret = "{SITE_SECRET}"\n', encoding="utf-8"
    )
    out = tmp_path / "asterisk"
    command = [venv / "bin" / "hotline12330", "asterisk-config", "--config", settings]
    run([*command, "--out", out, "--with-static"], tmp_path)

    expected = generated_files(load_settings(settings, environ={}), dev_operators=False)
    assert {p.name for p in out.iterdir()} == set(expected) | set(INCLUDABLE_FILES)
    for name in INCLUDABLE_FILES:
        written = (out / name).read_text(encoding="utf-8")
        assert written == (ROOT / "asterisk-conf" / name).read_text(encoding="utf-8")
    assert f"secret = {SITE_SECRET}" in (out / "hotline12330-manager.conf").read_text("utf-8")


def test_the_installed_code_is_the_wheel_and_has_no_dev_stack(venv: Path, tmp_path: Path) -> None:
    python = venv / "bin" / "python"
    where = run([python, "-c", "import cli; print(cli.__file__)"], tmp_path).stdout.strip()
    assert Path(where).is_relative_to(venv)  # the wheel's code, not the repository's
    dev = run([python, "-c", "import devstack"], tmp_path, ok=False)
    assert dev.returncode == 1
    assert "ModuleNotFoundError: No module named 'devstack'" in dev.stderr
