"""``config.toml`` -> typed, validated settings.

Where the file comes from: ``--config`` > ``$JARVIS_CONFIG`` > the repository's ``config.toml`` >
``~/.config/jarvis/config.toml``. Relative paths in the file resolve against the file's folder.
A bad file raises :class:`ConfigError` naming the file, the key, what was expected and what was found.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from jarvis.errors import ConfigError, ModelNotFound
from jarvis.profile_spec import ProfileSpec

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config.toml"
USER_CONFIG = Path.home() / ".config" / "jarvis" / "config.toml"

Backend = Literal["llama_cpp", "openai", "anthropic", "openai_compatible"]
SPECIALTIES = ("chat", "code", "math", "reasoning", "summary")
# How the microphone is used: push-to-talk, always listening, or listening for "hey jarvis" first.
AudioMode = Literal["ptt", "hands_free", "wake_word"]
# Whether the microphone hears the speaker: a headset (no) or open speakers (yes: echo to handle).
Speakers = Literal["headset", "open"]
# Echo cancellation with open speakers: "auto" (when it works here), "on" (say so when it cannot), "off".
EchoCancel = Literal["auto", "on", "off"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GeneralSettings(_Section):
    """Where Jarvis keeps its own files, and logging."""

    data_dir: Path = Path("~/.local/share/jarvis")
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_max_bytes: int = Field(1_000_000, ge=10_000)
    log_backups: int = Field(3, ge=0, le=50)

    @property
    def log_file(self) -> Path:
        """The rotating log file."""
        return self.data_dir / "logs" / "jarvis.log"

    @property
    def history_dir(self) -> Path:
        """Saved conversations, one JSON-lines file each."""
        return self.data_dir / "conversations"

    @property
    def metrics_file(self) -> Path:
        """One JSON record per turn."""
        return self.data_dir / "metrics.jsonl"


class LLMSettings(_Section):
    """How replies are generated."""

    system_prompt: str = (
        "You are Jarvis, a helpful, concise voice assistant. Answer in the language the user speaks."
    )
    max_tokens: int = Field(512, ge=1, le=32768)
    temperature: float = Field(0.7, ge=0.0, le=2.0)
    top_p: float = Field(0.95, gt=0.0, le=1.0)
    history_tokens: int = Field(2048, ge=64)
    seed: int = -1
    threads: int = Field(0, ge=0, le=512)
    memory_in: Literal["question", "system_prompt"] = "question"
    cache_answers: bool = True  # a general question asked again is answered from jarvis.llm.answer_cache
    cache_entries: int = Field(500, ge=1, le=100000)


class ModelSpec(_Section):
    """One row of the model table."""

    name: str = Field(min_length=1)
    backend: Backend = "llama_cpp"
    file: Path | None = None
    id: str | None = None
    base_url: str | None = None
    key_env: str | None = None
    device: str = "auto"
    memory_mb: int = Field(0, ge=0)
    context: int = Field(4096, ge=256)
    difficulty: tuple[int, int] = (1, 100)
    specialties: tuple[str, ...] = ("chat",)
    cost_per_1k_in: float = Field(0.0, ge=0)
    cost_per_1k_out: float = Field(0.0, ge=0)
    default: bool = False
    fallback: bool = True  # may answer a turn routed to another model that failed or was slow
    gpu_layers: int = -1
    chat_format: str | None = None

    @field_validator("difficulty")
    @classmethod
    def _range(cls, v: tuple[int, int]) -> tuple[int, int]:
        lo, hi = v
        if not (1 <= lo <= hi <= 100):
            raise ValueError("a range [low, high] with 1 <= low <= high <= 100")
        return v

    @field_validator("specialties")
    @classmethod
    def _specialties(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [s for s in v if s not in SPECIALTIES]
        if bad:
            raise ValueError(f"specialties from {', '.join(SPECIALTIES)}")
        return v

    @field_validator("device")
    @classmethod
    def _device(cls, v: str) -> str:
        if v in ("auto", "cpu") or (v.startswith("cuda:") and v[5:].isdigit()) or v == "remote":
            return v
        raise ValueError("'auto', 'cpu', 'cuda:N' or 'remote'")

    @model_validator(mode="after")
    def _needs_location(self) -> ModelSpec:
        if self.backend == "llama_cpp" and self.file is None:
            raise ValueError("a llama_cpp model needs 'file'")
        if self.backend == "openai_compatible" and not self.base_url:
            raise ValueError("an openai_compatible model needs 'base_url'")
        if self.backend != "llama_cpp" and not self.id:
            raise ValueError(f"a {self.backend} model needs 'id' (the model name the server knows)")
        return self

    @property
    def is_local(self) -> bool:
        """True when the model runs in this process."""
        return self.backend == "llama_cpp"


class RouterSettings(_Section):
    """Difficulty routing, the model pool and the fallback chain."""

    enabled: bool = True
    allow_api: bool = False
    max_local_latency_s: float = Field(60.0, gt=0)
    keep_alive_s: float = Field(600.0, ge=0)
    memory_margin_mb: int = Field(512, ge=0)
    api_timeout_s: float = Field(60.0, gt=0)
    facts_to_api: bool = True  # with allow_api, questions about the world go to a cloud model


class MemorySettings(_Section):
    """Long-term memory (ChromaDB)."""

    enabled: bool = True
    path: Path = Path("vectorstore")
    server: str = ""
    embedder: Path = Path("models/use-multilingual-v3")
    embedder_device: str = "auto"
    embedder_threads: int = Field(1, ge=0, le=256)
    collection: str = "memories"
    top_k: int = Field(4, ge=1, le=50)
    # "auto": the threshold measured for the embedder's kind (jarvis.memory.embedder.Embedder.min_similarity)
    min_similarity: Literal["auto"] | Annotated[float, Field(ge=-1.0, le=1.0)] = "auto"
    token_budget: int = Field(300, ge=0)
    dedup_similarity: float = Field(0.95, ge=0.0, le=1.0)
    store_turns: bool = False
    recall_turns: bool = False  # stored chat turns may come back as memories of later turns
    share_with_api: bool = False
    # Store each fact's Spanish/English translation as an extra vector (jarvis/memory/translator.py).
    translate: bool = True
    translate_model: str = ""  # "" = the default model


class VADSettings(_Section):
    """Voice activity detection and turn taking."""

    engine: Literal["webrtc", "silero"] = "webrtc"
    aggressiveness: int = Field(2, ge=0, le=3)
    frame_ms: Literal[10, 20, 30] = 30
    start_ms: int = Field(150, ge=0)
    preroll_ms: int = Field(300, ge=0)
    min_speech_ms: int = Field(250, ge=0)
    end_silence_ms: int = Field(700, ge=50)
    max_utterance_s: float = Field(30.0, gt=0)


class TurnSettings(_Section):
    """Semantic end of turn (Smart Turn) on top of the VAD's silence."""

    enabled: bool = True
    model: Path = Path("models/smart-turn/smart-turn-v3.2-cpu.onnx")
    check_ms: int = Field(200, ge=30)
    threshold: float = Field(0.5, ge=0.0, le=1.0)
    max_silence_ms: int = Field(1200, ge=100)
    partial_every_ms: int = Field(1000, ge=0)


