"""The status bar: what Jarvis is doing, which model answers, and how it listens."""

from __future__ import annotations

from typing import ClassVar

from textual.widgets import Static

from jarvis.audio.events import ListeningChanged
from jarvis.messages import ModelLoadProgress, StatusChange
from jarvis.ui.messages import ListeningChangedEvent, ModelLoadProgressEvent, StatusChangeEvent
from jarvis.ui.voice_panel import listening_label


class StatusBar(Static):
    """One line: state and detail, the forced model (or ``auto``), the voice mode."""

    EVENTS: ClassVar[tuple[type, ...]] = (StatusChange, ModelLoadProgress, ListeningChanged)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.state = "starting"
        self._detail = ""
        self._model = "auto"
        self._voice = "off"
        self._profile = ""

    def show_state(self, state: str, detail: str = "") -> None:
        """What Jarvis is doing now (idle, loading, thinking, generating, ...)."""
        self.state, self._detail = state, detail
        self._redraw()

    def show_model(self, forced: str | None) -> None:
        """The model forced with ``/model`` (None: automatic routing)."""
        self._model = forced or "auto"
        self._redraw()

    def show_profile(self, name: str) -> None:
        """The active profile (``""``: none, and the bar does not mention it)."""
        self._profile = name
        self._redraw()

    def show_voice(self, text: str) -> None:
        """How Jarvis listens (``keyboard only``, ``push-to-talk (listening)``, ...)."""
        self._voice = text.split(":")[0]
        self._redraw()

    def on_status_change_event(self, message: StatusChangeEvent) -> None:
        self.show_state(message.event.state, message.event.detail)

    def on_model_load_progress_event(self, message: ModelLoadProgressEvent) -> None:
        ev: ModelLoadProgress = message.event
        if ev.error:
            self.show_state("model failed")
        elif not ev.done:
            self.show_state("loading", f"{ev.model} → {ev.device}")
        else:
            self.show_state("idle", f"{ev.model} ready on {ev.device}")

    def on_listening_changed_event(self, message: ListeningChangedEvent) -> None:
        self.show_voice(listening_label(message.event))

    def _redraw(self) -> None:
        profile = f"  │  profile: {self._profile}" if self._profile else ""
        self.update(f" [b]{self.state}[/b]  {self._detail}{profile}  │  model: {self._model}  │  voice: {self._voice}")
