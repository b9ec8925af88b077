"""The provisional barge-in: the pause gate on real speech and the real VAD, and a playback buffer
that pauses and resumes without losing a sample (no sound server; frame counts, no timing).

The live rig (Jarvis's echo through PulseAudio, the whole voice loop) is in
``tests/pipeline/test_echo_loop.py``; ``bench/echo_live.py`` measures the delays.
"""

from __future__ import annotations

import time

import numpy as np
import soundfile as sf

from devsupport.paths import FIXTURES
from jarvis.audio.barge_in import PAUSE, RESUME, ROOM_FRAMES, PauseGate
from jarvis.audio.devices import WavFileOutput
from jarvis.audio.events import HeardText
from jarvis.audio.playback import FADE_S, PlaybackBuffer, Player
from jarvis.audio.vad import QUIET, SPEAKING, STARTING, VadMachine, WebRtcClassifier
from jarvis.audio.wavio import read_wav
from jarvis.config import BargeInSettings, VADSettings
from jarvis.messages import SpeechChunk

SR = 16000
USER = FIXTURES / "speech" / "en" / "librivox-0870.wav"


def noisy(audio: np.ndarray, seed: int = 0) -> np.ndarray:
    """``audio`` after 1 s of quiet, in a -60 dBFS noise floor (the rig's microphone)."""
    pad = np.concatenate([np.zeros(SR, np.float32), audio, np.zeros(SR, np.float32)])
    return pad + (np.random.default_rng(seed).standard_normal(len(pad)) * 1e-3).astype(np.float32)


