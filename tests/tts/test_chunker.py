"""Sentence chunker and markdown stripping: scripted streams, every split size gives the same pieces."""

from __future__ import annotations

import pytest

from jarvis.tts.chunker import SentenceChunker, speakable

REPLY = (
    "Sure! Dr. Smith says pi is about 3.14, e.g. in every circle. **Bold** move.\n\n"
    "## Steps\n"
    "1. Install it with `pip install jarvis`.\n"
    "2. Read [the guide](https://example.com/guide) first.\n\n"
    "```python\nprint('not spoken. at all')\n```\n"
    "That's all, folks. The U.S. economy grew 2.5% in 2023. ¿Qué tal? Bien."
)
EXPECTED = [
    "Sure!",
    "Dr. Smith says pi is about 3.14, e.g. in every circle.",
    "Bold move.",
    "Steps",
    "Install it with pip install jarvis.",
    "Read the guide first.",
    "That's all, folks.",
    "The U.S. economy grew 2.5% in 2023.",
    "¿Qué tal?",
    "Bien.",
]


def stream(text: str, step: int, clause_words: int = 18, **first: int) -> list[str]:
    """Feed ``text`` in pieces of ``step`` characters, then flush."""
    chunker = SentenceChunker(clause_words, **first)
    out: list[str] = []
    for i in range(0, len(text), step):
        out += chunker.feed(text[i : i + step])
    return out + chunker.flush()


@pytest.mark.parametrize("step", [1, 2, 3, 5, 8, 13, 1000])
def test_same_pieces_for_every_delta_size(step: int) -> None:
    assert stream(REPLY, step) == EXPECTED


def test_sentence_is_returned_as_soon_as_the_next_word_starts() -> None:
    chunker = SentenceChunker()
    assert chunker.feed("The answer is 42") == []
    assert chunker.feed(".") == []  # could still be 42.5
    assert chunker.feed(" Next") == ["The answer is 42."]
    assert chunker.flush() == ["Next"]


def test_numbers_are_never_split() -> None:
    chunker = SentenceChunker()
    assert chunker.feed("It costs 3.") == []
    assert chunker.feed("50 dollars, or 1,000.25 pesos. Yes") == ["It costs 3.50 dollars, or 1,000.25 pesos."]


@pytest.mark.parametrize(
    "text",
    [
        "Ask Dr. Jones about it. Then rest.",
        "Mr. and Mrs. Smith arrived. Then rest.",
        "Use tools, i.e. a hammer. Then rest.",
        "Call J. R. R. Tolkien a writer. Then rest.",
        "It was approx. ten metres. Then rest.",
        "El Sr. García llegó tarde. Then rest.",
    ],
)
def test_abbreviations_stay_whole(text: str) -> None:
    first = text.split(" Then")[0]
    assert stream(text, 4) == [first, "Then rest."]


def test_lower_case_after_a_dot_does_not_start_a_sentence() -> None:
    assert stream("We use v. two here. Next one.", 3) == ["We use v. two here.", "Next one."]


def test_long_sentence_is_cut_at_a_clause() -> None:
    text = (
        "This sentence keeps going for quite a while, and it does not stop soon because "
        "the model likes to talk, so the listener should hear the first part early"
    )
    out = stream(text, 6, clause_words=10)
    assert len(out) >= 2
    assert out[0].endswith(",")
    assert " ".join(out) == text


def test_very_long_run_without_punctuation_is_cut_at_a_space() -> None:
    words = [f"word{i}" for i in range(50)]
    out = stream(" ".join(words), 7, clause_words=8)
    assert len(out) > 2
    assert " ".join(out).split() == words  # no word split or lost


def test_unclosed_code_block_is_dropped_and_prose_before_it_kept() -> None:
    assert stream("Here is the code:\n```bash\nrm -rf / tmp\n", 5) == ["Here is the code:"]


def test_code_block_text_is_never_spoken() -> None:
    text = "Run this. ```\nsecret = 1. More code! Yes.\n``` Done now."
    out = stream(text, 2)
    assert out == ["Run this.", "Done now."]


def test_reset_forgets_pending_text() -> None:
    chunker = SentenceChunker()
    chunker.feed("Half a sent")
    chunker.reset()
    assert chunker.feed("New one. Ok") == ["New one."]


@pytest.mark.parametrize(
    ("markdown", "spoken"),
    [
        ("**bold** and *italic* and __under__ and ~~gone~~", "bold and italic and under and gone"),
        ("# Title", "Title"),
        ("> quoted text", "quoted text"),
        ("- item one", "item one"),
        ("see ![a cat](cat.png) here", "see a cat here"),
        ("visit https://example.com/x?y=1 now", "visit now"),
        ("| name | age |", "name, age"),
        ("|---|---|", ""),
        ("---", ""),
        ("line<br>break", "line break"),
        ("use `snake_case` names", "use snake_case names"),
        ("```\ncode only\n```", ""),
        ("3.14 and 1,000 stay", "3.14 and 1,000 stay"),
    ],
)
def test_speakable(markdown: str, spoken: str) -> None:
    assert speakable(markdown) == spoken


