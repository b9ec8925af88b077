"""Tools in the TUI: an instant command's tool line, a timer that rings while the TUI runs, /tools,
and a tool that changes things asking with a dialog."""

from __future__ import annotations

import threading
from typing import Any

from textual.widgets import Collapsible

from jarvis.messages import Announcement, ReplyDone, ToolCall, ToolUse
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
            assert rang.text == "Your 2 seconds timer is done."
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
