"""The public voice eval: are Jarvis's answers right, in the asker's language, free of prompt syntax?

Everyday questions with answer keys (``bench/data/voice_eval.json``: half English, half Spanish;
facts, numbers and units, dates, arithmetic, memory, follow-ups, and questions where "I don't know"
is the right answer) are put to Jarvis **as the shipped config.toml runs it** (routing, memory,
tools, the instant path): built by :func:`jarvis.assembly.build`, as ``jarvis`` and ``jarvis ask``
build it. Only the data folder and the memory store move into a fresh temp folder, so the user's
own data is never read or touched. Modes (``--modes``):

- ``typed``: the question as a typed turn (``Assistant.submit_text``, as the TUI's input box);
- ``espeak``: the question spoken by espeak-ng (voices ``en-us`` / ``es``, 16 kHz mono WAV), then a
  whole voice turn as ``jarvis ask --input q.wav`` runs it (replayed at real time as the
  microphone, Jarvis's own faster-whisper, the reply spoken into a WAV file);
- ``jarvis``: the question spoken by Jarvis's own voices (the ``jarvis say`` path: Piper for
  English, Kokoro for Spanish, as config.toml sets), then the same voice turn.

Every session (a single question, or the steps of a memory / follow-up conversation) starts a
fresh conversation. Long-term memory accumulates over the whole run of a mode, as a real user's does
(``--fresh-memory-per-session`` gives each session an empty one); each mode starts with an empty one.

Each reply is graded: ``right`` (a ``right`` regex matches, no ``wrong`` one does), ``dont_know``
(it says it does not know / did not catch it), else ``wrong``; for an ``unanswerable`` question a
"don't know" is right and anything else is wrong. Also per reply: ``in_language`` (the reply is in
the asker's language; a reply without words counts as in it) and ``syntax_leak`` (prompt or tool
syntax shown to the user), and the turn's stage times from its TurnTimings (seconds from the end of
speech for a voice turn, from the submit for a typed one).

Prints one JSON document (every reply, a summary per mode and language with p50/p95 per stage) on
stdout or into ``--out``, and the summary as a Markdown table on stderr (``--table FILE`` writes it;
``docs/voice_eval.md`` keeps the checked-in one).

    .venv/bin/python bench/voice_eval.py --modes typed --limit 5 --lang all
    .venv/bin/python bench/voice_eval.py --set router.enabled=false --variant no-router --table t.md

``--set section.key=value`` (repeatable; the value is TOML: ``false``, ``0.2``, ``"text"``) changes
the shipped config; the output names such a run as a variant so it is never taken for the shipped
one. Works offline: nothing is fetched.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import unicodedata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import pct  # noqa: E402
from jarvis.language import guess_language  # noqa: E402

DATA = ROOT / "bench" / "data" / "voice_eval.json"
MODES = ("typed", "espeak", "jarvis")
VOICE_MODES = ("espeak", "jarvis")
LANGS = ("en", "es")
FAMILIES = ("facts", "numbers_units", "dates_times", "arithmetic", "memory", "follow_up", "unanswerable")
STAGES = ("transcript_ready", "route_chosen", "memory_ready", "first_token", "reply_done", "first_audio_out")
TABLE_STAGES = (("transcript_ready", "transcript"), ("first_token", "first token"), ("reply_done", "reply done"),
                ("first_audio_out", "first audio"))
ESPEAK_VOICES = {"en": "en-us", "es": "es"}
SAMPLE_RATE = 16000
REPLY_TIMEOUT_S = 300.0

# ----------------------------------------------------------------------------------- grading

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_THOUSANDS = re.compile(r"(?<=\d)[,.\u00a0\u202f\u2009](?=\d{3}(?!\d))")


def fold(text: str) -> str:
    """Lower case, accents and marks folded (``París`` -> ``paris``, ``H₂O`` -> ``h2o``), thousands
    separators dropped (``1,000`` / ``3.600`` -> ``1000`` / ``3600``): what the answer keys match."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_QUOTES))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _THOUSANDS.sub("", plain)


