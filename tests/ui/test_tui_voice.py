"""Push-to-talk in the TUI through real virtual PulseAudio devices, real VAD, whisper and voice."""

from __future__ import annotations

import pytest

from jarvis.audio.events import HeardText, ListeningChanged, MicLevel
from jarvis.config import load_settings
from jarvis.messages import ReplyDone, Transcript
from jarvis.ui.chat_log import UserTurn
from tests.support import pulse
from tests.support.tui import event_hook, jarvis_app, wait_for
from tests.support.voicekit import QUESTION, voice_config, voice_models


@pytest.fixture(scope="module")
def server():
    if pulse.available() is not None:
        pytest.skip(pulse.available())
    return pulse.pulse_server()


async def test_push_to_talk_turn_in_the_tui(tmp_path, server):
    settings = load_settings(voice_config(tmp_path, audio='input_device = "pulse"\noutput_device = "pulse"'))
    stt, voices = voice_models()
    events: list = []

    hook = event_hook(events)

    def seen(kind: type) -> bool:
        return any(isinstance(e, kind) for e in events)

    with jarvis_app(settings, voice=True, voice_options={"stt": stt, "voices": voices}) as app:
        async with app.run_test(size=(120, 36), message_hook=hook) as pilot:
            await wait_for(pilot, lambda: seen(ListeningChanged))
            await pilot.press("ctrl+t")  # push-to-talk: open the microphone
            await wait_for(pilot, lambda: "listening" in app.voice_panel.mode_text)
            server.play(QUESTION)
            await wait_for(pilot, lambda: any(isinstance(e, Transcript) and e.source == "voice" for e in events))
            await wait_for(pilot, lambda: seen(HeardText), timeout=240)
            await pilot.pause(0.3)
            said = next(e for e in events if isinstance(e, Transcript) and e.source == "voice")
            assert "young man" in said.text.lower()
            users = [str(u.render()) for u in app.chat.query(UserTurn)]
            assert any("young man" in u.lower() and "🎤" in u for u in users)
            done = next(e for e in events if isinstance(e, ReplyDone))
            assert done.text and done.timings.first_audio_out is not None
            # The voice panel showed the live level and the VAD state while the user spoke.
            # (MicLevel messages coalesce, so not every state reaches the UI; a voiced one must.)
            states = {e.vad_state for e in events if isinstance(e, MicLevel)}
            assert states & {"starting", "speaking", "stopping"}
            assert "first audio" in " ".join(str(w.render()) for w in app.chat.query(".turn-details"))


async def test_the_voice_panel_shows_what_is_heard_while_the_user_speaks(tmp_path, server):
    """A 7 s sentence through push-to-talk: partial transcripts appear in the panel before the turn ends."""
    from jarvis.messages import PartialTranscript
    from tests.support.voicekit import EN

    settings = load_settings(voice_config(tmp_path, audio='input_device = "pulse"\noutput_device = "pulse"'))
    stt, voices = voice_models()
    events: list = []
    with jarvis_app(settings, voice=True, voice_options={"stt": stt, "voices": voices}) as app:
        async with app.run_test(size=(120, 36), message_hook=event_hook(events)) as pilot:
            await wait_for(pilot, lambda: any(isinstance(e, ListeningChanged) for e in events))
            await pilot.press("ctrl+t")
            await wait_for(pilot, lambda: "listening" in app.voice_panel.mode_text)
            server.play(EN / "librivox-0870.wav")
            await wait_for(pilot, lambda: app.voice_panel.partial != "", timeout=60)
            shown = app.voice_panel.partial
            assert not any(isinstance(e, Transcript) and e.source == "voice" for e in events)
            assert shown[-20:] in str(app.voice_panel.render())
            await wait_for(pilot, lambda: any(isinstance(e, Transcript) and e.source == "voice" for e in events))
            await pilot.pause(0.2)
            said = next(e for e in events if isinstance(e, Transcript) and e.source == "voice")
            # what was shown live is the start of what was finally heard
            assert {w.strip(",.").lower() for w in shown.split()} & {w.strip(",.").lower() for w in said.text.split()}
            assert app.voice_panel.partial == ""  # the turn has its transcript now
            assert sum(isinstance(e, PartialTranscript) for e in events) >= 1
