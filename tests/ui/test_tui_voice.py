"""Push-to-talk in the TUI through real virtual PulseAudio devices, real VAD, whisper and voice."""

from __future__ import annotations

from devsupport.voicekit import EN, voice_config, voice_models
from jarvis.audio.events import HeardText, ListeningChanged, MicLevel
from jarvis.config import load_settings
from jarvis.messages import PartialTranscript, ReplyDone, Transcript
from jarvis.ui.chat_log import UserTurn
from tests.support.tui import event_hook, jarvis_app, wait_for

SHORT_REPLY = (
    'system_prompt = "You are a helpful assistant. Answer briefly."\nmax_tokens = 12\ntemperature = 0.0\nseed = 7'
)


async def test_push_to_talk_turn_in_the_tui_shows_what_is_heard_while_the_user_speaks(tmp_path, server):
    """A 7 s sentence through push-to-talk: partial transcripts appear in the voice panel before the
    turn ends, then the turn is transcribed, shown with its microphone mark, answered and spoken."""
    settings = load_settings(voice_config(  # a short reply: the test waits until it has been heard
        tmp_path, audio='input_device = "pulse"\noutput_device = "pulse"', llm=SHORT_REPLY,
    ))
    stt, voices = voice_models()
    events: list = []

    def seen(kind: type) -> bool:
        return any(isinstance(e, kind) for e in events)

    def voice_turns() -> list[Transcript]:
        return [e for e in events if isinstance(e, Transcript) and e.source == "voice"]

    with jarvis_app(settings, voice=True, voice_options={"stt": stt, "voices": voices}) as app:
        async with app.run_test(size=(120, 36), message_hook=event_hook(events)) as pilot:
            await wait_for(pilot, lambda: seen(ListeningChanged))
            await pilot.press("ctrl+t")  # push-to-talk: open the microphone
            await wait_for(pilot, lambda: "listening" in app.voice_panel.mode_text)
            server.play(EN / "librivox-0870.wav")
            await wait_for(pilot, lambda: app.voice_panel.partial != "", timeout=60)
            shown = app.voice_panel.partial
            assert not voice_turns()
            assert shown[-20:] in str(app.voice_panel.render())
            await wait_for(pilot, lambda: bool(voice_turns()))
            await pilot.pause(0.2)
            said = voice_turns()[0]
            # what was shown live is the start of what was finally heard
            assert {w.strip(",.").lower() for w in shown.split()} & {w.strip(",.").lower() for w in said.text.split()}
            assert app.voice_panel.partial == ""  # the turn has its transcript now
            assert sum(isinstance(e, PartialTranscript) for e in events) >= 1
            assert "dashwood" in said.text.lower(), said.text
            await wait_for(pilot, lambda: seen(HeardText), timeout=240)
            await pilot.pause(0.3)
            users = [str(u.render()) for u in app.chat.query(UserTurn)]
            assert any("dashwood" in u.lower() and "🎤" in u for u in users), users
            done = next(e for e in events if isinstance(e, ReplyDone))
            assert done.text and done.timings.first_audio_out is not None
            # The voice panel showed the live level and the VAD state while the user spoke.
            # (MicLevel messages coalesce, so not every state reaches the UI; a voiced one must.)
            states = {e.vad_state for e in events if isinstance(e, MicLevel)}
            assert states & {"starting", "speaking", "stopping"}
            assert "first audio" in " ".join(str(w.render()) for w in app.chat.query(".turn-details"))


async def test_the_voice_panel_shows_the_wake_score_and_the_wake_cue(tmp_path):
    """Wake-word mode, a WAV file as the microphone saying "Hey Jarvis," alone: the panel shows the
    live score with the threshold, the cue, and that Jarvis is awake (waiting for the question)."""
    import json

    from devsupport.paths import FIXTURES, MODELS
    from jarvis.audio.devices import WavFileInput, WavFileOutput
    from jarvis.audio.events import WakeDetected, WakeScore
    from jarvis.audio.wavio import read_wav, write_wav

    wake = FIXTURES / "wake"
    meta = json.loads((wake / "wake.json").read_text())["positive"][3]  # "Hey Jarvis, how far away is the moon?"
    audio = read_wav(wake / meta["file"])[: int((meta["jarvis_end_s"] + 0.15) * 16000)]
    mic = WavFileInput(write_wav(tmp_path / "hey-jarvis.wav", audio, 16000), realtime=False, pad_s=1.0)
    path = voice_config(tmp_path, audio='input_device = ""\noutput_device = ""\nmode = "wake_word"')
    path.write_text(path.read_text() + f'\n[audio.wake]\nmodel = "{MODELS / "wake" / "hey_jarvis_v0.1.onnx"}"\n')
    stt, voices = voice_models()
    speaker = WavFileOutput(tmp_path / "out.wav", realtime=False)
    options = {"stt": stt, "voices": voices, "input": mic, "output": speaker}
    events: list = []
    with jarvis_app(load_settings(path), voice=True, voice_options=options) as app:
        async with app.run_test(size=(120, 36), message_hook=event_hook(events)) as pilot:
            panel = app.voice_panel
            await wait_for(pilot, lambda: panel.wake_cue is not None, timeout=60)
            await wait_for(pilot, lambda: panel.wake_score is not None and panel.wake_score.awake, timeout=60)
            shown = str(panel.render())
            assert "wake word (listening)" in shown and "wake word" in str(app.status_bar.render())
            assert '"hey jarvis"' in shown and "awake" in shown
            score = panel.wake_score
            assert f"{score.score:.2f}/0.50" in shown  # the live score against the threshold
            detected = next(e for e in events if isinstance(e, WakeDetected))
            assert detected.score >= 0.5 and f"({detected.score:.2f})" in shown
            assert any(isinstance(e, WakeScore) for e in events)
            assert not any(isinstance(e, Transcript) for e in events)  # "hey jarvis" alone is no question
