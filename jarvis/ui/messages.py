"""Textual messages: one per pipeline event class, plus the resource sample.

The bridge wraps each event of the assistant's bus in the message made for its class
(:func:`message_for`); widgets handle them with ordinary Textual handlers (``on_token_delta_event``
and so on). Only the messages the app also handles (stage errors, model loads) bubble up from the
widget; the others, a token delta above all, stop at the widget that shows them. High-rate events
(mic level, drops, status) set ``can_replace`` so a backlog collapses to the newest value.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message

from jarvis.audio.events import (
    AudioDrops,
    BargeInPause,
    HeardText,
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
from jarvis.messages import (
    Announcement,
    ConfirmAnswered,
    ConfirmRequest,
    MemoryHits,
    ModelLoadProgress,
    PartialTranscript,
    ReplyDone,
    RouteDecision,
    StageError,
    StatusChange,
    TokenDelta,
    ToolUse,
    Transcript,
)
from jarvis.tutor.feedback import TutorFeedback


class PipelineEvent(Message):
    """An event published on the assistant's bus (``event``); the base of every event message."""

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event


class CoalescedEvent(PipelineEvent):
    """A high-rate event: only the newest one of the same type matters."""

    def can_replace(self, message: Message) -> bool:
        return type(message) is type(self)


class TokenDeltaEvent(PipelineEvent, bubble=False):
    """A piece of the streamed reply."""


class TranscriptEvent(PipelineEvent, bubble=False):
    """A turn started (typed or spoken)."""


class RouteDecisionEvent(PipelineEvent):
    """The model chosen for a turn (or a fallback notice)."""


class MemoryHitsEvent(PipelineEvent):
    """The memories recalled for a turn."""


class ReplyDoneEvent(PipelineEvent, bubble=False):
    """A reply ended (its route and memories ride on it)."""


class StageErrorEvent(PipelineEvent):
    """A stage failed on one item."""


class ModelLoadProgressEvent(PipelineEvent):
    """A model started or finished loading."""


class HeardTextEvent(PipelineEvent, bubble=False):
    """What the user heard of a reply."""


class ListeningChangedEvent(PipelineEvent, bubble=False):
    """The listening mode changed."""


class SpeakingChangedEvent(PipelineEvent, bubble=False):
    """Jarvis started or stopped speaking."""


class StatusChangeEvent(CoalescedEvent, bubble=False):
    """The assistant's state (idle, thinking, ...)."""


class MicLevelEvent(CoalescedEvent, bubble=False):
    """The microphone level of the latest block."""


class AudioDropsEvent(CoalescedEvent, bubble=False):
    """Audio blocks dropped so far."""


class PartialTranscriptEvent(CoalescedEvent, bubble=False):
    """What the speaker has said so far (the newest replaces an unhandled older one)."""


class VoiceReadyEvent(PipelineEvent, bubble=False):
    """The voice models are loaded and warm."""


class WakeScoreEvent(CoalescedEvent, bubble=False):
    """The wake-word score of the latest 80 ms (the newest replaces an unhandled older one)."""


class WakeDetectedEvent(PipelineEvent, bubble=False):
    """The wake word was heard."""


class MicLostEvent(PipelineEvent, bubble=False):
    """The microphone went away; Jarvis waits for it (the chat log and the voice panel say so)."""


class MicBackEvent(PipelineEvent, bubble=False):
    """The lost microphone is back; listening goes on."""


class SpeakerLostEvent(PipelineEvent, bubble=False):
    """The speaker went away; replies are shown, not spoken, until it is back (chat log, voice panel)."""


class SpeakerBackEvent(PipelineEvent, bubble=False):
    """The lost speaker is back; replies are spoken again."""


class BargeInPauseEvent(PipelineEvent, bubble=False):
    """Jarvis's voice paused on a first sign of the user, then was cut off or resumed (the voice panel)."""


class OtherVoiceEvent(PipelineEvent, bubble=False):
    """Speech that was not the enrolled owner's was ignored (the voice panel)."""


class ToolUseEvent(PipelineEvent, bubble=False):
    """A tool call ran (shown in the chat log)."""


class AnnouncementEvent(PipelineEvent):
    """A timer, alarm or reminder rang (the chat log shows it; the app notifies)."""


class ConfirmRequestEvent(PipelineEvent):
    """A tool waits for the user's yes/no (the app asks with a dialog)."""


class ConfirmAnsweredEvent(PipelineEvent):
    """A tool's confirmation was answered (its dialog closes)."""


class TutorFeedbackEvent(PipelineEvent, bubble=False):
    """The tutor's corrections for a learner turn (shown in the chat log)."""


MESSAGES: dict[type, type[PipelineEvent]] = {
    TutorFeedback: TutorFeedbackEvent,
    ConfirmAnswered: ConfirmAnsweredEvent,
    ToolUse: ToolUseEvent,
    Announcement: AnnouncementEvent,
    ConfirmRequest: ConfirmRequestEvent,
    TokenDelta: TokenDeltaEvent,
    Transcript: TranscriptEvent,
    RouteDecision: RouteDecisionEvent,
    MemoryHits: MemoryHitsEvent,
    ReplyDone: ReplyDoneEvent,
    StageError: StageErrorEvent,
    ModelLoadProgress: ModelLoadProgressEvent,
    StatusChange: StatusChangeEvent,
    HeardText: HeardTextEvent,
    ListeningChanged: ListeningChangedEvent,
    SpeakingChanged: SpeakingChangedEvent,
    MicLevel: MicLevelEvent,
    AudioDrops: AudioDropsEvent,
    PartialTranscript: PartialTranscriptEvent,
    VoiceReady: VoiceReadyEvent,
    WakeScore: WakeScoreEvent,
    WakeDetected: WakeDetectedEvent,
    MicLost: MicLostEvent,
    MicBack: MicBackEvent,
    SpeakerLost: SpeakerLostEvent,
    SpeakerBack: SpeakerBackEvent,
    BargeInPause: BargeInPauseEvent,
    OtherVoice: OtherVoiceEvent,
}


def message_for(event: Any) -> PipelineEvent:
    """The Textual message for a pipeline event (a plain :class:`PipelineEvent` for other types)."""
    return MESSAGES.get(type(event), PipelineEvent)(event)


class ResourceSample(Message):
    """One reading of CPU, RAM, GPUs and resident models for the resource panel."""

    def __init__(self, sample: dict) -> None:
        super().__init__()
        self.sample = sample

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ResourceSample)
