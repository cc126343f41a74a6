"""Real calls: each voicemail is indexed once, to its own call (F7).

Uniqueids carry an asterisk.conf systemname prefix ("pbx1-"; the AMI Originate
chooses them, as Asterisk would with `systemname = pbx1`, without restarting the shared
stack). Channel names repeat after every Asterisk restart and the spool keeps the
messages of earlier runs, so the test also looks each message up again under the other
call's channel name, as a hangup after a restart would.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from call_support import (
    AFTER_PROMPT,
    SUNDAY,
    call_variables,
    leaves_message,
    prepare_short_prompts,
)
from sqlalchemy import select

from agi.app import Service
from agi.flow.archive import VOICEMAIL_CONTEXT, collect_voicemail
from agi.flow.calllog import CallRecorder
from config.asterisk_files import load_directory
from devstack.call_report import wait_for_call_report
from models.db import make_engine, session_factory
from models.voicemail import Voicemail
from recordings.spool import read_inbox

pytestmark = pytest.mark.asterisk


@pytest.fixture
def live_settings(asterisk_stack, migrated_url, tmp_path):
    prepare_short_prompts(asterisk_stack.settings)
    return dataclasses.replace(
        asterisk_stack.settings, data_dir=tmp_path, database_url=migrated_url, health_port=0
    )


def voicemail_rows(settings) -> list[tuple[int, str, str | None]]:
    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as session:
            rows = session.execute(
                select(Voicemail.call_id, Voicemail.file, Voicemail.spool_msg_id).order_by(
                    Voicemail.call_id
                )
            )
            return [tuple(row) for row in rows]
    finally:
        engine.dispose()


async def test_each_voicemail_is_indexed_once_to_its_own_call(asterisk_stack, live_settings):
    running = Service(live_settings, allow_test_clock=True)
    await running.start(watch_ami=False, reconcile_on_start=False)
    try:
        results = [
            await asterisk_stack.originate_and_wait(
                "01012330",
                caller=leaves_message(AFTER_PROMPT),
                variables=call_variables(SUNDAY),
                timeout=90,
                system_name="pbx1",
            )
            for _ in range(2)
        ]
        reports = [await wait_for_call_report(live_settings, r.call_uniqueid, 40) for r in results]
        mailbox = load_directory(live_settings).centre("bj").mailbox
        inbox = live_settings.voicemail_spool / VOICEMAIL_CONTEXT / mailbox / "INBOX"
        envelopes = {m.category: m for m in read_inbox(inbox)}
        for result, report in zip(results, reports, strict=True):
            uniqueid = result.call_uniqueid
            assert uniqueid.startswith("pbx1-")
            assert report["call"]["outcome"] == "voicemail"
            voicemail = report["voicemail"]
            assert voicemail["file"].endswith(f"/{uniqueid}.wav"), voicemail
            # The archived copy is the message whose envelope names this call.
            spool_wav = inbox / f"{envelopes[uniqueid].name}.wav"
            archived = live_settings.recordings_root / voicemail["file"]
            assert archived.read_bytes() == spool_wav.read_bytes()
        first = voicemail_rows(live_settings)
        assert len(first) == 2
        assert len({msg_id for _, _, msg_id in first}) == 2 and all(m for _, _, m in first)

        # Look again with the channel names swapped (the same names after a restart),
        # and for a call that left no message but ran on the first call's channel.
        services = running.services
        channels = [envelopes[r.call_uniqueid].callerchan for r in results]
        hint = dt.datetime.now(dt.UTC)

        def recorder(uniqueid: str) -> CallRecorder:
            return CallRecorder.for_call(
                services.journal,
                uniqueid=uniqueid,
                linkedid=uniqueid,
                started_at=hint,
                dialled_number="12330",
                caller_number=None,
                trunk_area_code=None,
                is_test=True,
            )

        for result, channel in zip(results, reversed(channels), strict=True):
            await collect_voicemail(
                services, recorder(result.call_uniqueid), channel, mailbox, hint, wait_seconds=0
            )
        stranger = recorder("pbx1-1700000000.1")
        stranger.start()
        await collect_voicemail(services, stranger, channels[0], mailbox, hint, wait_seconds=0)
        await services.journal.flush()
        while await running.drainer.drain_once():
            pass
    finally:
        await running.stop(5)
    assert voicemail_rows(live_settings) == first