def compile_key(pattern: str) -> re.Pattern[str]:
    """An answer-key regex, folded like the replies it is matched against, case-insensitive."""
    return re.compile(fold(pattern), re.IGNORECASE)


# "I don't know" in English and Spanish (matched against the folded reply).
DONT_KNOW = tuple(
    compile_key(p)
    for p in (
        r"\bi (really )?(do not|don'?t|dont) (know|have (that|this|any|enough|the) (information|info|data|details))\b",
        r"\bi'?m not (sure|certain|able to (know|tell|say))\b",
        r"\bi am not (sure|certain|able to (know|tell|say))\b",
        r"\bi (can'?t|cannot|can not|have no way to) "
        r"(know|tell|say|predict|guess|see|access|remember|recall|determine)\b",
        r"\b(no way|impossible|not possible) (for me )?to (know|tell|predict|say)\b",
        r"\b(unable|not able) to (know|tell|predict|say|determine|access)\b",
        r"\b(don'?t|do not) have (access to |any |that |this |enough |the )?"
        r"(personal |real[- ]time |specific )?(information|info|data|details|record|way|memory|memories|access)\b",
        r"\bi have no (information|idea|way|record|access|memory|memories|knowledge|data)\b",
        r"\bno idea\b",
        r"\b(didn'?t|did not|couldn'?t|could not) (catch|hear|understand|get) (that|you|what)\b",
        r"\b(could|can) you (please )?(repeat|say that again)\b",
        r"\byou (haven'?t|have not|didn'?t|did not|never) (told|mentioned|shared|said)\b",
        r"\bi (don'?t|do not) (remember|recall)\b",
        r"\bno lo se\b",
        r"\bno (lo )?se (que|quien|cual|cuanto|cuantos|como|donde|cuando|si|decir|decirte)\b",
        r"\bno estoy segur[oa]\b",
        r"\bno te (he )?entend(i|ido)\b",
        r"\bno (he )?(entendido|captado|oido) (bien|lo que)\b",
        r"\b(puedes|podrias|puede|podria) repetir\b",
        r"\bno (tengo|dispongo de|cuento con) (acceso a |esa |esta |dicha |ninguna |suficiente |la )?"
        r"(informacion|datos|forma|manera|registro|memoria|acceso)\b",
        r"\bno puedo (saber|predecir|conocer|adivinar|acceder|determinar|recordar|ver|decir|decirte)(lo|la|los|las)?\b",
        r"\bno puedo (proporcionar|darte|dar) (esa |esta |ninguna )?(informacion|datos|respuesta)\b",
        r"\bno tengo (la )?(capacidad|forma|manera) de (saber|predecir|conocer|adivinar)\b",
        r"\bi (can'?t|cannot|am unable to) (provide|give) (that|this|any) (information|answer)\b",
        r"\b(no es posible|es imposible|imposible) (saber|predecir|conocer|adivinar|determinar)(lo|la|los|las)?\b",
        r"\bnadie (lo )?(puede|podria) (saber|predecir)(lo)?\b",
        r"\bno (me )?(has|habias) (dicho|mencionado|contado|compartido)\b",
        r"\bno me lo has dicho\b",
        r"\bno (lo )?recuerdo\b",
        r"\b(no tengo )?ni idea\b",
    )
)

# Prompt or tool syntax that should never reach the user (matched against the raw reply).
LEAKS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(p, re.IGNORECASE))
    for name, p in (
        ("memories tag", r"</?memor(y|ies)>"),
        ("tool_call tag", r"</?tool_?calls?>"),
        ("tools tag", r"</?tools>"),
        ("function tag", r"</?function(s|_call)?\b[^>]*>"),
        ("chat template token", r"<\|[a-z_]+\|>|\bim_start\b|\bim_end\b"),
        ("tool call JSON", r"\{\s*\"name\"\s*:|\"arguments\"\s*:|\"parameters\"\s*:"),
        ("code fence", r"```"),
        ("double braces", r"\{\{|\}\}"),
        ("memory preamble", r"things you remember about the user|from earlier conversations \(use them"),
        ("function name", r"\bfunction\s+`[^`]+`|`[a-z_.]+`\s+(tool|function)\b"),
        ("XML tag talk", r"\bxml tags?\b"),
        ("system prompt talk", r"\bsystem prompt\b|\bindicaciones del sistema\b|\bprompt del sistema\b"),
    )
)


