"""The composition root: the one place that builds a running Jarvis from settings.

:func:`build` makes the :class:`~jarvis.pipeline.runner.Assistant` and attaches what the settings
ask for: the router, long-term memory, the metrics observer. The returned :class:`Jarvis` starts
the background work (first model, memory embedder), starts the voice on request, and closes
everything in the right order, as a context manager. The CLI's commands and the TUI both use it;
nothing else wires features into an assistant.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from jarvis.audio.speaker_id import OwnerCheck
from jarvis.config import Settings
from jarvis.errors import InputError, JarvisError
from jarvis.hardware import Machine, PlacementPlan, plan_for, probe
from jarvis.history import Conversation
from jarvis.llm.answer_cache import AnswerCache
from jarvis.llm.pool import ModelPool
from jarvis.llm.router import Router
from jarvis.memory.service import MemoryService, memory_service
from jarvis.messages import StageError, TurnRecord, Utterance
from jarvis.metrics import MetricsObserver
from jarvis.pipeline.barge_in import BargeIn
from jarvis.pipeline.echo_guard import EchoGuard
from jarvis.pipeline.listening import ListeningModes
from jarvis.pipeline.outlet import Outlet
from jarvis.pipeline.parts import AssistantParts
from jarvis.pipeline.queues import Channel, ReplyPiece
from jarvis.pipeline.runner import Assistant
from jarvis.pipeline.stt_stage import SttStage
from jarvis.pipeline.tts_stage import TtsStage
from jarvis.pipeline.turn_judge import TurnJudge
from jarvis.pipeline.voice_graph import Unit, Voice, VoiceOptions
from jarvis.pipeline.voice_models import VoiceModels
from jarvis.tools.toolbox import Toolbox

log = logging.getLogger(__name__)

MAX_REPLY_TOKENS = 32768  # the bound config.py puts on llm.max_tokens
MEMORY_HINT = "chat goes on without long-term memory; see `jarvis doctor` and the log file"
MEMORY_TOOLS = ("remember", "recall", "forget")  # left out while a profile turns memory off


class Jarvis:
    """A built Jarvis: the assistant, its memory and (once started) the voice.

    Use it as a context manager, or call :meth:`close`: it stops the voice, waits for
    background loads (native code must not be cut off mid-load), closes the memory store and
    frees the models.

    Args:
        assistant: the assistant with its router, memory and observers attached.
        memory: the long-term memory service (None when memory is off).
        voice_options: the :class:`~jarvis.pipeline.voice_graph.VoiceOptions` every :meth:`start_voice` uses
            (e.g. already loaded ``stt`` / ``voices`` models).
    """

    def __init__(
        self, assistant: Assistant, memory: MemoryService | None = None, voice_options: dict[str, Any] | None = None,
        base_settings: Settings | None = None,
    ) -> None:
        self.assistant = assistant
        self.memory = memory
        self.tools: Toolbox | None = assistant.tools
        self.voice: Voice | None = None
        self.voice_options = dict(voice_options or {})
        self.base_settings = base_settings or assistant.settings  # what /profile starts from
        self.use_memory = True  # False: memory stays off whatever a profile says (--no-memory)
        self.use_tools = True  # False: no tools whatever a profile says
        self._parked_memory: MemoryService | None = None  # kept open while a profile turns memory off
        self._warm_up: threading.Thread | None = None
        self._more_warm_ups: list[threading.Thread] = []  # memory turned on later by a profile
        self._timers = False
        self._idle_work = False
        self._closed = False

    @property
    def settings(self) -> Settings:
        """The settings Jarvis was built from."""
        return self.assistant.settings

    def start(self, *, preload: bool = True, warm_up_memory: bool = True, mcp: bool = True) -> Jarvis:
        """Start the assistant's thread; load the first model and the memory embedder and (``mcp``)
        start the MCP servers, all in the background (no turn waits for an MCP server).

        A memory that cannot load is published as a :class:`StageError` ("memory"); chat goes on.
        """
        self.assistant.start(preload=preload)
        if self.tools is not None and mcp:
            self.tools.start_mcp_background()  # a server that fails says so in one line; the rest goes on
        if self.tools is not None and preload:
            threading.Thread(target=self.tools.warm_up, name="jarvis-tools-warm-up", daemon=True).start()
        if warm_up_memory and self.memory is not None and self._warm_up is None:
            self._warm_up = threading.Thread(target=self._warm_up_memory, name="jarvis-memory-warm-up", daemon=True)
            self._warm_up.start()
        return self

    def _warm_up_memory(self, service: MemoryService | None = None) -> None:
        service = service or self.memory
        assert service is not None
        try:
            service.warm_up()
        except JarvisError as exc:
            self.assistant.bus.publish(StageError("memory", exc.message, exc.hint or MEMORY_HINT))
        except Exception as exc:  # pragma: no cover - unexpected
            log.exception("memory warm-up failed")
            self.assistant.bus.publish(StageError("memory", f"{type(exc).__name__}: {exc}", MEMORY_HINT))

    def start_timers(self) -> None:
        """Ring timers, alarms and reminders while this Jarvis runs (the TUI; headless commands don't,
        so a timer that comes due is never rung where nobody hears it)."""
        self._timers = True
        if self.tools is not None:
            self.tools.start()

    def start_idle_work(self) -> None:
        """Work done while Jarvis is quiet, as long as it runs (the TUI; a one-shot command does not):
        memory translations, starting with the facts that have none yet (``memory.translate``)."""
        self._idle_work = True
        if self.memory is not None and self.memory.translations is not None:
            self.memory.translations.start(backfill=True)

    def start_voice(self, **options: Any) -> Voice:
        """Open the microphone and speaker and start the voice (``options``: :class:`VoiceOptions`
        fields overriding ``voice_options``); see :func:`build_voice`.

        Raises:
            AudioDeviceError: neither a microphone nor a speaker can be used.
        """
        if self.voice is not None:
            self.voice.close()
        loop = build_voice(self.assistant, VoiceOptions(**{**self.voice_options, **options}))
        loop.start()
        self.voice = loop
        self.assistant.closer.speaker = loop.player is not None  # the speaker closes the turns it says
        return loop

    def close(self) -> None:
        """Stop everything in order. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self.voice is not None:
            self.voice.close()
        for service in (self.memory, self._parked_memory):
            if service is not None and service.translations is not None:
                service.translations.close()  # the translation in hand ends first (a second or two)
        for loading in [self._warm_up, *self._more_warm_ups]:
            if loading is not None:
                loading.join(120)
        self.assistant.shutdown()
        if self.tools is not None:
            self.tools.close()
        for service in (self.memory, self._parked_memory):
            if service is not None:
                service.close()

    def switch_profile(self, name: str) -> Settings:
        """Switch to profile ``name`` while running (``"none"``: no profile); returns the new settings.

        The reply being said is stopped; the conversation goes on. The system prompt, voice and
        speed, model, memory on/off, tools and the tutor follow the profile: a tutor profile starts a
        fresh tutor session (its summary is saved under the profile), and leaving it ends the session.
        Models already loaded stay loaded; a memory a profile turns off stays open for the next one.

        Raises:
            ConfigError: an unknown profile (the hint lists the valid names) or a profile naming an
                unknown model or voice style; nothing has changed then.
        """
        from jarvis.profiles import active_profile, switch_settings

        new = switch_settings(self.base_settings, name)
        profile = active_profile(new)
        a = self.assistant
        if self.voice is not None:
            self.voice.use_settings(new)  # a voice style that is not installed stops here
            self.voice.barge_in()
        else:
            a.interrupt()
        service = self._switch_memory(new)
        self._switch_tools(new)
        # the same wiring as at start-up; the pool and the tool rounds take the settings too
        a.use_settings(new, assistant_parts(
            new, a.outlet, memory=service, tools=self.tools, answers=a.answers, observers=a.turn_observers
        ))
        if profile is not None and profile.model:
            a.set_model(None)  # the profile's model (the default, routing off) outranks an earlier /model
        return new

    def _switch_memory(self, settings: Settings) -> MemoryService | None:
        """Memory on or off as ``settings`` say; returns the memory in use (None: off)."""
        a = self.assistant
        if self.use_memory and settings.memory.enabled:
            service = self.memory or self._parked_memory
            if service is None:
                service = memory_service(settings, a.plan, a.conversation.path.stem)
                attach_translations(a, service)
                if self._idle_work and service.translations is not None:
                    service.translations.start(backfill=True)
                loading = threading.Thread(
                    target=self._warm_up_memory, args=(service,), name="jarvis-memory-warm-up", daemon=True
                )
                self._more_warm_ups.append(loading)
                loading.start()
            self.memory, self._parked_memory = service, None
        elif self.memory is not None:
            self._parked_memory, self.memory = self.memory, None
        return self.memory

    def _switch_tools(self, settings: Settings) -> None:
        """The toolbox once ``settings`` turn tools on (built then; kept after, as the memory is)."""
        a = self.assistant
        if self.tools is None and self.use_tools and settings.tools.enabled:
            self.tools = Toolbox(settings, a.outlet.emit, a.pool.resident)  # a rung timer is spoken
            if self._timers:
                self.tools.start()
        if self.tools is not None:
            self.tools.start_mcp_background()  # tools the profile turns on (at most once each; never waits)

    def __enter__(self) -> Jarvis:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def attach_translations(assistant: Assistant, service: MemoryService) -> None:
    """Give ``service`` a translation queue when ``memory.translate`` is on (it starts with
    :meth:`Jarvis.start_idle_work`): the translating model comes from the assistant's pool, and
    its chat prompt cache is read again once the queue runs dry."""
    settings = assistant.settings
    if not settings.memory.translate or not settings.models:
        return
    from jarvis.llm.translate import LlmTranslator
    from jarvis.memory.translator import TranslationQueue

    translator = LlmTranslator(assistant.pool, settings.memory.translate_model, assistant.idle.stopping)
    model = translator.model
    service.translations = TranslationQueue(
        service, translator, assistant.idle, after=lambda: assistant.warm_cache(model)
    )