def run_vad(audio: np.ndarray, user: bool = True, settings: BargeInSettings | None = None):
    """Frame by frame through the real VAD and the gate, as the voice loop does while Jarvis speaks.

    Returns (frame of the VAD's start or None, [(frame, action)]).
    """
    cfg = VADSettings()
    barge = settings or BargeInSettings()
    machine, classify = VadMachine(cfg, SR), WebRtcClassifier(cfg.aggressiveness, SR)
    gate = PauseGate.from_ms(barge.pause_ms, barge.resume_ms, cfg.frame_ms)
    started, actions = None, []
    n = machine.frame_len
    warm = (np.random.default_rng(9).standard_normal(SR) * 1e-3).astype(np.float32)
    for i in range(len(warm) // n):  # webrtcvad takes its very first frames for speech: it runs all along live
        classify(warm[i * n : (i + 1) * n])
    for i in range(len(audio) // n):
        frame = audio[i * n : (i + 1) * n]
        voiced = classify(frame)
        step = machine.push(frame, voiced)
        if step.started and started is None:
            started = i
            gate.reset()  # the VAD's start confirms the barge-in (the voice loop cuts the reply)
        action = gate.frame(voiced, user, step.state)
        if action is not None:
            actions.append((i, action))
    return started, actions


def test_the_user_s_voice_pauses_jarvis_before_the_vad_starts():
    started, actions = run_vad(noisy(read_wav(USER, SR)))
    assert started is not None
    pauses = [i for i, a in actions if a == PAUSE]
    assert pauses and pauses[0] < started, (pauses, started)  # frames earlier than the normal start
    assert actions[0] == (pauses[0], PAUSE)
    assert not [i for i, a in actions if a == RESUME and pauses[0] < i <= started]  # held until confirmed


def test_no_pause_while_only_the_echo_is_heard():
    """Voiced frames that the double-talk check does not back (the echo alone, or a leak of it)."""
    started, actions = run_vad(noisy(read_wav(USER, SR)), user=False)
    assert started is not None and actions == []


def test_a_short_blip_pauses_then_resumes_without_a_vad_start():
    """30 ms of the user's voice (a knock, a click of the tongue): webrtcvad holds it as speech for
    about three more frames, enough to pause Jarvis but not to start the VAD; then it goes quiet."""
    at = SR  # a second into the clip, mid-word
    blip = read_wav(USER, SR)[at : at + SR * 30 // 1000]
    started, actions = run_vad(noisy(blip))
    assert started is None
    assert [a for _, a in actions] == [PAUSE, RESUME]


def test_a_pause_the_vad_does_not_confirm_in_time_resumes():
    """Scripted verdicts: two voiced frames pause; then the VAD stays undecided past resume_frames."""
    gate = PauseGate(pause_frames=2, resume_frames=3)
    got = [gate.frame(v, True, STARTING) for v in (True, True, False, False, False)]
    assert got == [None, PAUSE, None, None, RESUME] and not gate.paused
    assert gate.frame(True, True, QUIET) is None  # quiet again: a new run is needed (not in STARTING)


def test_speech_in_a_room_without_echo_holds_the_pause_for_the_vad():
    """Paused: with Jarvis's echo gone, voiced frames past webrtcvad's hangover are real sound (the
    voice loop then confirms the barge-in); voiced frames with echo still expected may be a leak."""
    gate = PauseGate(pause_frames=1, resume_frames=ROOM_FRAMES + 1)
    assert gate.frame(True, True, STARTING) == PAUSE
    got = [gate.frame(True, False, SPEAKING, echo=False) for _ in range(ROOM_FRAMES + 2)]
    assert got == [None] * (ROOM_FRAMES + 2) and gate.paused and gate.room_confirms  # held past resume_frames
    leak = PauseGate(pause_frames=1, resume_frames=ROOM_FRAMES + 1)
    assert leak.frame(True, True, STARTING) == PAUSE
    got = [leak.frame(True, False, SPEAKING, echo=True) for _ in range(ROOM_FRAMES + 1)]
    assert got[-1] == RESUME and not leak.room_confirms and not leak.paused


def test_a_paused_buffer_plays_everything_after_resume():
    audio = np.linspace(0.1, 1.0, 1000, dtype=np.float32)
    buf = PlaybackBuffer()
    buf.fade = 10
    buf.add(audio, "a reply", 1)
    out = [buf.pull(300)]
    buf.pause()
    assert buf.paused and buf.busy() and not buf.playing()
    out += [buf.pull(100) for _ in range(5)]  # a fade of 10 samples, then silence; nothing consumed after it
    assert not out[2].any() and not out[5].any()
    buf.resume()
    out += [buf.pull(300) for _ in range(3)]
    assert not buf.busy()
    played = np.concatenate(out)
    played = played[played != 0]
    assert len(played) == len(audio)  # every sample once, in order
    assert np.array_equal(played[:300], audio[:300]) and np.array_equal(played[320:], audio[320:])
    gain = played[300:320] / audio[300:320]  # the pause fades out over 10 samples, the resume in over 10
    assert np.all((gain > 0) & (gain < 1)) and np.all(np.diff(gain[:10]) < 0) and np.all(np.diff(gain[10:]) > 0)


def test_a_pause_that_nobody_ends_runs_out_and_a_cleared_pause_does_not_stick():
    buf = PlaybackBuffer()
    buf.add(np.ones(100, np.float32), "one", 1)
    buf.pause(max_s=0.0)  # whoever paused went away: the next block plays on
    assert buf.pull(50).all()
    buf.pause()
    cut = buf.clear()  # a confirmed barge-in while paused
    assert [(c.played, c.total) for c in cut] == [(50, 100)] and not buf.paused
    buf.add(np.ones(10, np.float32), "next reply", 2)
    assert buf.pull(10).all()  # the next reply is not held


def play_paused(tmp_path, confirm: bool):
    """A 3 s reply to a real-time WAV speaker, paused half a second in; then resumed or cut."""
    events: list = []
    out = WavFileOutput(tmp_path / "reply.wav", realtime=True)
    player = Player(out, events.append).start()
    reply = (0.3 * np.sin(2 * np.pi * 220 * np.arange(3 * 24000) / 24000)).astype(np.float32)
    words = " ".join(f"word{i}" for i in range(30))
    player.put(SpeechChunk(reply, 24000, words, turn_id=7))
    player.end_turn(7)
    while player.buffer.frames_out < 12000:
        time.sleep(0.005)
    player.pause()
    at = player.buffer.frames_out
    time.sleep(0.3)
    assert player.speaking and player.buffer.frames_out - at <= player.buffer.fade  # held, still "speaking"
    if confirm:
        player.clear()
    else:
        player.resume()
    deadline = time.monotonic() + 10
    while not any(isinstance(e, HeardText) for e in events) and time.monotonic() < deadline:
        time.sleep(0.01)
    player.close()
    heard = [e for e in events if isinstance(e, HeardText)]
    return reply, words, heard, sf.read(tmp_path / "reply.wav", dtype="float32")[0]


def test_a_resumed_false_alarm_loses_no_audio(tmp_path):
    reply, words, heard, recorded = play_paused(tmp_path, confirm=False)
    assert len(recorded) == len(reply)  # the file holds the speech only: nothing lost, nothing doubled
    off = np.abs(recorded - reply) > 1e-4  # the 16-bit file; the short fades at the pause differ
    assert off.sum() <= 2 * int(24000 * FADE_S), off.sum()
    assert [(h.text, h.interrupted) for h in heard] == [(words, False)]


def test_a_confirmed_pause_cuts_the_reply_as_a_barge_in_does(tmp_path):
    reply, words, heard, recorded = play_paused(tmp_path, confirm=True)
    assert 12000 <= len(recorded) < len(reply) // 2
    assert len(heard) == 1 and heard[0].interrupted and words.startswith(heard[0].text)
    assert 0 < len(heard[0].text.split()) < 30
