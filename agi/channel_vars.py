"""Channel variables shared by the dialplan (asterisk-conf/hotline12330-extensions.conf)
and the FastAGI server. The contract is documented at the top of that file."""

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
OUTCOME = "HOTLINE_OUTCOME"  # the step the call is in; the hangup handler reports it

# Set by the dialplan's own fallback (no server routed the call; hotline12330-fallback.conf).
FALLBACK = "HOTLINE_FALLBACK"  # 1 = the dialplan routed the call alone
FALLBACK_GREETING = "HOTLINE_FALLBACK_GREETING"  # the fallback centre's greeting prompt
FALLBACK_MENU_PROMPT = "HOTLINE_FALLBACK_MENU_PROMPT"  # the shared code's menu prompt
FALLBACK_MENU_TRIES = "HOTLINE_FALLBACK_MENU_TRIES"
FALLBACK_MENU_TIMEOUT = "HOTLINE_FALLBACK_MENU_TIMEOUT"  # seconds per try
FALLBACK_DIGIT = "HOTLINE_FALLBACK_DIGIT"  # the last digit Read() got in the fallback menu

# Set by the dialplan (or a test call) for the server.
TRUNK_AREA = "HOTLINE_TRUNK_AREA"
REC_RELPATH = "HOTLINE_REC_RELPATH"
RING_START = "HOTLINE_RING_START"  # epoch when the queue started ringing
ANSWERED_AT = "HOTLINE_ANSWERED_AT"  # epoch when an operator answered
TEST_CALL = "HOTLINE_TEST_CALL"  # 1 on calls placed by `hotline12330 call` and the tests
TEST_AT = "HOTLINE_TEST_AT"  # forced call instant; honoured only by test stacks
UNDERCOVER = "HOTLINE_UNDERCOVER"  # 1 on a supervisor's undercover (暗访) call

# Set by Asterisk.
AGISTATUS = "AGISTATUS"
QUEUESTATUS = "QUEUESTATUS"
MEMBERINTERFACE = "MEMBERINTERFACE"
VMSTATUS = "VMSTATUS"

# The dialplan hangs up every call after this long (TIMEOUT(absolute)): a row still in
# progress well past it was cut off without an end (Asterisk stopped or crashed).
MAX_CALL_SECONDS = 3600

ROUTE_RING = "ring"
ROUTE_VOICEMAIL = "voicemail"
