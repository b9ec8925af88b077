"""Whole voice turns: virtual PulseAudio microphone/speaker, real VAD, whisper, LLM and Piper voice.

Also ``jarvis ask --input q.wav --output a.wav`` headless, and its errors (silence, bad file).
"""

from __future__ import annotations

import json
import subprocess
import time

import numpy as np
import pytest

from devsupport import pulse
from devsupport.paths import JARVIS
from devsupport.voicekit import QUESTION, voice_config, voice_models
from jarvis.assembly import build_voice
from jarvis.audio.events import HeardText
from jarvis.audio.wavio import read_wav, write_wav
from jarvis.config import load_settings
from jarvis.history import Conversation
from jarvis.messages import Transcript
from jarvis.pipeline.recorder import EventRecorder
from jarvis.pipeline.runner import Assistant
from jarvis.pipeline.voice_graph import VoiceOptions

needs_pulse = pytest.mark.skipif(pulse.available() is not None, reason=str(pulse.available()))
ORDER = ("speech_end", "transcript_ready", "first_token", "first_audio_out")


def words(text: str) -> set[str]:
    return {w.strip(".,!?;:'\"").lower() for w in text.split()} - {""}


class Run:
    """An assistant + voice loop on the virtual devices, with every event recorded."""

    def __init__(self, folder, audio: str, **loop_kw) -> None:
        self.settings = load_settings(voice_config(folder, audio=audio))
        self.assistant = Assistant(self.settings).start()
        self.seen = EventRecorder(self.assistant.bus)
        self.events = self.seen.events
        stt, voices = voice_models()
        self.loop = build_voice(self.assistant, VoiceOptions(stt=stt, voices=voices, **loop_kw)).start()

    def of(self, name: str) -> list:
        return [e for e in self.events if type(e).__name__ == name]

    def voice_turn(self, timeout: float = 120.0) -> Transcript:
        said = self.seen.wait_for(Transcript, lambda t: t.source == "voice", timeout)
        assert said is not None, "timed out waiting for a voice turn"
        return said

    def heard(self, turn_id: int, timeout: float = 180.0) -> HeardText | None:
        return self.seen.wait_for(HeardText, lambda e: e.turn_id == turn_id, timeout)

    def close(self) -> None:
        self.loop.stop()
        self.assistant.shutdown()


@needs_pulse
def test_hands_free_voice_turn_through_the_virtual_devices(tmp_path, server):
    """Open speakers wired back into the microphone, echo cancellation off: the microphone is muted
    while Jarvis speaks, so it must not answer its own voice (with it on: test_echo_loop.py)."""
    loopback = subprocess.run(
        ["pactl", "load-module", "module-loopback", f"source={pulse.SPEAKER}.monitor",
         f"sink={pulse.MIC_FEED}", "latency_msec=30"],
        env=server.env, capture_output=True, text=True, check=True,
    ).stdout.strip()
    run = Run(tmp_path, 'input_device = "pulse"\noutput_device = "pulse"\nhands_free = true\necho_cancel = "off"')
    rec = server.record_speaker()
    try:
        time.sleep(0.3)
        server.play(QUESTION)
        said = run.voice_turn()
        heard = run.heard(said.turn_id)
        time.sleep(1.5)  # long enough for an echo to become a turn, if the guard failed
    finally:
        speaker = rec.stop()
        run.close()
        subprocess.run(["pactl", "unload-module", loopback], env=server.env, check=False)

    transcripts = [t for t in run.of("Transcript") if t.source == "voice"]
    assert len(transcripts) == 1, [t.text for t in transcripts]  # the echo guard held
    assert len(words(transcripts[0].text) & words("he was not an ill disposed young man")) >= 5
    assert transcripts[0].language == "en"
    assert heard is not None and heard.text and not heard.interrupted

    rel = said.timings.relative()
    assert all(rel[k] is not None for k in (*ORDER, "reply_done")), rel
    assert [rel[k] for k in ORDER] == sorted(rel[k] for k in ORDER)
    assert any(e.vad_state == "muted" for e in run.of("MicLevel"))  # the mic was ignored while speaking
    assert [e.speaking for e in run.of("SpeakingChanged")][:1] == [True]

    # the speaker really played the reply: transcribe the recording back
    assert float(np.sqrt(np.mean(speaker ** 2))) > 0.005
    stt, _ = voice_models()
    back = stt.transcribe(speaker).text
    assert len(words(back) & words(heard.text)) >= min(3, len(words(heard.text))), (back, heard.text)

    turns = run.assistant.conversation.turns
    assert [t.role for t in turns] == ["user", "assistant"] and turns[0].source == "voice"


