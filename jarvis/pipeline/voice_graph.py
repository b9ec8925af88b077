"""A built voice pipeline: its graph table, its parts, and starting and stopping it in order.

:func:`jarvis.assembly.build_voice` builds the parts and writes the graph as a table of
:class:`Unit` rows (each stage, the queue it reads, the queue it writes, its thread, its place in
the shutdown order); :class:`Voice` starts the rows downstream first (nothing is produced before
its reader runs) and stops them in their shutdown order. The parts a caller drives are attributes:
``modes`` (push-to-talk, hands-free, wake word), ``echo`` (the echo guard), ``barge_in`` (the one
barge-in path), ``models``, ``player``, ``segmenter`` and the stages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jarvis.audio.events import ListeningChanged
from jarvis.config import AudioMode, EchoCancel, Settings, Speakers

if TYPE_CHECKING:
    from jarvis.audio.playback import Player
    from jarvis.audio.segmenter import Segmenter
    from jarvis.pipeline.barge_in import BargeIn
    from jarvis.pipeline.echo_guard import EchoGuard
    from jarvis.pipeline.listening import ListeningModes
    from jarvis.pipeline.runner import Assistant
    from jarvis.pipeline.stt_stage import SttStage
    from jarvis.pipeline.tts_stage import TtsStage
    from jarvis.pipeline.turn_judge import TurnJudge
    from jarvis.pipeline.voice_models import VoiceModels
    from jarvis.stt.base import SpeechToText
    from jarvis.tts.voices import VoiceSet


@dataclass(frozen=True)
class VoiceOptions:
    """How to build the voice (``voice_options`` / ``Jarvis.start_voice(**options)``).

    Attributes:
        input_path: replay this WAV file as the microphone (None: the configured microphone).
        output_path: record the speech into this WAV file (None: the configured speaker).
        realtime_input / realtime_output: replay / record WAV files at real time (False: as fast as possible).
        mode: how to listen: ``ptt``, ``hands_free`` or ``wake_word`` (default: ``audio.mode``).
        hands_free: True is ``mode="hands_free"``, False ``mode="ptt"`` (when ``mode`` is not given).
        speakers: ``headset`` (the microphone does not hear the speaker) or ``open`` (default:
            ``audio.speakers``); see :mod:`jarvis.audio.echo_plan`.
        echo_cancel: ``auto``, ``on`` or ``off`` for open speakers (default: ``audio.echo_cancel``).
        headset: the old switch: True is ``speakers="headset"``, False ``speakers="open"``.
        stream_tts: speak sentence by sentence while the reply streams (False: after the whole reply).
        merge_input: treat everything said until the input ends as one utterance (a question file;
            no wake word needed).
        stt / voices: already loaded models to use (else loaded in the background on start).
        input / output: ready device objects (tests); override the paths and the config.
        use_input / use_output: open the microphone / the speaker at all (output default: ``tts.enabled``).
    """

    input_path: str | Path | None = None
    output_path: str | Path | None = None
    realtime_input: bool = True
    realtime_output: bool = True
    mode: AudioMode | None = None
    hands_free: bool | None = None
    headset: bool | None = None
    speakers: Speakers | None = None
    echo_cancel: EchoCancel | None = None
    stream_tts: bool = True
    merge_input: bool = False
    stt: SpeechToText | None = None
    voices: VoiceSet | None = None
    input: Any = None
    output: Any = None
    use_input: bool = True
    use_output: bool | None = None

    def listening_mode(self, settings: Settings) -> AudioMode:
        """The mode to start in (a question file is heard whole: no wake word)."""
        mode = self.mode
        if mode is None:
            mode = settings.audio.mode if self.hands_free is None else "hands_free" if self.hands_free else "ptt"
        return "hands_free" if self.merge_input and mode == "wake_word" else mode

    def speaker_kind(self, settings: Settings) -> Speakers:
        """``headset`` or ``open``."""
        if self.speakers is not None:
            return self.speakers
        return settings.audio.speakers if self.headset is None else "headset" if self.headset else "open"


@dataclass(frozen=True)
class Unit:
    """One row of the voice graph: a stage, the queues it reads and writes, its thread, its place in
    the shutdown order (None: not the voice's to stop) and how to start and stop it."""

    stage: str
    reads: str
    writes: str
    thread: str
    stops: int | None
    start: Callable[[], object] | None = None
    stop: Callable[[], object] | None = None


@dataclass(eq=False)
class Voice:
    """The running voice pipeline around an assistant (built by :func:`jarvis.assembly.build_voice`)."""

    assistant: Assistant
    units: list[Unit]
    _: KW_ONLY
    models: VoiceModels
    modes: ListeningModes
    echo: EchoGuard
    barge_in: BargeIn
    stt_stage: SttStage
    segmenter: Segmenter | None
    tts_stage: TtsStage | None
    player: Player | None
    judge: TurnJudge | None
    _started: bool = field(default=False, init=False)

    def start(self) -> Voice:
        """Start the stages downstream first, then load and warm the models in the background."""
        self.assistant.bus.subscribe(self.modes.observe)
        if self.tts_stage is not None:
            self.assistant.reply = self.tts_stage.offer  # the reply queue: what Jarvis says, to the voice
        for unit in reversed(self.units):
            if unit.start is not None:
                unit.start()
        self.models.start()
        self._started = True
        self.modes.publish_mode()
        return self

    def stop(self) -> None:
        """Stop listening and speaking, in the shutdown order, and free the devices (a WAV output is
        written now). The models stay loaded (:meth:`close` frees them)."""
        if not self._started:
            return
        self._started = False
        self.models.wait()  # native model loading must not be cut off by interpreter exit
        self.assistant.bus.unsubscribe(self.modes.observe)
        if self.tts_stage is not None and self.assistant.reply == self.tts_stage.offer:
            self.assistant.reply = None
        for unit in sorted((u for u in self.units if u.stops is not None), key=lambda u: u.stops or 0):
            if unit.stop is not None:
                unit.stop()
        self.assistant.bus.publish(ListeningChanged("off", False))

    def close(self) -> None:
        """Stop, and release the models this voice loaded (models handed in stay open)."""
        self.stop()
        self.models.close()

    def use_settings(self, settings: Settings) -> None:
        """Speak with ``settings``' voices and speed from now on (a profile switch); the microphone
        stays open and the loaded models stay loaded.

        Raises:
            ConfigError: a voice or style in ``settings.tts`` that cannot be used (nothing changes).
        """
        self.models.retune(settings.tts)
        if self.tts_stage is not None:
            self.tts_stage.settings = settings.tts

    @property
    def speaking(self) -> bool:
        """True while Jarvis's voice plays."""
        return self.modes.speaking
