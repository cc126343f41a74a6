"""agi/contract.py is the whole dialplan contract: every HOTLINE_* / HOTLINE12330_* name
the .conf files (hand-written and generated) use is declared there, and every name
declared there is used by them. The dev stack's names sit in contract.Dev and are held
to the same rule."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest
from routing_fixtures import sample_calendar, sample_directory

from agi import contract
from config.asterisk_fallback import fallback_conf
from config.asterisk_gen import generate, options_from_settings
from config.settings import load_settings

CONF_DIR = Path(__file__).resolve().parent.parent / "asterisk-conf"
# Upper case only: HOTLINE_TEST_OPERATOR_${line} and _bj_op1 both read as the prefix.
NAME = re.compile(r"\bHOTLINE(?:12330)?_[A-Z0-9_]+")
CONTEXT = re.compile(r"^\[(hotline12330[a-z0-9-]*)\]", re.MULTILINE)


def conf_texts() -> dict[str, str]:
    settings = load_settings(path=None, environ={})
    settings = dataclasses.replace(settings, ami_secret="a-secret-of-this-site")
    directory, calendar = sample_directory(), sample_calendar()
    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(CONF_DIR.glob("*.conf"))}
    for dev in (False, True):
        options = options_from_settings(settings, dev_operators=dev)
        for name, text in generate(directory, options).items():
            texts[f"{name} (dev={dev})"] = text
    texts["hotline12330-fallback.conf"] = fallback_conf(directory, calendar, dt.date(2026, 10, 1))
    return texts


TEXTS = conf_texts()


def used_names() -> dict[str, str]:
    """name -> the first file that uses it."""
    found: dict[str, str] = {}
    for file, text in TEXTS.items():
        for name in NAME.findall(text):
            found.setdefault(name, file)
    return found


def test_every_name_the_conf_files_use_is_in_the_contract():
    missing = {n: f for n, f in used_names().items() if n not in contract.variable_names()}
    assert missing == {}, "add these to agi/contract.py"


def test_every_name_in_the_contract_is_used_by_the_conf_files():
    unused = contract.variable_names() - used_names().keys()
    assert unused == set(), "drop these from agi/contract.py, or use them"


@pytest.mark.parametrize(
    "context",
    [
        contract.INBOUND_CONTEXT,
        contract.CALL_CONTEXT,
        contract.FALLBACK_CONTEXT,
        contract.ANSWERED_CONTEXT,
        contract.HANGUP_CONTEXT,
        contract.OPERATOR_OUT_CONTEXT,
        contract.Dev.TEST_OPERATORS_CONTEXT,
        contract.Dev.TEST_CALLER_CONTEXT,
    ],
)
def test_every_context_of_the_contract_is_defined_in_a_static_file(context):
    static = "".join(text for file, text in TEXTS.items() if "(" not in file)
    assert context in CONTEXT.findall(static)


def test_every_step_the_dialplan_sets_is_a_contract_step():
    text = TEXTS["hotline12330-extensions.conf"]
    steps = set(re.findall(r"Set\(HOTLINE_OUTCOME=([a-z_]+)\)", text))
    assert steps == {step.value for step in contract.Step}
    assert contract.NATIONAL_MAILBOX in re.findall(r"VoiceMail\(([a-z]+)@", text)
    assert f"VoiceMail(national@{contract.VOICEMAIL_CONTEXT},s)" in text
    assert f"exten => {contract.SERVICE_NUMBER}," in text
    assert f"Set(TIMEOUT(absolute)={contract.MAX_CALL_SECONDS})" in text