class BargeInSettings(_Section):
    """Barge-in by voice over Jarvis's reply with open speakers and echo cancellation."""

    pause: bool = True  # pause Jarvis's voice at the first sign of the user, before the VAD confirms
    pause_ms: int = Field(30, ge=10)  # voiced speech over Jarvis's echo (with double talk) that pauses it
    resume_ms: int = Field(300, ge=30)  # a pause the VAD has not confirmed within this long resumes
    # speech over the reply holds it until its words decide: a backchannel or a cough resumes it,
    # words that ask for the floor cut it (jarvis/pipeline/floor.py); off: the VAD's start cuts it
    hear_first: bool = True
    floor_ms: int = Field(1200, ge=200)  # speech this long over the reply cuts it without waiting for its words


class WakeSettings(_Section):
    """The wake word for ``audio.mode = "wake_word"`` ("hey jarvis", openWakeWord; see jarvis/audio/wake_word.py)."""

    enabled: bool = False  # deprecated: with ``audio.hands_free = true`` it means ``audio.mode = "wake_word"``
    model: Path = Path("models/wake/hey_jarvis_v0.1.onnx")
    threshold: float = Field(0.5, gt=0.0, lt=1.0)
    refractory_s: float = Field(2.0, ge=0.0)
    follow_up_s: float = Field(5.0, ge=0.0)
    chime: bool = True


class SpeakerSettings(_Section):
    """Whose voice counts (``audio.only_my_voice``): the speaker embedding and its bar."""

    model: Path = Path("models/speaker/embedder.int8.onnx")
    # cosine to the enrolled voiceprint at or over which a voice is the owner's (bench/speaker_id.py)
    threshold: float = Field(0.75, ge=-1.0, le=1.0)


