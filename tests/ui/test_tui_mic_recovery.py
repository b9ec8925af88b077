"""A microphone that goes away and comes back while the TUI listens hands-free: the chat says
"Microphone lost — waiting for it to come back", then "Microphone back", and the next thing said
is answered. Real PulseAudio daemon (stopped and started again), real PortAudio, VAD, whisper, model."""

from __future__ import annotations

from devsupport.voicekit import QUESTION, voice_config, voice_models
from jarvis.audio.events import ListeningChanged, MicBack, MicLevel, MicLost
from jarvis.config import load_settings
from jarvis.messages import ReplyDone, Transcript
from jarvis.ui.chat_log import MIC_BACK, MIC_LOST, Note
from tests.support.tui import event_hook, jarvis_app, wait_for


async def test_the_tui_says_the_microphone_went_and_came_back_and_listening_resumes(tmp_path, server):
    settings = load_settings(voice_config(tmp_path, audio='input_device = "pulse"\nmode = "hands_free"'))
    stt, voices = voice_models()
    events: list = []

    def seen(kind: type) -> bool:
        return any(isinstance(e, kind) for e in events)

    def notes() -> list[str]:
        return [str(n.render()) for n in app.chat.query(Note)]

    # The speaker is a WAV file: only the microphone goes through the sound server that goes away.
    options = {"stt": stt, "voices": voices, "output_path": tmp_path / "spoken.wav"}
    with jarvis_app(settings, voice=True, voice_options=options) as app:
        async with app.run_test(size=(120, 36), message_hook=event_hook(events)) as pilot:
            await wait_for(pilot, lambda: seen(ListeningChanged) and seen(MicLevel))
            assert "hands-free (listening)" in app.voice_panel.mode_text
            server.go_away()
            try:
                await wait_for(pilot, lambda: seen(MicLost), timeout=30)
                await wait_for(pilot, lambda: MIC_LOST in notes(), timeout=10)
                assert "lost — waiting for it to come back" in str(app.voice_panel.render())
                assert not any("error" in n.classes for n in app.chat.query(Note))  # a notice, not an error
            finally:
                server.come_back()
            await wait_for(pilot, lambda: seen(MicBack), timeout=60)
            await wait_for(pilot, lambda: MIC_BACK in notes(), timeout=10)
            # the panel redraws on its own timer: wait for it (asserting at once raced on a loaded machine)
            await wait_for(pilot, lambda: "lost" not in str(app.voice_panel.render()), timeout=10)
            assert [n for n in notes() if n in (MIC_LOST, MIC_BACK)] == [MIC_LOST, MIC_BACK]  # one line each
            assert "hands-free (listening)" in app.voice_panel.mode_text  # the mode it was in
            server.play(QUESTION)
            await wait_for(pilot, lambda: any(isinstance(e, Transcript) and e.source == "voice" for e in events))
            said = next(e for e in events if isinstance(e, Transcript) and e.source == "voice")
            assert "young man" in said.text.lower()
            await wait_for(pilot, lambda: seen(ReplyDone), timeout=240)
