"""The Jarvis TUI: chat log, input box, status bar, resource and voice panels.

The app is one observer of the Assistant: the bridge posts pipeline events as messages; user
actions call the Assistant's non-blocking methods. Slow work (memory, model samples) runs in
thread workers that only post messages back.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Input, Static

from jarvis.errors import JarvisError
from jarvis.messages import (
    MemoryHits,
    ModelLoadProgress,
    ReplyDone,
    RouteDecision,
    StageError,
    StatusChange,
    TokenDelta,
    Transcript,
)
from jarvis.ui.bridge import UIBridge
from jarvis.ui.chat_log import ChatLog
from jarvis.ui.commands import CommandHandler
from jarvis.ui.messages import CoalescedEvent, PipelineEvent, ResourceSample
from jarvis.ui.resource_panel import ResourcePanel
from jarvis.ui.voice_panel import VoicePanel

if TYPE_CHECKING:
    from jarvis.assembly import Jarvis
    from jarvis.pipeline.voice_loop import VoiceLoop

log = logging.getLogger(__name__)


class JarvisApp(App):
    """Talk or type to a local model; watch where the time and memory go."""

    CSS_PATH = "app.tcss"
    TITLE = "Jarvis"

    def __init__(self, jarvis: Jarvis, voice: bool = True, sampler: Any = None) -> None:
        """Show ``jarvis`` (built by :func:`jarvis.assembly.build`; the caller closes it).

        Args:
            jarvis: the built Jarvis; the app starts it (and its voice loop when ``voice``).
            voice: open the microphone and speaker (False: keyboard only).
            sampler: reads CPU/RAM/GPU for the resource panel (default :func:`jarvis.resources.sample`).
        """
        super().__init__()
        self.jarvis = jarvis
        self.settings = jarvis.settings
        self.assistant = jarvis.assistant
        self.voice_loop: VoiceLoop | None = None
        self._want_voice = voice
        self._sampler = sampler
        self.state = "starting"
        self._decision: RouteDecision | None = None
        self._hits: MemoryHits | None = None
        self.commands = CommandHandler(self)
        self.bind(self.settings.ui.ptt_key, "push_to_talk", description="Talk", show=True)

    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("escape", "interrupt", "Stop"),
        Binding("ctrl+f", "hands_free", "Hands-free"),
    ]

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield ChatLog(id="chat")
            with Vertical(id="side"):
                yield ResourcePanel("[b]Resources[/b]\nsampling…", id="resources")
                yield VoicePanel(id="voice")
        yield Input(placeholder="Type a message, /help for commands", id="prompt")
        yield Static("", id="status")
        yield Footer()

    # ------------------------------------------------------------------ start-up
    def on_mount(self) -> None:
        # Widgets of the main screen, kept so events still land while a dialog is on top.
        self.chat = self.query_one(ChatLog)
        self.voice_panel = self.query_one(VoicePanel)
        self.resource_panel = self.query_one(ResourcePanel)
        self.status_line = self.query_one("#status", Static)
        self.theme = self.settings.ui.theme if self.settings.ui.theme in self.available_themes else "textual-dark"
        self.query_one("#prompt", Input).focus()
        self._bridge = UIBridge(self)
        self.assistant.bus.subscribe(self._bridge)
        self.jarvis.start()  # the first model and the memory embedder load in the background
        chat = self.chat
        for turn in self.assistant.conversation.turns[-20:]:
            if turn.role == "user":
                chat.add_user(turn.content, turn.source)
            else:
                chat.add_note(turn.content, "resumed")
        chat.add_note(
            f"Jarvis is ready: type below, or press {self.settings.ui.ptt_key} to talk. /help lists commands.",
        )
        self._start_voice()
        self.set_interval(self.settings.ui.resource_interval_s, self.sample_resources)
        self.sample_resources()
        self._set_status("loading model")

    def _start_voice(self) -> None:
        if not self._want_voice:
            self.voice_panel.show_unavailable("voice off")
            return
        try:
            self.voice_loop = self.jarvis.start_voice()
        except JarvisError as exc:
            self.voice_loop = None
            self.voice_panel.show_unavailable(f"keyboard only: {exc.message}")
            self.notify(exc.one_line(), title="No microphone: keyboard mode", severity="warning", timeout=8)

    # ------------------------------------------------------------------ resources
    @work(thread=True, exclusive=True, group="resources")
    def sample_resources(self) -> None:
        """Read CPU/RAM/GPU in a worker thread and post the sample."""
        from jarvis.resources import sample

        resident = self.assistant.pool.resident()
        self.post_message(ResourceSample((self._sampler or sample)(resident)))

    def on_resource_sample(self, message: ResourceSample) -> None:
        self.resource_panel.show(message.sample)

    # ------------------------------------------------------------------ input
    @on(Input.Submitted, "#prompt")
    def submitted(self, event: Input.Submitted) -> None:
        text = event.value
        if not text.strip():
            self.notify("Nothing to send: type a question first.", severity="warning")
            return
        event.input.value = ""
        if text.startswith("/"):
            self.commands.run(text)
            return
        try:
            self.assistant.submit_text(text, source="keyboard")
        except JarvisError as exc:
            event.input.value = text  # nothing typed is lost
            self.notify(exc.one_line(), severity="error")
            return
        self.chat.add_user(text)

    # ------------------------------------------------------------------ actions
    def action_interrupt(self) -> None:
        """Esc: stop the reply (and speech) now."""
        if self.voice_loop is not None:
            self.voice_loop.barge_in()
        else:
            self.assistant.interrupt()

    def action_push_to_talk(self) -> None:
        """Toggle listening (press, speak, press again; the VAD may end the turn too)."""
        if self.voice_loop is None:
            self.notify("No voice input: keyboard mode.", severity="warning")
            return
        try:
            self.voice_loop.ptt_toggle()
        except JarvisError as exc:
            self.notify(exc.one_line(), severity="error")

    def action_hands_free(self) -> None:
        """Toggle hands-free listening."""
        if self.voice_loop is None:
            self.notify("No voice input: keyboard mode.", severity="warning")
            return
        try:
            on_now = not getattr(self.voice_loop, "hands_free", False)
            self.voice_loop.set_hands_free(on_now)
            self.notify("Hands-free on: just talk." if on_now else "Hands-free off.")
        except JarvisError as exc:
            self.notify(exc.one_line(), severity="error")

    # ------------------------------------------------------------------ pipeline events
    async def on_pipeline_event(self, message: PipelineEvent) -> None:
        ev = message.event
        if self._exit or not self.is_running:
            return
        chat = self.chat
        if isinstance(ev, TokenDelta):
            await chat.append(ev.turn_id, ev.text)
        elif isinstance(ev, Transcript):
            self._decision, self._hits = None, None
            if ev.source == "voice":
                chat.add_user(ev.text, "voice")
        elif isinstance(ev, RouteDecision):
            self._decision = ev
        elif isinstance(ev, MemoryHits):
            self._hits = ev
            if ev.error:
                self.notify(ev.error, title="Memory unavailable", severity="warning")
        elif isinstance(ev, ReplyDone):
            await chat.finish(ev, self._decision, self._hits)
        elif isinstance(ev, StageError):
            text = ev.message + (f" (hint: {ev.hint})" if ev.hint else "")
            self.notify(text, title=f"{ev.stage} error", severity="error", timeout=10)
            chat.add_note(f"⚠ {text}", "error")
        elif isinstance(ev, StatusChange):
            self._set_status(ev.state, ev.detail)
        elif isinstance(ev, ModelLoadProgress):
            if ev.error:
                self._set_status("model failed")
            elif not ev.done:
                self._set_status("loading", f"{ev.model} → {ev.device}")
            else:
                self._set_status("idle", f"{ev.model} ready on {ev.device}")
                log.info("model %s loaded on %s in %.1fs", ev.model, ev.device, ev.seconds)
                self.sample_resources()
        elif type(ev).__name__ == "HeardText":
            chat.heard(ev.turn_id, ev.text, ev.interrupted)
        else:
            self.voice_panel.on_voice_event(ev, self)

    async def on_coalesced_event(self, message: CoalescedEvent) -> None:
        await self.on_pipeline_event(message)

    def _set_status(self, state: str, detail: str = "") -> None:
        self.state = state
        model = self.assistant.forced_model if self.assistant and self.assistant.forced_model else "auto"
        voice = self.voice_panel.mode_text.split(":")[0]
        text = f" [b]{state}[/b]  {detail}  │  model: {model}  │  voice: {voice}"
        self.status_line.update(text)

    # ------------------------------------------------------------------ shutdown
    async def action_quit(self) -> None:
        """Stop everything and leave."""
        self.exit()

    def on_unmount(self) -> None:
        """Stop publishing into the app; whoever built Jarvis closes it."""
        self.assistant.bus.unsubscribe(self._bridge)
