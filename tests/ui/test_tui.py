"""The TUI driven headless with Pilot, against the real assistant and a real local model."""

from __future__ import annotations

import pytest

from jarvis.messages import ReplyDone, TokenDelta
from jarvis.ui.chat_log import AssistantTurn, ChatLog, UserTurn
from jarvis.ui.messages import PipelineEvent
from tests.support.tui import event_hook, jarvis_app, wait_for


async def test_typed_question_streams_an_answer(settings):
    seen: list = []

    hook = event_hook(seen)

    with jarvis_app(settings) as app:
        async with app.run_test(size=(120, 36), message_hook=hook) as pilot:
            await pilot.click("#prompt")
            await pilot.press(*"What is the capital of France, and what is it famous for?")  # a model's answer
            await pilot.press("enter")
            assert app.query_one("#prompt").value == ""
            await wait_for(pilot, lambda: any(isinstance(e, ReplyDone) for e in seen))
            await pilot.pause(0.3)
            deltas = [e for e in seen if isinstance(e, TokenDelta)]
            done = next(e for e in seen if isinstance(e, ReplyDone))
            assert len(deltas) > 1  # streamed in pieces
            assert "Paris" in done.text
            chat = app.query_one(ChatLog)
            users = list(chat.query(UserTurn))
            assert "capital of France" in str(users[-1].render())
            reply = list(chat.query(AssistantTurn))[-1]
            assert "Paris" in reply.text
            # The resource panel shows the resident model.
            assert "qwen-0.5b" in str(app.query_one("#resources").render())
            # The UI never froze: the input stayed usable while the model was thinking.
            assert app.query_one("#prompt").has_focus


async def test_escape_interrupts_a_long_reply(settings):
    done: list = []

    def hook(message) -> None:
        if isinstance(message, PipelineEvent) and isinstance(message.event, ReplyDone):
            done.append(message.event)

    longer = settings.model_copy(update={"llm": settings.llm.model_copy(update={"max_tokens": 400})})
    with jarvis_app(longer) as app:
        async with app.run_test(size=(120, 36), message_hook=hook) as pilot:
            await pilot.click("#prompt")
            await pilot.press(*"Write a long story about a lighthouse keeper.")
            await pilot.press("enter")
            await wait_for(
                pilot, lambda: list(app.query(AssistantTurn)) and len(app.query_one(AssistantTurn).text) > 20
            )
            await pilot.press("escape")
            await wait_for(pilot, lambda: bool(done))
            assert done[0].interrupted
            assert done[0].stats.completion_tokens < 400
            saved = app.assistant.conversation.turns
            assert saved[-1].role == "assistant" and saved[-1].interrupted


async def test_empty_input_and_bad_commands_keep_running(settings):
    with jarvis_app(settings) as app:
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.click("#prompt")
            await pilot.press("enter")  # empty: a warning, nothing sent
            await pilot.press(*"/model nope")
            await pilot.press("enter")
            await pilot.pause(0.2)
            notes = [n.message for n in app._notifications]
            assert any("Nothing to send" in n for n in notes)
            assert any("unknown model 'nope'" in n for n in notes)
            assert app.assistant.forced_model is None
            await pilot.press(*"/model smollm2-135m")
            await pilot.press("enter")
            await pilot.pause(0.1)
            assert app.assistant.forced_model == "smollm2-135m"
            assert not list(app.query(UserTurn))  # no turn was sent


async def test_help_lists_commands(settings):
    with jarvis_app(settings) as app:
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.click("#prompt")
            await pilot.press(*"/help")
            await pilot.press("enter")
            await pilot.pause(0.2)
            text = " ".join(str(n.render()) for n in app.query(".note-help"))
            for cmd in ("/clear", "/model", "/profile", "/remember", "/forget", "/memories", "ctrl+t"):
                assert cmd in text


def test_main_screen_snapshot(snap_compare, settings):
    async def run_before(pilot) -> None:
        app = pilot.app
        app.query_one("#prompt").cursor_blink = False  # a blinking cursor makes the picture random
        await wait_for(pilot, lambda: "qwen-0.5b" in app.assistant.pool.resident(), timeout=120)
        app.sample_resources()
        await pilot.pause(0.5)
        await pilot.click("#prompt")
        await pilot.press(*"/help")
        await pilot.press("enter")
        await pilot.pause(0.5)

    with jarvis_app(settings) as app:
        assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)


@pytest.mark.parametrize("width", [80])
async def test_narrow_terminal_still_shows_input(settings, width):
    with jarvis_app(settings) as app:
        async with app.run_test(size=(width, 24)) as pilot:
            await pilot.pause(0.2)
            assert app.query_one("#prompt").region.width > 20