def test_first_piece_of_a_reply_is_cut_early_at_a_clause() -> None:
    chunker = SentenceChunker(clause_words=18, first_clause_words=6)
    assert chunker.feed("Sure, the capital of France is Paris, a city") == ["Sure, the capital of France is Paris,"]
    assert chunker.feed(" of lights, art, and food. It has a river, the Seine. ") == [
        "a city of lights, art, and food."
    ]
    assert chunker.flush() == ["It has a river, the Seine."]
    # A new reply (after flush) gets an early first piece again.
    assert chunker.feed("Well, the second answer is longer than six words, ok") == [
        "Well, the second answer is longer than six words,"
    ]


def test_first_clause_cut_can_be_turned_off() -> None:
    text = "The capital of France is Paris, a city of lights. Yes."
    assert stream(text, 3, clause_words=18) == ["The capital of France is Paris,", "a city of lights.", "Yes."]
    chunker = SentenceChunker(clause_words=18, first_clause_words=0)
    assert chunker.feed(text) == ["The capital of France is Paris, a city of lights."]


def test_long_first_sentence_without_a_clause_mark_starts_after_twelve_words() -> None:
    text = (
        'The statement "He was not an ill disposed young man" is a common way to express that '
        "someone is kind. Then more."
    )
    pieces = stream(text, 3, clause_words=18)  # fed three characters at a time, like tokens
    first = pieces[0].split()
    assert 12 <= len(first) <= 14, pieces[0]
    assert " ".join(pieces).replace('"', "") == text.replace('"', "")  # nothing lost or split mid-word
    assert pieces[-1] == "Then more."


def test_a_slow_voice_gets_a_shorter_first_piece() -> None:
    """Kokoro's setting (4 words): the first piece is cut after four words even without a comma."""
    text = "La capital de Francia es París. Es una ciudad preciosa."
    pieces = stream(text, 2, clause_words=18, first_clause_words=2, first_max_words=4)
    assert pieces[0].split() == ["La", "capital", "de", "Francia"]
    assert " ".join(pieces) == text
    # Piper's (12 words): the same sentence is one piece.
    piper = stream(text, 2, clause_words=18, first_clause_words=6, first_max_words=12)
    assert piper[0] == "La capital de Francia es París."


@pytest.mark.parametrize("step", [7, 20_000])
@pytest.mark.parametrize(
    "text",
    [
        " ".join(f"w{i % 97}" for i in range(4000)),  # 20,000+ characters, no punctuation at all
        "x" * 20_000,  # one endless token
        "go, " * 5000,  # clause marks only
        "word " * 3000 + "end. Then more.",  # the first sentence end far away
    ],
    ids=["words", "token", "commas", "late-period"],
)
def test_every_piece_is_bounded_whatever_the_text(text: str, step: int) -> None:
    """`jarvis say` on a text with no sentence punctuation once made one piece of it (GBs of audio)."""
    chunker = SentenceChunker(clause_words=18)
    pieces: list[str] = []
    for i in range(0, len(text), step):
        pieces += chunker.feed(text[i : i + step])
    pieces += chunker.flush()
    assert len(pieces) > 10
    assert max(len(p) for p in pieces) <= 300
    assert max(len(p.split()) for p in pieces) <= 36
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")  # nothing lost, nothing doubled


@pytest.mark.parametrize(
    "text, first",
    [
        ("La capital de Francia es París. Es preciosa.", "La capital"),
        ("Un chiste corto es una técnica de escritura.", "Un chiste corto"),
        ("En Madrid son las siete.", "En Madrid"),
        ("The capital of France is Paris.", "The capital"),
        ("Después de la cena vamos al cine.", "Después de la cena"),  # never "Después de | la"
        ("Buenas noches, el cerveza.", "Buenas noches,"),  # a clause mark still comes first
    ],
)
def test_a_slow_voices_first_piece_ends_where_a_phrase_starts(text: str, first: str) -> None:
    pieces = stream(text, 2, clause_words=18, first_clause_words=2, first_max_words=4, first_phrase_words=2)
    assert pieces[0] == first
    assert " ".join(pieces) == text


def test_a_phrase_word_still_arriving_is_not_taken_for_a_whole_word() -> None:
    chunker = SentenceChunker(18, first_clause_words=2, first_max_words=4, first_phrase_words=2)
    assert chunker.feed("La capital de") == []  # "de" may be the start of "después"
    assert chunker.feed("spués") == []
    assert chunker.feed(" de Francia") == ["La capital después"]
