"""Voice panel: listening mode, live mic level and VAD state, what is being heard, drops, speaking."""

from __future__ import annotations

from typing import ClassVar

from rich.markup import escape
from textual.widgets import Static

from jarvis.audio.events import AudioDrops, ListeningChanged, MicLevel, SpeakingChanged, VoiceReady
from jarvis.messages import PartialTranscript, Transcript
from jarvis.ui.messages import (
    AudioDropsEvent,
    ListeningChangedEvent,
    MicLevelEvent,
    PartialTranscriptEvent,
    SpeakingChangedEvent,
    TranscriptEvent,
    VoiceReadyEvent,
)
from jarvis.ui.resource_panel import bar

PARTIAL_CHARS = 60  # the end of a long partial transcript is what the speaker is saying now
MODE_NAMES = {"off": "off", "ptt": "push-to-talk", "hands_free": "hands-free"}


def listening_label(ev: ListeningChanged) -> str:
    """How a listening mode reads in the panel and the status bar, e.g. ``push-to-talk (listening)``."""
    text = MODE_NAMES.get(ev.mode, ev.mode)
    return text + " (listening)" if ev.active else text


class VoicePanel(Static):
    """Shows the voice events it receives (see :attr:`EVENTS`)."""

    EVENTS: ClassVar[tuple[type, ...]] = (
        MicLevel, ListeningChanged, AudioDrops, SpeakingChanged, PartialTranscript, Transcript, VoiceReady,
    )

    def on_mount(self) -> None:
        self.mode_text = "off"
        self._level = -90.0
        self._vad = "quiet"
        self._clip = False
        self._drops = 0
        self._speaking = False
        self._unavailable = ""
        self.partial = ""
        self.readiness = "loading voice models…"
        self._redraw()

    def show_unavailable(self, why: str) -> None:
        """Voice cannot run (no microphone, turned off): say so."""
        self._unavailable = why
        self.mode_text = why
        self._redraw()

    def on_mic_level_event(self, message: MicLevelEvent) -> None:
        ev: MicLevel = message.event
        self._level, self._vad, self._clip = ev.rms_db, ev.vad_state, ev.clipping
        self._redraw()

    def on_listening_changed_event(self, message: ListeningChangedEvent) -> None:
        self.mode_text = listening_label(message.event)
        self._redraw()

    def on_audio_drops_event(self, message: AudioDropsEvent) -> None:
        self._drops = message.event.count
        self._redraw()

    def on_speaking_changed_event(self, message: SpeakingChangedEvent) -> None:
        self._speaking = message.event.speaking
        self._redraw()

    def on_voice_ready_event(self, message: VoiceReadyEvent) -> None:
        ev: VoiceReady = message.event
        self.readiness = f"voice ready ({ev.seconds:.1f} s)" if ev.ok else "voice models failed (see above)"
        self._redraw()

    def on_partial_transcript_event(self, message: PartialTranscriptEvent) -> None:
        self.partial = message.event.text
        self._redraw()

    def on_transcript_event(self, message: TranscriptEvent) -> None:
        if self.partial:  # the turn has its transcript: the live line has done its job
            self.partial = ""
            self._redraw()

    def _redraw(self) -> None:
        if self._unavailable:
            self.update(f"[b]Voice[/b]\n[dim]{self._unavailable}[/]")
            return
        level = max(0.0, min(1.0, (self._level + 60.0) / 60.0))
        lines = [
            "[b]Voice[/b]",
            f"mode  {self.mode_text}",
            f"[dim]{self.readiness}[/]",
            f"mic   {bar(level, 1.0, 14)} {self._level:5.1f} dB" + (" [b red]CLIP[/]" if self._clip else ""),
            f"vad   {self._vad}",
        ]
        if self.partial:
            text = self.partial if len(self.partial) <= PARTIAL_CHARS else "…" + self.partial[-PARTIAL_CHARS:]
            lines.append(f"[i]{escape(text)}[/]")
        if self._speaking:
            lines.append("[b green]speaking…[/]")
        if self._drops:
            lines.append(f"[yellow]dropped blocks: {self._drops}[/]")
        self.update("\n".join(lines))
