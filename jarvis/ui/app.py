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
from textual.widgets import Footer, Input
from textual.worker import Worker, WorkerState

from jarvis.errors import JarvisError
from jarvis.messages import ConfirmRequest, MemoryHits
from jarvis.ui.bridge import UIBridge
from jarvis.ui.chat_log import ChatLog, error_text
from jarvis.ui.commands import CommandHandler
from jarvis.ui.confirm import ConfirmScreen
from jarvis.ui.messages import (
    AnnouncementEvent,
    ConfirmAnsweredEvent,
    ConfirmRequestEvent,
    MemoryHitsEvent,
    ModelLoadProgressEvent,
    ResourceSample,
    StageErrorEvent,
)
from jarvis.ui.resource_panel import ResourcePanel
from jarvis.ui.status_bar import StatusBar
from jarvis.ui.voice_panel import VoicePanel

if TYPE_CHECKING:
    from jarvis.assembly import Jarvis
    from jarvis.pipeline.voice_graph import Voice

log = logging.getLogger(__name__)


class JarvisApp(App):
    """Talk or type to a local model; watch where the time and memory go."""

    CSS_PATH = "app.tcss"
    TITLE = "Jarvis"

    def __init__(self, jarvis: Jarvis, voice: bool = True, sampler: Any = None) -> None:
        """Show ``jarvis`` (built by :func:`jarvis.assembly.build`; the caller closes it).

        Args:
            jarvis: the built Jarvis; the app starts it (and its voice when ``voice``).
            voice: open the microphone and speaker (False: keyboard only).
            sampler: reads CPU/RAM/GPU for the resource panel (default :func:`jarvis.resources.sample`).
        """
        super().__init__()
        self.jarvis = jarvis
        self.settings = jarvis.settings
        self.assistant = jarvis.assistant
        self.voice: Voice | None = None
        self._want_voice = voice
        self._sampler = sampler
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
        yield StatusBar(id="status")
        yield Footer()

    # ------------------------------------------------------------------ start-up
    def on_mount(self) -> None:
        # Widgets of the main screen, kept so they are reachable while a dialog is on top.
        self.chat = self.query_one(ChatLog)
        self.voice_panel = self.query_one(VoicePanel)
        self.resource_panel = self.query_one(ResourcePanel)
        self.status_bar = self.query_one(StatusBar)
        self.commands = CommandHandler(self, self.jarvis, self.chat, self.status_bar)
        self.theme = self.settings.ui.theme if self.settings.ui.theme in self.available_themes else "textual-dark"
        self.query_one("#prompt", Input).focus()
        self._bridge = UIBridge(self)
        for widget in (self.chat, self.voice_panel, self.status_bar):
            self._bridge.route(widget, *widget.EVENTS)
        self.assistant.bus.subscribe(self._bridge)
        self.jarvis.start()  # the first model and the memory embedder load in the background
        self.jarvis.start_timers()  # timers, alarms and reminders ring while the TUI runs
        self.jarvis.start_idle_work()  # memory translations, while the TUI is quiet
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
        self.status_bar.show_model(self.assistant.forced_model)
        self.status_bar.show_profile(self.settings.profile)
        self.status_bar.show_state("loading model")

    def _start_voice(self) -> None:
        if not self._want_voice:
            self._voice_unavailable("voice off")
            return
        try:
            self.voice = self.jarvis.start_voice()
        except JarvisError as exc:
            self.voice = None
            self._voice_unavailable(f"keyboard only: {exc.message}")
            self.notify(exc.one_line(), title="No microphone: keyboard mode", severity="warning", timeout=8)

    def _voice_unavailable(self, why: str) -> None:
        self.voice_panel.show_unavailable(why)
        self.status_bar.show_voice(why)

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
        if self.voice is not None:
            self.voice.barge_in()
        else:
            self.assistant.interrupt()

    def action_push_to_talk(self) -> None:
        """Toggle listening (press, speak, press again; the VAD may end the turn too)."""
        if self.voice is None:
            self.notify("No voice input: keyboard mode.", severity="warning")
            return
        try:
            self.voice.modes.ptt_toggle()
        except JarvisError as exc:
            self.notify(exc.one_line(), severity="error")

    def action_hands_free(self) -> None:
        """Toggle hands-free listening (the wake word's, when ``audio.mode = "wake_word"``)."""
        modes = self.voice.modes if self.voice is not None else None
        if modes is None:
            self.notify("No voice input: keyboard mode.", severity="warning")
            return
        try:
            on_now = not modes.hands_free
            modes.set_hands_free(on_now)
            if modes.mode == "wake_word":
                self.notify('Wake word on: say "hey jarvis" and your question.')
            else:
                self.notify("Hands-free on: just talk." if on_now else "Hands-free off.")
        except JarvisError as exc:
            self.notify(exc.one_line(), severity="error")

    # ------------------------------------------------------------------ events the widgets pass up
    def on_stage_error_event(self, message: StageErrorEvent) -> None:
        """A stage failed (the chat log shows it too): a notification."""
        ev = message.event
        self.notify(error_text(ev), title=f"{ev.stage} error", severity="error", timeout=10)

    def on_announcement_event(self, message: AnnouncementEvent) -> None:
        """A timer rang (the chat log shows it; this also rings the terminal bell)."""
        self.bell()
        self.notify(message.event.text, title=f"{message.event.kind}", timeout=15)

    def on_confirm_request_event(self, message: ConfirmRequestEvent) -> None:
        """A tool with side effects asks first: a yes/no dialog (a spoken yes/no answers it too)."""
        ev: ConfirmRequest = message.event

        def answered(yes: bool | None) -> None:
            self.assistant.confirm(ev.request_id, bool(yes))

        self.push_screen(ConfirmScreen(ev.question, ev.request_id), answered)

    def on_confirm_answered_event(self, message: ConfirmAnsweredEvent) -> None:
        """Answered elsewhere (a spoken "yes", the timeout): its dialog goes away."""
        screen = self.screen
        if isinstance(screen, ConfirmScreen) and screen.request_id == message.event.request_id:
            screen.dismiss(message.event.yes)

    def on_memory_hits_event(self, message: MemoryHitsEvent) -> None:
        hits: MemoryHits = message.event
        if hits.error:
            self.notify(hits.error, title="Memory unavailable", severity="warning")

    def on_model_load_progress_event(self, message: ModelLoadProgressEvent) -> None:
        ev = message.event
        if ev.done and not ev.error:
            log.info("model %s loaded on %s in %.1fs", ev.model, ev.device, ev.seconds)
            self.sample_resources()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place a failed worker is reported: a JarvisError as its one line, else logged."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, JarvisError):
            self.notify(error.one_line(), severity="error")
        else:
            log.error("worker %s failed", event.worker.name, exc_info=error)
            self.notify(f"unexpected error: {error}", title="see the log file", severity="error")

    # ------------------------------------------------------------------ shutdown
    async def action_quit(self) -> None:
        """Stop everything and leave."""
        self.exit()

    def on_unmount(self) -> None:
        """Stop publishing into the app; whoever built Jarvis closes it."""
        self.assistant.bus.unsubscribe(self._bridge)
