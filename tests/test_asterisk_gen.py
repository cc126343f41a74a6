"""The per-centre Asterisk config generator (pure) and the static files that include it."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from agi import channel_vars as cv
from agi.reconcile import COLUMNS
from cli.main import main
from config.asterisk_files import INCLUDABLE_FILES, includable_files, load_directory
from config.asterisk_gen import (
    CDR_CSV_OPTIONS,
    CDR_GENERAL_OPTIONS,
    DEV_CALLER_SECRET,
    DEV_CALLER_USER,
    WELL_KNOWN_SECRETS,
    GeneratorError,
    generate,
    options_from_settings,
    trunk_areas,
)
from config.model import LineKind
from config.settings import load_settings
from devstack.asterisk import STATIC_CONF_DIR, static_files

SETTINGS = load_settings(path=None, environ={})  # the sample centres in config/defaults
DIRECTORY = load_directory(SETTINGS)


def sections(text: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(name, template, [(key, value)]) in file order; names may repeat (PJSIP)."""
    found: list[tuple[str, str, list[tuple[str, str]]]] = []
    for raw in text.splitlines():
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        header = re.fullmatch(r"\[([^\]]+)\](?:\(([^)]*)\))?", line)
        if header:
            found.append((header.group(1), header.group(2) or "", []))
            continue
        key, _, value = re.split(r"\s*(=>|=)\s*", line, maxsplit=1)
        found[-1][2].append((key, value))
    return found


def section(text: str, name: str, template: str = "") -> dict[str, list[str]]:
    matches = [s for s in sections(text) if s[0] == name and (not template or s[1] == template)]
    assert len(matches) == 1, f"[{name}]({template}) appears {len(matches)} times"
    values: dict[str, list[str]] = {}
    for key, value in matches[0][2]:
        values.setdefault(key, []).append(value)
    return values


SITE_SECRET = "a-secret-of-this-site"  # a production config refuses the default


def generated(**changes):
    options = options_from_settings(dataclasses.replace(SETTINGS, ami_secret=SITE_SECRET))
    return generate(DIRECTORY, dataclasses.replace(options, **changes))


@pytest.mark.parametrize("centre", DIRECTORY.centres, ids=lambda c: c.id)
def test_every_centre_has_a_queue_ringing_its_lines_with_ringinuse_off(centre):
    queue = section(generated()["hotline12330-queues.conf"], centre.queue_name)
    assert queue["ringinuse"] == ["no"]
    assert queue["strategy"] == [centre.ring_strategy.value]
    assert queue["timeout"] == [str(centre.ring_timeout)]
    assert queue["setinterfacevar"] == ["yes"]
    members = [m.split(",") for m in queue["member"]]
    assert [m[0] for m in members] == [line.dial_string() for line in centre.lines]
    assert [m[2] for m in members] == [line.target for line in centre.lines]


@pytest.mark.parametrize("centre", DIRECTORY.centres, ids=lambda c: c.id)
def test_every_centre_has_a_mailbox(centre):
    boxes = section(generated()["hotline12330-voicemail.conf"], "hotline12330")
    assert len(boxes[centre.mailbox]) == 1
    assert boxes[centre.mailbox][0].split(",")[1] == centre.name


def test_national_mailbox_exists_once():
    boxes = section(generated()["hotline12330-voicemail.conf"], "hotline12330")
    assert len(boxes["national"]) == 1
    assert len(boxes) == len({c.mailbox for c in DIRECTORY.centres}) + 1


def test_landlines_are_dialled_through_their_trunk_and_have_no_device_state():
    tj = DIRECTORY.centre("tj")
    assert all(line.kind is LineKind.LANDLINE for line in tj.lines)
    queue = section(generated()["hotline12330-queues.conf"], "hotline12330-tj")
    assert queue["member"][0] == (
        "PJSIP/02223301001@trunk-tj,0,02223301001,Custom:hotline12330-02223301001"
    )


def test_trunks_carry_the_home_area_of_the_centre_using_them():
    assert trunk_areas(DIRECTORY) == {"trunk-tj": "022"}
    trunk = section(generated()["hotline12330-pjsip-lines.conf"], "trunk-tj", "hotline12330-trunk")
    assert trunk["set_var"] == ["HOTLINE_TRUNK_AREA=022"]
    assert trunk["aors"] == ["trunk-tj"]


def test_operator_phones_get_endpoint_and_aor_but_no_password_in_production():
    text = generated()["hotline12330-pjsip-lines.conf"]
    pjsip_lines = [
        line.target for c in DIRECTORY.centres for line in c.lines if line.kind is LineKind.PJSIP
    ]
    for name in pjsip_lines:
        endpoint = section(text, name, "hotline12330-operator")
        assert endpoint["auth"] == [name] and endpoint["aors"] == [name]
        section(text, name, "hotline12330-operator-aor")
    assert "password" not in {key for s in sections(text) for key, _ in s[2]}
    assert "02223301001" not in {s[0] for s in sections(text)}  # landlines are not endpoints


