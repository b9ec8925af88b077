"""Memory commands in the TUI: /remember, /memories, a turn that uses a memory, /forget with a dialog.

Real ChromaDB in a temp folder with the real MiniLM embedder and the real qwen-0.5b model.
"""

from __future__ import annotations

from devsupport.config import write_config
from devsupport.paths import MODELS
from jarvis.config import load_settings
from jarvis.messages import MemoryHits, ReplyDone
from jarvis.ui.confirm import ConfirmScreen
from tests.support.tui import event_hook, jarvis_app, wait_for


def notes(app, kind: str) -> str:
    return "\n".join(str(n.render()) for n in app.chat.query(f".note-{kind}"))


async def type_line(pilot, text: str) -> None:
    await pilot.click("#prompt")
    await pilot.press(*text)
    await pilot.press("enter")


async def test_remember_use_list_and_forget(tmp_path):
    cfg = write_config(
        tmp_path,
        memory=f'enabled = true\npath = "{tmp_path / "store"}"\nembedder = "{MODELS / "all-MiniLM-L6-v2"}"\n'
        "store_turns = false",
    )
    settings = load_settings(cfg)
    events: list = []

    hook = event_hook(events)

    with jarvis_app(settings) as app:
        async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
            await type_line(pilot, "/remember My dog is called Biscuit.")
            await wait_for(pilot, lambda: "Remembered" in notes(app, "memory"))

            await type_line(pilot, "/memories")
            await wait_for(pilot, lambda: "Biscuit" in notes(app, "memory").split("Remembered")[-1])

            await type_line(pilot, "What is my dog called?")
            await wait_for(pilot, lambda: any(isinstance(e, ReplyDone) for e in events), timeout=180)
            hits = next(e for e in events if isinstance(e, MemoryHits))
            assert any("Biscuit" in h.text for h in hits.hits)
            await pilot.pause(0.3)
            assert list(app.chat.query(".memories"))  # the turn shows which memories it used

            await type_line(pilot, "/forget dog Biscuit")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await wait_for(pilot, lambda: "Forgot 1" in notes(app, "memory"))
            assert all("Biscuit" not in h.text for h in app.jarvis.memory.list(50))


async def test_memory_commands_when_memory_is_off(settings):
    with jarvis_app(settings) as app:
        async with app.run_test(size=(120, 36)) as pilot:
            await type_line(pilot, "/remember something")
            await pilot.pause(0.2)
            assert any("memory is off" in n.message for n in app._notifications)
            assert app.query_one("#prompt").value == ""


async def test_memory_failures_are_reported_in_one_place(tmp_path, monkeypatch, caplog):
    """A memory that cannot load: a chat note and a notice at start, then each failing worker's error."""
    cfg = write_config(
        tmp_path, memory=f'enabled = true\npath = "{tmp_path / "store"}"\nembedder = "{tmp_path / "no-model"}"',
    )
    with jarvis_app(load_settings(cfg)) as app:
        async with app.run_test(size=(120, 36)) as pilot:
            # The warm-up's StageError("memory"): a note in the chat and a notification by the app.
            await wait_for(pilot, lambda: bool(list(app.chat.query(".note-error"))))
            await wait_for(pilot, lambda: any(n.title == "memory error" for n in app._notifications))

            # A JarvisError in a command's worker: its one line, and the app keeps running.
            before = len(app._notifications)
            await type_line(pilot, "/remember My dog is called Biscuit.")
            await wait_for(pilot, lambda: len(app._notifications) > before)
            failed = list(app._notifications)[-1]
            assert failed.severity == "error" and "embedding model" in failed.message, failed.message
            assert "Remembered" not in notes(app, "memory")

            # Anything else: logged with its traceback and shown, not swallowed.
            def broken(*args, **kwargs):
                raise RuntimeError("disk on fire")

            monkeypatch.setattr(app.jarvis.memory, "add", broken)
            await type_line(pilot, "/remember again")
            await wait_for(pilot, lambda: any("disk on fire" in n.message for n in app._notifications))
            assert any(r.exc_info and "disk on fire" in str(r.exc_info[1]) for r in caplog.records)
            assert app.is_running
