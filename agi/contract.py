"""THE contract between the dialplan (asterisk-conf/hotline12330-extensions.conf, and the
files config/asterisk_gen.py and config/asterisk_fallback.py generate) and this server.

Every HOTLINE_* / HOTLINE12330_* name those files use is declared here, and nothing
else: tests/test_dialplan_contract.py reads the files and fails on a name missing from
either side. The prose of the contract is at the top of hotline12330-extensions.conf.
Values the lower layers own (the service number, the national mailbox, the voicemail
context) are defined there and named here, so routing/ and config/ never import agi/.
"""

from enum import StrEnum

from config.model import NATIONAL_MAILBOX, VOICEMAIL_CONTEXT
from routing.dialled import SERVICE_NUMBER

__all__ = ["NATIONAL_MAILBOX", "SERVICE_NUMBER", "VOICEMAIL_CONTEXT"]

# Globals (generated hotline12330-globals.conf).
G_RECORDINGS = "HOTLINE12330_RECORDINGS"  # recordings root, the same path for both sides
G_PROMPTS = "HOTLINE12330_PROMPTS"  # prompts directory
G_AGI = "HOTLINE12330_AGI"  # agi://host:port of the first server
G_AGI2 = "HOTLINE12330_AGI2"  # a second server, or ""
G_TIMEZONE = "HOTLINE12330_TIMEZONE"  # the zone of the dated recording layout
G_DEV_OPERATORS = "HOTLINE12330_DEV_OPERATORS"  # 1: queues ring simulated operators

# Set by the dialplan's inbound contexts (inherited) for the server.
DIALED = "HOTLINE_DIALED"  # the dialled digits as received
DIALED_AREA = "HOTLINE_DIALED_AREA"  # area code in the dialled number ("021"), or ""
TRUNK_AREA = "HOTLINE_TRUNK_AREA"  # home area of the trunk (set_var on the endpoint)
REC_RELPATH = "HOTLINE_REC_RELPATH"  # YYYY/MM/DD/<uniqueid>.wav, stored as given
REC_FILE = "HOTLINE_REC_FILE"  # the absolute path MixMonitor writes
RING_START = "HOTLINE_RING_START"  # epoch when the queue started ringing
ANSWERED_AT = "HOTLINE_ANSWERED_AT"  # epoch when an operator answered
CALLER_CHAN = "HOTLINE_CALLER_CHAN"  # the caller's channel, for the answered gosub
TEST_CALL = "HOTLINE_TEST_CALL"  # 1 on calls placed by `hotline12330 call` and the tests
TEST_AT = "HOTLINE_TEST_AT"  # forced call instant; honoured only by test stacks

# Set by the server for the dialplan.
ROUTE_ACTION = "HOTLINE_ROUTE_ACTION"  # ring | voicemail; unset means the fallback runs
CENTRE = "HOTLINE_CENTRE"
QUEUE = "HOTLINE_QUEUE"
RING_TIMEOUT = "HOTLINE_RING_TIMEOUT"
MAILBOX = "HOTLINE_MAILBOX"
VM_PROMPT = "HOTLINE_VM_PROMPT"
GREETING = "HOTLINE_GREETING"  # the centre's greeting; the dialplan plays it if we did not
GREETING_DONE = "HOTLINE_GREETING_DONE"
AGI_FAILED = "HOTLINE_AGI_FAILED"  # 1 = the server gave up; the dialplan's fallback runs
OUTCOME = "HOTLINE_OUTCOME"  # the step the call is in (Step); the hangup handler reports it

# Set by the dialplan's own fallback (no server routed the call; hotline12330-fallback.conf).
FALLBACK = "HOTLINE_FALLBACK"  # 1 = the dialplan routed the call alone
FALLBACK_GREETING = "HOTLINE_FALLBACK_GREETING"  # the fallback centre's greeting prompt
FALLBACK_MENU_PROMPT = "HOTLINE_FALLBACK_MENU_PROMPT"  # the shared code's menu prompt
FALLBACK_MENU_TRIES = "HOTLINE_FALLBACK_MENU_TRIES"
FALLBACK_MENU_TIMEOUT = "HOTLINE_FALLBACK_MENU_TIMEOUT"  # seconds per try
FALLBACK_DIGIT = "HOTLINE_FALLBACK_DIGIT"  # the last digit Read() got in the fallback menu

# Set by Asterisk.
AGISTATUS = "AGISTATUS"
QUEUESTATUS = "QUEUESTATUS"
MEMBERINTERFACE = "MEMBERINTERFACE"
VMSTATUS = "VMSTATUS"


class Step(StrEnum):
    """HOTLINE_OUTCOME: the step a call is in; at hangup, what became of it."""

    ROUTING = "routing"  # the call AGI runs (at hangup: abandoned in the IVR)
    RINGING = "ringing"  # in Queue (at hangup: abandoned while ringing)
    ANSWERED = "answered"  # an operator took it
    VOICEMAIL = "voicemail"  # leaving a message
    FALLBACK = "fallback"  # the dialplan's own routing, or the national last resort
    ABANDONED_GREETING = "abandoned_greeting"  # during a greeting
    ABANDONED_MENU = "abandoned_menu"  # during a shared code's menu


ROUTE_RING = "ring"
ROUTE_VOICEMAIL = "voicemail"

# Dialplan contexts (hand-written in hotline12330-extensions.conf).
INBOUND_CONTEXT = "hotline12330-inbound"  # the carrier trunks' context
CALL_CONTEXT = "hotline12330-call"
FALLBACK_CONTEXT = "hotline12330-fallback"
ANSWERED_CONTEXT = "hotline12330-answered"
HANGUP_CONTEXT = "hotline12330-hangup"
OPERATOR_OUT_CONTEXT = "hotline12330-operator-out"

# The dialplan hangs up every call after this long (TIMEOUT(absolute)): a row still in
# progress well past it was cut off without an end (Asterisk stopped or crashed).
MAX_CALL_SECONDS = 3600


class Dev:
    """Names only the dev stack's dialplan (hotline12330-dev-extensions.conf) acts on:
    simulated operators and callers (the generated globals carry HOTLINE_TEST_OPERATOR's
    default). Held to the same contract test; no production code uses them."""

    TEST_OPERATORS_CONTEXT = "hotline12330-test-operators"
    TEST_CALLER_CONTEXT = "hotline12330-test-caller"
    OPERATOR = "HOTLINE_TEST_OPERATOR"  # answer | busy | ... (a global default too)
    OPERATOR_LINE_PREFIX = "HOTLINE_TEST_OPERATOR_"  # + line id: one line's behaviour
    OPERATOR_SAYS = "HOTLINE_TEST_OPERATOR_SAYS"
    OPERATOR_TALK = "HOTLINE_TEST_OPERATOR_TALK"
    CALLER_DIGITS = "HOTLINE_TEST_CALLER_DIGITS"
    CALLER_DIGITS_DELAY = "HOTLINE_TEST_CALLER_DIGITS_DELAY"
    CALLER_SPEAK_AFTER = "HOTLINE_TEST_CALLER_SPEAK_AFTER"
    CALLER_SAYS = "HOTLINE_TEST_CALLER_SAYS"
    CALLER_SAY_SECONDS = "HOTLINE_TEST_CALLER_SAY_SECONDS"
    CALLER_HOLD = "HOTLINE_TEST_CALLER_HOLD"


def variable_names() -> frozenset[str]:
    """Every HOTLINE_* / HOTLINE12330_* name declared above, the dev ones included."""
    values = [*globals().values(), *vars(Dev).values()]
    return frozenset(v for v in values if isinstance(v, str) and v.startswith("HOTLINE"))