def test_dev_stack_rings_simulated_operators_and_gives_phones_a_password():
    options = options_from_settings(SETTINGS, dev_operators=True, ring_timeout_override=4)
    files = generate(DIRECTORY, options)
    tj = section(files["hotline12330-queues.conf"], "hotline12330-tj")
    assert tj["member"][0] == "Local/02223301001@hotline12330-test-operators,0,02223301001"
    assert tj["timeout"] == ["4"]  # min(30, 4)
    auth = section(files["hotline12330-pjsip-lines.conf"], "bj-op1", "hotline12330-operator-auth")
    assert auth["password"] == [options.dev_phone_password]
    assert "HOTLINE12330_DEV_OPERATORS=1" in files["hotline12330-globals.conf"]


def test_globals_name_the_shared_paths_and_the_agi_address():
    text = generated(
        recordings_root=Path("/srv/rec"), prompts_dir=Path("/srv/prompts"), agi_port=4999
    )["hotline12330-globals.conf"]
    values = dict(line.split("=", 1) for line in text.splitlines() if not line.startswith(";"))
    assert values["HOTLINE12330_RECORDINGS"] == "/srv/rec"
    assert values["HOTLINE12330_PROMPTS"] == "/srv/prompts"
    assert values["HOTLINE12330_AGI"] == "agi://127.0.0.1:4999"
    assert values["HOTLINE12330_TIMEZONE"] == "Asia/Shanghai"


def ami_rights(text: str) -> dict[str, tuple[str, str, str]]:
    """user -> (read, write, permit) of a generated manager.conf."""
    return {
        name: (values["read"][0], values["write"][0], values["permit"][0])
        for name, _template, pairs in sections(text)
        for values in [{k: [v for kk, v in pairs if kk == k] for k, _ in pairs}]
    }


LOOPBACK = "127.0.0.1/255.255.255.255"
# (row id, GenOptions changes, {user: (read, write)}): each user gets only what it uses.
AMI_ROWS = [
    ("production", {}, {"svc": ("call,agent", "config")}),
    (
        "dev-stack",
        {"dev_stack": True, "ami_secret": "hotline12330-dev"},
        {
            "svc": ("call,agent", "config"),
            "hotline12330-caller": ("call,dialplan,agent", "originate,call"),
        },
    ),
]


@pytest.mark.parametrize(("changes", "expected"), [pytest.param(*r[1:], id=r[0]) for r in AMI_ROWS])
def test_each_ami_user_gets_only_the_rights_it_needs(changes, expected):
    files = generated(ami_user="svc", ami_port=5039, **changes)
    text = files["hotline12330-manager.conf"]
    rights = ami_rights(text)
    assert {user: (read, write) for user, (read, write, _) in rights.items()} == expected
    assert {permit for _, _, permit in rights.values()} == {LOOPBACK}
    for read, write, _ in rights.values():
        assert not {"system", "command"} & set(f"{read},{write}".split(","))
    assert section(text, "svc")["secret"] == [changes.get("ami_secret", SITE_SECRET)]
    assert "port = 5039" in files["hotline12330-manager-bind.conf"]


def test_the_dev_operators_config_is_a_dev_stack_config():
    options = options_from_settings(SETTINGS, dev_operators=True)
    text = generate(DIRECTORY, options)["hotline12330-manager.conf"]
    assert set(ami_rights(text)) == {SETTINGS.ami_user, DEV_CALLER_USER}
    assert section(text, DEV_CALLER_USER)["secret"] == [DEV_CALLER_SECRET]


@pytest.mark.parametrize("secret", sorted(WELL_KNOWN_SECRETS))
def test_a_production_config_refuses_a_published_secret(secret):
    with pytest.raises(GeneratorError, match="published default"):
        generated(ami_secret=secret)


def test_asterisk_config_refuses_the_default_secret_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "conf"
    settings = tmp_path / "settings.toml"
    settings.write_text("", encoding="utf-8")  # ami_secret left at the dev default
    assert main(["asterisk-config", "--config", str(settings), "--out", str(out)]) == 2
    assert "ami_secret is the dev stack's published default" in capsys.readouterr().err
    assert not out.exists()
    dev = ["asterisk-config", "--config", str(settings), "--out", str(out), "--dev-operators"]
    assert main(dev) == 0  # the dev stack may use it


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"recordings_root": Path("/srv/rec;x")}, "recordings_root"),
        ({"prompts_dir": Path("/srv/a,b")}, "prompts_dir"),
        ({"recordings_root": Path("relative/rec")}, "absolute"),
        ({"ami_secret": ""}, "ami_secret is empty"),
        ({"ami_secret": "a;b"}, "AMI secret"),
        ({"ami_user": "bad user"}, "AMI user"),
        ({"ami_user": DEV_CALLER_USER, "dev_stack": True}, "dev stack's caller"),
    ],
)
def test_values_that_would_break_the_config_are_refused(changes, message):
    with pytest.raises(GeneratorError, match=message):
        generated(**changes)