def build(
    settings: Settings,
    *,
    resume: bool = False,
    model: str | None = None,
    memory: bool = True,
    max_tokens: int | None = None,
    metrics: bool = True,
    tools: bool = True,
    machine: Machine | None = None,
    plan: PlacementPlan | None = None,
    voice_options: dict[str, Any] | None = None,
    base_settings: Settings | None = None,
) -> Jarvis:
    """Build Jarvis from plain values; nothing starts until :meth:`Jarvis.start`.

    Args:
        settings: the validated settings.
        resume: continue the newest conversation.
        model: force this model for every turn (raises ModelNotFound for an unknown name).
        memory: use long-term memory when ``memory.enabled`` (False: no recall, nothing stored).
        max_tokens: the longest reply, overriding ``llm.max_tokens`` (InputError outside 1..32768).
        metrics: write one metrics line per turn to ``general.metrics_file``.
        tools: give the assistant its tools when ``tools.enabled`` (built-ins, memory, MCP).
        machine / plan: an already probed machine and placement plan (probed when None).
        voice_options: defaults for :meth:`Jarvis.start_voice`.
        base_settings: the settings as read, before ``--profile`` was applied: what ``/profile``
            switches start from (default: ``settings``).
    """
    if max_tokens is not None:
        if not 1 <= max_tokens <= MAX_REPLY_TOKENS:
            raise InputError(
                f"bad reply length: {max_tokens} tokens", f"pass --max-tokens between 1 and {MAX_REPLY_TOKENS}"
            )
        longest = {"max_tokens": max_tokens}
        settings = settings.model_copy(update={"llm": settings.llm.model_copy(update=longest)})
        if base_settings is not None:
            base_settings = base_settings.model_copy(update={"llm": base_settings.llm.model_copy(update=longest)})
    outlet = Outlet()  # what Jarvis says: the voice's reply queue, then the bus
    machine = machine or probe()
    plan = plan or plan_for(machine, settings)
    pool = ModelPool(settings, plan, outlet.bus.publish)
    folder = settings.general.history_dir
    conversation = Conversation.resume_last(folder) if resume else Conversation.new(folder)
    session = conversation.path.stem
    service = memory_service(settings, plan, session) if memory and settings.memory.enabled else None
    toolbox = None
    if tools and settings.tools.enabled:
        toolbox = Toolbox(settings, outlet.emit, pool.resident)  # a rung timer is spoken
    answers = AnswerCache(settings.general.data_dir, settings.llm.cache_entries) if settings.llm.cache_answers else None
    observers = [MetricsObserver(settings.general.metrics_file, session=session)] if metrics else []
    parts = assistant_parts(settings, outlet, memory=service, tools=toolbox, answers=answers, observers=observers)
    assistant = Assistant(
        settings, parts=parts, machine=machine, plan=plan, outlet=outlet, pool=pool, conversation=conversation
    )
    if service is not None:
        attach_translations(assistant, service)
    if model:
        assistant.set_model(model)
    jarvis = Jarvis(assistant, service, voice_options, base_settings)
    jarvis.use_memory, jarvis.use_tools = memory, tools
    return jarvis


