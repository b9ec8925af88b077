"""Speech over Jarvis's reply: a listener's backchannel, or a bid for the floor?

A listener says "mm-hmm", "yeah", "ajá" or "vale" to show they follow; a cough or a laugh is no
word at all. Neither should cut Jarvis off. "Wait", "stop", "espera", "oye" or a question should.
With ``audio.barge_in.hear_first`` on, speech over the reply pauses it
(:class:`FloorHold`) and what was said decides: :func:`asks_for_floor` on its transcript, or its
length (``audio.barge_in.floor_ms`` of speech is never a backchannel, and cuts at once).

Pure logic (no devices, no threads of its own); the echo guard drives it from the VAD thread and
the STT stage settles it from the STT thread (:meth:`FloorHold.settle` is taken once).
"""

from __future__ import annotations

import re
import threading
import unicodedata

# Words a listener says to show they follow, in English and Spanish, as whisper-base writes them
# ("M.M." for "mm-hmm", "Bale", "Bali" and "CC" for Kokoro's "vale" and "sí, sí"), and the sounds it writes
# for a cough, a laugh or a breath. An utterance made only of these is no bid for the floor.
BACKCHANNEL_WORDS = frozenset(
    """
    m mm mmm mmmm mh hmm hm hmmm mhm mmhm mmhmm mmhmmm mhmm uhhuh uhuh uh huh um umm ah aha ahh oh ooh wow
    yeah yea yes yep yup ok okay okey alright right sure cool nice great good true exactly indeed
    i see got it gotcha totally definitely of course fine
    aja aham ajam si vale claro ya bueno vaya exacto entiendo genial perfecto cierto venga
    de acuerdo veo eh ehh anda bale bali cc
    ha haha hahaha heh hehe ja jaja jajaja je jeje
    you thank thanks gracias
    """.split()
)
# A phrase whisper is known to make up from a short noise (never said over a reply as a request).
HALLUCINATIONS = (
    "thanks for watching",
    "thank you for watching",
    "subtitulos realizados por la comunidad de amara org",
    "gracias por ver",
    "suscribete",
)
MAX_BACKCHANNEL_WORDS = 4
VOWELS = frozenset("aeiouy")
HUSHES = frozenset({"sh", "shh", "shhh", "psst", "pst"})  # no vowel, but a request for quiet


def is_hum(word: str) -> bool:
    """A "word" with no vowel (whisper's "MMVM", "Hmm", "CC" for a hum or "sí, sí"), but "shh"."""
    return word.isalpha() and not VOWELS.intersection(word) and word not in HUSHES


def words_of(text: str) -> list[str]:
    """Lower-case words without accents or punctuation ("¡Ajá, sí!" -> ["aja", "si"]; "Mm-hmm" -> ["mmhmm"])."""
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = re.sub(r"(\w)[-'’](\w)", r"\1\2", folded)  # mm-hmm, uh-huh
    folded = re.sub(r"[\[(*].*?[\])*]", " ", folded)  # [coughs], (laughs), *cough*
    return re.findall(r"[a-z0-9]+", folded)


def asks_for_floor(text: str) -> bool:
    """True when ``text``, said over Jarvis's reply, asks it to stop and listen.

    False for no words at all (a cough, a click, "[laughs]"), a listener's backchannel of up to four
    words ("Mm-hmm.", "Yeah, right.", "Ajá, sí.", "Vale, vale.") and whisper's made-up phrases for
    noise ("Thanks for watching!"). Anything else (a word that is not a backchannel, a question)
    asks for the floor.
    """
    words = words_of(text)
    if not words:
        return False
    if " ".join(words) in HALLUCINATIONS:
        return False
    if "?" in text or "¿" in text:
        return True
    return len(words) > MAX_BACKCHANNEL_WORDS or any(w not in BACKCHANNEL_WORDS and not is_hum(w) for w in words)


class FloorHold:
    """Jarvis's reply held (paused) while what the user says over it is heard.

    Args:
        floor_frames: voiced VAD frames during the hold that make it a bid for the floor whatever
            the words (a backchannel is shorter).
        quiet_frames: VAD frames of quiet, with no utterance handed on to be heard, after which the
            hold was a blip the VAD dropped (shorter than ``audio.vad.min_speech_ms``): resume.

    States: idle -> :meth:`begin` (held, counting frames) -> :meth:`heard` (the utterance ended and
    goes to speech recognition: waiting for its words) -> :meth:`settle` (once: cut or resume).
    """

    def __init__(self, floor_frames: int, quiet_frames: int = 3) -> None:
        self.floor_frames = max(1, floor_frames)
        self.quiet_frames = max(1, quiet_frames)
        self.active = False
        self.waiting = False  # the utterance ended: its transcript decides
        self.frames = 0  # VAD frames since the hold began
        self.voiced = 0  # voiced frames since the hold began
        self._quiet = 0
        self._lock = threading.Lock()

    def begin(self) -> bool:
        """Hold from now on (the VAD heard speech start over the reply). False when already held."""
        with self._lock:
            if self.active:
                self.waiting = False  # more speech: the newest utterance decides
                self._quiet = 0
                return False
            self.active, self.waiting = True, False
            self.frames = self.voiced = self._quiet = 0
            return True

    def frame(self, voiced: bool, quiet: bool) -> str | None:
        """One VAD frame during the hold: ``"floor"`` (long enough to be a bid for the floor),
        ``"blip"`` (it ended without an utterance to hear) or None (go on holding)."""
        with self._lock:
            if not self.active:
                return None
            self.frames += 1
            self.voiced += voiced
            if not self.waiting and self.voiced >= self.floor_frames:
                return "floor"
            self._quiet = self._quiet + 1 if quiet and not self.waiting else 0
            return "blip" if self._quiet >= self.quiet_frames else None

    def heard(self) -> None:
        """The held utterance ended and goes on to be transcribed; its words will :meth:`settle` it."""
        with self._lock:
            if self.active:
                self.waiting, self._quiet = True, 0

    def settle(self) -> bool:
        """End the hold; True for the one caller that ended it (the others do nothing)."""
        with self._lock:
            was, self.active, self.waiting = self.active, False, False
            return was