@needs_pulse
def test_push_to_talk_opens_and_closes_the_microphone(tmp_path, server):
    run = Run(tmp_path, 'input_device = "pulse"\noutput_device = "pulse"\nhands_free = false')
    try:
        server.play(QUESTION)  # said while the microphone is closed: ignored
        time.sleep(0.3)
        assert not run.seen.of(Transcript)
        assert run.loop.modes.ptt_toggle() is True
        server.play(QUESTION)
        run.loop.modes.ptt_toggle()  # press again: the utterance ends now (or the VAD already ended it)
        run.heard(run.voice_turn().turn_id)
    finally:
        run.close()
    modes = [(e.mode, e.active) for e in run.of("ListeningChanged")]
    assert modes[0] == ("ptt", False) and ("ptt", True) in modes
    assert len([t for t in run.of("Transcript") if t.source == "voice"]) == 1
    assert {e.vad_state for e in run.of("MicLevel")} >= {"off", "speaking"}


def test_missing_microphone_keeps_speaking_and_ptt_says_why(tmp_path):
    settings = load_settings(voice_config(tmp_path, audio='input_device = "no such mic"'))
    assistant = Assistant(settings)
    events: list = []
    assistant.bus.subscribe(events.append)
    stt, voices = voice_models()
    loop = build_voice(assistant, VoiceOptions(stt=stt, voices=voices, output_path=tmp_path / "out.wav")).start()
    try:
        errors = [e for e in events if type(e).__name__ == "StageError"]
        assert errors and ("no such mic" in errors[0].message or "no audio input" in errors[0].message)
        from jarvis.errors import AudioDeviceError

        with pytest.raises(AudioDeviceError, match="cannot listen"):
            loop.modes.ptt_toggle()
        assert loop.player is not None  # replies are still spoken
    finally:
        loop.stop()


def ask(env, *args, timeout=300):
    return subprocess.run([*JARVIS, "ask", *map(str, args)], env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_ask_with_input_and_output_runs_a_whole_turn(tmp_path, jarvis_env):
    cfg = voice_config(tmp_path)
    env = {**jarvis_env, "JARVIS_CONFIG": str(cfg)}
    out = tmp_path / "answer.wav"
    proc = ask(env, "--input", QUESTION, "--output", out, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert len(words(data["transcript"]) & words("he was not an ill disposed young man")) >= 5
    assert data["reply"] and data["language"] == "en"
    assert all(data["timings"][k] is not None for k in (*ORDER, "reply_done"))
    audio = read_wav(out, None)
    assert len(audio) > 0 and float(np.max(np.abs(audio))) > 0.05
    assert data["output_audio_s"] > 0.3
    conv = Conversation.resume_last(load_settings(cfg).general.history_dir)
    assert [t.source for t in conv.turns][:1] == ["voice"]


def test_ask_input_errors(tmp_path, jarvis_env):
    cfg = voice_config(tmp_path)
    env = {**jarvis_env, "JARVIS_CONFIG": str(cfg)}
    silence = write_wav(tmp_path / "silence.wav", np.zeros(16000, np.float32), 16000)
    proc = ask(env, "--input", silence, "--output", tmp_path / "a.wav")
    assert proc.returncode == 2, proc.stderr
    assert "no speech found in silence.wav" in proc.stderr and "hint:" in proc.stderr, proc.stderr
    bad = tmp_path / "bad.wav"
    bad.write_text("RIFF? no")
    proc = ask(env, "--input", bad)
    assert proc.returncode == 2 and "cannot read bad.wav" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def loading_loop(folder, **config):
    """A voice loop that loads its own models (a WAV file as the mic); returns it, its recorder and VoiceReady."""
    from jarvis.audio.events import VoiceReady

    assistant = Assistant(load_settings(voice_config(folder, **config)))
    recorder = EventRecorder(assistant.bus)
    loop = build_voice(assistant, VoiceOptions(input_path=QUESTION, output_path=folder / "out.wav",
                     realtime_input=False, realtime_output=False)).start()
    return loop, recorder, recorder.wait_for(VoiceReady, lambda e: True, 120)


def test_voice_says_when_its_own_models_are_loaded_and_warm(tmp_path):
    """A loop that loads whisper, Smart Turn and both voices itself publishes VoiceReady once all are warm."""
    loop, recorder, ready = loading_loop(tmp_path)
    try:
        assert ready is not None and ready.ok and ready.seconds > 0
        assert loop.judge is not None and loop.judge.ready
        voices = loop.models.voices()
        assert voices.loaded == ("kokoro", "piper")  # Spanish is loaded before anyone speaks it
    finally:
        loop.close()
        recorder.close()


def test_voice_ready_reports_a_model_that_failed(tmp_path):
    loop, recorder, ready = loading_loop(tmp_path, stt_model="no-such-whisper")
    try:
        assert ready is not None and not ready.ok
        errors = [e for e in recorder.events if type(e).__name__ == "StageError" and e.stage == "voice"]
        assert errors and "speech recognition model not found" in errors[0].message
    finally:
        loop.close()
        recorder.close()
