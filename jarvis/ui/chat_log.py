"""The chat log: user turns, streamed assistant replies (Markdown), notes and per-turn details."""

from __future__ import annotations

from typing import ClassVar

from textual.containers import VerticalScroll
from textual.widgets import Collapsible, Markdown, Static
from textual.widgets.markdown import MarkdownStream

from jarvis.audio.events import HeardText, MicBack, MicLost, SpeakerBack, SpeakerLost
from jarvis.messages import Announcement, MemoryHits, ReplyDone, StageError, TokenDelta, ToolUse, Transcript
from jarvis.tutor.feedback import TutorFeedback
from jarvis.ui.messages import (
    AnnouncementEvent,
    HeardTextEvent,
    MicBackEvent,
    MicLostEvent,
    ReplyDoneEvent,
    SpeakerBackEvent,
    SpeakerLostEvent,
    StageErrorEvent,
    TokenDeltaEvent,
    ToolUseEvent,
    TranscriptEvent,
    TutorFeedbackEvent,
)

FLUSH_S = 0.1  # streamed reply text is drawn at most this often
MIC_LOST = "🎤 Microphone lost — waiting for it to come back"
MIC_BACK = "🎤 Microphone back"
SPEAKER_LOST = "🔈 Speaker lost — replies are shown, not spoken, until it comes back"
SPEAKER_BACK = "🔈 Speaker back — replies are spoken again"


class UserTurn(Static):
    """What the user typed or said."""

    def __init__(self, text: str, source: str = "keyboard") -> None:
        icon = "🎤" if source == "voice" else "›"
        super().__init__(f"[b]{icon} You[/b]  {_escape(text)}", classes="user-turn")


class Note(Static):
    """A line from Jarvis itself (errors, help, memory notices)."""

    def __init__(self, text: str, kind: str = "info") -> None:
        super().__init__(text, classes=f"note note-{kind}")


class AssistantTurn(Markdown):
    """A reply that streams in as Markdown."""

    def __init__(self, turn_id: int) -> None:
        super().__init__("", classes="assistant-turn")
        self.turn_id = turn_id
        self.stream: MarkdownStream | None = None
        self.text = ""
        self.pending = ""  # deltas not drawn yet
        self.flush_scheduled = False


def _escape(text: str) -> str:
    return text.replace("[", r"\[")


class ChatLog(VerticalScroll):
    """The conversation as it happens; scrolls to the newest message while the user is at the bottom.

    Handles the turn events it receives (see :attr:`EVENTS`): spoken questions, streamed replies,
    each reply's details line, stage errors as notes, and what was heard after a barge-in.
    """

    EVENTS: ClassVar[tuple[type, ...]] = (
        Transcript, TokenDelta, ReplyDone, StageError, HeardText, ToolUse, Announcement, TutorFeedback,
        MicLost, MicBack, SpeakerLost, SpeakerBack,
    )

    def on_mount(self) -> None:
        self.anchor()
        self._turns: dict[int, AssistantTurn] = {}
        self._details: dict[int, tuple[Static, ReplyDone]] = {}

    async def on_token_delta_event(self, message: TokenDeltaEvent) -> None:
        await self.append(message.event.turn_id, message.event.text)

    def on_transcript_event(self, message: TranscriptEvent) -> None:
        if message.event.source == "voice":  # typed turns are shown when they are sent
            self.add_user(message.event.text, "voice")

    async def on_reply_done_event(self, message: ReplyDoneEvent) -> None:
        await self.finish(message.event)

    def on_stage_error_event(self, message: StageErrorEvent) -> None:
        ev: StageError = message.event
        self.add_note(f"⚠ {error_text(ev)}", "error")

    def on_tool_use_event(self, message: ToolUseEvent) -> None:
        self.mount(tool_view(message.event))

    def on_tutor_feedback_event(self, message: TutorFeedbackEvent) -> None:
        text = message.event.text()
        if text:
            self.add_note("✎ " + _escape(text).replace("\n", "\n  "), "tutor")

    def on_announcement_event(self, message: AnnouncementEvent) -> None:
        ev: Announcement = message.event
        self.add_note(f"⏰ {_escape(ev.text)}", "timer")

    def on_mic_lost_event(self, message: MicLostEvent) -> None:
        """One line when the microphone goes (why is in the log file); typing still works."""
        self.add_note(MIC_LOST, "device")

    def on_mic_back_event(self, message: MicBackEvent) -> None:
        self.add_note(MIC_BACK, "device")

    def on_speaker_lost_event(self, message: SpeakerLostEvent) -> None:
        """One line when the speaker goes (why is in the log file); replies still show here."""
        self.add_note(SPEAKER_LOST, "device")

    def on_speaker_back_event(self, message: SpeakerBackEvent) -> None:
        self.add_note(SPEAKER_BACK, "device")

    def on_heard_text_event(self, message: HeardTextEvent) -> None:
        ev: HeardText = message.event
        self.heard(ev.turn_id, ev.text, ev.interrupted)

    def add_user(self, text: str, source: str = "keyboard") -> None:
        """Show a user turn."""
        self.mount(UserTurn(text, source))

    def add_note(self, text: str, kind: str = "info") -> Note:
        """Show a note (``kind``: info, error, memory, route)."""
        note = Note(text, kind)
        self.mount(note)
        return note

    def assistant(self, turn_id: int) -> AssistantTurn:
        """The reply widget of ``turn_id``, created (with its stream) on first use."""
        turn = self._turns.get(turn_id)
        if turn is None:
            turn = AssistantTurn(turn_id)
            self._turns[turn_id] = turn
            self.mount(turn)
            turn.stream = Markdown.get_stream(turn)
        return turn

    async def append(self, turn_id: int, text: str) -> None:
        """Stream a text delta into the reply of ``turn_id`` (drawn at most every ``FLUSH_S``).

        Re-rendering the Markdown for every token takes CPU the model needs (on a small CPU every
        core runs a llama.cpp thread): deltas are gathered and written a few times a second.
        """
        turn = self.assistant(turn_id)
        turn.text += text
        turn.pending += text
        if not turn.flush_scheduled:
            turn.flush_scheduled = True
            self.set_timer(FLUSH_S, lambda: self._flush(turn))

    async def _flush(self, turn: AssistantTurn) -> None:
        turn.flush_scheduled = False
        pending, turn.pending = turn.pending, ""
        if pending and turn.stream is not None:
            await turn.stream.write(pending)

    async def finish(self, done: ReplyDone) -> None:
        """Close the stream and add the turn's details line (model, speed, timeline, memories)."""
        turn = self.assistant(done.turn_id)
        if turn.stream is not None:
            await self._flush(turn)
            await turn.stream.stop()
            turn.stream = None
        if not done.text and not done.interrupted:
            await turn.remove()
        details = Static(_details(done), classes="turn-details")
        self._details[done.turn_id] = (details, done)
        self.mount(details)
        hits = done.memory
        if hits is not None and (hits.hits or hits.withheld or hits.error):
            self.mount(_memory_view(hits))

    def heard(self, turn_id: int, text: str, interrupted: bool) -> None:
        """The turn's audio finished or was cut: refresh its timeline, show what was heard."""
        entry = self._details.get(turn_id)
        if entry is not None:
            widget, done = entry
            widget.update(_details(done))  # first_audio_out may have arrived after ReplyDone
        if interrupted:
            shown = text if len(text) < 160 else text[:157] + "…"
            self.add_note(f"✂ cut off; the conversation keeps what you heard: “{_escape(shown)}”", "info")

    def clear_all(self) -> None:
        """Remove every message."""
        self._turns.clear()
        self._details.clear()
        self.remove_children()


