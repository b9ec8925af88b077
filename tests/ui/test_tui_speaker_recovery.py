"""A speaker that goes away and comes back while the TUI runs: the chat says "Speaker lost — replies
are shown, not spoken…", a question typed meanwhile is answered on screen, then "Speaker back" and the
next reply is spoken. Real PulseAudio daemon (stopped and started again), real PortAudio, model, voice."""

from __future__ import annotations

from devsupport.voicekit import voice_config, voice_models
from jarvis.audio.events import HeardText
from jarvis.config import load_settings
from jarvis.messages import ReplyDone
from jarvis.ui.chat_log import SPEAKER_BACK, SPEAKER_LOST, Note
from tests.support.tui import event_hook, jarvis_app, wait_for


async def test_the_tui_says_the_speaker_went_and_came_back_and_speaks_again(tmp_path, server):
    audio = 'input_device = ""\noutput_device = "pulse"\nspeakers = "headset"'
    settings = load_settings(voice_config(tmp_path, audio=audio))
    stt, voices = voice_models()
    events: list = []

    def of(kind: type) -> list:
        return [e for e in events if isinstance(e, kind)]

    def notes() -> list[str]:
        return [str(n.render()) for n in app.chat.query(Note)]

    async def ask(text: str, replies: int) -> None:
        await pilot.click("#prompt")
        await pilot.press(*text, "enter")
        await wait_for(pilot, lambda: len(of(ReplyDone)) >= replies, timeout=240)

    options = {"stt": stt, "voices": voices, "use_input": False}
    with jarvis_app(settings, voice=True, voice_options=options) as app:
        async with app.run_test(size=(120, 36), message_hook=event_hook(events)) as pilot:
            await wait_for(pilot, lambda: app.voice is not None and app.voice.player is not None)
            server.go_away()
            try:
                await wait_for(pilot, lambda: SPEAKER_LOST in notes(), timeout=30)
                assert "replies shown, not spoken" in str(app.voice_panel.render())
                assert not any("error" in n.classes for n in app.chat.query(Note))  # a notice, not an error
                await ask("Say hello.", 1)  # answered on screen while there is no speaker
                assert not app.voice.player.speaking
                assert not any("cut off" in n for n in notes())  # the reply stays whole: no barge-in note
            finally:
                server.come_back()
            await wait_for(pilot, lambda: SPEAKER_BACK in notes(), timeout=60)
            # the panel is refreshed by its own message, which may land just after the chat note
            await wait_for(pilot, lambda: "not spoken" not in str(app.voice_panel.render()), timeout=10)
            assert [n for n in notes() if n in (SPEAKER_LOST, SPEAKER_BACK)] == [SPEAKER_LOST, SPEAKER_BACK]
            await ask("Say goodbye.", 2)
            await wait_for(pilot, lambda: any(not h.interrupted and h.text for h in of(HeardText)), timeout=60)