def load_items(path: Path = DATA) -> list[dict]:
    """The eval items (``{"items": [...]}`` or a bare list)."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    return list(doc["items"] if isinstance(doc, dict) else doc)


def sessions(items: list[dict]) -> list[list[dict]]:
    """Items grouped into sessions (an item without ``session`` is one alone), steps in order;
    sessions keep the order in which they first appear."""
    groups: dict[str, list[dict]] = {}
    for item in items:
        groups.setdefault(item.get("session") or item["id"], []).append(item)
    return [sorted(g, key=lambda it: it.get("step", 0)) for g in groups.values()]


def said_dont_know(reply: str) -> bool:
    """The reply says it does not know, cannot know, or did not catch the question."""
    text = fold(reply)
    return any(p.search(text) for p in DONT_KNOW)


def grade(item: dict, reply: str) -> str:
    """``right``, ``dont_know`` or ``wrong`` for ``reply`` to ``item`` (``setup`` for a setup step).

    Answerable: right when a ``right`` key matches and no ``wrong`` key does. Unanswerable: right
    when the reply says it does not know, wrong otherwise.
    """
    if item.get("setup"):
        return "setup"
    text = fold(reply)
    if item.get("unanswerable"):
        return "right" if said_dont_know(reply) else "wrong"
    right = any(compile_key(p).search(text) for p in item.get("right", ()))
    wrong = any(compile_key(p).search(text) for p in item.get("wrong", ()))
    if right and not wrong:
        return "right"
    if said_dont_know(reply):
        return "dont_know"
    return "wrong"


def in_language(reply: str, lang: str) -> bool:
    """The reply is in ``lang`` (stopword guess; a reply with no telling words, e.g. "56.", counts as in it)."""
    return guess_language(reply, default=lang) == lang


def syntax_leaks(reply: str) -> list[str]:
    """The kinds of prompt/tool syntax shown in ``reply`` (empty: clean)."""
    return [name for name, pattern in LEAKS if pattern.search(reply)]


# ----------------------------------------------------------------------------------- settings


def _toml_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text  # a bare word is a string


def parse_sets(pairs: list[str]) -> list[tuple[list[str], Any]]:
    """``["router.enabled=false"]`` -> ``[(["router", "enabled"], False)]``."""
    out = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or "." not in key.strip():
            raise SystemExit(f"--set expects section.key=value, found {pair!r}")
        out.append(([k.strip() for k in key.strip().split(".")], _toml_value(value.strip())))
    return out


def eval_settings(config: str | None, sets: list[str], seed: int | None) -> Any:
    """The settings as ``jarvis`` reads them from ``config`` (default: the shipped config.toml), with
    ``--set`` changes and ``--seed`` applied and validated (a bad key fails as it would in the file)."""
    from jarvis.config import config_path, parse_settings

    path = config_path(config or (ROOT / "config.toml"))
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    changes = parse_sets(sets)
    if seed is not None:
        changes.append((["llm", "seed"], seed))
    for keys, value in changes:
        node = data
        for k in keys[:-1]:
            node = node.setdefault(k, {})
            if not isinstance(node, dict):
                raise SystemExit(f"--set {'.'.join(keys)}: {k} is not a section")
        node[keys[-1]] = value
    return parse_settings(data, path)


def with_private_data(settings: Any, folder: Path) -> Any:
    """``settings`` with the data folder and the memory store inside ``folder`` (nothing else changes)."""
    folder.mkdir(parents=True, exist_ok=True)
    general = settings.general.model_copy(update={"data_dir": folder / "data"})
    memory = settings.memory.model_copy(update={"path": folder / "vectorstore", "server": ""})
    return settings.model_copy(update={"general": general, "memory": memory})


# ----------------------------------------------------------------------------------- speech


def _cache_path(cache: Path, mode: str, key: dict) -> Path:
    digest = hashlib.sha1(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return cache / mode / f"{digest}.wav"


def espeak_wav(text: str, lang: str, cache: Path) -> Path:
    """``text`` spoken by espeak-ng as a 16 kHz mono WAV (cached)."""
    from jarvis.audio.wavio import read_wav, write_wav

    voice = ESPEAK_VOICES[lang]
    out = _cache_path(cache, "espeak", {"engine": "espeak-ng", "voice": voice, "text": text})
    if out.is_file():
        return out
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RuntimeError("espeak-ng is not installed: apt-get install -y espeak-ng")
    out.parent.mkdir(parents=True, exist_ok=True)
    raw = out.with_suffix(".raw.wav")
    subprocess.run([exe, "-v", voice, "-w", str(raw), text], check=True, capture_output=True, timeout=60)
    write_wav(out, read_wav(raw, SAMPLE_RATE), SAMPLE_RATE)
    raw.unlink(missing_ok=True)
    return out


def jarvis_wav(text: str, lang: str, cache: Path, voices: Any, tts: Any) -> Path:
    """``text`` spoken by Jarvis's own voice for ``lang`` as ``jarvis say --language LANG`` does it
    (sentence by sentence, 0.15 s apart), resampled to a 16 kHz mono WAV (cached)."""
    import numpy as np

    from jarvis.audio.wavio import resample, write_wav
    from jarvis.tts import SentenceChunker
    from jarvis.tts.voices import voice_name

    key = {"engine": "jarvis", "voice": voice_name(tts, lang), "speed": tts.speed, "text": text, "lang": lang}
    out = _cache_path(cache, "jarvis", key)
    if out.is_file():
        return out
    chunker = SentenceChunker(tts.clause_words)
    pieces = chunker.feed(text) + chunker.flush()
    parts = []
    for i, piece in enumerate(pieces):
        spoken = voices.speak(piece, lang)
        if i:
            parts.append(np.zeros(int(SAMPLE_RATE * 0.15), dtype=np.float32))
        parts.append(resample(np.asarray(spoken.audio, dtype=np.float32), spoken.sample_rate, SAMPLE_RATE))
    write_wav(out, np.concatenate(parts) if parts else np.zeros(SAMPLE_RATE, np.float32), SAMPLE_RATE)
    return out


class VoiceModels:
    """Jarvis's speech recogniser and voices, loaded once and warmed, as the voice loads them;
    every voice turn of the run reuses them (``jarvis ask --input`` loads them per call)."""

    def __init__(self, settings: Any) -> None:
        from jarvis.hardware import plan_here
        from jarvis.pipeline.voice_models import warm_up_stt
        from jarvis.stt import load_stt
        from jarvis.tts.voices import VoiceSet

        self.plan = plan_here(settings)
        self.stt = load_stt(settings, self.plan, lambda line: sys.stderr.write(f"note: {line}\n"))
        warm_up_stt(self.stt)
        placement = self.plan.get("tts")
        self.voices = VoiceSet(settings.tts, getattr(placement, "n_threads", 0) or 0)
        for note in self.voices.preload():
            sys.stderr.write(f"note: {note}\n")
        self.voices.warm_up()

    def close(self) -> None:
        self.voices.close()
        self.stt.close()


# ----------------------------------------------------------------------------------- turns


class AutoConfirm:
    """Answers a tool's confirmation with yes (a user who asked would), and notes the question."""

    def __init__(self, assistant: Any) -> None:
        self.assistant = assistant
        self.asked: list[str] = []

    def __call__(self, event: Any) -> None:
        from jarvis.messages import ConfirmRequest

        if isinstance(event, ConfirmRequest):
            self.asked.append(event.question)
            self.assistant.confirm(event.request_id, True)


