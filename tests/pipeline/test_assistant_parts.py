"""The assistant gets its parts whole, in its constructor, and a profile switch wires them again
through the same function as start-up (``jarvis.assembly.assistant_parts``).

Real settings, real toolbox and router; memory off (no embedder load), no model is loaded.
"""

from __future__ import annotations

from pathlib import Path

from devsupport.config import TUTOR_ES_PROFILE, write_config
from jarvis.assembly import build
from jarvis.config import load_settings
from jarvis.llm.router import Router
from jarvis.pipeline.outlet import Outlet
from jarvis.pipeline.parts import AssistantParts
from jarvis.pipeline.runner import Assistant
from jarvis.tutor.coach import Tutor


def test_the_constructor_takes_the_parts_and_the_outlet(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path))
    router, outlet, seen = Router(settings), Outlet(), []
    outlet.bus.subscribe(seen.append)
    assistant = Assistant(settings, parts=AssistantParts(router=router, store_turns=True), outlet=outlet)
    assert assistant.router is router and assistant.store_turns and assistant.memory is None
    assert assistant.bus is outlet.bus
    said: list[object] = []
    assistant.reply = said.append  # the voice's reply queue lives on the outlet
    assert outlet.reply is not None
    from jarvis.messages import Filler, StatusChange

    filler, status = Filler("one moment", "en", 1, 0), StatusChange("thinking")
    outlet.emit(filler)
    outlet.emit(status)
    assert said == [filler] and seen == [filler, status]  # what is said goes to the voice, all to the bus


def test_a_profile_switch_wires_the_parts_as_start_up_does(tmp_path: Path) -> None:
    path = write_config(tmp_path, extra=TUTOR_ES_PROFILE)
    with build(load_settings(path), memory=False, metrics=False) as jarvis:
        a = jarvis.assistant
        start_router, toolbox = a.router, a.tools
        assert start_router is not None and toolbox is not None and a.coach is None
        assert "remember" not in toolbox.registry  # memory is off: no memory tools

        jarvis.switch_profile("tutor-es")
        assert isinstance(a.coach, Tutor) and a.coach.language == "es"
        assert a.router is not start_router and a.settings.profile == "tutor-es"
        assert a.tools is toolbox and toolbox.settings.profile == "tutor-es"
        assert a._rounds.settings is a.settings and a.pool.settings is a.settings

        jarvis.switch_profile("none")
        assert a.coach is None and a.settings.profile in (None, "")
        assert a.tools is toolbox and "remember" in toolbox.settings.tools.disabled