class AudioSettings(_Section):
    """Microphone and speaker."""

    input_device: str | int | None = None
    output_device: str | int | None = None
    sample_rate: int = Field(16000, ge=8000)
    block_ms: int = Field(30, ge=5)
    queue_blocks: int = Field(200, ge=4)
    # audio queued in the speaker's device buffer: a late callback on a busy CPU then plays it instead
    # of underrunning (a click; ~1.9 s of silence on the tests' PulseAudio null sink); 0 = the lowest latency
    output_buffer_ms: int = Field(100, ge=0, le=1000)
    speakers: Speakers = "open"
    echo_cancel: EchoCancel = "auto"
    headset: bool | None = None  # deprecated alias of ``speakers`` (read only when ``speakers`` is not set)
    mode: AudioMode = "ptt"
    hands_free: bool | None = None  # deprecated alias of ``mode`` (read only when ``mode`` is not set)
    vad: VADSettings = VADSettings()
    turn: TurnSettings = TurnSettings()
    wake: WakeSettings = WakeSettings()
    barge_in: BargeInSettings = BargeInSettings()
    # hands-free turns and barge-ins by voice only from the enrolled voice (`jarvis voice enroll`);
    # without a voiceprint this does nothing (and says so)
    only_my_voice: bool = False
    speaker: SpeakerSettings = SpeakerSettings()

    @model_validator(mode="before")
    @classmethod
    def _mode_from_old_keys(cls, data: Any) -> Any:
        """``hands_free = true`` (plus the old ``wake.enabled = true``) still picks the mode when ``mode`` is unset."""
        if not isinstance(data, dict) or "mode" in data or not data.get("hands_free"):
            return data
        wake = data.get("wake")
        woke = wake.get("enabled") if isinstance(wake, dict) else getattr(wake, "enabled", False)
        return {**data, "mode": "wake_word" if woke else "hands_free"}

    @model_validator(mode="before")
    @classmethod
    def _speakers_from_headset(cls, data: Any) -> Any:
        """The old ``headset = true/false`` still picks ``speakers`` when ``speakers`` is unset."""
        if not isinstance(data, dict) or "speakers" in data or not isinstance(data.get("headset"), bool):
            return data
        return {**data, "speakers": "headset" if data["headset"] else "open"}


class STTSettings(_Section):
    """Speech to text (faster-whisper)."""

    model: Path = Path("models/whisper-base")
    device: str = "auto"
    compute_type: str = "auto"
    language: str = ""
    beam_size: int = Field(1, ge=1, le=10)
    short_context: bool = True
    languages: list[str] = ["en", "es"]
    # English whisper is unsure of is decoded again by Moonshine base; the likelier text wins
    english_check: bool = True
    english_check_model: Path = Path("models/moonshine-base-en")
    english_check_below: float = Field(-0.15, le=0.0)
    english_check_sure: float = Field(-0.3, le=0.0)
    # an unsure English transcript that reads like no sentence (SmolLM2-135M) is asked again
    sense_check: bool = True
    sense_check_model: Path = Path("models/smollm2-135m-instruct-q4_1.gguf")


class TTSSettings(_Section):
    """Text to speech voices, one per language."""

    enabled: bool = True
    default_language: str = "en"
    piper_model: Path = Path("models/piper/en_US-joe-medium.onnx")
    kokoro_model: Path = Path("models/kokoro/kokoro-v1.0.int8.onnx")
    kokoro_voices: Path = Path("models/kokoro/voices.npz")
    kokoro_voice: str = "ef_dora"
    kokoro_styles: Path = Path("models/kokoro/styles")
    kokoro_voice_for: dict[str, str] = {"es": "ef_dora", "en": "af_heart", "ja": "jf_alpha"}
    voices: dict[str, str] = {"en": "piper", "es": "kokoro"}
    speed: float = Field(1.0, gt=0.2, le=3.0)
    clause_words: int = Field(18, ge=4)
    first_piece_first: bool = True
    first_piece_words: dict[str, int] = {"piper": 12, "kokoro": 4}
    first_piece_at_phrase: list[str] = ["kokoro"]
    voice_first_below_s: float = Field(1.0, ge=0.0)


class ToolSettings(_Section):
    """Tools: the instant path for everyday commands, and the tools models may call."""

    enabled: bool = True
    instant: bool = True
    timeout_s: float = Field(10.0, gt=0)
    max_rounds: int = Field(2, ge=1, le=10)
    confirm: bool = True
    confirm_timeout_s: float = Field(30.0, gt=0)
    filler_after_s: float = Field(0.7, ge=0)
    timezone: str = ""
    disabled: list[str] = []