def error_text(ev: StageError) -> str:
    """A stage error as one line with its hint."""
    return ev.message + (f" (hint: {ev.hint})" if ev.hint else "")


def _details(done: ReplyDone) -> str:
    decision = done.decision
    parts = [f"{done.model}"]
    if done.remote:
        parts.append(f"[b yellow]☁ cloud[/] ${done.cost:.4f}")
    if decision is not None and decision.reason:
        parts.append(_escape(decision.reason))
    s = done.stats
    if s is not None:
        parts.append(f"{s.completion_tokens} tok, {s.tokens_per_s:.1f} tok/s")
    if done.timings is not None:
        # One clock for the whole line: seconds from the end of speech (voice) or from the send.
        rel = {k: v for k, v in done.timings.relative().items() if v is not None}
        origin = "after speech" if done.timings.speech_end is not None else "after send"
        moments = [("transcript_ready", "heard"), ("first_token", "first token"),
                   ("first_audio_out", "first audio"), ("reply_done", "done")]
        shown = [f"{label} {rel[key]:.2f}s" for key, label in moments if key in rel and rel[key] > 0]
        if shown:
            parts.append(f"{origin}: " + ", ".join(shown))
    if done.interrupted:
        parts.append("[b red]interrupted[/]")
    return "  ·  ".join(parts)


def _memory_view(hits: MemoryHits) -> Collapsible:
    if hits.error:
        title = "memory unavailable"
        body = _escape(hits.error)
    elif hits.withheld:
        title = f"{len(hits.hits)} memories withheld from the cloud model"
        body = "set memory.share_with_api = true to share them"
    else:
        title = f"used {len(hits.hits)} memories"
        body = "\n".join(f"• {_escape(h.text)}  [dim]({h.score:.2f}, {h.id[:8]})[/]" for h in hits.hits)
    return Collapsible(Static(body), title=title, collapsed=True, classes="memories")


def tool_view(use: ToolUse) -> Collapsible:
    """One tool call as a collapsed line (tool, result, time) that opens to the arguments and result."""
    import json

    mark = "🔧" if use.ok else "⚠"
    result = use.result if len(use.result) <= 70 else use.result[:67] + "…"
    ms = use.duration_s * 1000
    title = f"{mark} {use.name} → {result}  ({ms:.0f} ms{', ' + use.source if use.source else ''})"
    args = json.dumps(use.arguments, ensure_ascii=False, default=str)
    body = f"[b]arguments[/b] {_escape(args)}\n[b]result[/b] {_escape(use.result)}"
    return Collapsible(Static(body), title=title, collapsed=True, classes="tool-call")