def wait_ready(jarvis: Any, timeout: float = 300.0) -> None:
    """Wait for the background loads :meth:`Jarvis.start` began (the first model, the memory
    embedder): a user types the first question into a Jarvis that has started up."""
    for loading in (getattr(jarvis.assistant, "_preload", None), getattr(jarvis, "_warm_up", None)):
        if isinstance(loading, threading.Thread):
            loading.join(timeout)


def typed_turn(jarvis: Any, text: str) -> dict:
    """One typed turn, as the TUI's input box submits it; returns the raw facts of the turn."""
    from jarvis.commands.voice_ask import _wait_reply
    from jarvis.messages import ModelLoadProgress, StageError
    from jarvis.pipeline.recorder import EventRecorder

    a = jarvis.assistant
    with EventRecorder(a.bus) as seen:
        turn_id = a.submit_text(text)
        reply = _wait_reply(seen, turn_id, REPLY_TIMEOUT_S)
        errors = [e.message for e in seen.of(StageError)]
        loads = [e.model for e in seen.of(ModelLoadProgress) if not e.done]
    return {"heard": text, "heard_language": None, "reply": reply, "errors": errors, "loaded": loads}


def voice_turn(jarvis: Any, wav: Path, out_wav: Path, realtime: bool) -> dict:
    """One whole voice turn, as ``jarvis ask --input WAV --output OUT`` runs it."""
    from jarvis.audio.devices import WavFileInput
    from jarvis.audio.events import HeardText
    from jarvis.commands.voice_ask import _wait_reply, _wait_transcript
    from jarvis.messages import ModelLoadProgress, StageError
    from jarvis.pipeline.recorder import EventRecorder

    settings = jarvis.settings
    source = WavFileInput(wav, settings.audio.sample_rate, settings.audio.block_ms, realtime=realtime)
    with EventRecorder(jarvis.assistant.bus) as seen:
        loop = jarvis.start_voice(
            input=source, hands_free=True, merge_input=True, output_path=out_wav, realtime_output=False
        )
        try:
            said = _wait_transcript(seen, loop, source.duration_s + 120.0)
            reply = _wait_reply(seen, said.turn_id, REPLY_TIMEOUT_S)
            if loop.player is not None:
                seen.wait_for(HeardText, lambda e: e.turn_id == said.turn_id, timeout=REPLY_TIMEOUT_S)
        finally:
            loop.close()
        errors = [e.message for e in seen.of(StageError)]
        loads = [e.model for e in seen.of(ModelLoadProgress) if not e.done]
    return {"heard": said.text, "heard_language": said.language, "reply": reply, "errors": errors, "loaded": loads}