# Every built-in tool, by name (``tools.disabled`` may name these, or SERVER.TOOL of an MCP server;
# tests/commands/test_doctor_sections.py keeps this in step with the toolbox).
BUILTIN_TOOLS = (
    "calculator", "calendar_facts", "cancel_timer", "clock", "country_facts", "forget", "list_timers", "recall",
    "remember", "set_alarm", "set_reminder", "set_timer", "system_status",
)


class McpServerSpec(_Section):
    """One MCP server: a command to start (stdio) or a URL (streamable HTTP)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")
    command: str | None = None
    args: list[str] = []
    env: dict[str, str] = {}
    url: str | None = None
    timeout_s: float = Field(20.0, gt=0)
    enabled: bool = True

    @model_validator(mode="after")
    def _one_transport(self) -> McpServerSpec:
        if bool(self.command) == bool(self.url):
            raise ValueError("an MCP server needs either 'command' (stdio) or 'url' (HTTP), not both")
        return self


class UISettings(_Section):
    """The terminal UI."""

    ptt_key: str = "ctrl+t"
    resource_interval_s: float = Field(1.0, ge=0.2)
    theme: str = "textual-dark"


class Settings(_Section):
    """All settings, plus where they came from."""

    general: GeneralSettings = GeneralSettings()
    llm: LLMSettings = LLMSettings()
    models: tuple[ModelSpec, ...] = ()
    router: RouterSettings = RouterSettings()
    memory: MemorySettings = MemorySettings()
    audio: AudioSettings = AudioSettings()
    stt: STTSettings = STTSettings()
    tts: TTSSettings = TTSSettings()
    ui: UISettings = UISettings()
    tools: ToolSettings = ToolSettings()
    mcp_servers: tuple[McpServerSpec, ...] = ()
    profiles: tuple[ProfileSpec, ...] = ()
    profile: str = ""  # the profile to start with ("" = none); `jarvis --profile NAME` overrides
    source: Path | None = None

    @model_validator(mode="after")
    def _unique_models(self) -> Settings:
        names = [m.name for m in self.models]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"model names must be unique; repeated: {', '.join(sorted(dupes))}")
        if sum(m.default for m in self.models) > 1:
            raise ValueError("at most one model may have default = true")
        wanted = self.memory.translate_model
        if wanted and wanted not in names:
            raise ValueError(f"memory.translate_model {wanted!r} is not a [[models]] name ({', '.join(names)})")
        profiles = [p.name for p in self.profiles]
        if len(set(profiles)) != len(profiles):
            raise ValueError("profile names must be unique")
        return self

    def model(self, name: str) -> ModelSpec:
        """The model called ``name``; :class:`ModelNotFound` lists the valid names."""
        for m in self.models:
            if m.name == name:
                return m
        names = ", ".join(m.name for m in self.models) or "(none configured)"
        raise ModelNotFound(f"unknown model '{name}'", f"models in the config: {names}")

    @property
    def default_model(self) -> ModelSpec:
        """The model marked ``default = true`` (else the first local one)."""
        for m in self.models:
            if m.default:
                return m
        for m in self.models:
            if m.is_local:
                return m
        if self.models:
            return self.models[0]
        where = self.source or "config.toml"
        raise ModelNotFound(f"no models in {where}", "add a [[models]] table; see the repository's config.toml")


# (section, key) of every path setting; a section may be nested ("audio.turn").
_PATH_FIELDS = {
    ("general", "data_dir"),
    ("memory", "path"),
    ("memory", "embedder"),
    ("stt", "model"),
    ("tts", "piper_model"),
    ("tts", "kokoro_model"),
    ("tts", "kokoro_voices"),
    ("tts", "kokoro_styles"),
    ("audio.turn", "model"),
    ("audio.wake", "model"),
    ("audio.speaker", "model"),
    ("stt", "english_check_model"),
    ("stt", "sense_check_model"),
}


def _resolve(p: Path, base: Path) -> Path:
    p = p.expanduser()
    return p if p.is_absolute() else (base / p).resolve()


def _with_resolved(section: Any, dotted: str, key: str, base: Path) -> Any:
    """A copy of ``section`` whose ``dotted`` subsection has ``key`` resolved against ``base``."""
    head, _, rest = dotted.partition(".")
    sub = getattr(section, head)
    if rest:
        sub = _with_resolved(sub, rest, key, base)
    else:
        sub = sub.model_copy(update={key: _resolve(getattr(sub, key), base)})
    return section.model_copy(update={head: sub})


def _resolve_paths(settings: Settings, base: Path) -> Settings:
    for section, key in _PATH_FIELDS:
        settings = _with_resolved(settings, section, key, base)
    models = tuple(
        m.model_copy(update={"file": _resolve(m.file, base)}) if m.file is not None else m
        for m in settings.models
    )
    return settings.model_copy(update={"models": models})


def config_path(explicit: str | os.PathLike | None = None) -> Path:
    """Which config file to read (see the module docstring)."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("JARVIS_CONFIG")
    if env:
        return Path(env).expanduser()
    if REPO_CONFIG.is_file():
        return REPO_CONFIG
    return USER_CONFIG


