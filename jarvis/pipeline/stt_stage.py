"""The STT stage: an utterance in, a voice turn submitted to the assistant out."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from jarvis.errors import EmptyInput
from jarvis.messages import StatusChange, TurnTimings, Utterance
from jarvis.pipeline.stage import Stage

if TYPE_CHECKING:
    from jarvis.pipeline.runner import Assistant
    from jarvis.stt.base import SpeechToText

NO_WORDS_HINT = "speak closer to the microphone, or raise the VAD aggressiveness in audio.vad"


def has_words(text: str) -> bool:
    """True when the transcript holds at least one letter or digit (not just '...' or '[Music]')."""
    stripped = text.strip()
    if not stripped or (stripped.startswith(("[", "(")) and stripped.endswith(("]", ")"))):
        return False
    return any(ch.isalnum() for ch in stripped)


class SttStage(Stage):
    """Utterance -> transcript -> ``assistant.submit_text`` (a voice turn carrying its timeline).

    Args:
        assistant: receives the turns.
        recogniser: returns the loaded speech recogniser (may wait for a background load).
        on_submitted: called after a turn was submitted (the voice loop is busy from then on).
    """

    name = "stt"

    def __init__(
        self, assistant: Assistant, recogniser: Callable[[], SpeechToText], on_submitted: Callable[[], None],
    ) -> None:
        super().__init__(assistant.bus, maxsize=8)
        self.assistant = assistant
        self.recogniser = recogniser
        self.on_submitted = on_submitted

    def process(self, item: Utterance) -> None:
        """Transcribe one utterance and submit it. Raises EmptyInput for silence or noise."""
        stt = self.recogniser()
        self.bus.publish(StatusChange("transcribing"))
        result = stt.transcribe(item.audio, language=self.assistant.settings.stt.language or None)
        text = result.text.strip()
        if not has_words(text):
            self.bus.publish(StatusChange("idle"))
            raise EmptyInput("heard no words (silence or noise only); nothing was sent", NO_WORDS_HINT)
        timings = TurnTimings(started=item.speech_end)
        timings.mark("speech_end", item.speech_end)
        timings.mark("transcript_ready")
        self.assistant.submit_text(text, "voice", result.language, timings=timings, recognition=result)
        self.on_submitted()
