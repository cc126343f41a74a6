"""ConfigHolder reloads, `hotline12330 check-config`, and settings environment overrides."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cli.main import main
from config.holder import ConfigHolder
from config.loader import ConfigInvalid, load_config
from config.settings import DEFAULTS_DIR, SettingsError, load_settings


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A copy of the shipped config files with a settings file; returns the settings path."""
    for name in ("centres", "calendar", "categories"):
        shutil.copy(DEFAULTS_DIR / f"{name}.toml", tmp_path / f"{name}.toml")
    prompts = tmp_path / "data" / "prompts"
    prompts.mkdir(parents=True)
    for name in ("greeting", "voicemail"):
        (prompts / f"{name}.wav").write_bytes(b"RIFF")
    settings = tmp_path / "settings.toml"
    settings.write_text(
        'data_dir = "data"\n'
        'centres_file = "centres.toml"\n'
        'calendar_file = "calendar.toml"\n'
        'categories_file = "categories.toml"\n',
        encoding="utf-8",
    )
    return settings


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_holder_keeps_last_good_config_and_picks_up_good_edit(sample: Path) -> None:
    holder = ConfigHolder(load_settings(sample, environ={}))
    first = holder.current
    assert first.directory.centre("tj").ring_timeout == 30
    centres = sample.parent / "centres.toml"

    replace_in(centres, "ring_timeout = 30", "ring_timeout = 3000")
    problems = holder.reload()
    assert [(p.key, "超出范围" in p.reason) for p in problems] == [("centre[4].ring_timeout", True)]
    assert holder.current is first

    replace_in(centres, "ring_timeout = 3000", "ring_timeout = 45")
    assert holder.reload() == []
    assert holder.current is not first
    assert holder.current.directory.centre("tj").ring_timeout == 45


def test_holder_reload_reports_syntax_error_and_keeps_config(sample: Path) -> None:
    holder = ConfigHolder(load_settings(sample, environ={}))
    first = holder.current
    (sample.parent / "calendar.toml").write_text("[[national]\n", encoding="utf-8")
    problems = holder.reload()
    assert problems and all(p.file.endswith("calendar.toml") for p in problems)
    assert holder.current is first


def test_holder_refuses_to_start_on_invalid_config(sample: Path) -> None:
    replace_in(sample.parent / "centres.toml", 'fallback = "bj"', 'fallback = "nowhere"')
    with pytest.raises(ConfigInvalid) as caught:
        ConfigHolder(load_settings(sample, environ={}))
    assert any(p.key == "national.fallback" for p in caught.value.problems)


def test_holder_uses_the_given_loader(sample: Path) -> None:
    settings = load_settings(sample, environ={})
    calls = []

    def loader(s):
        calls.append(s)
        return load_config(s, check_prompts=False)

    holder = ConfigHolder(settings, loader=loader)
    assert holder.reload() == []
    assert calls == [settings, settings]


# (row id, extra args, edit of centres.toml or None, exit code, expected output lines)
CLI_ROWS = [
    ("ok", [], None, 0, ["OK: 10 centres, 9 area codes, 1 menus"]),
    (
        "problems",
        [],
        ('area_codes = ["025", "0512"]', 'area_codes = ["025", "512", "025"]'),
        1,
        [
            "{dir}/centres.toml: centre[7].area_codes[1]: '512' 不是有效的区号",
            "{dir}/centres.toml: centre[7].area_codes[2]: 区号 025 重复",
        ],
    ),
    (
        "derived-menu-counted",
        [],
        ('area_codes = ["0755"]', 'area_codes = ["0755", "020"]'),
        0,
        ["OK: 10 centres, 9 area codes, 2 menus"],
    ),
]


@pytest.mark.parametrize(
    ("args", "edit", "code", "expected"), [pytest.param(*r[1:], id=r[0]) for r in CLI_ROWS]
)
def test_check_config_command(sample, capsys, monkeypatch, args, edit, code, expected) -> None:
    monkeypatch.delenv("HOTLINE12330_CONFIG", raising=False)
    if edit:
        replace_in(sample.parent / "centres.toml", *edit)
    assert main(["check-config", "--config", str(sample), *args]) == code
    out = capsys.readouterr().out.splitlines()
    for line in expected:
        wanted = line.format(dir=sample.parent)
        assert any(o.startswith(wanted) for o in out), (wanted, out)
    if code:
        assert len(out) == len(expected)


def test_check_config_missing_prompts_and_no_prompts(sample, capsys) -> None:
    (sample.parent / "data" / "prompts" / "voicemail.wav").unlink()
    assert main(["check-config", "--config", str(sample)]) == 1
    out = capsys.readouterr().out
    assert "centre[0].prompts.voicemail: 提示音文件" in out
    assert main(["check-config", "--config", str(sample), "--no-prompts"]) == 0