def _describe(err: dict, path: Path) -> ConfigError:
    loc = [str(x) for x in err.get("loc", ())]
    key = ".".join(loc) or "(top level)"
    if loc and loc[0] in ("models", "profiles") and len(loc) > 1 and loc[1].isdigit():
        key = f"{loc[0]}[{loc[1]}]" + ("." + ".".join(loc[2:]) if len(loc) > 2 else "")
    found = err.get("input")
    if err.get("type") == "extra_forbidden":
        return ConfigError(
            f"{path}: unknown key '{key}'",
            "remove it or check its spelling; every valid key is documented in the repository's config.toml",
        )
    expected = err.get("msg", "a valid value").removeprefix("Value error, ")
    shown = repr(found)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return ConfigError(
        f"{path}: bad value for '{key}': expected {expected}, found {shown}",
        "fix the value; every key is documented in the repository's config.toml",
    )


def _nul_key(data: Any, key: str = "") -> str | None:
    """The first key whose string value holds a NUL character (no file name can), else None."""
    if isinstance(data, str):
        return key if "\x00" in data else None
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for k, v in items:
        found = _nul_key(v, f"{key}.{k}" if key else str(k))
        if found is not None:
            return found
    return None


def _check_tools(settings: Settings, path: Path) -> None:
    """``[[mcp_servers]]`` names are unique; ``tools.disabled`` names a built-in tool or SERVER.TOOL."""
    first: dict[str, int] = {}
    for i, server in enumerate(settings.mcp_servers):
        if server.name in first:
            raise ConfigError(
                f"{path}: bad value for 'mcp_servers[{i}].name': '{server.name}' is already the name of "
                f"mcp_servers[{first[server.name]}]",
                "give each [[mcp_servers]] entry a name of its own (its tools are called NAME.TOOL)",
            )
        first[server.name] = i
    for name in settings.tools.disabled:
        head, dot, tool = name.partition(".")
        if name in BUILTIN_TOOLS or (dot and tool and head in first):
            continue
        if name in first:
            hint = (f"'{name}' is an MCP server, not a tool: set enabled = false in its [[mcp_servers]] entry, "
                    f"or name one of its tools as {name}.TOOL (`jarvis tools list` shows them)")
        elif dot:
            servers = ", ".join(first) or "none configured"
            hint = f"'{head}' is not an [[mcp_servers]] name (MCP servers: {servers}); tools are named SERVER.TOOL"
        else:
            hint = (f"built-in tools: {', '.join(BUILTIN_TOOLS)}; an MCP server's tools are SERVER.TOOL "
                    "(`jarvis tools list` shows them)")
        raise ConfigError(f"{path}: bad value for 'tools.disabled': unknown tool '{name}'", hint)


def parse_settings(data: dict[str, Any], path: Path) -> Settings:
    """Validate already-parsed TOML data from ``path`` into :class:`Settings`."""
    bad = _nul_key(data)
    if bad is not None:
        raise ConfigError(f"{path}: bad value for '{bad}': it holds a NUL character (\\u0000)", "remove it")
    try:
        settings = Settings.model_validate({**data, "source": path})
    except ValidationError as exc:
        raise _describe(exc.errors()[0], path) from None
    _check_tools(settings, path)
    return _resolve_paths(settings, path.resolve().parent)


def load_settings(explicit: str | os.PathLike | None = None) -> Settings:
    """Read, validate and resolve the config file; raises :class:`ConfigError`."""
    path = config_path(explicit)
    if path.is_dir():
        raise ConfigError(f"the config file {path} is a folder", "pass the config.toml file itself with --config")
    if not path.is_file():
        raise ConfigError(
            f"config file not found: {path}",
            "pass --config FILE or set JARVIS_CONFIG; copy the repository's config.toml to start",
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}", "fix the syntax at that line") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}", "check the file's permissions and encoding") from None
    return parse_settings(data, path)
