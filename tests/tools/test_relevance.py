"""Which tools a request is offered: only those it may need (plain chat gets none)."""

import pytest

from jarvis.config import load_settings
from jarvis.tools.toolbox import Toolbox


@pytest.fixture(scope="module")
def toolbox(tmp_path_factory):
    settings = load_settings(None)
    data = tmp_path_factory.mktemp("data")
    return Toolbox(settings.model_copy(update={"general": settings.general.model_copy(update={"data_dir": data})}))


@pytest.mark.parametrize(
    ("request_text", "tools"),
    [
        ("What is the capital of France?", {"country_facts"}),  # a fact the data holds
        ("Tell me about the 1969 moon landing", set()),
        ("Write a haiku about autumn", set()),
        ("¿Cuál es la capital de España?", {"country_facts"}),
        ("How busy is my computer right now?", {"system_status"}),
        ("I have 3 boxes of 48 eggs, how many eggs in total?", {"calculator"}),
        ("Convert 10 miles to kilometers", {"calculator"}),
        ("What time is it in Lima?", {"clock"}),
        # a duration asked about is no timer: the five timer schemas cost ~15 s of prompt reading
        ("¿Cuántos segundos tienen ahora?", set()),
        ("How long is a day on Mars in hours?", {"clock"}),
        ("How many minutes does an egg take to boil?", set()),
        ("Pon cinco minutos para la pasta, porfa", {"set_timer", "set_alarm", "set_reminder", "list_timers",
                                                   "cancel_timer"}),
        ("How much is a third of 90?", {"calculator"}),  # a word, then a number
        ("Tengo 3 gatos", set()),  # a number alone
        # a long pasted text: the words and numbers far apart still count, and the check is one
        # pass (as one regex it took 2 s on this 20 kB message before the model started)
        (" ".join(f"word{i}" for i in range(1500)) + " and what is that in percent?", {"calculator"}),
        (" ".join(f"word{i}" for i in range(1500)) + " What was the first word?", set()),
    ],
)
def test_only_the_tools_a_request_may_need(toolbox, request_text, tools):
    offered = {s["function"]["name"] for s in toolbox.schemas(request=request_text)}
    assert offered == tools


def test_timer_requests_get_the_timer_tools(toolbox):
    offered = {s["function"]["name"] for s in toolbox.schemas(request="I'm cooking, remind me later to stir")}
    assert {"set_reminder", "set_timer", "list_timers", "cancel_timer"} <= offered


def test_model_arguments_are_checked_against_what_the_user_said(toolbox):
    from jarvis.messages import ToolCall

    timer = toolbox.grounded(ToolCall("set_timer", {"seconds": 9}), "Please set a timer for 9 minutes")
    assert timer.arguments == {"seconds": 540.0}
    assert toolbox.grounded(ToolCall("clock", {"timezone": "Europe/Madrid"}), "What time is it?").arguments == {}
    kept = toolbox.grounded(ToolCall("clock", {"timezone": "America/New_York"}), "¿Qué hora es en Nueva York?")
    assert kept.arguments == {"timezone": "America/New_York"}


def test_mcp_tools_are_offered_by_meaning_in_either_language(tmp_path):
    """Tools without keywords (MCP) are matched with the memory's multilingual embedder."""
    import sys

    from devsupport.config import write_config
    from devsupport.paths import MCP_SERVER, MODELS
    from jarvis.assembly import build

    server = MCP_SERVER
    extra = f'[[mcp_servers]]\nname = "orders"\ncommand = "{sys.executable}"\nargs = ["{server}"]\n'
    settings = load_settings(write_config(tmp_path, extra, memory=f'enabled = true\npath = "{tmp_path / "vs"}"\n'
                                                            f'embedder = "{MODELS / "use-multilingual-v3"}"'))
    with build(settings) as jarvis:
        box = jarvis.tools
        assert box is not None and box.embed is not None
        box.wait_mcp()  # the server is up (a turn never waits for it)

        def offered(text):
            return {s["function"]["name"] for s in box.schemas(request=text)}

        assert "orders.lookup_order" in offered("¿En qué estado está el pedido A100?")  # no shared word
        assert "orders.lookup_order" in offered("What is the status of order A101?")
        assert not {n for n in offered("What is the capital of France?") if n.startswith("orders.")}
        assert not {n for n in offered("Tell me a joke") if n.startswith("orders.")}
