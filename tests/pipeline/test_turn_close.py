"""The speaker closes the turn: a spoken turn's record (metrics line, history line) is written once,
when its last audio has played or was cut, and carries ``first_audio_out``.

Real Jarvis built by the composition root, real voices, a WAV-file speaker that plays at real time
(barge-in behaves as on a speaker); the instant path ("what time is it") needs no model.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from devsupport.voicekit import voice_config, voice_models
from jarvis.assembly import Jarvis, build
from jarvis.audio.events import HeardText, SpeakingChanged
from jarvis.config import load_settings
from jarvis.messages import ReplyDone
from jarvis.pipeline.recorder import EventRecorder

CLOCK = "What time is it?"


def wait(cond, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def metrics(jarvis: Jarvis) -> list[dict]:
    path = jarvis.settings.general.metrics_file
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def history_lines(jarvis: Jarvis) -> list[dict]:
    path = jarvis.assistant.conversation.path
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def spoken_jarvis(folder: Path, **voice: object) -> tuple[Jarvis, EventRecorder]:
    """Jarvis with its voice on and a WAV file as the speaker (no microphone)."""
    jarvis = build(load_settings(voice_config(folder)), memory=False)
    seen = EventRecorder(jarvis.assistant.bus)
    jarvis.start(preload=False)
    stt, voices = voice_models()
    jarvis.start_voice(stt=stt, voices=voices, output_path=folder / "spoken.wav", use_input=False, **voice)
    return jarvis, seen


def test_a_spoken_instant_turn_is_written_once_heard_with_first_audio_out(tmp_path: Path) -> None:
    jarvis, seen = spoken_jarvis(tmp_path)
    with jarvis, seen:
        turn = jarvis.assistant.submit_text(CLOCK)
        heard = seen.wait_for(HeardText, lambda e: e.turn_id == turn, 120)
        assert heard is not None and heard.text and not heard.interrupted
        wait(lambda: any(m["turn_id"] == turn for m in metrics(jarvis)))
    lines = [m for m in metrics(jarvis) if m["turn_id"] == turn]
    assert len(lines) == 1 and lines[0]["model"] == "instant"
    timings = lines[0]["timings"]
    assert isinstance(timings["first_audio_out"], float), timings
    assert timings["first_audio_out"] >= timings["reply_done"]  # heard after the reply was made
    assert not lines[0]["interrupted"]
    replies = [r for r in history_lines(jarvis) if r.get("role") == "assistant"]
    assert len(replies) == 1 and replies[0]["turn_id"] == turn and not replies[0]["interrupted"]


def test_a_spoken_model_turn_has_first_audio_out_in_its_metrics_line(tmp_path: Path) -> None:
    # spoken after the whole reply: its first audio always comes after reply done
    jarvis, seen = spoken_jarvis(tmp_path, stream_tts=False)
    with jarvis, seen:
        turn = jarvis.assistant.submit_text("Say hello to me.")
        done = seen.wait_for(ReplyDone, lambda e: e.turn_id == turn, 300)
        assert done is not None and done.text and done.model == "smollm2-135m"
        assert seen.wait_for(HeardText, lambda e: e.turn_id == turn, 300) is not None
        wait(lambda: any(m["turn_id"] == turn for m in metrics(jarvis)))
    [line] = [m for m in metrics(jarvis) if m["turn_id"] == turn]
    assert isinstance(line["timings"]["first_audio_out"], float), line["timings"]
    assert isinstance(line["timings"]["first_token"], float)


def test_a_reply_cut_while_it_plays_is_written_once_as_interrupted_with_the_heard_part(tmp_path: Path) -> None:
    jarvis, seen = spoken_jarvis(tmp_path)
    with jarvis, seen:
        turn = jarvis.assistant.submit_text(CLOCK)
        assert seen.wait_for(SpeakingChanged, lambda e: e.speaking, 120) is not None
        voice = jarvis.voice
        assert voice is not None and voice.player is not None
        voice.player.pause(max_s=60)  # held mid-reply (a provisional barge-in) ...
        cut = voice.barge_in()  # ... and confirmed: the rest of the reply is dropped
        assert turn in cut
        wait(lambda: any(m["turn_id"] == turn for m in metrics(jarvis)))
        done = seen.of(ReplyDone)[-1]
    lines = [m for m in metrics(jarvis) if m["turn_id"] == turn]
    assert len(lines) == 1, lines
    assert lines[0]["interrupted"]  # the reply was made whole, but the user cut it
    assert isinstance(lines[0]["timings"]["first_audio_out"], float)
    # the history holds the reply once: the heard part, marked interrupted (no second, amending line)
    mine = [r for r in history_lines(jarvis) if r.get("turn_id") == turn and r.get("role") != "user"]
    assert [(r["type"], r.get("role")) for r in mine] == [("turn", "assistant")], mine
    assert mine[0]["interrupted"] and mine[0]["content"] == cut[turn] != done.text


def test_a_turn_still_playing_at_shutdown_is_written_on_close(tmp_path: Path) -> None:
    jarvis, seen = spoken_jarvis(tmp_path)
    with jarvis, seen:
        turn = jarvis.assistant.submit_text(CLOCK)
        assert seen.wait_for(SpeakingChanged, lambda e: e.speaking, 120) is not None
        assert jarvis.voice is not None and jarvis.voice.player is not None
        jarvis.voice.player.pause(max_s=60)  # it never finishes playing
        assert seen.wait_for(ReplyDone, lambda e: e.turn_id == turn, 60) is not None
        wait(lambda: jarvis.assistant.closer.pending() == [turn])
        assert not any(m["turn_id"] == turn for m in metrics(jarvis))  # not heard yet: not written
    assert len([m for m in metrics(jarvis) if m["turn_id"] == turn]) == 1
    assert len([r for r in history_lines(jarvis) if r.get("role") == "assistant"]) == 1


def test_without_a_speaker_the_turn_is_written_at_reply_done(tmp_path: Path) -> None:
    with build(load_settings(voice_config(tmp_path)), memory=False) as jarvis:
        done = jarvis.assistant.ask(CLOCK)  # headless: nobody will hear it
        lines = [m for m in metrics(jarvis) if m["turn_id"] == done.turn_id]
        assert len(lines) == 1 and lines[0]["timings"]["first_audio_out"] is None
        assert [r.get("role") for r in history_lines(jarvis)] == ["user", "assistant"]
    assert len([m for m in metrics(jarvis) if m["turn_id"] == done.turn_id]) == 1  # not again on close
