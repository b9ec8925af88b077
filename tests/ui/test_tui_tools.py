"""Tools in the TUI: an instant command's tool line, a timer that rings while the TUI runs, /tools,
and a tool that changes things asking with a dialog."""

from __future__ import annotations

import threading
from typing import Any

from textual.widgets import Collapsible

from devsupport.voicekit import voice_config, voice_models
from jarvis.audio.events import HeardText, ListeningChanged
from jarvis.config import load_settings
from jarvis.messages import Announcement, ReplyDone, ToolCall, ToolUse, Transcript
from jarvis.tools.base import Tool, ToolResult
from jarvis.ui.chat_log import ChatLog, Note
from jarvis.ui.confirm import ConfirmScreen
from tests.support.tui import event_hook, jarvis_app, wait_for


async def test_a_timer_set_by_typing_rings_in_the_tui(settings):
    seen: list[Any] = []
    with jarvis_app(settings) as app:
        async with app.run_test(size=(120, 36), message_hook=event_hook(seen)) as pilot:
            await pilot.click("#prompt")
            await pilot.press(*"Set a timer for 2 seconds")
            await pilot.press("enter")
            await wait_for(pilot, lambda: any(isinstance(e, ReplyDone) for e in seen), timeout=30)
            chat = app.query_one(ChatLog)
            use = next(e for e in seen if isinstance(e, ToolUse))
            assert use.name == "set_timer" and use.ok
            lines = [c for c in chat.query(Collapsible) if "set_timer" in str(c.title)]
            assert lines and lines[0].collapsed  # one collapsed line per call
            await wait_for(pilot, lambda: any(isinstance(e, Announcement) for e in seen), timeout=30)
            rang = next(e for e in seen if isinstance(e, Announcement))
            assert rang.text == "Your 2-second timer is done."
            await pilot.pause(0.2)
            assert any("timer is done" in str(n.render()) for n in chat.query(Note))
            await pilot.click("#prompt")
            await pilot.press(*"/tools")
            await pilot.press("enter")
            await wait_for(pilot, lambda: any("calculator" in str(n.render()) for n in chat.query(Note)), timeout=30)


class Wipe(Tool):
    name = "wipe"
    description = "wipes things"
    side_effects = needs_confirmation = True

    def __init__(self) -> None:
        self.ran = threading.Event()

    def run(self, args: dict[str, Any]) -> ToolResult:
        self.ran.set()
        return ToolResult("wiped")


async def test_a_tool_that_changes_things_asks_with_a_dialog(settings):
    with jarvis_app(settings) as app:
        async with app.run_test(size=(120, 36)) as pilot:
            wipe = Wipe()
            assert app.jarvis.tools is not None
            app.jarvis.tools.registry.add(wipe)
            assistant = app.assistant
            results: list[Any] = []

            def call() -> None:
                results.append(app.jarvis.tools.executor.run(
                    ToolCall("wipe", {}),
                    confirm=lambda tool, a: assistant.confirmations.ask(tool.summary(a), tool.name, 1, 20),
                ))

            worker = threading.Thread(target=call)
            worker.start()
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), timeout=20)
            await pilot.press("y")
            await wait_for(pilot, lambda: not worker.is_alive(), timeout=20)
            assert wipe.ran.is_set() and results[0][0].ok
            # answered by voice instead: the spoken "no" is the answer, and the dialog goes away
            wipe.ran.clear()
            worker = threading.Thread(target=call)
            worker.start()
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), timeout=20)
            assert assistant.submit_text("no", source="voice") == 0
            await wait_for(pilot, lambda: not worker.is_alive() and not isinstance(app.screen, ConfirmScreen), 20)
            assert not wipe.ran.is_set() and not results[1][0].ok