def assistant_parts(
    settings: Settings,
    outlet: Outlet,
    *,
    memory: MemoryService | None,
    tools: Toolbox | None,
    answers: AnswerCache | None,
    observers: list[Callable[[TurnRecord], None]],
) -> AssistantParts:
    """The assistant's parts for ``settings``: start-up (:func:`build`) and every profile switch
    (:meth:`Jarvis.switch_profile`) wire them here.

    ``memory`` and ``tools`` are already built (None: off); the toolbox is fitted to ``settings``
    (the memory tools only while memory is on). A tutor profile gets its tutor, speaking through
    ``outlet``; a routing table comes from ``settings``.
    """
    from jarvis.profiles import active_profile
    from jarvis.tutor.coach import tutor_for

    if tools is not None:
        fit_toolbox(tools, settings, memory)
    coach = tutor_for(active_profile(settings), settings, outlet.emit, memory.embedder if memory else None)
    return AssistantParts(
        router=Router(settings), answers=answers, memory=memory,
        store_turns=memory is not None and settings.memory.store_turns, tools=tools, coach=coach,
        observers=list(observers),
    )


def fit_toolbox(toolbox: Toolbox, settings: Settings, memory: MemoryService | None) -> None:
    """Give ``toolbox`` the settings, and the memory tools while ``memory`` is on (off: disabled)."""
    if memory is not None:
        if "remember" not in toolbox.registry:
            toolbox.add_memory(memory)
        toolbox.embed = memory.embedder.encode  # MCP tools are offered by meaning, in any language
    else:
        off = [*settings.tools.disabled, *MEMORY_TOOLS]
        settings = settings.model_copy(update={"tools": settings.tools.model_copy(update={"disabled": off})})
    toolbox.settings = settings


