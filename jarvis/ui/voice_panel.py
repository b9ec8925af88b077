"""Voice panel: listening mode, live mic level and VAD state, the wake-word score and cue, what is
being heard, drops, speaking (or paused: a provisional barge-in listening to the user)."""

from __future__ import annotations

from typing import ClassVar

from rich.markup import escape
from textual.widgets import Static

from jarvis.audio.events import (
    AudioDrops,
    BargeInPause,
    ListeningChanged,
    MicBack,
    MicLevel,
    MicLost,
    OtherVoice,
    SpeakerBack,
    SpeakerLost,
    SpeakingChanged,
    VoiceReady,
    WakeDetected,
    WakeScore,
)
from jarvis.messages import PartialTranscript, Transcript
from jarvis.ui.messages import (
    AudioDropsEvent,
    BargeInPauseEvent,
    ListeningChangedEvent,
    MicBackEvent,
    MicLevelEvent,
    MicLostEvent,
    OtherVoiceEvent,
    PartialTranscriptEvent,
    SpeakerBackEvent,
    SpeakerLostEvent,
    SpeakingChangedEvent,
    TranscriptEvent,
    VoiceReadyEvent,
    WakeDetectedEvent,
    WakeScoreEvent,
)
from jarvis.ui.resource_panel import bar

PARTIAL_CHARS = 60  # the end of a long partial transcript is what the speaker is saying now
MODE_NAMES = {"off": "off", "ptt": "push-to-talk", "hands_free": "hands-free", "wake_word": "wake word"}


def listening_label(ev: ListeningChanged) -> str:
    """How a listening mode reads in the panel and the status bar, e.g. ``push-to-talk (listening)``."""
    text = MODE_NAMES.get(ev.mode, ev.mode)
    return text + " (listening)" if ev.active else text


def wake_line(ev: WakeScore) -> str:
    """The live wake-word line: the score as a bar, the threshold, and whether a turn needs it now."""
    mark = "  [b green]awake[/]" if ev.awake else ""
    return f"wake  {bar(ev.score, 1.0, 14)} {ev.score:.2f}/{ev.threshold:.2f}{mark}"


class VoicePanel(Static):
    """Shows the voice events it receives (see :attr:`EVENTS`)."""

    EVENTS: ClassVar[tuple[type, ...]] = (
        MicLevel, ListeningChanged, AudioDrops, SpeakingChanged, PartialTranscript, Transcript, VoiceReady,
        WakeScore, WakeDetected, MicLost, MicBack, SpeakerLost, SpeakerBack, BargeInPause, OtherVoice,
    )

    def on_mount(self) -> None:
        self.mode_text = "off"
        self._level = -90.0
        self._vad = "quiet"
        self._clip = False
        self._drops = 0
        self._speaking = False
        self._paused = False  # Jarvis's voice is held: the user may be barging in
        self._mic_lost = False
        self._speaker_lost = False
        self._unavailable = ""
        self.partial = ""
        self.readiness = "loading voice models…"
        self.wake_score: WakeScore | None = None  # the newest wake-word score (wake-word mode only)
        self.wake_cue: WakeDetected | None = None  # the wake cue, shown until the question is heard
        self.other: OtherVoice | None = None  # the last voice ignored as not the owner's (until a turn)
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
        if message.event.mode != "wake_word":
            self.wake_score = self.wake_cue = None
        self._redraw()

    def on_wake_score_event(self, message: WakeScoreEvent) -> None:
        self.wake_score = message.event
        if not self.wake_score.awake:
            self.wake_cue = None
        self._redraw()

    def on_wake_detected_event(self, message: WakeDetectedEvent) -> None:
        self.wake_cue = message.event
        self._redraw()

    def on_mic_lost_event(self, message: MicLostEvent) -> None:
        self._mic_lost = True
        self.partial = ""
        self._redraw()

    def on_mic_back_event(self, message: MicBackEvent) -> None:
        self._mic_lost = False
        self._redraw()

    def on_speaker_lost_event(self, message: SpeakerLostEvent) -> None:
        self._speaker_lost = True
        self._redraw()

    def on_speaker_back_event(self, message: SpeakerBackEvent) -> None:
        self._speaker_lost = False
        self._redraw()

    def on_audio_drops_event(self, message: AudioDropsEvent) -> None:
        self._drops = message.event.count
        self._redraw()

    def on_speaking_changed_event(self, message: SpeakingChangedEvent) -> None:
        self._speaking = message.event.speaking
        self._paused = self._paused and self._speaking
        self._redraw()

    def on_other_voice_event(self, message: OtherVoiceEvent) -> None:
        self.other = message.event
        self._redraw()

    def on_barge_in_pause_event(self, message: BargeInPauseEvent) -> None:
        self._paused = message.event.state == "paused"
        self._redraw()

    def on_voice_ready_event(self, message: VoiceReadyEvent) -> None:
        ev: VoiceReady = message.event
        self.readiness = f"voice ready ({ev.seconds:.1f} s)" if ev.ok else "voice models failed (see above)"
        self._redraw()

    def on_partial_transcript_event(self, message: PartialTranscriptEvent) -> None:
        self.partial = message.event.text
        self._redraw()

    def on_transcript_event(self, message: TranscriptEvent) -> None:
        if self.partial or self.wake_cue or self.other:  # the turn has its transcript: the live lines are done
            self.partial = ""
            self.wake_cue = None
            self.other = None
            self._redraw()

    def _redraw(self) -> None:
        if self._unavailable:
            self.update(f"[b]Voice[/b]\n[dim]{self._unavailable}[/]")
            return
        level = max(0.0, min(1.0, (self._level + 60.0) / 60.0))
        mic = f"mic   {bar(level, 1.0, 14)} {self._level:5.1f} dB" + (" [b red]CLIP[/]" if self._clip else "")
        if self._mic_lost:
            mic = "mic   [b yellow]lost — waiting for it to come back[/]"
        lines = [
            "[b]Voice[/b]",
            f"mode  {self.mode_text}",
            f"[dim]{self.readiness}[/]",
            mic,
            f"vad   {self._vad}",
        ]
        if self._speaker_lost:
            lines.append("spk   [b yellow]lost — replies shown, not spoken[/]")
        if self.wake_score is not None:
            lines.append(wake_line(self.wake_score))
        if self.wake_cue is not None:
            lines.append(f'[b green]● "hey jarvis"[/] ({self.wake_cue.score:.2f}): listening…')
        if self.other is not None:
            lines.append(f"[dim]another voice ({self.other.score:.2f}): ignored[/]")
        if self.partial:
            text = self.partial if len(self.partial) <= PARTIAL_CHARS else "…" + self.partial[-PARTIAL_CHARS:]
            lines.append(f"[i]{escape(text)}[/]")
        if self._speaking:
            lines.append("[b yellow]paused: listening to you…[/]" if self._paused else "[b green]speaking…[/]")
        if self._drops:
            lines.append(f"[yellow]dropped blocks: {self._drops}[/]")
        self.update("\n".join(lines))