def test_check_config_uses_environment_settings_path(sample, capsys, monkeypatch) -> None:
    monkeypatch.setenv("HOTLINE12330_CONFIG", str(sample))
    replace_in(
        sample.parent / "centres.toml", 'ring_strategy = "leastrecent"', 'ring_strategy = "x"'
    )
    assert main(["check-config"]) == 1
    assert "centre[5].ring_strategy: 未知的振铃策略 'x'" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("settings_text", "env", "message"),
    [
        pytest.param("agi_port = 'x'\n", {}, "agi_port: expected an integer", id="file-bad-int"),
        pytest.param("agi_prot = 1\n", {}, "agi_prot: unknown setting", id="file-unknown"),
        pytest.param("agi_port = [\n", {}, "not valid TOML", id="file-syntax"),
        pytest.param(
            "", {"HOTLINE12330_AGI_PORT": "45x"}, "HOTLINE12330_AGI_PORT: agi_port", id="env-bad"
        ),
    ],
)
def test_check_config_exits_2_on_unusable_settings(
    tmp_path, capsys, monkeypatch, settings_text, env, message
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = tmp_path / "settings.toml"
    settings.write_text(settings_text, encoding="utf-8")
    assert main(["check-config", "--config", str(settings)]) == 2
    assert message in capsys.readouterr().err


def test_check_config_exits_2_on_missing_settings_file(tmp_path, capsys) -> None:
    assert main(["check-config", "--config", str(tmp_path / "nope.toml")]) == 2
    assert "cannot read" in capsys.readouterr().err


# Settings: (row id, file text, environment, attribute, expected value; {dir} = settings folder)
SETTINGS_ROWS = [
    ("env-database-url", "", {"HOTLINE12330_DATABASE_URL": "postgresql+psycopg://h/db"},
     "database_url", "postgresql+psycopg://h/db"),
    ("env-beats-file", "database_url = 'sqlite:///a.db'\n",
     {"HOTLINE12330_DATABASE_URL": "sqlite:///b.db"}, "database_url", "sqlite:///b.db"),
    ("env-agi-port", "", {"HOTLINE12330_AGI_PORT": "4600"}, "agi_port", 4600),
    ("section-form", "[agi]\nport = 4601\n", {}, "agi_port", 4601),
    ("env-float", "", {"HOTLINE12330_AGI_COMMAND_TIMEOUT": "2.5"}, "agi_command_timeout", 2.5),
    ("console-pool-timeout-default", "", {}, "console_pool_timeout", 5.0),
    ("env-console-pool-timeout", "", {"HOTLINE12330_CONSOLE_POOL_TIMEOUT": "1.5"},
     "console_pool_timeout", 1.5),
    ("relative-path-from-file", "centres_file = 'c.toml'\n", {}, "centres_file", "{dir}/c.toml"),
    ("data-dir-moves-prompts", "data_dir = 'd'\n", {}, "prompts_dir", "{dir}/d/prompts"),
    ("file-path-survives-env-data-dir", "prompts_dir = 'p'\n",
     {"HOTLINE12330_DATA_DIR": "/srv/h"}, "prompts_dir", "{dir}/p"),
    ("env-data-dir-moves-database", "", {"HOTLINE12330_DATA_DIR": "/srv/h"}, "database_url",
     "sqlite:////srv/h/hotline12330.sqlite3"),
    ("file-url-survives-env-data-dir", "database_url = 'sqlite:///x.db'\n",
     {"HOTLINE12330_DATA_DIR": "/srv/h"}, "database_url", "sqlite:///x.db"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "env", "attribute", "expected"), [pytest.param(*r[1:], id=r[0]) for r in SETTINGS_ROWS]
)
def test_load_settings_file_and_environment(tmp_path, text, env, attribute, expected) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    settings = load_settings(path, environ=env)
    value = getattr(settings, attribute)
    if isinstance(expected, str) and "{dir}" in expected:
        assert value == Path(expected.format(dir=tmp_path))
    else:
        assert value == expected


def test_settings_path_comes_from_environment(tmp_path) -> None:
    path = tmp_path / "s.toml"
    path.write_text("agi_port = 4700\n", encoding="utf-8")
    assert load_settings(environ={"HOTLINE12330_CONFIG": str(path)}).agi_port == 4700


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("", {"HOTLINE12330_AGI_PORT": "abc"},
         "HOTLINE12330_AGI_PORT: agi_port: expected an integer, got 'abc'"),
        ("", {"HOTLINE12330_AGI_PORT": "4573.5"}, "expected an integer, got '4573.5'"),
        ("", {"HOTLINE12330_AGI_PORT": "70000"}, "port 70000 out of range 1..65535"),
        ("agi_port = 0\n", {}, "agi_port: port 0 out of range"),
        ("agi_port = true\n", {}, "agi_port: expected an integer, got True"),
        ("agi_port = 4573.9\n", {}, "agi_port: expected an integer, got 4573.9"),
        ("ami_timeout = 'soon'\n", {}, "ami_timeout: expected a number, got 'soon'"),
        ("console_pool_timeout = 0\n", {}, "console_pool_timeout: 0 seconds: must be positive"),
        ("", {"HOTLINE12330_CONSOLE_POOL_TIMEOUT": "-1"}, "'-1' seconds: must be positive"),
        ("", {"HOTLINE12330_CONSOLE_POOL_TIMEOUT": "nan"}, "'nan' seconds: must be positive"),
        ("database_url = 5\n", {}, "database_url: expected a string, got int"),
    ],
)  # fmt: skip
def test_load_settings_rejects_bad_values_clearly(tmp_path, text, env, message) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(path, environ=env)
    assert message in str(caught.value)


