"""The room: a second voice over Jarvis's reply on the open-speaker rig (issue 24).

Jarvis is built as ``jarvis`` builds it, on the shipped ``config.toml`` (whisper-base, the end-of-turn
model, echo cancellation, the provisional pause and ``audio.barge_in.hear_first``), listening
hands-free on the virtual PulseAudio devices with ``module-loopback`` from the speaker's monitor into
the microphone (``devsupport/pulse.py``, as ``bench/echo_live.py``). Variant, printed in ``setup``:
the replies are handed to the player (Jarvis's own voice: Piper in English, Kokoro ``ef_dora`` in
Spanish; no model writes them) and the turns the voice submits are recorded, not answered.

Each trial: a ~9 s reply in the trial's language; 2.5-4 s in, a second voice says one clip into the
microphone (``paplay``): a listener's backchannel ("Mm-hmm.", "Ajá."), a cough (synthetic: shaped
noise bursts), a short interruption ("Stop.", "Espera.") or a sentence that asks for the floor
("Wait, stop, I have a different question."). English and Spanish clips by two voices that are not
Jarvis's: espeak-ng and Kokoro (``am_michael`` / ``em_alex``). Per language it prints:

* ``false_cut_rate`` -- backchannels and coughs that cut the reply (target <= 5 %);
* ``cut_rate`` -- interruptions that cut it (target >= 95 %);
* ``heard_stop_ms`` -- from where the user's voice starts (the clip found in the raw microphone by
  cross-correlation, then 15 dB over its noise floor) until the speaker is quiet for good, as heard
  on its monitor (``parec``): the pause the cut confirmed, else the cut; p50/p90 (target p90 <= 400);
* ``resume_gap_ms`` -- a backchannel's pause, until the reply plays on (microphone time);
* ``wer_over_echo`` -- the sentences' transcripts (the turn the voice submitted) against their text,
  beside ``wer_alone``: the same recogniser on the same clip with no echo.

    .venv/bin/python bench/room.py [--languages en,es] [--voices espeak,kokoro] [--kinds ...] [--repeat N]
        [--limit N] [--seed 7] [--dump DIR]

``--dump DIR`` saves each utterance heard over a held reply (what speech recognition got, 16 kHz
float32 ``.npy``) named by its trial, to tune :mod:`jarvis.pipeline.floor` offline.

Needs pulseaudio, pulseaudio-utils and espeak-ng (``apt-get install -y espeak-ng``). Prints one JSON
document; a trial's line goes to stderr as it ends.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import unicodedata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench import echo_live  # noqa: E402
from bench.common import emit, pct, shipped_settings  # noqa: E402
from bench.echo_cancel import JARVIS_LINES  # noqa: E402
from bench.echo_live import RecordingInput, SpeakerWatch, pause_scores, user_onset, voice_onset  # noqa: E402
from bench.voice_eval import VoiceModels, espeak_wav, jarvis_wav  # noqa: E402
from devsupport import pulse  # noqa: E402
from jarvis.assembly import build, build_voice  # noqa: E402
from jarvis.audio.devices import SoundDeviceInput  # noqa: E402
from jarvis.audio.events import BargeInPause, HeardText, MicLevel, OtherVoice, SpeakingChanged  # noqa: E402
from jarvis.audio.wavio import read_wav, write_wav  # noqa: E402
from jarvis.messages import SpeechChunk  # noqa: E402
from jarvis.pipeline.voice_graph import VoiceOptions  # noqa: E402
from tests.support.wer import wer  # noqa: E402

SR = 16000
REPLY_S = 9.0
LINES = {
    "en": JARVIS_LINES,
    "es": (
        "El tiempo en Madrid es soleado hoy, con una máxima de veinticuatro grados y una brisa suave.",
        "He puesto un temporizador de diez minutos. Te aviso cuando termine.",
        "Aquí tienes un resumen corto del artículo que me pediste, en tres puntos.",
        "La capital de Australia es Canberra, no Sídney, como piensa mucha gente.",
    ),
}
BACKCHANNELS = {
    "en": ("Mm-hmm.", "Yeah.", "Uh-huh.", "Right.", "Okay.", "I see.", "Yeah, right."),
    "es": ("Ajá.", "Sí.", "Vale.", "Claro.", "Ya.", "Sí, sí.", "Vale, vale."),
}
INTERRUPTIONS = {
    "en": ("Stop.", "Wait.", "Hold on.", "Stop, please.", "Excuse me."),
    "es": ("Para.", "Espera.", "Oye.", "Para, por favor.", "Perdona."),
}
SENTENCES = {  # interruptions long enough for a word error rate
    "en": (
        "Wait, stop, I have a different question.",
        "Hold on, what was that?",
        "Sorry, can you say that again more slowly?",
        "Actually, tell me about the weather in Paris.",
        "Stop, I want to set a timer instead.",
    ),
    "es": (
        "Espera, para un momento, tengo otra pregunta.",
        "Oye, una pregunta.",
        "Perdona, ¿puedes repetirlo más despacio?",
        "En realidad, dime qué tiempo hace en París.",
        "Para, quiero poner un temporizador.",
    ),
}
COUGHS = 3  # per language
OTHER_KOKORO = {"en": "am_michael", "es": "em_alex"}  # second voices: not Jarvis's (Piper joe, ef_dora)
RIG = (40, 0.5)  # loopback delay ms, linear gain (bench/echo_live.py's first rig)


def cough(rng: np.random.Generator) -> np.ndarray:
    """A synthetic cough: two bursts of band-limited noise with a fast attack and a quick decay."""
    out = [np.zeros(SR // 10, np.float32)]
    for _ in range(2):
        n = int(SR * rng.uniform(0.18, 0.28))
        noise = rng.standard_normal(n).astype(np.float32)
        spectrum = np.fft.rfft(noise)
        freqs = np.fft.rfftfreq(n, 1 / SR)
        spectrum[(freqs < 250) | (freqs > 3500)] = 0
        burst = np.fft.irfft(spectrum, n).astype(np.float32)
        envelope = np.minimum(1.0, np.arange(n) / (0.01 * SR)) * np.exp(-np.arange(n) / (0.08 * SR))
        burst = burst * envelope.astype(np.float32)
        out += [0.3 * burst / (np.abs(burst).max() + 1e-9), np.zeros(int(SR * rng.uniform(0.08, 0.15)), np.float32)]
    return np.concatenate(out)


def fold(text: str) -> str:
    """``text`` without accents: whisper writes "que" and "Paris" for "qué" and "París" as often as not,
    and a missing accent is no misheard word."""
    folded = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


class Clips:
    """The second voices: espeak-ng and Kokoro (voices that are not Jarvis's), 16 kHz WAVs, cached."""

    def __init__(self, settings: Any, folder: Path) -> None:
        from jarvis.tts.voices import VoiceSet

        self.folder = folder
        self.tts = settings.tts.model_copy(update={"voices": {"en": "kokoro", "es": "kokoro"},
                                                    "kokoro_voice_for": dict(OTHER_KOKORO)})
        self.voices = VoiceSet(self.tts)

    def path(self, text: str, lang: str, voice: str) -> Path:
        if voice == "espeak":
            return espeak_wav(text, lang, self.folder)
        return jarvis_wav(text, lang, self.folder, self.voices, self.tts)

    def close(self) -> None:
        self.voices.close()


class Room:
    """The shipped Jarvis on the rig: replies handed to its player, the turns it submits recorded."""

    def __init__(self, models: VoiceModels, dump: Path | None = None, voiceprint: np.ndarray | None = None,
                 hear_first: bool = True) -> None:
        settings = shipped_settings("jarvis-bench-room-", audio={
            "input_device": "pulse", "output_device": "pulse", "mode": "hands_free", "speakers": "open",
            "only_my_voice": voiceprint is not None})
        if not hear_first:  # the variant: any speech the VAD confirms over the reply cuts it (as before)
            barge = settings.audio.barge_in.model_copy(update={"hear_first": False})
            settings = settings.model_copy(update={"audio": settings.audio.model_copy(update={"barge_in": barge})})
        if voiceprint is not None:  # as `jarvis voice enroll` stores it
            from jarvis.audio.speaker_id import save_voiceprint

            save_voiceprint(settings.general.data_dir, voiceprint, 15.0)
        self.jarvis = build(settings, memory=False, metrics=False).start(mcp=False)
        self.assistant = self.jarvis.assistant
        self.mic = RecordingInput(SoundDeviceInput("pulse", SR, 30))
        self.loop = build_voice(self.assistant, VoiceOptions(input=self.mic, stt=models.stt, voices=models.voices))
        self.turns: list[tuple[int, str, str | None]] = []  # (stream position, text, language)
        self.assistant.submit_text = self._turn  # type: ignore[method-assign]
        self.events: list[tuple[int, Any]] = []
        self.walls: dict[int, float] = {}
        self.lock = threading.Lock()
        self.assistant.bus.subscribe(self._seen)
        self.label = ""  # the trial now running (--dump names the held utterances by it)
        if dump is not None:
            self._dump_held(dump)
        self.loop.start()

    def _dump_held(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        stage = self.loop.stt_stage
        hear = stage._over_reply

        def saved(item: Any) -> Any:
            np.save(folder / f"{self.label}-{time.monotonic_ns()}.npy", np.asarray(item.audio, np.float32))
            return hear(item)

        stage._over_reply = saved  # type: ignore[method-assign]

    def _turn(self, text: str, source: str = "keyboard", language: str | None = None, **_: Any) -> int:
        with self.lock:
            self.turns.append((self.position, text, language))
        return 0

    def _seen(self, event: Any) -> None:
        if isinstance(event, (SpeakingChanged, HeardText, BargeInPause, OtherVoice)):
            with self.lock:
                self.walls[id(event)] = time.monotonic()
                self.events.append((self.position, event))
        elif isinstance(event, MicLevel):
            self.state = event.vad_state

    @property
    def position(self) -> int:
        seg = self.loop.segmenter
        return seg.position if seg is not None else 0

    def models_ready(self, timeout: float = 300.0) -> None:
        judge = self.loop.judge
        deadline = time.monotonic() + timeout
        while judge is not None and not judge.ready and time.monotonic() < deadline:
            time.sleep(0.1)

    def speak(self, audio: np.ndarray, rate: int, turn_id: int) -> None:
        player = self.loop.player
        assert player is not None
        player.put(SpeechChunk(audio, rate, "reply", turn_id, self.assistant.cancel.generation))
        player.end_turn(turn_id)

    def hush(self) -> None:
        """End the reply without a barge-in (between trials)."""
        if self.loop.player is not None:
            self.loop.player.clear(announce=False)
        deadline = time.monotonic() + 10
        while self.loop.speaking and time.monotonic() < deadline:
            time.sleep(0.05)

    def close(self) -> None:
        self.loop.stop()
        self.jarvis.close()


class Replies:
    """Jarvis's own voice saying the language's lines (synthesised once), in a new order each trial."""

    def __init__(self, models: VoiceModels, dump: Path | None = None) -> None:
        self.models = models
        self.lines: dict[str, list[Any]] = {}

    def __call__(self, lang: str, rng: np.random.Generator) -> tuple[np.ndarray, int]:
        if lang not in self.lines:
            self.lines[lang] = [self.models.voices.speak(line, lang) for line in LINES[lang]]
        spoken = self.lines[lang]
        rate = spoken[0].sample_rate
        parts = []
        for i in rng.permutation(len(spoken)):
            parts += [np.asarray(spoken[i].audio, np.float32), np.zeros(rate // 5, np.float32)]
        return np.concatenate(parts)[: int(REPLY_S * rate)], rate


def wait_quiet(room: Room, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while getattr(room, "state", "quiet") not in ("quiet", "off") and time.monotonic() < deadline:
        time.sleep(0.05)


def trial(room: Room, reply: tuple[np.ndarray, int], lang: str, clip: np.ndarray, clip_path: Path,
          after_s: float, turn_id: int) -> dict:
    """One reply with the second voice over it; scored in stream samples (the heard stop in wall time)."""
    wait_quiet(room)
    with room.lock:
        room.events.clear()
        room.walls.clear()
        n_turns = len(room.turns)
    room.assistant.last_language = lang  # the conversation's language: Jarvis answers in it
    room.speak(reply[0], reply[1], turn_id)
    deadline = time.monotonic() + 10
    while not any(isinstance(e, SpeakingChanged) and e.speaking for _, e in list(room.events)):
        if time.monotonic() > deadline:
            raise RuntimeError("the player did not start")
        time.sleep(0.005)
    time.sleep(after_s)
    near = room.position
    pulse.pulse_server().play(clip_path, wait=True)
    # the decision: a cut, or the held reply playing on, or nothing held at all
    deadline = time.monotonic() + 6.0
    while time.monotonic() < deadline:
        events = [e for _, e in list(room.events)]
        cut = any(isinstance(e, HeardText) and e.turn_id == turn_id and e.interrupted for e in events)
        if cut and len(room.turns) > n_turns:
            break
        done_listening = getattr(room, "state", "quiet") in ("quiet", "off")  # the utterance has ended
        if not room.loop.echo.holding and not cut and done_listening and time.monotonic() > deadline - 4.0:
            break
        time.sleep(0.05)
    time.sleep(0.5)
    room.hush()
    time.sleep(0.3)
    raw = room.mic.audio()
    user_at = user_onset(raw, clip, near)
    voice_at = user_at - echo_live.onset(clip) + voice_onset(clip)
    with room.lock:
        events = list(room.events)
        turns = room.turns[n_turns:]
    cut_at = [p for p, e in events if isinstance(e, HeardText) and e.turn_id == turn_id and e.interrupted]
    marks = [(p, e) for p, e in events if isinstance(e, BargeInPause)]
    scores = pause_scores(events, user_at, cut_at[0] if cut_at else None)
    quiet_at = scores["silent_from"]
    heard_stop = None
    if cut_at and quiet_at is not None:
        echo_live.WATCH = WATCH
        lag = echo_live.audible_ms(room, quiet_at)  # type: ignore[arg-type]
        if lag is not None:
            heard_stop = round((quiet_at - voice_at) * 1000 / SR + lag)
    resumed = [(p, e) for p, e in marks if e.state == "resumed" and p >= user_at]
    paused = [p for p, e in marks if e.state == "paused" and p >= user_at - SR // 10]
    gap = None
    if resumed and paused:
        gap = round((resumed[0][0] - paused[0]) * 1000 / SR)
    return {
        "cut": bool(cut_at),
        "cut_before_user": bool(cut_at) and cut_at[0] < user_at,
        "held": bool(paused),
        "said_over": resumed[0][1].said if resumed else None,
        "heard_stop_ms": heard_stop,
        "resume_gap_ms": gap,
        "turn": " ".join(t[1] for t in turns) if turns else None,  # a turn split at a pause: all its parts
        "turn_language": turns[0][2] if turns else None,
        "turns": len(turns),
        "other_voice_scores": [e.score for _, e in events if isinstance(e, OtherVoice)],  # only_my_voice
    }


KINDS = ("backchannel", "cough", "interruption", "sentence")


def plan(lang: str, voices: list[str], rng: np.random.Generator, limit: int | None, kinds: tuple[str, ...] = KINDS,
         repeat: int = 1) -> list[tuple[str, str, str]]:
    """(kind, text, voice) for one language, each ``repeat`` times, in a random order."""
    items = [("backchannel", t, v) for t in BACKCHANNELS[lang] for v in voices]
    items += [("cough", f"cough-{i}", "synthetic") for i in range(COUGHS)]
    items += [("interruption", t, v) for t in INTERRUPTIONS[lang] for v in voices]
    items += [("sentence", t, v) for t in SENTENCES[lang] for v in voices]
    items = [item for item in items if item[0] in kinds] * repeat
    order = rng.permutation(len(items))
    chosen = [items[i] for i in order]
    return chosen[:limit] if limit else chosen


def summary(rows: list[dict]) -> dict:
    """Rates and percentiles per language."""
    out: dict[str, Any] = {}
    for lang in sorted({r["lang"] for r in rows}):
        mine = [r for r in rows if r["lang"] == lang]
        listen = [r for r in mine if r["kind"] in ("backchannel", "cough")]
        cuts = [r for r in mine if r["kind"] in ("interruption", "sentence")]
        stops = [r["heard_stop_ms"] for r in cuts if r["heard_stop_ms"] is not None]
        gaps = [r["resume_gap_ms"] for r in listen if r["resume_gap_ms"] is not None]
        sentences = [r for r in mine if r["kind"] == "sentence"]
        out[lang] = {
            "backchannel_trials": sum(r["kind"] == "backchannel" for r in mine),
            "cough_trials": sum(r["kind"] == "cough" for r in mine),
            "false_cut_rate": round(sum(r["cut"] for r in listen) / len(listen), 3) if listen else None,
            "false_cuts": [f"{r['text']} ({r['voice']}) -> {r['turn']!r}" for r in listen if r["cut"]],
            "held_rate_listener": round(sum(r["held"] for r in listen) / len(listen), 3) if listen else None,
            "interruption_trials": len(cuts),
            "cut_rate": round(sum(r["cut"] for r in cuts) / len(cuts), 3) if cuts else None,
            "missed_cuts": [f"{r['text']} ({r['voice']}) -> {r['said_over']!r}" for r in cuts if not r["cut"]],
            "heard_stop_ms": {"p50": pct(stops, 50), "p90": pct(stops, 90), "max": max(stops) if stops else None},
            "heard_stop_within_400ms_rate": round(sum(s <= 400 for s in stops) / len(cuts), 3) if cuts else None,
            "resume_gap_ms": {"p50": pct(gaps, 50), "p90": pct(gaps, 90)},
            "wer_over_echo": round(statistics.mean(r["wer"] for r in sentences), 3) if sentences else None,
            "wer_alone": round(statistics.mean(r["wer_alone"] for r in sentences), 3) if sentences else None,
            "cuts_by_echo_alone": sum(r["cut_before_user"] for r in mine),
        }
    return out


OWNER_KOKORO = {"en": "bf_emma", "es": "em_santa"}  # the enrolled owner in the second-talker runs


def listen_trial(room: Room, clip_path: Path) -> dict:
    """The other voice while Jarvis is silent and listening hands-free: did it start a turn?"""
    wait_quiet(room)
    with room.lock:
        room.events.clear()
        n_turns = len(room.turns)
    pulse.pulse_server().play(clip_path, wait=True)
    time.sleep(1.5)
    wait_quiet(room)
    time.sleep(2.0)  # transcribed and submitted, had it been a turn
    with room.lock:
        turns = room.turns[n_turns:]
        ignored = [e for _, e in room.events if isinstance(e, OtherVoice)]
    return {"turns": len(turns), "turn": " ".join(t[1] for t in turns) or None, "ignored": len(ignored)}


def second_talker(models: VoiceModels, clips: Clips, replies: Any, lang: str, rng: np.random.Generator,
                  enrolled: bool, trials: int) -> list[dict]:
    """Enrolment off or on: the television (LibriVox readers) while Jarvis listens and while it
    speaks, and the owner (a Kokoro voice) saying the sentences over Jarvis's reply."""
    from bench.speaker_id import television
    from jarvis.audio.speaker_id import SpeakerEmbedder
    from jarvis.tts.voices import VoiceSet

    owner_tts = clips.tts.model_copy(update={"kokoro_voice_for": dict(OWNER_KOKORO)})

    owner_voice = VoiceSet(owner_tts)
    folder = clips.folder / f"owner-{lang}"
    voiceprint = None
    if enrolled:
        from bench.voice_eval import DATA, load_items

        texts = [it["text"] for it in load_items(DATA) if it["lang"] == lang][:6]
        speech = np.concatenate([read_wav(jarvis_wav(t, lang, folder, owner_voice, owner_tts), SR) for t in texts])
        voiceprint = SpeakerEmbedder(shipped_settings("jarvis-bench-room-spk-").audio.speaker.model)(speech)
    tv = television()
    tv_paths = []
    for i, piece in enumerate(tv):
        path = clips.folder / f"tv-{i}.wav"
        write_wav(path, piece, SR)
        tv_paths.append((piece, path))
    rows: list[dict] = []
    room = Room(models, voiceprint=voiceprint)
    try:
        room.models_ready()
        time.sleep(2.0)
        first, rate = replies(lang, rng)
        room.speak(first[: 3 * rate], rate, 1)
        time.sleep(4.0)
        room.hush()
        tag = "on" if enrolled else "off"
        for n in range(trials):
            piece, path = tv_paths[n % len(tv_paths)]
            row = listen_trial(room, path) | {"lang": lang, "enrolment": tag, "kind": "tv_listening"}
            rows.append(row)
            sys.stderr.write(f"{lang} enrol={tag} tv while listening: turns={row['turns']} {row['turn']!r}\n")
            reply = replies(lang, rng)
            row = trial(room, reply, lang, piece, path, float(rng.uniform(2.5, 4.0)), 500 + n)
            rows.append(row | {"lang": lang, "enrolment": tag, "kind": "tv_over_reply"})
            sys.stderr.write(f"{lang} enrol={tag} tv over a reply: cut={row['cut']} turn={row['turn']!r}\n")
        for n, text in enumerate(SENTENCES[lang]):
            path = jarvis_wav(text, lang, folder, owner_voice, owner_tts)
            clip = read_wav(path, SR)
            reply = replies(lang, rng)
            row = trial(room, reply, lang, clip, path, float(rng.uniform(2.5, 4.0)), 700 + n)
            row |= {"lang": lang, "enrolment": tag, "kind": "owner_sentence", "text": text,
                    "wer": round(wer(fold(text), fold(row["turn"] or ""), lang), 3)}
            rows.append(row)
            sys.stderr.write(f"{lang} enrol={tag} owner: cut={row['cut']} turn={row['turn']!r} wer={row['wer']}\n")
    finally:
        room.close()
        owner_voice.close()
    return rows


def second_talker_summary(rows: list[dict]) -> dict:
    """Per language and enrolment: turns and cuts by the television, the owner's cuts and WER."""
    out: dict[str, Any] = {}
    for lang in sorted({r["lang"] for r in rows}):
        for tag in ("off", "on"):
            mine = [r for r in rows if r["lang"] == lang and r["enrolment"] == tag]
            if not mine:
                continue
            listening = [r for r in mine if r["kind"] == "tv_listening"]
            over = [r for r in mine if r["kind"] == "tv_over_reply"]
            owner = [r for r in mine if r["kind"] == "owner_sentence"]
            out[f"{lang}_enrolment_{tag}"] = {
                "tv_clips_while_listening": len(listening),
                "turns_started_by_tv": sum(r["turns"] for r in listening),
                "tv_clips_over_replies": len(over),
                "barge_ins_by_tv": sum(r["cut"] for r in over),
                "owner_sentences": len(owner),
                "owner_cut_rate": round(sum(r["cut"] for r in owner) / len(owner), 3) if owner else None,
                "owner_wer": round(statistics.mean(r["wer"] for r in owner), 3) if owner else None,
            }
    return out


WATCH: SpeakerWatch | None = None


def main() -> None:
    global WATCH
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--languages", default="en,es")
    parser.add_argument("--voices", default="espeak,kokoro")
    parser.add_argument("--limit", type=int, default=None, help="trials per language (default: all)")
    parser.add_argument("--kinds", default=",".join(KINDS), help="which clips: " + ",".join(KINDS))
    parser.add_argument("--repeat", type=int, default=1, help="say each clip this many times")
    parser.add_argument("--dump", type=Path, default=None, help="save the utterances heard over a held reply here")
    parser.add_argument("--second-talker", type=int, default=0, metavar="N",
                        help="also N television clips while listening and over replies, and the owner's "
                             "sentences, with enrolment off and on (default 0: not run)")
    parser.add_argument("--no-hear-first", action="store_true",
                        help="the variant without audio.barge_in.hear_first (the VAD's start cuts the reply)")
    parser.add_argument("--enrolment", choices=("both", "off", "on"), default="both",
                        help="the second-talker runs with enrolment off, on, or both (default)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    kinds = tuple(k for k in args.kinds.split(",") if k)
    why = pulse.available()
    if why is not None:
        sys.exit(f"room bench needs PulseAudio: {why}")
    server = pulse.pulse_server()
    WATCH = SpeakerWatch()
    folder = Path(tempfile.mkdtemp(prefix="jarvis-bench-room-clips-"))
    rng = np.random.default_rng(args.seed)
    probe = shipped_settings("jarvis-bench-room-models-")
    models = VoiceModels(probe)
    clips = Clips(probe, folder)
    voices = [v for v in args.voices.split(",") if v]
    reply_audio = Replies(models)
    rows: list[dict] = []
    talker_rows: list[dict] = []
    labels: dict[str, dict] = {}
    try:
        for lang in [x for x in args.languages.split(",") if x] if kinds else []:
            with server.loopback(*RIG):
                room = Room(models, args.dump, hear_first=not args.no_hear_first)
                try:
                    room.models_ready()
                    time.sleep(2.0)  # the streams start; the canceller's first words are not scored
                    first, rate = reply_audio(lang, rng)
                    room.speak(first[: 3 * rate], rate, 1)
                    time.sleep(4.0)
                    room.hush()
                    chosen = plan(lang, voices, rng, args.limit, kinds, args.repeat)
                    for n, (kind, text, voice) in enumerate(chosen):
                        room.label = f"{lang}_{kind}_{voice}_{n}"
                        labels[room.label] = {"lang": lang, "kind": kind, "text": text, "voice": voice}
                        if kind == "cough":
                            clip = cough(rng)
                            path = folder / f"{lang}-{text}.wav"
                            write_wav(path, clip, SR)
                        else:
                            path = clips.path(text, lang, voice)
                            clip = read_wav(path, SR)
                        reply = reply_audio(lang, rng)
                        row = trial(room, reply, lang, clip, path, float(rng.uniform(2.5, 4.0)), 100 + n)
                        row |= {"lang": lang, "kind": kind, "text": text, "voice": voice}
                        if kind == "sentence":
                            row["wer"] = round(wer(fold(text), fold(row["turn"] or ""), lang), 3)
                            models.stt.prefer = lang  # as the voice decodes a turn in this conversation
                            alone = models.stt.transcribe(clip).text
                            row["wer_alone"] = round(wer(fold(text), fold(alone), lang), 3)
                        rows.append(row)
                        sys.stderr.write(f"{lang} {kind:12s} {voice:9s} {text!r:48s} cut={row['cut']} "
                                         f"held={row['held']} said={row['said_over']!r} turn={row['turn']!r} "
                                         f"stop={row['heard_stop_ms']}\n")
                finally:
                    room.close()
        for lang in [x for x in args.languages.split(",") if x] if args.second_talker else []:
            for enrolled in {"both": (False, True), "off": (False,), "on": (True,)}[args.enrolment]:
                with server.loopback(*RIG):
                    talker_rows += second_talker(models, clips, reply_audio, lang, rng, enrolled, args.second_talker)
    finally:
        clips.close()
        models.close()
        WATCH.close()
        if args.dump is not None:
            (args.dump / "index.json").write_text(json.dumps(labels, ensure_ascii=False, indent=1))
    emit({
        "bench": "room",
        "setup": "shipped config.toml (audio on the virtual devices: hands-free, open speakers); variant: "
                 "replies handed to the player, the voice's turns recorded and not answered"
                 + ("; audio.barge_in.hear_first = false" if args.no_hear_first else ""),
        "rig": f"PulseAudio module-loopback speaker monitor -> mic, {RIG[0]} ms, gain {RIG[1]}, -60 dBFS mic noise; "
               f"replies {REPLY_S:.0f} s (Piper joe en, Kokoro ef_dora es); the second voice from 2.5-4 s "
               f"(espeak-ng, Kokoro {OTHER_KOKORO}, synthetic coughs)",
        "targets": {"false_cut_rate": "<= 0.05", "cut_rate": ">= 0.95", "heard_stop_ms_p90": "<= 400",
                    "wer_over_echo": "<= 0.10"},
        "summary": summary(rows),
        "second_talker": second_talker_summary(talker_rows),
        "trials": rows,
        "second_talker_trials": talker_rows,
    })


if __name__ == "__main__":
    main()