def owner_check(settings: Settings, publish: Callable[[Any], None]) -> OwnerCheck | None:
    """The owner's voice check for ``audio.only_my_voice`` (None when it is off, or cannot work:
    no voiceprint yet, or no speaker model; one line then says so and every voice counts)."""
    audio = settings.audio
    if not audio.only_my_voice:
        return None
    from jarvis.audio.speaker_id import OwnerCheck, SpeakerEmbedder, load_voiceprint

    voiceprint = load_voiceprint(settings.general.data_dir)
    if voiceprint is None:
        publish(StageError("audio", "only_my_voice is on but no voice is enrolled: every voice counts",
                           "run `jarvis voice enroll` (10-20 s of your speech)"))
        return None
    try:
        return OwnerCheck(SpeakerEmbedder(audio.speaker.model), voiceprint, audio.speaker.threshold)
    except JarvisError as exc:
        publish(StageError("audio", f"{exc.message}: every voice counts", exc.hint))
        return None


def build_voice(assistant: Assistant, options: VoiceOptions | None = None) -> Voice:
    """Build the voice pipeline around ``assistant``; nothing runs until :meth:`Voice.start`.

    The graph, as a table (``bench`` and the tests build it here too)::

        stage      reads        writes       thread            stops
        vad        microphone   utterances   jarvis-vad        1
        stt        utterances   turns        jarvis-stt        2
        llm        turns        reply        jarvis-llm        (the assistant's: Jarvis.close)
        tts        reply        speech       jarvis-tts        3
        playback   speech       speaker      jarvis-playback   4

    Typed turns join at ``turns``. Going upstream: the one barge-in path
    (:mod:`jarvis.pipeline.barge_in`) and the CPU gate (:mod:`jarvis.pipeline.cpu_gate`). A missing
    microphone is reported (StageError) and replies are still spoken.

    Raises:
        AudioDeviceError: neither a microphone nor a speaker can be used.
    """
    from jarvis.audio.capture import open_input, open_output
    from jarvis.audio.playback import Player
    from jarvis.audio.segmenter import Segmenter

    o = options or VoiceOptions()
    settings, bus = assistant.settings, assistant.bus
    audio = settings.audio
    speaks = settings.tts.enabled if o.use_output is None else o.use_output
    echo = EchoGuard(audio, bus.publish, speakers=o.speaker_kind(settings),
                     echo_cancel=audio.echo_cancel if o.echo_cancel is None else o.echo_cancel, speaks=speaks)

    # the devices: a microphone that cannot be opened still leaves the voice speaking, and vice versa
    source, no_mic = None, None
    if o.use_input:
        try:
            source = echo.wrap(o.input or open_input(audio, o.input_path, o.realtime_input))
        except JarvisError as exc:
            no_mic = exc
    player = None
    if speaks:
        try:
            out = o.output or open_output(audio, o.output_path, o.realtime_output)
            player = Player(out, bus.publish, is_stale=assistant.cancel.is_stale, reference=echo.reference_for(out))
        except JarvisError as exc:
            if no_mic is not None or not o.use_input:
                raise
            bus.publish(StageError("audio", exc.message, exc.hint + "; replies are shown, not spoken"))
    if no_mic is not None:
        if player is None:
            raise no_mic
        bus.publish(StageError("audio", no_mic.message, no_mic.hint))

    # the queues (turns is the assistant's own; speech is the player's buffer, pulled by the device)
    utterances: Channel[Utterance] = Channel("utterances", 8)
    reply: Channel[ReplyPiece] = Channel("reply", 8192)

    models = VoiceModels(settings, assistant.plan, bus.publish, stt=o.stt, voices=o.voices,
                         need_stt=source is not None, need_voices=player is not None)
    barge_in = BargeIn(assistant, player)
    barge_in.before(echo.confirm_pause)
    modes = ListeningModes(audio, o.listening_mode(settings), bus.publish, barge_in, echo, player,
                           models.wake_detector)
    echo.attach(player, barge_in, lambda: modes.speaking, lambda: modes.mode == "wake_word")
    owner = owner_check(settings, bus.publish) if source is not None else None
    stt_stage = SttStage(assistant, models.stt, modes.turn_taken, inbox=utterances, settle=echo.settle, owner=owner)
    turn = audio.turn
    # the end-of-turn judge (Smart Turn + the transcript so far); a question file is one turn anyway
    judged = source is not None and turn.enabled and not o.merge_input
    judge = TurnJudge(turn, stt_stage.speculate, held=lambda: echo.holding) if judged else None
    models.judge = judge

    def hear(utt: Utterance) -> None:
        """An utterance from the VAD: to speech recognition, unless it was Jarvis's own echo; said
        over the held reply, its words decide whether it cuts the reply (``Utterance.held``)."""
        if echo.passes(utt):
            if echo.held(utt):
                utt = replace(utt, held=True)
            if not utterances.offer(utt) and utt.held:  # never blocks the VAD thread (the mic must be read)
                echo.settle(False)

    def partial(so_far: Any) -> None:
        if models.stt_loaded:  # no partials while the model loads
            stt_stage.speculate(so_far, show=True)

    segmenter = None
    if source is not None:
        wake = modes.prepare_wake(source.sample_rate)
        segmenter = Segmenter(
            source, audio.vad, bus.publish, hear,
            generation=lambda: assistant.cancel.generation,
            muted=echo.muted,
            on_speech_start=echo.on_speech_start,
            on_frame=echo.on_frame if echo.watches_frames else None,
            on_utterance=modes.utterance_ended,
            merge=o.merge_input,
            listening=modes.hands_free or o.merge_input,
            judge=judge,
            on_partial=partial if turn.partial_every_ms else None,
            turn=turn,
            wake=wake,
        )
    modes.attach(segmenter)
    if owner is not None and segmenter is not None:
        machine = segmenter.machine
        echo.owner_of = lambda: owner(machine.audio_so_far())  # a long hold cuts only for the owner
    tts_stage = None
    if player is not None:
        tts_stage = TtsStage(bus, settings.tts, assistant.cancel, models.voices, player, o.stream_tts,
                             gate=assistant.cpu_gate, inbox=reply)

    units: list[Unit] = []
    if segmenter is not None:
        units.append(Unit("vad", "microphone", "utterances", "jarvis-vad", 1, segmenter.start, segmenter.stop))
    units.append(Unit("stt", "utterances", "turns", "jarvis-stt", 2, stt_stage.start, lambda: stt_stage.stop(5)))
    units.append(Unit("llm", "turns", "reply", "jarvis-llm", None))  # the assistant's; Jarvis.close stops it
    if player is not None and tts_stage is not None:
        units.append(Unit("tts", "reply", "speech", "jarvis-tts", 3, tts_stage.start, lambda: tts_stage.stop(5)))
        units.append(Unit("playback", "speech", "speaker", "jarvis-playback", 4, player.start, player.close))
    return Voice(assistant, units, models=models, modes=modes, echo=echo, barge_in=barge_in, stt_stage=stt_stage,
                 segmenter=segmenter, tts_stage=tts_stage, player=player, judge=judge)
