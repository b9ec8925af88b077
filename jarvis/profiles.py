"""Profiles: ``jarvis --profile NAME`` / ``/profile NAME`` apply a ``[[profiles]]`` table to the settings.

An assistant profile may set its own system prompt, voice (and speed), model and memory on/off.
A tutor profile (see :mod:`jarvis.tutor`) also writes the tutor's system prompt from its scenario,
language and level, fixes the recogniser to the language practised and turns tools off, so the
conversation stays in the scenario.
"""

from __future__ import annotations

from pathlib import Path

from jarvis.config import Settings
from jarvis.errors import ConfigError
from jarvis.language import NAMES
from jarvis.profile_spec import ProfileSpec

NO_PROFILE = "none"  # `/profile none`: back to the settings without a profile

TUTOR_PROMPT = (
    "You are a friendly {language} conversation partner for a learner at CEFR level {level}. "
    "Stay in this role-play scenario the whole time: {scenario} "
    "Always answer in {language}, in one or two short, simple sentences suited to level {level}, "
    "and end with a short question that keeps the scenario going. Never switch to another language."
)


def find_profile(settings: Settings, name: str) -> ProfileSpec:
    """The profile called ``name``; :class:`ConfigError` lists the valid names."""
    for p in settings.profiles:
        if p.name == name:
            return p
    names = ", ".join(p.name for p in settings.profiles) or "(none configured)"
    raise ConfigError(
        f"unknown profile '{name}'", f"profiles in {settings.source or 'config.toml'}: {names} (see [[profiles]])"
    )


def tutor_prompt(profile: ProfileSpec) -> str:
    """The system prompt of a tutor profile."""
    language = NAMES.get(profile.language, profile.language)
    return TUTOR_PROMPT.format(language=language, level=profile.level, scenario=profile.scenario.strip())


def _voice(settings: Settings, profile: ProfileSpec) -> dict:
    """The ``[tts]`` overrides of a profile (voice for its language, speed)."""
    tts = settings.tts
    update: dict = {}
    lang = profile.language or tts.default_language
    if profile.voice:
        if profile.voice.endswith(".onnx"):  # a Piper voice file
            voice = Path(profile.voice).expanduser()
            base = settings.source.parent if settings.source else Path.cwd()
            update["piper_model"] = voice if voice.is_absolute() else (base / voice).resolve()
            update["voices"] = {**tts.voices, lang: "piper"}
        else:  # a Kokoro voice name, e.g. ef_dora
            from jarvis.tts.kokoro_backend import style_names

            styles = style_names(tts.kokoro_voices, tts.kokoro_styles)
            if styles and profile.voice not in styles:  # said here: the profile is what to fix
                raise ConfigError(
                    f"profile '{profile.name}': voice '{profile.voice}' is not an installed Kokoro style",
                    f"set voice in its [[profiles]] entry to one of: {', '.join(sorted(styles))}, "
                    "or to a Piper .onnx file",
                )
            update["kokoro_voice_for"] = {**tts.kokoro_voice_for, lang: profile.voice}
            update["voices"] = {**tts.voices, lang: "kokoro"}
    if profile.speed is not None:
        update["speed"] = profile.speed
    return update


def apply_profile(settings: Settings, name: str | None = None) -> Settings:
    """``settings`` with profile ``name`` (default: ``settings.profile``) applied; unchanged when none.

    Raises:
        ConfigError: an unknown profile, or one naming a model that is not in the model table.
    """
    name = name if name is not None else settings.profile
    if not name:
        return settings
    profile = find_profile(settings, name)
    update: dict = {"profile": profile.name}
    llm: dict = {}
    if profile.kind == "tutor":
        llm["system_prompt"] = profile.system_prompt or tutor_prompt(profile)
        update["stt"] = settings.stt.model_copy(update={"language": profile.language})
        update["tools"] = settings.tools.model_copy(update={"enabled": False})
        update["memory"] = settings.memory.model_copy(update={"enabled": bool(profile.memory)})
    else:
        if profile.system_prompt:
            llm["system_prompt"] = profile.system_prompt
        if profile.memory is not None:
            update["memory"] = settings.memory.model_copy(update={"enabled": profile.memory})
    if llm:
        update["llm"] = settings.llm.model_copy(update=llm)
    tts = _voice(settings, profile)
    if tts:
        update["tts"] = settings.tts.model_copy(update=tts)
    if profile.model:
        if profile.model not in {m.name for m in settings.models}:
            known = ", ".join(m.name for m in settings.models) or "(none configured)"
            raise ConfigError(
                f"profile '{profile.name}' names an unknown model '{profile.model}'",
                f"set its 'model' to one of: {known}",
            )
        update["models"] = tuple(m.model_copy(update={"default": m.name == profile.model}) for m in settings.models)
        update["router"] = settings.router.model_copy(update={"enabled": False})
    return settings.model_copy(update=update)


def active_profile(settings: Settings) -> ProfileSpec | None:
    """The profile these settings were made with (None: no profile)."""
    return find_profile(settings, settings.profile) if settings.profile else None


def switch_settings(base: Settings, name: str) -> Settings:
    """``base`` (the settings as read, no profile applied) with profile ``name``; ``none``: no profile.

    Used by ``/profile NAME`` while Jarvis runs: each switch starts from ``base``, so nothing of
    the previous profile is left over.

    Raises:
        ConfigError: an unknown profile (the hint lists the valid names, and ``none``), or one naming
            an unknown model.
    """
    if name == NO_PROFILE and all(p.name != name for p in base.profiles):
        return base.model_copy(update={"profile": ""})
    try:
        return apply_profile(base, name)
    except ConfigError:
        if any(p.name == name for p in base.profiles):
            raise
        names = ", ".join([p.name for p in base.profiles] + [NO_PROFILE])
        raise ConfigError(f"unknown profile '{name}'", f"try one of: {names} (/profile lists them)") from None


def describe(profile: ProfileSpec | None) -> str:
    """A short description of ``profile`` for listings, e.g. ``tutor · Spanish A2 · You are a waiter…``."""
    if profile is None:
        return "plain Jarvis (config.toml without a profile)"
    if profile.kind == "tutor":
        language = NAMES.get(profile.language, profile.language)
        scenario = profile.scenario.strip()
        short = scenario if len(scenario) <= 50 else scenario[:49].rstrip() + "…"
        return f"tutor · {language} {profile.level} · {short}"
    parts = ["assistant"]
    if profile.model:
        parts.append(f"model {profile.model}")
    if profile.voice:
        parts.append(f"voice {Path(profile.voice).name}")
    if profile.speed is not None:
        parts.append(f"speed {profile.speed:g}")
    if profile.memory is not None:
        parts.append("memory on" if profile.memory else "memory off")
    return " · ".join(parts)
