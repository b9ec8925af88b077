"""The tutor: keeps each turn in the scenario and the target language, then corrects the learner.

Before a reply it checks the learner's turn against the scenario (:class:`TopicGuard`) and, when
off topic, asks the model to steer back; after the reply it publishes a :class:`TutorFeedback`
(corrections of grammar and vocabulary, :mod:`jarvis.tutor.rules`), optionally speaks them, and
saves the session summary (:mod:`jarvis.tutor.sessions`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jarvis.errors import JarvisError
from jarvis.messages import Filler, ReplyDone, StageError, Transcript
from jarvis.profile_spec import ProfileSpec
from jarvis.tutor.feedback import TutorFeedback
from jarvis.tutor.rules import rule_corrections
from jarvis.tutor.sessions import TutorSession, save_session
from jarvis.tutor.topic import Encoder, TopicGuard

log = logging.getLogger(__name__)

STEER = (
    "(The learner went off topic. Answer in one short sentence, then kindly bring the conversation "
    "back to the scenario.)"
)


class Tutor:
    """A :class:`jarvis.pipeline.runner.TurnCoach` for one tutor profile.

    Args:
        profile: the tutor profile.
        data_dir: where sessions are saved (``general.data_dir``).
        publish: the assistant's bus.
        encoder: the sentence embedder for the off-topic check (None: no check).
    """

    def __init__(
        self, profile: ProfileSpec, data_dir: Path, publish: Callable[[Any], None], encoder: Encoder | None = None,
    ) -> None:
        self.profile = profile
        self.language = profile.language
        self.data_dir = data_dir
        self.publish = publish
        self.guard = TopicGuard(encoder, profile.scenario, profile.off_topic_below) if encoder else None
        self.session = TutorSession(profile.name, profile.scenario, profile.language, profile.level)
        self._checked: dict[int, tuple[bool, float | None]] = {}
        self._on_topic: list[str] = []  # the learner's recent on-topic turns: follow-ups compare with them

    def before_reply(self, item: Transcript) -> str:
        """The steering note when the learner's turn is off topic, else ""."""
        off, sim = False, None
        if self.guard is not None:
            try:
                off, sim = self.guard.off_topic(item.text, self._on_topic[-3:] or None)
            except JarvisError as exc:  # no embedder: corrections go on, the topic is not checked
                self.guard = None
                self.publish(StageError("tutor", exc.message, exc.hint, item.turn_id))
        self._checked = {item.turn_id: (off, sim)}
        return STEER if off else ""

    def after_reply(self, item: Transcript, done: ReplyDone) -> None:
        """Publish the feedback on the learner's turn, speak it if asked, save the session."""
        off, sim = self._checked.pop(item.turn_id, (False, None))
        corrections = tuple(rule_corrections(item.text, self.language))
        feedback = TutorFeedback(item.turn_id, corrections, off, sim)
        if not off:
            self._on_topic.append(item.text)
        self.session.add_turn(item.text, list(corrections), off)
        self.publish(feedback)
        if self.profile.say_corrections and corrections:
            self.publish(Filler(feedback.spoken(), self.language, item.turn_id, item.generation))
        save_session(self.data_dir, self.session)


def tutor_for(
    profile: ProfileSpec | None, settings: Any, emit: Callable[[Any], None], encoder: Encoder | None = None
) -> Tutor | None:
    """The :class:`Tutor` for a tutor ``profile`` (None for any other profile, or none).

    ``emit`` is where a spoken correction goes (the assistant's outlet: the reply queue). The
    embedder is ``encoder`` when given (the memory's), else one is loaded.
    """
    if profile is None or profile.kind != "tutor":
        return None
    if encoder is None:
        from jarvis.memory.embedder import Embedder

        encoder = Embedder(settings.memory.embedder)
    return Tutor(profile, settings.general.data_dir, emit, encoder)
