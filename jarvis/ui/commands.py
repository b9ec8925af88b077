"""Slash commands typed in the input box: /help, /clear, /model, /remember, /forget, /memories."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from jarvis.errors import JarvisError
from jarvis.ui.chat_log import ChatLog
from jarvis.ui.confirm import ConfirmScreen

if TYPE_CHECKING:
    from jarvis.ui.app import JarvisApp

HELP = """[b]Commands[/b]
  /help               this list
  /clear              start a fresh conversation (the old one stays on disk)
  /model \\[NAME|auto]  show models, force one, or go back to automatic routing
  /remember TEXT      store a fact in long-term memory
  /forget QUERY|ID    forget matching memories (asks first)
  /memories \\[QUERY]   list memories, or search them
[b]Keys[/b]
  {ptt:<19} push-to-talk (press, speak, press again)
  ctrl+f              hands-free listening on/off
  escape              stop the reply (and the voice)
  ctrl+q              quit"""


class CommandHandler:
    """Parses and runs one slash command for the app."""

    def __init__(self, app: JarvisApp) -> None:
        self.app = app

    @property
    def chat(self) -> ChatLog:
        return self.app.chat

    def _bg(self, fn, *args) -> None:
        """Run slow work (embedding, store I/O) in a thread worker; it posts results back."""
        self.app.run_worker(partial(fn, *args), thread=True, group="commands")

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

    def cmd_help(self, arg: str) -> None:
        self.chat.add_note(HELP.format(ptt=self.app.settings.ui.ptt_key), "help")

    def cmd_clear(self, arg: str) -> None:
        self.app.assistant.interrupt()
        self.app.assistant.clear()
        self.chat.clear_all()
        self.chat.add_note("Conversation cleared.")

    def cmd_model(self, arg: str) -> None:
        a = self.app.assistant
        if not arg:
            rows = []
            for m in self.app.settings.models:
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
        self.app._set_status(self.app.state)

    # ------------------------------------------------------------------ memory
    def _memory(self):
        mem = getattr(self.app.assistant, "memory", None)
        if mem is None:
            raise JarvisError("long-term memory is off", "set memory.enabled = true in config.toml")
        return mem

    def cmd_remember(self, arg: str) -> None:
        if not arg:
            raise JarvisError("nothing to remember", "type /remember followed by the fact")
        self._bg(self._remember, self._memory(), arg)

    def _remember(self, mem, text: str) -> None:
        try:
            mid = mem.add(text, source="explicit")
        except JarvisError as exc:
            self.app.call_from_thread(self.app.notify, exc.one_line(), severity="error")
            return
        msg = f"Remembered ({mid[:8]})." if mid else "Already remembered (a near-duplicate exists)."
        self.app.call_from_thread(self.chat.add_note, f"🧠 {msg}", "memory")

    def cmd_memories(self, arg: str) -> None:
        self._bg(self._list, self._memory(), arg)

    def _list(self, mem, query: str) -> None:
        try:
            hits = mem.search(query, 10) if query else mem.list(20)
        except JarvisError as exc:
            self.app.call_from_thread(self.app.notify, exc.one_line(), severity="error")
            return
        if not hits:
            text = "No memories" + (f" match '{query}'." if query else " yet.")
        else:
            text = "\n".join(
                f"• {h.text}  [dim]{h.id[:8]}" + (f" {h.score:.2f}" if query else "") + "[/]" for h in hits
            )
        self.app.call_from_thread(self.chat.add_note, text, "memory")

    def cmd_forget(self, arg: str) -> None:
        if not arg:
            raise JarvisError("what should I forget?", "type /forget followed by words or a memory id")
        self._bg(self._forget, self._memory(), arg)

    def _forget(self, mem, query: str) -> None:
        try:
            found = mem.forget_candidates(query)
        except JarvisError as exc:
            self.app.call_from_thread(self.app.notify, exc.one_line(), severity="error")
            return
        if not found:
            self.app.call_from_thread(self.app.notify, f"No memory matches '{query}'.", severity="warning")
            return
        listing = "\n".join(f"• {h.text}" for h in found)

        def done(yes: bool | None) -> None:
            if yes:
                self._bg(self._delete, mem, [h.id for h in found])

        self.app.call_from_thread(
            self.app.push_screen, ConfirmScreen(f"Forget {len(found)} memories?\n{listing}"), done
        )

    def _delete(self, mem, ids: list[str]) -> None:
        try:
            n = mem.delete(ids)
        except JarvisError as exc:
            self.app.call_from_thread(self.app.notify, exc.one_line(), severity="error")
            return
        self.app.call_from_thread(self.chat.add_note, f"🧠 Forgot {n} memories.", "memory")
