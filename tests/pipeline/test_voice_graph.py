"""The voice graph as built by ``jarvis.assembly.build_voice``: its table, its named queues, and the
parts VoiceLoop was split into (the listening modes, the echo guard, the one barge-in path).

Fakes stand in for the models and devices (a silent microphone, a voice that records what it was
asked to say, a WAV-file speaker); the whole voice on real models is in test_voice.py.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest

from devsupport.voicekit import voice_config
from jarvis.assembly import build_voice
from jarvis.audio.devices import AudioInput, WavFileOutput
from jarvis.audio.events import HeardText
from jarvis.config import load_settings
from jarvis.errors import AudioDeviceError
from jarvis.messages import ReplyDone, StatusChange, TokenDelta, Transcript, Utterance
from jarvis.pipeline.barge_in import BargeIn
from jarvis.pipeline.echo_guard import EchoGuard
from jarvis.pipeline.listening import ListeningModes
from jarvis.pipeline.recorder import EventRecorder
from jarvis.pipeline.runner import Assistant
from jarvis.pipeline.voice_graph import VoiceOptions
from jarvis.tts.voices import Spoken


class SilentInput(AudioInput):
    """A microphone that hears nothing."""

    def start(self) -> None:
        """Nothing to open."""

    def read(self, timeout: float = 0.1) -> Any | None:
        time.sleep(0.03)
        return np.zeros(480, np.float32)

    def close(self) -> None:
        """Nothing to close."""


class SayingVoices:
    """Voices that record what they were asked to say and return a short tone."""

    def __init__(self) -> None:
        self.said: list[str] = []

    def speak(self, text: str, language: str | None = None) -> Spoken:
        self.said.append(text)
        tone = 0.1 * np.sin(np.arange(2400) / 10).astype(np.float32)
        return Spoken(tone, 24000, "fake", language or "en")


def assistant_for(folder) -> Assistant:
    path = voice_config(folder)
    path.write_text(path.read_text().replace("[audio.turn]\n", "[audio.turn]\nenabled = false\n"))  # no judge
    return Assistant(load_settings(path))


def test_the_graph_table_is_the_pipeline_that_runs(tmp_path):
    assistant = assistant_for(tmp_path)
    speaker = WavFileOutput(tmp_path / "out.wav", realtime=False)
    voice = build_voice(assistant, VoiceOptions(input=SilentInput(), output=speaker, voices=SayingVoices(),
                                                stt=object(), speakers="headset"))
    rows = [(u.stage, u.reads, u.writes) for u in voice.units]
    assert rows == [("vad", "microphone", "utterances"), ("stt", "utterances", "turns"), ("llm", "turns", "reply"),
                    ("tts", "reply", "speech"), ("playback", "speech", "speaker")]
    for before, after in zip(rows, rows[1:], strict=False):
        assert before[2] == after[1]  # each stage reads what the one before writes
    # the queues really are the stages' inboxes, under those names
    assert voice.stt_stage.inbox.name == "utterances"
    assert voice.tts_stage is not None and voice.tts_stage.inbox.name == "reply"
    assert assistant._stage.inbox.name == "turns"
    order = [u.stage for u in sorted((u for u in voice.units if u.stops), key=lambda u: u.stops or 0)]
    assert order == ["vad", "stt", "tts", "playback"]
    voice.start()
    try:
        running = {t.name for t in threading.enumerate()}
        assert {u.thread for u in voice.units if u.start is not None} <= running
    finally:
        voice.close()
    assert assistant.reply is None  # a stopped voice takes no more reply


def test_what_jarvis_says_reaches_the_voice_through_the_reply_queue_not_the_bus(tmp_path):
    assistant = assistant_for(tmp_path)
    voices = SayingVoices()
    speaker = WavFileOutput(tmp_path / "out.wav", realtime=False)
    voice = build_voice(assistant, VoiceOptions(use_input=False, output=speaker, voices=voices)).start()
    seen = EventRecorder(assistant.bus)
    try:
        # an observer's view: on the bus alone, nothing is spoken
        for ev in (Transcript("hi", "en", "keyboard", turn_id=1), TokenDelta("Hello there.", turn_id=1),
                   ReplyDone("Hello there.", "test", turn_id=1, language="en")):
            assistant.bus.publish(ev)
        time.sleep(0.3)
        assert voices.said == []
        # what the assistant says goes onto the reply queue (and to the observers too)
        for ev in (Transcript("hi", "en", "keyboard", turn_id=2), TokenDelta("Good morning to you.", turn_id=2),
                   ReplyDone("Good morning to you.", "test", turn_id=2, language="en")):
            assistant.emit(ev)
        heard = seen.wait_for(HeardText, lambda e: e.turn_id == 2, 30)
        assert heard is not None and heard.text == "Good morning to you."
        assert voices.said == ["Good morning to you."]
        assert seen.of(TokenDelta)[-1].text == "Good morning to you."  # observers still see it
    finally:
        voice.close()
        seen.close()


class FakeAssistant:
    def __init__(self, log: list) -> None:
        self.log = log

    def interrupt(self) -> int:
        self.log.append("cancel")
        return 1

    def keep_heard(self, turn_id: int, text: str) -> None:
        self.log.append(("keep", turn_id, text))


class FakePlayer:
    def __init__(self, log: list, speaking: bool = True) -> None:
        self.log = log
        self.speaking = speaking
        self.paused = False

    def clear(self) -> dict[int, str]:
        self.log.append("clear")
        self.speaking = False
        return {7: "It is ten"}


def test_one_barge_in_path_cancels_clears_and_keeps_what_was_heard():
    log: list = []
    barge = BargeIn(FakeAssistant(log), FakePlayer(log))  # type: ignore[arg-type]
    barge.before(lambda: log.append("before"))
    barge.after(lambda: log.append("after"))
    assert barge() == {7: "It is ten"}
    assert log == ["before", "cancel", "clear", "after", ("keep", 7, "It is ten")]
    log.clear()
    assert BargeIn(FakeAssistant(log), None)() == {}  # no speaker: only the model is stopped
    assert log == ["cancel"]


def guard(tmp_path, speakers: str, log: list, speaking: bool = True, wake: bool = False) -> EchoGuard:
    settings = load_settings(voice_config(tmp_path))
    echo = EchoGuard(settings.audio, log.append, speakers=speakers, echo_cancel="auto", speaks=True)  # type: ignore[arg-type]
    echo.attach(None, lambda: log.append("barge"), lambda: speaking, lambda: wake)
    return echo


class FakeEcho:
    """An echo-cancelled microphone that has not heard the user (yet)."""

    failed = None
    settled = True
    hears_user = False

    class stats:  # noqa: N801 - mirrors EchoCancelledInput.stats
        double_talk_blocks = 0


def test_the_echo_guard_decides_who_is_heard_over_jarvis(tmp_path):
    log: list = []
    utt = Utterance(np.zeros(16000, np.float32), 16000, 0.0, 1)
    headset = guard(tmp_path, "headset", log)
    assert headset.mode == "none" and not headset.muted()
    headset.on_speech_start()
    assert log == ["barge"]  # the microphone does not hear the speaker: speech is the user

    log.clear()
    muted = guard(tmp_path, "open", log)  # open speakers, no echo cancellation
    assert muted.mode == "mute" and muted.muted()
    muted.on_speech_start()
    assert log == []
    assert not guard(tmp_path, "open", log, speaking=False).muted()

    aec = guard(tmp_path, "open", log)
    aec.input = FakeEcho()  # type: ignore[assignment]
    assert aec.mode == "aec" and not aec.muted()
    aec.on_speech_start()  # over Jarvis's echo with no sign of the user: unconfirmed
    assert log == [] and not aec.passes(utt)  # an utterance of echo alone is dropped
    aec.on_speech_start()
    aec.on_double_talk()  # the user after all
    assert log == ["barge"]
    assert aec.passes(utt)

    log.clear()
    wake = guard(tmp_path, "headset", log, wake=True)
    wake.on_speech_start()  # in wake-word mode the wake word interrupts, not speech
    assert log == [] and wake.interrupts_on_wake()


class FakeMic:
    """The segmenter as the listening modes drive it."""

    failed = None
    lost = None
    rate = 16000
    stream_s = 0.0

    def __init__(self) -> None:
        self.calls: list = []

    def set_listening(self, on: bool, flush: bool = True) -> None:
        self.calls.append(("listen", on))

    def set_wake(self, wake: Any) -> None:
        self.calls.append(("wake", wake))

    def flush(self) -> None:
        self.calls.append(("flush",))


def test_listening_modes_push_to_talk_hands_free_and_the_talk_key_as_barge_in(tmp_path):
    settings = load_settings(voice_config(tmp_path))
    log: list = []
    player = FakePlayer(log, speaking=False)
    barge = BargeIn(FakeAssistant(log), player)  # type: ignore[arg-type]
    echo = guard(tmp_path, "headset", log)
    modes = ListeningModes(settings.audio, "ptt", log.append, barge, echo, player,  # type: ignore[arg-type]
                           lambda: pytest.fail("no wake word here"))
    with pytest.raises(AudioDeviceError, match="cannot listen"):
        modes.ptt_toggle()  # no microphone
    mic = FakeMic()
    modes.attach(mic)  # type: ignore[arg-type]
    assert modes.ptt_toggle() is True and modes.listening
    assert modes.ptt_toggle() is False and not modes.listening
    assert mic.calls == [("listen", True), ("listen", False)]

    modes.observe(StatusChange("thinking"))  # a reply is being prepared: the talk key interrupts it
    assert modes.busy
    assert modes.ptt_toggle() is True
    assert "cancel" in log and not modes.busy and modes.listening

    modes.set_hands_free(True)
    assert modes.mode == "hands_free" and modes.hands_free
    assert modes.ptt_toggle() is True and mic.calls[-1] == ("flush",)  # hands-free: the key ends the utterance
    modes.set_hands_free(False)
    assert modes.mode == "ptt" and not modes.listening
