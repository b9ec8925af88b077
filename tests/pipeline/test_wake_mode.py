"""Wake-word mode through the real voice loop: WAV files as the microphone (replayed as fast as they
are read), the real VAD, wake-word model, end-of-turn model, whisper, LLM and voice.

The wake word's follow-up window runs on the input's own clock (seconds of audio heard), so a
scripted input with silences of known length checks it without waiting in real time.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from devsupport.paths import FIXTURES, MODELS
from devsupport.voicekit import QUESTION, voice_config, voice_models
from jarvis.assembly import build_voice
from jarvis.audio.devices import AudioInput, WavFileOutput
from jarvis.audio.events import HeardText, ListeningChanged, WakeDetected, WakeScore
from jarvis.audio.wake_word import chime
from jarvis.audio.wavio import read_wav
from jarvis.config import load_settings
from jarvis.messages import PartialTranscript, StatusChange, Transcript
from jarvis.pipeline.recorder import EventRecorder
from jarvis.pipeline.runner import Assistant
from jarvis.pipeline.voice_graph import VoiceOptions

WAKE = FIXTURES / "wake"
POSITIVES = {m["file"]: m for m in json.loads((WAKE / "wake.json").read_text())["positive"]}
MOON = "positive/hey-jarvis-04-bf_emma-1.wav"  # "Hey Jarvis, how far away is the moon?" (hum, 12.5 dB SNR)
AUSTEN = "positive/hey-jarvis-12-em_alex-1.15.wav"  # "Hey Jarvis, who wrote Pride and Prejudice?"
CAPITAL = FIXTURES / "speech" / "questions" / "en-capital.wav"  # "What is the capital of France?"
RATE = 16000
SHORT_REPLIES = 'system_prompt = "Answer in a few words."\nmax_tokens = 12\ntemperature = 0.0\nseed = 7'


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.float32)


class ScriptedInput(AudioInput):
    """A microphone that says a script as fast as it is read: audio parts, and waits (an Event to be
    set before the rest is said; while waiting it gives nothing, as a paused recording would)."""

    def __init__(self, *parts: np.ndarray | threading.Event) -> None:
        self.sample_rate = RATE
        self.drops = 0
        self._parts = list(parts)
        self._block = RATE * 30 // 1000

    def start(self) -> None:
        """Nothing to open."""

    def read(self, timeout: float = 0.1) -> Any | None:
        """The next 30 ms of the script; None while waiting for an event."""
        while self._parts:
            part = self._parts[0]
            if isinstance(part, threading.Event):
                if not part.wait(timeout):
                    return None
                self._parts.pop(0)
                continue
            if len(part) == 0:
                self._parts.pop(0)
                continue
            block, self._parts[0] = part[: self._block], part[self._block :]
            return block
        time.sleep(min(timeout, 0.01))
        return None

    @property
    def ended(self) -> bool:
        """True once the whole script was said."""
        return not self._parts

    def close(self) -> None:
        """Nothing to close."""


class WakeRun:
    """An assistant and a wake-word voice loop on a scripted microphone and a WAV-file speaker."""

    def __init__(self, folder: Path, source: AudioInput, wake: str = "") -> None:
        wake_cfg = f'model = "{MODELS / "wake" / "hey_jarvis_v0.1.onnx"}"\n{wake}'
        audio = 'input_device = ""\noutput_device = ""\nmode = "wake_word"'
        path = voice_config(folder, llm=SHORT_REPLIES, audio=audio)
        path.write_text(path.read_text() + f"\n[audio.wake]\n{wake_cfg}\n")
        self.assistant = Assistant(load_settings(path)).start()
        self.seen = EventRecorder(self.assistant.bus)
        self.speaker = WavFileOutput(folder / "out.wav", realtime=False)
        stt, voices = voice_models()
        options = VoiceOptions(stt=stt, voices=voices, input=source, output=self.speaker)
        self.loop = build_voice(self.assistant, options).start()

    def of(self, kind: type) -> list:
        return [e for e in self.seen.events if isinstance(e, kind)]

    def voice_turns(self) -> list[str]:
        return [t.text for t in self.of(Transcript) if t.source == "voice"]

    def said(self, timeout: float = 120.0) -> Transcript | None:
        """Wait for the first voice turn."""
        return self.seen.wait_for(Transcript, lambda t: t.source == "voice", timeout)

    def heard(self, n: int, timeout: float = 120.0) -> HeardText | None:
        """Wait until the ``n``-th reply was spoken in full and the speaker is quiet again (the
        microphone is ignored while Jarvis speaks, by the wall clock: a script must not go on sooner)."""
        heard = self.seen.wait_for(HeardText, lambda e: len([h for h in self.of(HeardText) if h.text]) >= n, timeout)
        while self.loop.speaking:
            time.sleep(0.02)
        return heard

    def finish(self, timeout: float = 60.0) -> None:
        """Wait for the whole script to be heard and the utterances it made to reach recognition."""
        assert self.loop.segmenter is not None and self.loop.segmenter.ended.wait(timeout)
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.loop.stt_stage.inbox.qsize():
            time.sleep(0.05)
        time.sleep(0.3)

    def close(self) -> None:
        self.loop.stop()
        self.assistant.shutdown()
        self.seen.close()


def words(text: str) -> set[str]:
    return {w.strip(".,!?;:'\"").lower() for w in text.split()} - {""}


@pytest.mark.parametrize("clip", [MOON, AUSTEN])
def test_hey_jarvis_and_the_question_in_one_breath_are_one_turn(tmp_path, clip: str) -> None:
    """ "Hey Jarvis, how far away is the moon?" -> one voice turn "how far away is the moon?", a chime."""
    run = WakeRun(tmp_path, ScriptedInput(read_wav(WAKE / clip), silence(2.0)))
    try:
        assert run.said() is not None
        run.finish()
    finally:
        run.close()
    question = POSITIVES[clip]["text"].split(",", 1)[1]
    (said,) = run.voice_turns()
    assert "jarvis" not in said.lower()
    assert len(words(said) & words(question)) >= len(words(question)) - 1, (said, question)
    assert len(run.of(WakeDetected)) == 1 and run.of(WakeDetected)[0].score >= 0.5
    assert any(e.score >= 0.5 for e in run.of(WakeScore)) and not run.of(WakeScore)[0].awake
    assert [(e.mode, e.active) for e in run.of(ListeningChanged)][0] == ("wake_word", True)
    tone = chime(run.speaker.sample_rate)  # the chime was played before the reply
    np.testing.assert_allclose(run.speaker.audio()[: len(tone)], tone, atol=1e-4)
    assert run.assistant.conversation.turns[0].content == said


def test_speech_without_the_wake_word_is_never_transcribed(tmp_path) -> None:
    """A LibriVox sentence: no wake, no turn, and not a word of it reaches speech recognition."""
    run = WakeRun(tmp_path, ScriptedInput(silence(0.5), read_wav(QUESTION), silence(2.0)))
    try:
        run.finish()
    finally:
        run.close()
    assert run.voice_turns() == []
    assert run.of(WakeDetected) == [] and max(e.score for e in run.of(WakeScore)) < 0.5
    assert run.loop.modes.wake is not None and run.loop.modes.wake.dropped == 1
    assert run.of(PartialTranscript) == []  # no live transcript either
    assert not [e for e in run.of(StatusChange) if e.state == "transcribing"]


def test_the_wake_word_alone_then_the_question_after_a_pause(tmp_path) -> None:
    """ "Hey Jarvis," ... 1.5 s ... "what is the capital of France?": the question is the turn."""
    meta = POSITIVES[MOON]
    wake_only = read_wav(WAKE / MOON)[: int((meta["jarvis_end_s"] + 0.15) * RATE)]
    run = WakeRun(tmp_path, ScriptedInput(wake_only, silence(1.5), read_wav(CAPITAL), silence(2.0)))
    try:
        assert run.said() is not None
        run.finish()
    finally:
        run.close()
    (said,) = run.voice_turns()
    assert {"capital", "france"} <= words(said)
    assert len(run.of(WakeDetected)) == 1


def test_a_follow_up_needs_no_wake_word_within_the_window_and_is_dropped_after_it(tmp_path) -> None:
    """After a reply: a question 1 s later is a turn; after the next reply, one 4 s later (window 3 s)
    is not."""
    replied_once, replied_twice = threading.Event(), threading.Event()
    source = ScriptedInput(
        read_wav(WAKE / MOON), silence(2.0), replied_once,
        silence(1.0), read_wav(CAPITAL), silence(2.0), replied_twice,
        silence(4.0), read_wav(QUESTION), silence(2.0),
    )
    run = WakeRun(tmp_path, source, wake="follow_up_s = 3.0")
    try:
        assert run.heard(1) is not None
        replied_once.set()
        assert run.heard(2) is not None
        replied_twice.set()
        run.finish()
    finally:
        run.close()
    turns = run.voice_turns()
    assert len(turns) == 2, turns
    assert "moon" in words(turns[0]) and {"capital", "france"} <= words(turns[1])
    assert len(run.of(WakeDetected)) == 1  # the follow-up was taken without the wake word
    wake = run.loop.modes.wake
    assert wake is not None and wake.dropped == 1  # "he was not an ill disposed young man"


def test_the_talk_key_needs_no_wake_word_and_the_hands_free_key_keeps_the_wake_word(tmp_path) -> None:
    pressed = threading.Event()
    run = WakeRun(tmp_path, ScriptedInput(silence(0.5), pressed, read_wav(CAPITAL), silence(2.0)))
    try:
        run.loop.modes.set_hands_free(False)  # ctrl+f: push-to-talk ...
        assert run.loop.modes.mode == "ptt" and run.loop.modes.wake is not None
        run.loop.modes.set_hands_free(True)  # ... and back to the configured hands-free mode: the wake word
        assert run.loop.modes.mode == "wake_word"
        assert run.loop.modes.ptt_toggle() is True  # the talk key: what is said next is a turn
        pressed.set()
        said = run.said()
        run.finish()
    finally:
        run.close()
    assert said is not None and {"capital", "france"} <= words(said.text)
    assert run.of(WakeDetected) == []
    modes = [(e.mode, e.active) for e in run.of(ListeningChanged)]
    assert modes[:3] == [("wake_word", True), ("ptt", False), ("wake_word", True)]