def row_for(item: dict, mode: str, turn: dict | None, error: str | None, seconds: float) -> dict:
    """The graded record of one reply."""
    row: dict[str, Any] = {"id": item["id"], "mode": mode, "lang": item["lang"], "family": item["family"],
                           "question": item["text"]}
    if item.get("session"):
        row.update(session=item["session"], step=item.get("step"))
    if item.get("setup"):
        row["setup"] = True
    if item.get("unanswerable"):
        row["unanswerable"] = True
    if turn is None:
        row.update(heard=None, reply="", model=None, grade="setup" if item.get("setup") else "wrong",
                   said_dont_know=False, in_language=False, syntax_leak=[], timings={}, error=error,
                   wall_s=round(seconds, 3))
        return row
    reply = turn["reply"]
    text = reply.text or ""
    timings = reply.timings.relative() if reply.timings is not None else {}
    row.update(
        heard=turn["heard"],
        heard_language=turn["heard_language"],
        reply=text,
        model=reply.model,
        route=(
            {"model": reply.decision.model, "difficulty": reply.decision.difficulty, "reason": reply.decision.reason}
            if reply.decision is not None else None
        ),
        memories=[h.text for h in reply.memory.hits] if reply.memory is not None else [],
        tools=[t.name for t in reply.tools],
        grade=grade(item, text),
        said_dont_know=said_dont_know(text),
        in_language=in_language(text, item["lang"]),
        syntax_leak=syntax_leaks(text),
        timings={s: timings.get(s) for s in STAGES},
        wall_s=round(seconds, 3),
    )
    if turn["errors"]:
        row["stage_errors"] = turn["errors"]
    if turn["loaded"]:
        row["loaded_models"] = turn["loaded"]  # this turn waited for a model to load
    if error:
        row["error"] = error
    return row


