"""`hotline12330 prompt ...` end to end against the shipped centres file, in tmp_path."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from cli.main import main
from recordings.manifest import MANIFEST_NAME


@pytest.fixture
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("HOTLINE12330_"):
            monkeypatch.delenv(name)
    path = tmp_path / "settings.toml"
    path.write_text('data_dir = "data"\n', encoding="utf-8")
    return path


def prompts_dir(settings_file: Path) -> Path:
    return settings_file.parent / "data" / "prompts"


def hotline(*argv: str) -> int:
    return main(list(argv))


def mp3(path: Path, seconds: float = 2.0) -> Path:
    source = f"sine=frequency=440:duration={seconds}:sample_rate=44100"
    command = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source, "-ac", "2", str(path)]
    subprocess.run(command, check=True, timeout=60)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_generate_then_up_to_date(settings_file: Path, capsys: pytest.CaptureFixture) -> None:
    assert hotline("prompt", "generate", "--config", str(settings_file)) == 0
    out = capsys.readouterr().out
    for name in ("greeting", "voicemail", "fallback-greeting", "menu-021", "timeout"):
        assert f"generated {prompts_dir(settings_file) / name}.wav" in out
        assert (prompts_dir(settings_file) / f"{name}.wav").is_file()

    assert hotline("prompt", "generate", "--config", str(settings_file)) == 0
    assert "up to date" in capsys.readouterr().out


def test_import_for_a_centre_prints_the_config_line(
    settings_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    source = mp3(tmp_path / "上海问候.mp3")
    code = hotline(
        "prompt", "import", str(source), "--as", "greeting", "--centre", "sh",
        "--config", str(settings_file),
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert (prompts_dir(settings_file) / "greeting-sh.wav").is_file()
    assert 'centre.prompts.greeting = "greeting-sh"' in out
    assert 'id = "sh"' in out
    assert "44100 Hz" in out and "8000 Hz mono 16-bit" in out


def test_generate_force_keeps_imported(
    settings_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    config = ("--config", str(settings_file))
    assert (
        hotline("prompt", "import", str(mp3(tmp_path / "g.mp3")), "--as", "greeting", *config) == 0
    )
    imported = digest(prompts_dir(settings_file) / "greeting.wav")

    assert hotline("prompt", "generate", "--force", *config) == 0
    out = capsys.readouterr().out
    assert f"kept imported {prompts_dir(settings_file) / 'greeting.wav'}" in out
    assert f"generated {prompts_dir(settings_file) / 'greeting.wav'}" not in out
    assert digest(prompts_dir(settings_file) / "greeting.wav") == imported

    assert hotline("prompt", "list", *config) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()}
    assert rows["greeting"][1:4] == ["2.0", "s", "imported"]
    assert rows["voicemail"][3] == "generated"
    assert rows["menu-021"][3] == "generated"


@pytest.mark.parametrize(
    ("argv", "code", "error"),
    [
        (["--as", "greeting", "--centre", "nowhere"], 2, "unknown centre 'nowhere'"),
        (["--as", "../greeting"], 2, "提示音名称无效"),
        (["--as", "Greeting"], 2, "提示音名称无效"),
        (["--as", "greeting", "--centre", "../sh"], 2, "服务中心编号无效"),
    ],
)
def test_import_refusals_leave_nothing(
    settings_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
    argv: list[str],
    code: int,
    error: str,
) -> None:
    source = mp3(tmp_path / "in.mp3")
    assert hotline("prompt", "import", str(source), *argv, "--config", str(settings_file)) == code
    assert error in capsys.readouterr().err
    assert not prompts_dir(settings_file).exists() or not list(prompts_dir(settings_file).iterdir())


def test_import_of_garbage_fails_cleanly(
    settings_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    garbage = tmp_path / "voice.mp3"
    garbage.write_bytes(b"\xff\xfb" + bytes(range(256)) * 40)
    code = hotline(
        "prompt", "import", str(garbage), "--as", "timeout", "--config", str(settings_file)
    )
    assert code == 1
    assert "error:" in capsys.readouterr().err
    leftover = (
        list(prompts_dir(settings_file).glob("*")) if prompts_dir(settings_file).exists() else []
    )
    assert [p.name for p in leftover if p.name != MANIFEST_NAME] == []


def test_list_reports_missing_prompts(settings_file: Path, capsys: pytest.CaptureFixture) -> None:
    assert hotline("prompt", "list", "--config", str(settings_file)) == 1
    out = capsys.readouterr().out
    missing = {line.split()[0] for line in out.splitlines() if "missing" in line}
    assert missing == {
        "greeting", "voicemail", "fallback-greeting", "invalid", "timeout", "menu-021",
    }  # fmt: skip


def test_bad_settings_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "settings.toml"
    bad.write_text("no_such_setting = 1\n", encoding="utf-8")
    assert hotline("prompt", "list", "--config", str(bad)) == 2
    assert "unknown setting" in capsys.readouterr().err


def test_invalid_centres_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    centres = tmp_path / "centres.toml"
    centres.write_text("[national]\n", encoding="utf-8")
    settings = tmp_path / "settings.toml"
    settings.write_text(f'data_dir = "data"\ncentres_file = "{centres}"\n', encoding="utf-8")
    assert hotline("prompt", "generate", "--config", str(settings)) == 2
    assert "configuration is invalid" in capsys.readouterr().err
    assert not (tmp_path / "data" / "prompts").exists()
