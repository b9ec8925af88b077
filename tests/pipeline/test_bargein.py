"""Barge-in during a long spoken reply: playback stops, generation stops, history keeps the heard part."""

from __future__ import annotations

import time

import pytest
import soundfile as sf

from devsupport import pulse
from devsupport.voicekit import QUESTION, voice_config, voice_models
from jarvis.assembly import build_voice
from jarvis.config import load_settings
from jarvis.history import Conversation
from jarvis.pipeline.runner import Assistant
from jarvis.pipeline.voice_graph import VoiceOptions
from jarvis.tts.chunker import speakable

LONG = "Tell me a long story about a dragon who learns to bake bread, with many details."
LLM = (
    'system_prompt = "You are a storyteller. Always answer at length."\n'
    "max_tokens = 300\ntemperature = 0.0\nseed = 7\nhistory_tokens = 1024"
)


def kinds(events, name):
    return [e for e in events if type(e).__name__ == name]


def wait(cond, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def test_push_to_talk_cuts_a_long_reply(tmp_path):
    settings = load_settings(voice_config(tmp_path, llm=LLM))
    assistant = Assistant(settings).start()
    events: list = []
    assistant.bus.subscribe(events.append)
    stt, voices = voice_models()
    out = tmp_path / "spoken.wav"
    loop = build_voice(assistant, VoiceOptions(stt=stt, voices=voices, output_path=out, use_input=False)).start()
    try:
        turn = assistant.submit_text(LONG)
        wait(lambda: any(e.speaking for e in kinds(events, "SpeakingChanged")))
        time.sleep(1.0)  # let a few words be heard
        heard = loop.barge_in()
        wait(lambda: kinds(events, "ReplyDone"))
        time.sleep(0.3)
    finally:
        loop.stop()
        assistant.shutdown()

    done = kinds(events, "ReplyDone")[0]
    assert done.turn_id == turn
    assert done.interrupted and done.stats.completion_tokens < 300  # the model stopped
    assert not loop.player.buffer.busy()
    assert kinds(events, "SpeakingChanged")[-1].speaking is False
    cut = [e for e in kinds(events, "HeardText") if e.turn_id == turn]
    assert cut and cut[-1].interrupted and cut[-1].text == heard[turn]
    full = speakable(done.text)
    assert heard[turn] and len(heard[turn]) < len(full)
    assert full.startswith(heard[turn].split()[0])
    # the history keeps only what was heard, marked interrupted, also on disk
    last = assistant.conversation.turns[-1]
    assert (last.role, last.content, last.interrupted) == ("assistant", heard[turn], True)
    again = Conversation.load(assistant.conversation.path).turns[-1]
    assert (again.content, again.interrupted) == (heard[turn], True)
    # nothing was queued after the cut: the file holds about what was played
    played_s = sf.info(out).duration
    assert played_s < 30.0 and played_s > 0.2


@pytest.mark.skipif(pulse.available() is not None, reason=str(pulse.available()))
def test_speech_interrupts_with_a_headset(tmp_path):
    server = pulse.pulse_server()
    audio = 'input_device = "pulse"\noutput_device = "pulse"\nhands_free = true\nheadset = true'
    settings = load_settings(voice_config(tmp_path, llm=LLM, audio=audio))
    assistant = Assistant(settings).start()
    events: list = []
    assistant.bus.subscribe(events.append)
    stt, voices = voice_models()
    loop = build_voice(assistant, VoiceOptions(stt=stt, voices=voices)).start()
    try:
        first = assistant.submit_text(LONG)
        wait(lambda: any(e.speaking for e in kinds(events, "SpeakingChanged")))
        server.play(QUESTION)  # the user talks over Jarvis
        wait(lambda: any(t.source == "voice" for t in kinds(events, "Transcript")))
    finally:
        loop.stop()
        assistant.shutdown()
    cut = [e for e in kinds(events, "HeardText") if e.turn_id == first]
    assert cut and cut[0].interrupted
    assert kinds(events, "ReplyDone")[0].interrupted
    roles = [(t.role, t.source, t.interrupted) for t in assistant.conversation.turns]
    expected = [("user", "keyboard", False), ("assistant", "keyboard", True), ("user", "voice", False)]
    assert roles[:3] == expected
    assert assistant.conversation.turns[1].content == cut[0].text