def run_mode(mode: str, chosen: list[list[dict]], settings: Any, folder: Path, cache: Path,
             voice: VoiceModels | None, args: argparse.Namespace) -> list[dict]:
    """Every chosen session in ``mode``; one Jarvis (one memory) for the mode, or one per session."""
    from jarvis.assembly import build

    wavs: dict[str, Path] = {}
    if mode in VOICE_MODES:
        assert voice is not None
        t0 = time.monotonic()
        for session in chosen:
            for item in session:
                if mode == "espeak":
                    wavs[item["id"]] = espeak_wav(item["text"], item["lang"], cache)
                else:
                    wavs[item["id"]] = jarvis_wav(item["text"], item["lang"], cache, voice.voices, settings.tts)
        _say(f"[{mode}] {len(wavs)} questions spoken in {time.monotonic() - t0:.1f} s")
    groups = [[s] for s in chosen] if args.fresh_memory_per_session else [chosen]
    rows: list[dict] = []
    for g, group in enumerate(groups):
        scope = folder / mode / (f"session-{g:03d}" if args.fresh_memory_per_session else "all")
        mine = with_private_data(settings, scope)
        voice_options = {"stt": voice.stt, "voices": voice.voices} if voice is not None else None
        jarvis = build(mine, voice_options=voice_options)
        confirm = AutoConfirm(jarvis.assistant)
        jarvis.assistant.bus.subscribe(confirm)
        with jarvis:
            jarvis.start()
            wait_ready(jarvis)
            for session in group:
                jarvis.assistant.clear()  # a fresh conversation (long-term memory stays)
                for item in session:
                    t0 = time.monotonic()
                    turn, error = None, None
                    confirm.asked.clear()
                    try:
                        if mode == "typed":
                            turn = typed_turn(jarvis, item["text"])
                        else:
                            out_wav = scope / "replies" / f"{item['id']}.wav"
                            turn = voice_turn(jarvis, wavs[item["id"]], out_wav, not args.fast_replay)
                    except Exception as exc:  # a failed turn is a wrong answer; the run goes on
                        error = f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}"
                    row = row_for(item, mode, turn, error, time.monotonic() - t0)
                    if confirm.asked:
                        row["confirmed"] = list(confirm.asked)
                    rows.append(row)
                    _progress(row)
    return rows


# ----------------------------------------------------------------------------------- summary


def _share(rows: list[dict], test: Any) -> float | None:
    return round(100.0 * sum(1 for r in rows if test(r)) / len(rows), 1) if rows else None


def summarise(rows: list[dict]) -> dict:
    """{mode: {"all"|"en"|"es": {n, right_pct, ...}}}: rates over scored replies (setups left out),
    language and leaks over every reply, stage p50/p95 over every reply without an error."""
    out: dict[str, dict] = {}
    for mode in dict.fromkeys(r["mode"] for r in rows):
        for lang in ("all", *LANGS):
            mine = [r for r in rows if r["mode"] == mode and lang in ("all", r["lang"])]
            if not mine:
                continue
            scored = [r for r in mine if not r.get("setup")]
            clean = [r for r in mine if "error" not in r]
            by_family = {}
            for fam in FAMILIES:
                f_rows = [r for r in scored if r["family"] == fam]
                if f_rows:
                    by_family[fam] = {"n": len(f_rows), "right_pct": _share(f_rows, lambda r: r["grade"] == "right")}
            out.setdefault(mode, {})[lang] = {
                "n": len(scored),
                "replies": len(mine),
                "right_pct": _share(scored, lambda r: r["grade"] == "right"),
                "dont_know_pct": _share(scored, lambda r: r["grade"] == "dont_know"),
                "wrong_pct": _share(scored, lambda r: r["grade"] == "wrong"),
                "errors": sum(1 for r in mine if "error" in r),
                "in_language_pct": _share(mine, lambda r: r["in_language"]),
                "syntax_leaks": sum(1 for r in mine if r["syntax_leak"]),
                "stages": {
                    s: {"p50": pct((r["timings"].get(s) for r in clean), 50),
                        "p95": pct((r["timings"].get(s) for r in clean), 95)}
                    for s in STAGES
                },
                "by_family": by_family,
            }
    return out


