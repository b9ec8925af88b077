"""Voice panel: listening mode, live mic level and VAD state, drops, speaking, last timeline."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from jarvis.ui.resource_panel import bar


class VoicePanel(Static):
    """Renders voice events (by class name, so the voice feature stays optional)."""

    def on_mount(self) -> None:
        self.mode_text = "off"
        self._mode = "off"
        self._active = False
        self._level = -90.0
        self._vad = "quiet"
        self._clip = False
        self._drops = 0
        self._speaking = False
        self._unavailable = ""
        self._redraw()

    def show_unavailable(self, why: str) -> None:
        """Voice cannot run (no microphone, not installed): say so."""
        self._unavailable = why
        self.mode_text = why
        self._redraw()

    def on_voice_event(self, ev: Any, app: Any = None) -> None:
        """Update from a voice event (MicLevel, ListeningChanged, AudioDrops, SpeakingChanged)."""
        name = type(ev).__name__
        if name == "MicLevel":
            self._level, self._vad, self._clip = ev.rms_db, ev.vad_state, ev.clipping
        elif name == "ListeningChanged":
            self._mode, self._active = ev.mode, ev.active
            self.mode_text = {"off": "off", "ptt": "push-to-talk", "hands_free": "hands-free"}.get(ev.mode, ev.mode)
            if ev.active:
                self.mode_text += " (listening)"
            if app is not None:
                app._set_status(app.state)
        elif name == "AudioDrops":
            self._drops = ev.count
        elif name == "SpeakingChanged":
            self._speaking = ev.speaking
        else:
            return
        self._redraw()

    def _redraw(self) -> None:
        if self._unavailable:
            self.update(f"[b]Voice[/b]\n[dim]{self._unavailable}[/]")
            return
        level = max(0.0, min(1.0, (self._level + 60.0) / 60.0))
        lines = [
            "[b]Voice[/b]",
            f"mode  {self.mode_text}",
            f"mic   {bar(level, 1.0, 14)} {self._level:5.1f} dB" + (" [b red]CLIP[/]" if self._clip else ""),
            f"vad   {self._vad}",
        ]
        if self._speaking:
            lines.append("[b green]speaking…[/]")
        if self._drops:
            lines.append(f"[yellow]dropped blocks: {self._drops}[/]")
        self.update("\n".join(lines))
