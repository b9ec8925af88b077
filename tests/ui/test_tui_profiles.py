"""``/profile`` in the TUI: list the profiles, switch at run time, keep the conversation.

Real qwen-0.5b, real ChromaDB with the USE multilingual embedder in a temp folder.
"""

from __future__ import annotations

from typing import Any

from devsupport.config import TUTOR_ES_PROFILE, write_config
from devsupport.paths import MODELS
from jarvis.assembly import build
from jarvis.config import load_settings
from jarvis.messages import ReplyDone
from jarvis.tutor.feedback import TutorFeedback
from jarvis.tutor.sessions import read_sessions
from jarvis.ui.app import JarvisApp
from jarvis.ui.chat_log import ChatLog, Note, UserTurn
from tests.support.tui import event_hook, fixed_sample, wait_for

PROFILES = TUTOR_ES_PROFILE + """
[[profiles]]
name = "brief"
system_prompt = "You are Brief. Answer in at most five words."
model = "smollm2-135m"
memory = false
speed = 1.3
"""


async def type_line(pilot: Any, text: str) -> None:
    await pilot.click("#prompt")
    await pilot.press(*text)
    await pilot.press("enter")


def help_notes(app: JarvisApp) -> list[str]:
    return [str(n.render()) for n in app.chat.query(".note-help")]


def notes(app: JarvisApp) -> str:
    return "\n".join(str(n.render()) for n in app.query_one(ChatLog).query(Note))


async def test_profile_lists_switches_at_run_time_and_keeps_the_conversation(tmp_path):
    path = write_config(
        tmp_path, PROFILES,
        memory=f'enabled = true\npath = "{tmp_path / "store"}"\nembedder = "{MODELS / "use-multilingual-v3"}"\n'
        "store_turns = false",
    )
    base = load_settings(path)
    seen: list[Any] = []
    with build(base, base_settings=base, metrics=False) as jarvis:
        app = JarvisApp(jarvis, voice=False, sampler=fixed_sample)
        plain_memory = jarvis.memory
        assert plain_memory is not None
        async with app.run_test(size=(120, 40), message_hook=event_hook(seen)) as pilot:
            await type_line(pilot, "/profile")
            await wait_for(pilot, lambda: bool(help_notes(app)))
            listing = help_notes(app)[-1]
            assert "→ none" in listing and "tutor-es" in listing and "brief" in listing
            assert "tutor · Spanish A2" in listing

            await type_line(pilot, "My name is Ana and I live in Seville.")
            await wait_for(pilot, lambda: any(isinstance(e, ReplyDone) for e in seen), timeout=180)

            # an unknown name: one line with a hint; nothing changes
            await type_line(pilot, "/profile nope")
            await pilot.pause(0.2)
            said = [n.message for n in app._notifications if "unknown profile" in n.message]
            assert said == ["unknown profile 'nope' (hint: try one of: tutor-es, brief, none (/profile lists them))"]
            assert jarvis.settings.profile == "" and jarvis.assistant.coach is None

            # to the tutor: its prompt, language and a fresh session; the conversation goes on
            await type_line(pilot, "/profile tutor-es")
            await wait_for(pilot, lambda: "Profile: tutor-es" in notes(app))
            settings = jarvis.settings
            assert "waiter" in settings.llm.system_prompt and settings.stt.language == "es"
            assert jarvis.assistant.coach is not None and jarvis.assistant.coach.session.turns == 0
            assert "profile: tutor-es" in str(app.status_bar.render())
            turns = jarvis.assistant.conversation.turns
            assert [t.role for t in turns] == ["user", "assistant"] and "Ana" in turns[0].content
            assert any("Ana" in str(u.render()) for u in app.chat.query(UserTurn))

            await type_line(pilot, "Quiero el cerveza, por favor.")
            await wait_for(pilot, lambda: any(isinstance(e, TutorFeedback) for e in seen), timeout=180)
            await wait_for(pilot, lambda: "la cerveza" in notes(app))
            dones = [e for e in seen if isinstance(e, ReplyDone)]
            assert len(dones) == 2 and dones[-1].language == "es"
            turns = jarvis.assistant.conversation.turns
            assert len(turns) == 4 and "Ana" in turns[0].content and "cerveza" in turns[2].content
            # the session is saved right after the feedback is published
            await wait_for(pilot, lambda: len(read_sessions(settings.general.data_dir, "tutor-es")) == 1)
            sessions = read_sessions(settings.general.data_dir, "tutor-es")
            assert len(sessions) == 1 and sessions[0]["turns"] == 1  # the turn before the switch is not in it
            assert sessions[0]["corrections"] == {"grammar": 1}

            await type_line(pilot, "/profile")
            await wait_for(pilot, lambda: len(help_notes(app)) == 2)
            assert "→ tutor-es" in help_notes(app)[-1] and "→ none" not in help_notes(app)[-1]

            # to an assistant profile: its model, no memory, no tutor, its speed
            await type_line(pilot, "/profile brief")
            await wait_for(pilot, lambda: "Profile: brief" in notes(app))
            assert jarvis.assistant.coach is None
            assert jarvis.memory is None and jarvis.assistant.memory is None
            assert jarvis.assistant.decide("hello").model == "smollm2-135m"
            assert jarvis.settings.llm.system_prompt.startswith("You are Brief")
            assert jarvis.settings.tts.speed == 1.3 and jarvis.settings.stt.language == base.stt.language
            a = jarvis.assistant  # every part that keeps settings has the profile's (the tool rounds kept the old)
            assert a.settings is a.pool.settings is a._rounds.settings is jarvis.settings
            await type_line(pilot, "/remember I like tea.")
            await pilot.pause(0.2)
            assert any("long-term memory is off (hint: profile 'brief' turns it off" in n.message
                       for n in app._notifications)
            assert "model: smollm2-135m" in str(app.status_bar.render())

            # back to the tutor: another fresh session
            await type_line(pilot, "/profile tutor-es")
            await wait_for(pilot, lambda: notes(app).count("Profile: tutor-es") == 2)
            assert jarvis.assistant.coach is not None and jarvis.assistant.coach.session.turns == 0

            # and back to no profile: the memory opened at start is in use again, the model is routed as before
            await type_line(pilot, "/profile none")
            await wait_for(pilot, lambda: "Profile: none" in notes(app))
            assert jarvis.memory is plain_memory and jarvis.assistant.memory is plain_memory
            assert jarvis.assistant.coach is None and jarvis.settings.profile == ""
            assert jarvis.settings.llm.system_prompt == base.llm.system_prompt
            assert jarvis.assistant.decide("hello").model == "qwen-0.5b"
            assert "profile:" not in str(app.status_bar.render())
            assert len(jarvis.assistant.conversation.turns) == 4
