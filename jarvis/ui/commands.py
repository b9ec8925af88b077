"""Slash commands typed in the input box: /help, /clear, /model, /profile, /remember, /forget, /memories, /tools.

Slow work (embedding, store I/O) runs in thread workers; a JarvisError raised there is reported by
the app's one worker-error handler, so the commands below only say what succeeded.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.app import App

from jarvis.errors import JarvisError
from jarvis.ui.chat_log import ChatLog
from jarvis.ui.confirm import ConfirmScreen
from jarvis.ui.status_bar import StatusBar

if TYPE_CHECKING:
    from jarvis.assembly import Jarvis
    from jarvis.memory import MemoryService

HELP = """[b]Commands[/b]
  /help               this list
  /clear              start a fresh conversation (the old one stays on disk)
  /model \\[NAME|auto]  show models, force one, or go back to automatic routing
  /profile \\[NAME]     list profiles, or switch to one (none: no profile)
  /remember TEXT      store a fact in long-term memory
  /forget QUERY|ID    forget matching memories (asks first)
  /memories \\[QUERY]   list memories, or search them
  /tools              the tools Jarvis can use, and pending timers
[b]Keys[/b]
  {ptt:<19} push-to-talk (press, speak, press again)
  ctrl+f              hands-free listening on/off
  escape              stop the reply (and the voice)
  ctrl+q              quit"""


class CommandHandler:
    """Parses and runs one slash command.

    Args:
        app: the running app (notifications, workers, dialogs).
        jarvis: the assistant and its memory.
        chat: where results are shown.
        status: the status bar (``/model`` shows the forced model there).
    """

    def __init__(self, app: App, jarvis: Jarvis, chat: ChatLog, status: StatusBar) -> None:
        self.app = app
        self.jarvis = jarvis
        self.chat = chat
        self.status = status

    def _bg(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run slow work in a thread worker; its JarvisError reaches the app's worker-error handler."""
        self.app.run_worker(partial(fn, *args), thread=True, group="commands", exit_on_error=False)

    def _say(self, text: str, kind: str = "memory") -> None:
        """Show a note in the chat (from a worker thread)."""
        self.app.call_from_thread(self.chat.add_note, text, kind)

    def run(self, line: str) -> None:
        """Run ``line`` (starting with ``/``); unknown commands say so."""
        name, _, arg = line[1:].partition(" ")
        arg = arg.strip()
        handler = getattr(self, f"cmd_{name.lower()}", None)
        if handler is None:
            self.app.notify(f"unknown command /{name} (try /help)", severity="warning")
            return
        try:
            handler(arg)
        except JarvisError as exc:
            self.app.notify(exc.one_line(), severity="error")

    def cmd_tools(self, arg: str) -> None:
        """List the tools (built-in and MCP, starting MCP servers in a worker) and pending timers."""
        tools = self.jarvis.tools
        if tools is None:
            self.chat.add_note("Tools are off (tools.enabled = false in config.toml).", "help")
            return

        def work() -> None:
            errors = tools.start_mcp()
            lines = [f"  {t.name:<24} {t.description}" + ("  [dim](asks first)[/]" if t.needs_confirmation else "")
                     for t in tools.registry if t.name not in tools.settings.tools.disabled]
            lines += [f"  [red]MCP {e}[/]" for e in errors]
            pending = tools.store.list()
            if pending:
                lines += ["[b]Pending[/b]", *(f"  {t.describe()}" for t in pending)]
            self._say("[b]Tools[/b]\n" + "\n".join(lines), "help")

        self._bg(work)

    def cmd_help(self, arg: str) -> None:
        self.chat.add_note(HELP.format(ptt=self.jarvis.settings.ui.ptt_key), "help")

    def cmd_clear(self, arg: str) -> None:
        self.jarvis.assistant.interrupt()
        self.jarvis.assistant.clear()
        self.chat.clear_all()
        self.chat.add_note("Conversation cleared.")

    def cmd_model(self, arg: str) -> None:
        a = self.jarvis.assistant
        if not arg:
            rows = []
            for m in self.jarvis.settings.models:
                here = a.pool.resident().get(m.name)
                mark = "→" if a.forced_model == m.name else " "
                rows.append(f" {mark} {m.name:<16} {m.backend:<18} {here or ''}")
            mode = f"forced: {a.forced_model}" if a.forced_model else "automatic routing"
            self.chat.add_note(f"[b]Models[/b] ({mode})\n" + "\n".join(rows), "help")
            return
        if arg == "auto":
            a.set_model(None)
            self.app.notify("Model: automatic routing")
        else:
            a.set_model(arg)
            self.app.notify(f"Model: {arg} for the next turns")
        self.status.show_model(a.forced_model)

    def cmd_profile(self, arg: str) -> None:
        """``/profile``: the profiles, the active one marked; ``/profile NAME``: switch to it."""
        from jarvis.profiles import NO_PROFILE, active_profile, describe

        settings = self.jarvis.settings
        if not arg:
            active = settings.profile or NO_PROFILE
            rows = [(p.name, describe(p)) for p in settings.profiles] + [(NO_PROFILE, describe(None))]
            lines = [f" {'→' if name == active else ' '} {name:<22} {_markup_safe(text)}" for name, text in rows]
            self.chat.add_note("[b]Profiles[/b] (/profile NAME switches)\n" + "\n".join(lines), "help")
            return
        new = self.jarvis.switch_profile(arg)  # an unknown name: one line with a hint (run() shows it)
        profile = active_profile(new)
        what = describe(profile)
        if profile is not None and profile.kind == "tutor":
            what += "; a new tutor session starts"
        self.chat.add_note(f"Profile: [b]{new.profile or NO_PROFILE}[/b] ({_markup_safe(what)}). "
                           "The conversation so far is kept.")
        self.status.show_profile(new.profile)
        self.status.show_model(self.jarvis.assistant.forced_model or (profile.model if profile is not None else None))

    # ------------------------------------------------------------------ memory
    def _memory(self) -> MemoryService:
        if self.jarvis.memory is None:
            profile = self.jarvis.settings.profile
            if profile and self.jarvis.base_settings.memory.enabled:
                hint = f"profile '{profile}' turns it off; /profile none turns it on"
                raise JarvisError("long-term memory is off", hint)
            raise JarvisError("long-term memory is off", "set memory.enabled = true in config.toml")
        return self.jarvis.memory

    def cmd_remember(self, arg: str) -> None:
        if not arg:
            raise JarvisError("nothing to remember", "type /remember followed by the fact")
        self._bg(self._remember, self._memory(), arg)

    def _remember(self, mem: MemoryService, text: str) -> None:
        mid = mem.add(text, source="explicit")
        msg = f"Remembered ({mid[:8]})." if mid else "Already remembered (a near-duplicate exists)."
        self._say(f"🧠 {msg}")

    def cmd_memories(self, arg: str) -> None:
        self._bg(self._list, self._memory(), arg)

    def _list(self, mem: MemoryService, query: str) -> None:
        hits = mem.search(query, 10) if query else mem.list(20)
        if not hits:
            text = "No memories" + (f" match '{query}'." if query else " yet.")
        else:
            text = "\n".join(
                f"• {h.text}  [dim]{h.id[:8]}" + (f" {h.score:.2f}" if query else "") + "[/]" for h in hits
            )
        self._say(text)

    def cmd_forget(self, arg: str) -> None:
        if not arg:
            raise JarvisError("what should I forget?", "type /forget followed by words or a memory id")
        self._bg(self._forget, self._memory(), arg)

    def _forget(self, mem: MemoryService, query: str) -> None:
        answers = self.jarvis.assistant.answers
        dropped = answers.forget([query]) if answers is not None else 0  # cached answers go without asking
        if dropped:
            self._say(f"🧠 Dropped {dropped} cached answer{'s' if dropped != 1 else ''} about '{query}'.")
        found = mem.forget_candidates(query)
        if not found:
            if not dropped:
                self.app.call_from_thread(self.app.notify, f"No memory matches '{query}'.", severity="warning")
            return
        listing = "\n".join(f"• {h.text}" for h in found)

        def done(yes: bool | None) -> None:
            if yes:
                self._bg(self._delete, mem, [h.id for h in found])
                if answers is not None:  # cached answers that share the forgotten words
                    self._bg(answers.forget, [h.text for h in found])

        self.app.call_from_thread(
            self.app.push_screen, ConfirmScreen(f"Forget {len(found)} memories?\n{listing}"), done
        )

    def _delete(self, mem: MemoryService, ids: list[str]) -> None:
        n = mem.delete(ids)
        self._say(f"🧠 Forgot {n} memories.")


def _markup_safe(text: str) -> str:
    """``text`` with Rich markup brackets escaped."""
    return text.replace("[", r"\[")