# (row id, extra settings lines, production problems expected (keys), exit code)
OWN_SECRET = 'ami_secret = "a-secret-of-this-site"\n'
PRODUCTION_ROWS = [
    ("dev-chroot-defaults", OWN_SECRET, ["voicemail_spool", "cdr_csv"], 1),
    (
        "asterisk-paths-set",
        OWN_SECRET + 'voicemail_spool = "spool"\ncdr_csv = "cdr/Master.csv"\n',
        [],
        0,
    ),
    ("spool-only", OWN_SECRET + 'voicemail_spool = "spool"\n', ["cdr_csv"], 1),
    (
        "derived-from-a-chroot",
        OWN_SECRET + 'asterisk_root = "chroot"\n',
        ["voicemail_spool", "cdr_csv"],
        1,
    ),
    # asterisk_root = "/" derives Asterisk's real paths: /var/spool/asterisk/voicemail ...
    ("derived-from-slash", OWN_SECRET + 'asterisk_root = "/"\n', [], 0),
    ("default-ami-secret", 'asterisk_root = "/"\n', ["ami_secret"], 1),
    (
        "dev-caller-secret",
        'asterisk_root = "/"\nami_secret = "hotline12330-dev-caller"\n',
        ["ami_secret"],
        1,
    ),
]


@pytest.mark.parametrize(
    ("extra", "keys", "code"), [pytest.param(*r[1:], id=r[0]) for r in PRODUCTION_ROWS]
)
def test_check_config_production_refuses_dev_defaults(
    sample, capsys, monkeypatch, extra, keys, code
) -> None:
    for name in ("CONFIG", "VOICEMAIL_SPOOL", "CDR_CSV", "ASTERISK_ROOT", "AMI_SECRET"):
        monkeypatch.delenv(f"HOTLINE12330_{name}", raising=False)
    sample.write_text(sample.read_text(encoding="utf-8") + extra, encoding="utf-8")
    assert main(["check-config", "--config", str(sample)]) == 0  # a dev install is fine
    capsys.readouterr()
    assert main(["check-config", "--config", str(sample), "--production"]) == code
    out = capsys.readouterr().out.splitlines()
    refused = [line.split(": ")[1] for line in out if line.startswith(f"{sample}: ")]
    assert refused == keys
    for line in out[: len(keys)]:
        key = line.split(": ")[1]
        assert f"HOTLINE12330_{key.upper()}" in line
    if not keys:
        assert out == ["OK: 10 centres, 9 area codes, 1 menus"]


def test_check_config_warns_when_the_cdr_file_is_missing(sample, capsys, monkeypatch) -> None:
    for name in ("CONFIG", "VOICEMAIL_SPOOL", "CDR_CSV", "ASTERISK_ROOT"):
        monkeypatch.delenv(f"HOTLINE12330_{name}", raising=False)
    cdr = sample.parent / "cdr" / "Master.csv"
    sample.write_text(
        sample.read_text(encoding="utf-8") + f'cdr_csv = "{cdr}"\nvoicemail_spool = "."\n',
        encoding="utf-8",
    )
    assert main(["check-config", "--config", str(sample)]) == 0  # a warning, not an error
    err = capsys.readouterr().err
    assert f"warning: {sample}: cdr_csv: {cdr} does not exist" in err
    assert "voicemail_spool" not in err
    cdr.parent.mkdir()
    cdr.write_text("", encoding="utf-8")
    assert main(["check-config", "--config", str(sample)]) == 0
    assert "warning" not in capsys.readouterr().err