async def test_a_timer_set_by_voice_rings_and_is_spoken_while_the_tui_runs(tmp_path, server):
    import numpy as np
    import soundfile as sf

    settings = load_settings(voice_config(tmp_path, audio='input_device = "pulse"\noutput_device = "pulse"'))
    stt, voices = voice_models()
    spoken = voices.speak("Set a timer for two seconds.", "en")
    said = tmp_path / "timer.wav"
    silence = np.zeros(int(0.6 * spoken.sample_rate), dtype=np.float32)
    sf.write(said, np.concatenate([silence, spoken.audio, silence]), spoken.sample_rate)
    events: list[Any] = []
    with jarvis_app(settings, voice=True, voice_options={"stt": stt, "voices": voices}) as app:
        async with app.run_test(size=(120, 36), message_hook=event_hook(events)) as pilot:
            await wait_for(pilot, lambda: any(isinstance(e, ListeningChanged) for e in events))
            await pilot.press("ctrl+t")
            await wait_for(pilot, lambda: "listening" in app.voice_panel.mode_text)
            server.play(said)
            await wait_for(pilot, lambda: any(isinstance(e, Transcript) and e.source == "voice" for e in events))
            heard = next(e for e in events if isinstance(e, Transcript) and e.source == "voice")
            assert "timer" in heard.text.lower()
            await wait_for(pilot, lambda: any(isinstance(e, Announcement) for e in events), timeout=60)
            use = next(e for e in events if isinstance(e, ToolUse))
            assert (use.name, use.source, use.ok) == ("set_timer", "instant", True)
            assert next(e for e in events if isinstance(e, ReplyDone)).model == "instant"
            # the ring is played at the speaker: the player reports it heard in full (its own turn id < 0)
            await wait_for(pilot, lambda: any(isinstance(e, HeardText) and e.turn_id < 0 for e in events), timeout=60)
            rung = next(e for e in events if isinstance(e, HeardText) and e.turn_id < 0)
            assert "timer is done" in rung.text and not rung.interrupted


async def test_an_mcp_tool_answers_a_typed_question_in_the_tui(tmp_path):
    import sys

    from devsupport.config import write_config
    from devsupport.paths import MCP_SERVER

    server = MCP_SERVER
    extra = f'[[mcp_servers]]\nname = "orders"\ncommand = "{sys.executable}"\nargs = ["{server}"]\n'
    settings = load_settings(write_config(tmp_path, extra))
    seen: list[Any] = []
    with jarvis_app(settings) as app:
        async with app.run_test(size=(120, 36), message_hook=event_hook(seen)) as pilot:
            tools = app.jarvis.tools
            assert tools is not None and tools.mcp is not None
            # the server starts with Jarvis, in the background; ask once it is up (a turn does not wait)
            await wait_for(pilot, lambda: "orders.lookup_order" in tools.registry, timeout=120)
            await pilot.click("#prompt")
            await pilot.press(*"What is the status of order A101?")
            await pilot.press("enter")
            await wait_for(pilot, lambda: any(isinstance(e, ReplyDone) for e in seen), timeout=180)
            await pilot.pause(0.3)
            use = next(e for e in seen if isinstance(e, ToolUse))
            assert (use.name, use.arguments, use.ok) == ("orders.lookup_order", {"order_id": "A101"}, True)
            done = next(e for e in seen if isinstance(e, ReplyDone))
            assert "process" in done.text.lower()
            titles = [str(c.title) for c in app.query_one(ChatLog).query(Collapsible)]
            assert any("orders.lookup_order" in t for t in titles)


async def test_a_tutor_profile_shows_corrections_in_the_chat(tmp_path):
    from devsupport.config import write_config
    from devsupport.paths import MODELS
    from jarvis.profiles import apply_profile
    from jarvis.tutor.feedback import TutorFeedback

    profile = (
        '[[profiles]]\nname = "tutor-es"\nkind = "tutor"\nlanguage = "es"\nlevel = "A2"\n'
        'scenario = "You are a waiter in a small restaurant in Madrid; the learner orders dinner."\n'
    )
    path = write_config(tmp_path, profile, memory=f'enabled = false\nembedder = "{MODELS / "use-multilingual-v3"}"')
    settings = apply_profile(load_settings(path), "tutor-es")
    seen: list[Any] = []
    with jarvis_app(settings) as app:
        async with app.run_test(size=(120, 36), message_hook=event_hook(seen)) as pilot:
            await pilot.click("#prompt")
            await pilot.press(*"Quiero el cerveza, por favor.")
            await pilot.press("enter")
            await wait_for(pilot, lambda: any(isinstance(e, TutorFeedback) for e in seen), timeout=120)
            await pilot.pause(0.3)
            notes = [str(n.render()) for n in app.query_one(ChatLog).query(Note)]
            assert any("✎" in n and "la cerveza" in n for n in notes), notes
