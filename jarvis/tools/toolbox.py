"""The toolbox: every tool Jarvis has (built-ins, memory, MCP), the executor, the timer clock and
the instant-command matcher, built from the settings."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jarvis.messages import Announcement, ToolCall
from jarvis.notices import notice
from jarvis.tools.base import Tool
from jarvis.tools.calculator import CalculatorTool
from jarvis.tools.calendar_facts import CalendarFactsTool, calendar_fact
from jarvis.tools.clock import ClockTool, plain
from jarvis.tools.executor import ToolExecutor
from jarvis.tools.facts import CountryFactsTool, FactAnswer, country_fact, follow_up_fact
from jarvis.tools.intents import Intent, match
from jarvis.tools.memory_tools import ForgetTool, Memories, RecallTool, RememberTool
from jarvis.tools.phrases import ring_text
from jarvis.tools.registry import ToolRegistry
from jarvis.tools.spoken_numbers import duration_seconds
from jarvis.tools.system import SystemStatusTool
from jarvis.tools.timers import Timer, TimerService, TimerStore, timer_tools

if TYPE_CHECKING:
    from jarvis.config import Settings
    from jarvis.tools.mcp_client import McpManager

log = logging.getLogger(__name__)

TIMER_TOOLS = {"set_timer", "set_alarm", "set_reminder"}
# tools told the turn's language (they word their result in it)
SPEAKS = TIMER_TOOLS | {"country_facts", "calendar_facts"}
SIMILAR = 0.25  # cosine similarity from which an MCP tool is offered for a request


class Toolbox:
    """Tools for one running Jarvis.

    Args:
        settings: the settings (``[tools]``, ``[[mcp_servers]]``, the data folder for timers).
        publish: where rung timers go (:class:`Announcement`).
        resident: which model is loaded where (for the system-status tool).
    """

    def __init__(
        self, settings: Settings, publish: Callable[[Any], None] = lambda e: None,
        resident: Callable[[], dict[str, str]] = dict,
    ) -> None:
        t = settings.tools
        self.settings = settings
        self.publish = publish
        self.store = TimerStore(settings.general.data_dir / "timers.json")
        self.registry = ToolRegistry(
            [ClockTool(t.timezone), CalculatorTool(), SystemStatusTool(resident), CountryFactsTool(),
             CalendarFactsTool(), *timer_tools(self.store, t.timezone)]
        )
        self.executor = ToolExecutor(self.registry, t.timeout_s, t.filler_after_s or 1e9)
        self.clock = TimerService(self.store, self._ring)
        self._mcp: Any = None
        self._mcp_said: set[str] = set()  # MCP servers whose failure to start was said (once each)
        self.embed: Callable[[list[str]], Any] | None = None  # sentence vectors (the memory's embedder)
        self._vectors: dict[str, Any] = {}  # tool name -> its description's vector

    def add_memory(self, memory: Memories) -> None:
        """Add remember / recall / forget on the memory service."""
        for cls in (RememberTool, RecallTool, ForgetTool):
            self.registry.add(cls(memory))

    def warm_up(self) -> None:
        """Import and run the calculator once (sympy takes ~0.4 s to import), so the first "what is
        17% of 240" is instant too."""
        from jarvis.tools.calculator import calculate

        calculate("17% of 240")

    def start(self) -> Toolbox:
        """Start ringing timers."""
        self.clock.start()
        return self

    def close(self) -> None:
        """Stop the timer clock and any MCP servers."""
        self.clock.stop()
        if self._mcp is not None:
            self._mcp.close()

    # ------------------------------------------------------------------ instant path
    def match(self, text: str, language: str | None = None, after: FactAnswer | None = None) -> Intent | None:
        """The everyday command in ``text`` when the instant path may answer it, else None.

        ``after``: the country fact answered the turn before, so a follow-up that only names another
        country ("And of Italy?") or says "there" is answered from data too. A country fact's intent
        carries its :class:`FactAnswer` in ``details["fact"]``.
        """
        if not (self.settings.tools.enabled and self.settings.tools.instant):
            return None
        disabled = self.settings.tools.disabled
        intent = match(text, language)
        if intent is None and "country_facts" in self.registry and "country_facts" not in self.settings.tools.disabled:
            fact = country_fact(text, language)  # "What is the capital of Portugal?": from data, not a model
            if fact is None and after is not None:
                fact = follow_up_fact(text, language, after)
            if fact is not None:
                args = {"country": fact.country, "fact": fact.fact, "language": fact.language}
                intent = Intent("fact", fact.language, ToolCall("country_facts", args), {"fact": fact})
        if intent is None and "calendar_facts" in self.registry and "calendar_facts" not in disabled:
            day = calendar_fact(text, language)  # "What day comes after Tuesday?": one right answer, no model
            if day is not None:
                intent = Intent("fact", day.language, ToolCall("calendar_facts", day.arguments))
        if intent is None or (intent.call is not None and intent.call.name not in self.registry):
            return None
        return intent

    def with_language(self, call: ToolCall, language: str | None) -> ToolCall:
        """Timer calls remember the turn's language (they ring in it); country and calendar facts are worded
        in it."""
        if call.name in SPEAKS and language and "language" not in call.arguments:
            return ToolCall(call.name, {**call.arguments, "language": language}, call.id)
        return call

    def grounded(self, call: ToolCall, request: str) -> ToolCall:
        """A model's call checked against what the user said (small models slip on both):

        * a timer or reminder gets the duration the user said ("9 minutes", not the model's 9 s);
        * the clock gets a time zone only when the user named a place (models invent one).
        """
        args = dict(call.arguments)
        if call.name in ("set_timer", "set_reminder") and not args.get("time"):
            said = duration_seconds(request)
            if said is not None:
                args = {k: v for k, v in args.items() if k not in ("seconds", "minutes", "hours")}
                args["seconds"] = said
        elif call.name == "clock" and args.get("timezone") and not names_place(str(args["timezone"]), request):
            args.pop("timezone")
        return ToolCall(call.name, args, call.id) if args != call.arguments else call

    # ------------------------------------------------------------------ model path
    def schemas(self, personal: bool = True, request: str | None = None) -> list[dict]:
        """Function schemas for a model (disabled tools left out). Never starts or waits for an MCP
        server: one that is not up yet (see :meth:`start_mcp_background`) is simply not offered.

        With ``request``, only the tools it may need (see :meth:`Tool.is_relevant`).
        """
        if not self.settings.tools.enabled:
            return []
        disabled = set(self.settings.tools.disabled)
        chosen = self.registry.schemas(personal, request)
        if request is not None:
            names = {s["function"]["name"] for s in chosen}
            chosen += [
                t.schema() for t in self._similar(request) if t.name not in names and (personal or not t.personal)
            ]
        return [s for s in chosen if s["function"]["name"] not in disabled]

    def _similar(self, request: str) -> list[Tool]:
        """Tools without keywords (MCP) whose description means what the request asks, in any language
        the embedder knows (measured with USE multilingual: order questions in en/es 0.31-0.46 against
        an order tool, unrelated requests at most 0.12)."""
        if self.embed is None:
            return []
        candidates = [t for t in self.registry if not t.keywords]
        if not candidates:
            return []
        try:
            import numpy as np

            missing = [t for t in candidates if t.name not in self._vectors]
            if missing:
                texts = [f"{t.name.split('.')[-1].replace('_', ' ')}: {t.description}" for t in missing]
                for tool, vec in zip(missing, self.embed(texts), strict=True):
                    self._vectors[tool.name] = np.asarray(vec) / (np.linalg.norm(vec) or 1.0)
            query = np.asarray(self.embed([request])[0])
            query = query / (np.linalg.norm(query) or 1.0)
        except Exception:  # the embedder is missing or broken: word overlap alone decides
            log.warning("tool relevance by meaning is off (embedder failed)", exc_info=True)
            self.embed = None
            return []
        return [t for t in candidates if float(self._vectors[t.name] @ query) >= SIMILAR]

    # ------------------------------------------------------------------ MCP servers
    @property
    def mcp(self) -> McpManager | None:
        """The MCP servers (None until one is needed, or when none is configured)."""
        if self._mcp is None:
            specs = [s for s in self.settings.mcp_servers if s.enabled]
            if not specs:
                return None
            from jarvis.tools.mcp_client import McpManager

            state = self.settings.general.data_dir / "mcp_failed.json"
            self._mcp = McpManager(specs, self.registry, state_file=state, on_failure=self._mcp_failed)
        return self._mcp

    def _mcp_failed(self, name: str, line: str) -> None:
        if name not in self._mcp_said:  # said once: not again when it was already said it did not start
            self._mcp_said.add(name)
            notice(f"{line}; its tools are left out this session")

    def start_mcp_background(self) -> None:
        """Start the MCP servers in the background (at most once each); returns at once.

        Jarvis calls it when it starts (:meth:`jarvis.assembly.Jarvis.start`), so a server's start-up
        never falls inside a turn: a turn before a server is up goes without that server's tools. A
        server that does not start is said once (one line) and not tried again by later turns.
        """
        if self.settings.tools.enabled and self.mcp is not None:
            self.mcp.start_in_background()

    def wait_mcp(self) -> None:
        """Wait for the MCP servers' first start (``jarvis ask``: one question, so its tools must be
        there), each at most its ``timeout_s``, outside any turn; a server whose last start failed
        (here or in an earlier run) is not waited for. Starts them first if that was not done."""
        mcp = self.mcp
        if mcp is None or not self.settings.tools.enabled:
            return
        mcp.start_in_background()
        failed = mcp.failed_before()
        for name in mcp.starting:
            if name in failed and name not in self._mcp_said:
                self._mcp_said.add(name)
                why = failed[name].split(" (hint: ")[0].removeprefix(f"MCP server '{name}'").lstrip(": ")
                notice(f"MCP server '{name}' did not start last time ({why}); not waiting for it: it starts in "
                       "the background and its tools come once it is up (`jarvis doctor --deep` checks it)")
        mcp.wait([n for n in mcp.starting if n not in failed])

    def start_mcp(self) -> list[str]:
        """Start the configured MCP servers that are not running and wait; one line per failure
        (for ``jarvis tools`` and ``/tools``: a server that failed before is tried again)."""
        mcp = self.mcp
        if mcp is None:
            return []
        return mcp.ensure_started()

    def _ring(self, timer: Timer, late: bool) -> None:
        text = ring_text(timer.kind, timer.label, timer.seconds, timer.language, late)
        self.publish(Announcement(text, timer.kind, timer.language))


def names_place(zone: str, request: str) -> bool:
    """Whether ``request`` names the place of ``zone`` ("Tokyo" for Asia/Tokyo, "Nueva York" too)."""
    from jarvis.tools.base import ToolError
    from jarvis.tools.clock import PLACE_ALIASES, find_zone

    said = plain(request)
    try:
        key = find_zone(zone).key
    except ToolError:
        return False
    city = key.rsplit("/", 1)[-1].replace("_", " ").lower()
    return city in said or plain(zone) in said or any(
        alias in said for alias, target in PLACE_ALIASES.items() if target == key
    )