def test_every_include_of_the_static_files_resolves():
    names = set(static_files()) | set(generated())
    for name, text in static_files().items():
        for kind, target in re.findall(r"^#(include|tryinclude)\s+(\S+)", text, re.MULTILINE):
            if kind == "include":
                assert target in names, f"{name} includes missing {target}"


def test_static_dialplan_defines_the_contract_contexts():
    text = (STATIC_CONF_DIR / "hotline12330-extensions.conf").read_text(encoding="utf-8")
    contexts = {s[0] for s in sections(text)}
    assert {"hotline12330-inbound", "hotline12330-call", "hotline12330-hangup"} <= contexts
    for variable in (
        "HOTLINE_ROUTE_ACTION",
        "HOTLINE_QUEUE",
        "HOTLINE_MAILBOX",
        "HOTLINE_RING_TIMEOUT",
        "HOTLINE_VM_PROMPT",
        "HOTLINE_GREETING_DONE",
        "HOTLINE_AGI_FAILED",
    ):
        assert f"${{{variable}}}" in text, f"the dialplan never reads {variable}"
    # Reconcile closes rows still open past this limit: the dialplan must enforce it.
    assert f"Set(TIMEOUT(absolute)={cv.MAX_CALL_SECONDS})" in text


def test_asterisk_config_command_writes_the_files(tmp_path, capsys):
    out = tmp_path / "conf"
    settings = tmp_path / "settings.toml"
    settings.write_text(f'ami_secret = "{SITE_SECRET}"\n', encoding="utf-8")
    args = ["asterisk-config", "--config", str(settings), "--out", str(out), "--with-static"]
    assert main(args) == 0
    written = {p.name for p in out.iterdir()}
    assert set(generated()) | {"hotline12330-extensions.conf"} <= written
    assert "hotline12330-dev-extensions.conf" not in written


def test_the_shipped_includable_files_are_those_of_asterisk_conf():
    """Package data (what the wheel ships) is asterisk-conf/'s own files, all of them."""
    in_repo = {p.name for p in STATIC_CONF_DIR.glob("hotline12330-*.conf")}
    assert in_repo - set(INCLUDABLE_FILES) == {"hotline12330-dev-extensions.conf"}
    assert includable_files() == {
        name: (STATIC_CONF_DIR / name).read_text(encoding="utf-8") for name in INCLUDABLE_FILES
    }


def test_asterisk_config_command_reports_a_broken_centres_file(tmp_path, monkeypatch, capsys):
    broken = tmp_path / "centres.toml"
    broken.write_text("[[centre]]\nid = 1\n", encoding="utf-8")
    settings = tmp_path / "settings.toml"
    settings.write_text(f'centres_file = "{broken}"\n', encoding="utf-8")
    assert main(["asterisk-config", "--config", str(settings)]) == 2
    assert "invalid" in capsys.readouterr().err


def _conf_sections(text: str) -> dict[str, dict[str, str]]:
    """key = value lines of an Asterisk .conf file, by [section] (comments dropped)."""
    sections: dict[str, dict[str, str]] = {}
    current = sections.setdefault("", {})
    for raw in text.splitlines():
        line = raw.split(";", 1)[0].strip()
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
        elif "=" in line:
            key, _, value = line.partition("=")
            current[key.strip()] = value.strip()
    return sections


def test_cdr_snippet_has_the_csv_options_reconcile_reads() -> None:
    """The production snippet and the dev stack's cdr.conf agree, so reconcile reads the
    same columns (tests/test_reconcile_cdr.py pastes rows the dev stack wrote)."""
    snippet = generated()["hotline12330-cdr.conf"]
    assert "#include this file at the end of the [csv] section" in snippet
    options = _conf_sections(snippet)[""]
    dev = _conf_sections((STATIC_CONF_DIR / "cdr.conf").read_text(encoding="utf-8"))
    assert options == CDR_CSV_OPTIONS
    assert {k: dev["csv"][k] for k in options} == options
    assert {k: dev["general"][k] for k in CDR_GENERAL_OPTIONS} == CDR_GENERAL_OPTIONS
    for key in ("usegmtime", "loguniqueid", "loguserfield", "newcdrcolumns"):
        assert options[key] == "yes"
    # newcdrcolumns adds peeraccount, linkedid and sequence after the userfield.
    assert COLUMNS[-5:] == ("uniqueid", "userfield", "peeraccount", "linkedid", "sequence")
