"""A speaker that goes away and comes back, through a private PulseAudio daemon and real PortAudio.

The player says so (SpeakerLost), drops what was queued (so Jarvis no longer counts as speaking and
an open-speaker microphone is not muted for ever), queues nothing while it is gone (the replies are
shown, not spoken), opens the device again with back-off, and says when it is back (SpeakerBack).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from devsupport import pulse
from jarvis.audio.devices import SoundDeviceOutput
from jarvis.audio.events import HeardText, SpeakerBack, SpeakerLost
from jarvis.audio.playback import Player
from jarvis.messages import SpeechChunk
from tests.support.waiting import until

pytestmark = pytest.mark.skipif(pulse.available() is not None, reason=str(pulse.available()))

RATE = 24000


def test_a_lost_speaker_drops_its_queue_and_speaks_again_when_it_is_back(server):
    events: list = []
    of = lambda kind: [e for e in events if isinstance(e, kind)]  # noqa: E731
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(5 * RATE) / RATE)).astype(np.float32)
    player = Player(SoundDeviceOutput("pulse", RATE, buffer_ms=100), events.append).start()
    try:
        player.put(SpeechChunk(tone, RATE, "a long reply", turn_id=1))
        player.end_turn(1)
        assert until(lambda: player.buffer.frames_out > RATE // 2, 10)
        server.go_away()
        try:
            assert until(lambda: of(SpeakerLost), 10), "a speaker that went away was not noticed"
            assert until(lambda: not player.speaking, 5)  # not "speaking" for ever into a dead device
            assert not of(HeardText)  # not a barge-in: nothing says the reply was cut to what was heard
            player.put(SpeechChunk(tone[:RATE], RATE, "said while it is gone", turn_id=2))
            assert player.lost and not player.buffer.busy()  # shown, not spoken: nothing waits for it
        finally:
            server.come_back()
        assert until(lambda: of(SpeakerBack), 30), "the speaker did not come back"
        back = of(SpeakerBack)[0]
        assert back.attempts >= 1 and back.seconds > 0 and not player.lost
        time.sleep(1.5)  # a stream just opened swallows its first second or so (the ALSA pulse plugin)
        rec = server.record_speaker()
        time.sleep(0.3)
        player.put(SpeechChunk(tone[:RATE], RATE, "after it came back", turn_id=3))
        player.end_turn(3)
        assert until(lambda: any(h.turn_id == 3 and not h.interrupted for h in of(HeardText)), 10)
        time.sleep(0.3)
        audio = rec.stop()
    finally:
        player.close()
    assert (np.abs(audio) > 0.1).sum() / 16000 > 0.2  # the 1 s tone reached the speaker again