def _cell(value: Any) -> str:
    return "–" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _secs(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def markdown(summary: dict, meta: dict) -> str:
    """The summary as Markdown: one row per voice and language, then right % per family."""
    changed = f" (`{'`, `'.join(meta['set'])}`)" if meta["set"] else " (config.toml as shipped)"
    lines = [
        f"Variant **{meta['variant']}**{changed}; {meta['sessions']} sessions per language"
        f"{' (--limit)' if meta['limit'] else ''}; "
        f"seed {meta['seed']}, temperature {meta['temperature']}; memory "
        + ("fresh per session" if meta["fresh_memory_per_session"] else "kept over the run") + ".",
        "",
        "| voice | lang | n | right % | don't know % | wrong % | in language % | leaks | errors | "
        + " | ".join(f"{label} p50/p95 s" for _, label in TABLE_STAGES) + " |",
        "| --- | --- " + "| ---: " * (7 + len(TABLE_STAGES)) + "|",
    ]
    for mode, per_lang in summary.items():
        for lang, s in per_lang.items():
            stages = " | ".join(
                f"{_secs(s['stages'][k]['p50'])} / {_secs(s['stages'][k]['p95'])}" for k, _ in TABLE_STAGES
            )
            lines.append(
                f"| {mode} | {lang} | {s['n']} | {_cell(s['right_pct'])} | {_cell(s['dont_know_pct'])} | "
                f"{_cell(s['wrong_pct'])} | {_cell(s['in_language_pct'])} | {s['syntax_leaks']} | {s['errors']} | "
                f"{stages} |"
            )
    lines += ["", "Right % per family (n):", "",
              "| voice | lang | " + " | ".join(FAMILIES) + " |",
              "| --- | --- | " + " | ".join("---:" for _ in FAMILIES) + " |"]
    for mode, per_lang in summary.items():
        for lang, s in per_lang.items():
            fams = s["by_family"]
            cells = " | ".join(
                f"{_cell(fams[f]['right_pct'])} ({fams[f]['n']})" if f in fams else "–" for f in FAMILIES
            )
            lines.append(f"| {mode} | {lang} | {cells} |")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------- main


def _say(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _progress(row: dict) -> None:
    reply = " ".join((row.get("reply") or row.get("error") or "").split())
    heard = f" heard {row['heard']!r}" if row["mode"] != "typed" and row.get("heard") is not None else ""
    first = row["timings"].get("first_token") if row.get("timings") else None
    when = f" first token {first:.2f}s" if first is not None else ""
    _say(f"[{row['mode']}] {row['id']}: {row['grade'].upper()}{when}{heard} -> {reply[:110]}")


def choose(items: list[dict], lang: str, limit: int | None) -> list[list[dict]]:
    """The first ``limit`` sessions of each chosen language, in file order."""
    out: list[list[dict]] = []
    count = dict.fromkeys(LANGS, 0)
    for session in sessions(items):
        lg = session[0]["lang"]
        if lang not in ("all", lg) or (limit is not None and count[lg] >= limit):
            continue
        count[lg] += 1
        out.append(session)
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--modes", default=",".join(MODES), help="comma-separated: typed,espeak,jarvis (default: all)")
    p.add_argument("--lang", choices=("en", "es", "all"), default="all")
    p.add_argument("--limit", type=int, default=None, help="the first N sessions per language")
    p.add_argument("--config", default=None, help="config file (default: the repository's config.toml)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="change one setting (TOML value; repeatable), e.g. router.enabled=false")
    p.add_argument("--variant", default=None, help="name of this variant in the output (default: shipped / custom)")
    p.add_argument("--seed", type=int, default=None, help="llm.seed (default: as the config says)")
    p.add_argument("--fresh-memory-per-session", action="store_true",
                   help="an empty long-term memory for every session (default: one memory per mode)")
    p.add_argument("--fast-replay", action="store_true",
                   help="voice modes: read the question file at once instead of at real time")
    p.add_argument("--data", default=str(DATA), help="the eval items (JSON)")
    p.add_argument("--work", default=None,
                   help="folder for the run (spoken-question cache kept there; default: a temp folder, removed after)")
    p.add_argument("--keep", action="store_true", help="keep the run's data, memory and reply WAVs")
    p.add_argument("--out", default=None, help="write the JSON here instead of stdout")
    p.add_argument("--table", default=None, help="also write the Markdown summary table here")
    args = p.parse_args(argv)
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    bad = [m for m in args.modes if m not in MODES]
    if bad or not args.modes:
        p.error(f"--modes: unknown {bad}; choose from {', '.join(MODES)}")
    if args.limit is not None and args.limit < 1:
        p.error("--limit must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the Hugging Face hub
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from jarvis.errors import JarvisError

    try:
        settings = eval_settings(args.config, args.sets, args.seed)
    except JarvisError as exc:
        raise SystemExit(f"{exc.message}\n  {exc.hint}") from None
    chosen = choose(load_items(Path(args.data)), args.lang, args.limit)
    variant = args.variant or ("shipped" if not args.sets and args.seed is None else "custom")
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="jarvis-voice-eval-"))
    work.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=work))  # fresh data + memory for this run
    cache = work / "cache"
    if "espeak" in args.modes and shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is not installed (apt-get install -y espeak-ng), or leave out --modes espeak")
    started = time.monotonic()
    voice = None
    rows: list[dict] = []
    mode_seconds: dict[str, float] = {}
    try:
        if any(m in VOICE_MODES for m in args.modes):
            t0 = time.monotonic()
            voice = VoiceModels(settings)
            _say(f"speech models loaded in {time.monotonic() - t0:.1f} s")
        for mode in args.modes:
            t0 = time.monotonic()
            rows += run_mode(mode, chosen, settings, run_dir, cache, voice, args)
            mode_seconds[mode] = round(time.monotonic() - t0, 1)
            _say(f"[{mode}] {len(chosen)} sessions in {mode_seconds[mode]:.0f} s")
    finally:
        if voice is not None:
            voice.close()
        if not args.keep:
            shutil.rmtree(run_dir, ignore_errors=True)
            if not args.work:
                shutil.rmtree(work, ignore_errors=True)
    summary = summarise(rows)
    meta = {
        "variant": variant,
        "set": list(args.sets) + ([f"llm.seed={args.seed}"] if args.seed is not None else []),
        "config": str(settings.source),
        "modes": args.modes,
        "lang": args.lang,
        "limit": args.limit,
        "sessions": max((sum(1 for s in chosen if s[0]["lang"] == lg) for lg in LANGS), default=0),
        "items": sum(len(s) for s in chosen),
        "seed": settings.llm.seed,
        "temperature": settings.llm.temperature,
        "fresh_memory_per_session": args.fresh_memory_per_session,
        "realtime_replay": not args.fast_replay,
        "mode_seconds": mode_seconds,
        "total_seconds": round(time.monotonic() - started, 1),
        "run_folder": str(run_dir) if args.keep else None,
    }
    doc = {"bench": "voice_eval", "meta": meta, "summary": summary, "replies": rows}
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    table = markdown(summary, meta)
    sys.stderr.write("\n" + table)
    if args.table:
        Path(args.table).write_text(table, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
