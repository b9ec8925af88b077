"""The model waits while the voice makes a reply's first piece, from the very token that completes it.

Real Piper voice and a real player (to a WAV file); the model is played by this test, which
publishes the tokens as the turn thread would: each through :meth:`TtsStage.offer` (the put of
the reply queue), then :meth:`CpuGate.wait` before the next one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from devsupport.paths import MODELS
from jarvis.audio.devices import WavFileOutput
from jarvis.audio.playback import Player
from jarvis.config import TTSSettings
from jarvis.messages import ReplyDone, TokenDelta, Transcript
from jarvis.pipeline.cancel import CancelScope
from jarvis.pipeline.cpu_gate import CpuGate
from jarvis.pipeline.stage import EventBus
from jarvis.pipeline.tts_stage import TtsStage
from jarvis.tts.voices import VoiceSet

TOKENS = ["The", " capital", " of", " France", " is", " Paris", ",", " a", " city", " of", " light", "."]


@pytest.fixture
def stage(tmp_path):
    """A started TTS stage speaking English with Piper (first piece: at most 4 words) into a WAV."""
    tts = TTSSettings(enabled=True, piper_model=MODELS / "piper" / "en_US-joe-medium.onnx",
                      first_piece_words={"piper": 4, "kokoro": 4})
    voices = VoiceSet(tts)
    voices.speak("Ready.", "en")  # loaded and warm
    events: list = []
    player = Player(WavFileOutput(tmp_path / "out.wav", realtime=False), events.append).start()
    gate = CpuGate()
    stage = TtsStage(EventBus(), tts, CancelScope(), lambda: voices, player, gate=gate)
    stage.start()
    yield stage, gate, events
    stage.stop()
    player.close()
    voices.close()


class CountingGate(CpuGate):
    """A gate that notes how many tokens had been offered each time it was closed."""

    def __init__(self) -> None:
        super().__init__()
        self.offered = 0
        self.closed_at: list[int] = []

    def close(self) -> None:
        self.closed_at.append(self.offered)
        super().close()


def test_gate_closes_on_the_token_that_completes_the_first_piece(stage):
    tts, _, _ = stage
    gate = tts.gate = CountingGate()
    tts.offer(Transcript("What is the capital of France?", "en", "voice", turn_id=1))
    for tok in TOKENS:
        gate.offered += 1
        tts.offer(TokenDelta(tok, turn_id=1))
        gate.wait(timeout=10)  # as the turn thread does after each token
    tts.offer(ReplyDone("".join(TOKENS), "test", turn_id=1, language="en"))
    # "The capital of France" is complete once " is" shows it ended: closed right then, once
    assert gate.closed_at == [TOKENS.index(" is") + 1]


def test_gate_opens_when_the_first_piece_is_spoken(stage):
    tts, gate, _ = stage
    tts.offer(Transcript("What is the capital of France?", "en", "voice", turn_id=2))
    for tok in TOKENS[:5]:
        tts.offer(TokenDelta(tok, turn_id=2))
    assert not gate.is_open
    waited = threading.Event()

    def model() -> None:
        gate.wait(timeout=30)
        waited.set()

    t = threading.Thread(target=model)
    t.start()
    assert waited.wait(30) and gate.is_open  # the voice made the piece and let the model go on
    t.join()


def test_gate_is_opened_for_a_piece_that_is_not_spoken(stage):
    tts, gate, _ = stage
    tts.cancel.cancel()  # a barge-in: the turn's generation 0 is stale now
    tts.offer(Transcript("What is the capital of France?", "en", "voice", turn_id=3))
    for tok in TOKENS[:5]:
        tts.offer(TokenDelta(tok, turn_id=3))
    gate.wait(timeout=30)
    assert gate.is_open


def test_the_first_piece_is_what_the_stage_speaks(stage):
    tts, gate, events = stage
    tts.offer(Transcript("What is the capital of France?", "en", "voice", turn_id=4))
    for tok in TOKENS:
        tts.offer(TokenDelta(tok, turn_id=4))
        gate.wait(timeout=10)
    tts.offer(ReplyDone("".join(TOKENS), "test", turn_id=4, language="en"))
    heard = _heard(events, 4)
    assert heard.startswith("The capital of France is Paris")


def _heard(events: list, turn_id: int, timeout: float = 30.0) -> str:
    import time

    from jarvis.audio.events import HeardText

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [e for e in events if isinstance(e, HeardText) and e.turn_id == turn_id]
        if done:
            return done[0].text
        time.sleep(0.02)
    raise AssertionError(f"turn {turn_id} was never heard: {events}")


def test_gate_never_blocks_without_a_voice():
    gate = CpuGate()
    gate.close()
    assert not gate.is_open
    gate.open()
    gate.wait(timeout=0.01)
    assert gate.is_open


class HoldCountingGate(CpuGate):
    """A gate that counts the pieces synthesised while holding it."""

    def __init__(self) -> None:
        super().__init__()
        self.holds = 0

    @contextmanager
    def hold(self) -> Iterator[None]:
        self.holds += 1
        with super().hold():
            yield


@pytest.mark.parametrize("queued_s, holds", [(0.0, 3), (0.9, 3), (8.0, 1)])
def test_later_pieces_hold_the_model_only_when_the_voice_is_about_to_run_dry(tmp_path, queued_s, holds):
    """The speech the voice has in hand is set by the test (the policy is what is tested)."""
    tts_settings = TTSSettings(enabled=True, piper_model=MODELS / "piper" / "en_US-joe-medium.onnx",
                               first_piece_words={"piper": 4}, voice_first_below_s=1.0)
    voices = VoiceSet(tts_settings)
    player = Player(WavFileOutput(tmp_path / "out.wav", realtime=False), lambda e: None).start()
    player.queued_s = lambda: queued_s  # type: ignore[method-assign]
    gate = HoldCountingGate()
    stage = TtsStage(EventBus(), tts_settings, CancelScope(), lambda: voices, player, gate=gate)
    try:
        stage.offer(Transcript("q", "en", "voice", turn_id=1))
        text = "Hello there. This is the second sentence. And here is the third one."
        stage.offer(TokenDelta(text, turn_id=1))
        stage.offer(ReplyDone(text, "test", turn_id=1, language="en"))
        stage.start()
        stage.stop(timeout=30)
    finally:
        player.close()
        voices.close()
    assert gate.holds == holds  # three pieces; the first always holds
