"""The llama.cpp backend with a real embedded GGUF model."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from devsupport.paths import QWEN_05, SMOLLM
from jarvis.config import ModelSpec
from jarvis.errors import ModelCorrupt, ModelLoadError, ModelNotFound
from jarvis.llm.base import ChatMessage, GenerationRequest
from jarvis.llm.llama_cpp_backend import LlamaCppChat


@pytest.fixture(scope="module")
def qwen() -> LlamaCppChat:
    model = LlamaCppChat(ModelSpec(name="qwen-0.5b", file=QWEN_05, context=1024), n_threads=2, seed=1)
    yield model
    model.close()


def ask(text: str, max_tokens: int = 24) -> GenerationRequest:
    return GenerationRequest(
        [ChatMessage("system", "Answer briefly."), ChatMessage("user", text)], max_tokens=max_tokens, temperature=0.0
    )


def test_streams_deltas_and_reports_stats(qwen):
    pieces = list(qwen.stream(ask("What is the capital of France?")))
    text = "".join(pieces)
    assert "Paris" in text
    assert len(pieces) > 1  # streamed, not one blob
    s = qwen.last_stats
    assert s.completion_tokens == len(pieces)
    assert s.prompt_tokens > 10
    assert s.time_to_first_token_s is not None and 0 < s.time_to_first_token_s <= s.total_s
    assert s.finish_reason in ("stop", "length")


def test_uses_the_models_own_chat_template(qwen):
    # Qwen's template is ChatML; the tokenizer knows its special tokens.
    fmt = qwen.llm.metadata.get("tokenizer.chat_template", "")
    assert "<|im_start|>" in fmt
    assert qwen.count_tokens("hello world") == 2


def test_stop_mid_generation(qwen):
    req = ask("Write a long story about a lighthouse keeper and his dog.", max_tokens=200)
    got = []
    for piece in qwen.stream(req):
        got.append(piece)
        if len(got) == 5:
            req.stop()
    assert len(got) == 5  # nothing after the stop
    assert qwen.last_stats.finish_reason == "interrupted"


def test_stop_from_another_thread(qwen):
    req = ask("Write a long story about a lighthouse keeper.", max_tokens=300)
    got = []
    timer = threading.Timer(0.5, req.stop)
    timer.start()
    for piece in qwen.stream(req):
        got.append(piece)
    timer.cancel()
    assert qwen.last_stats.finish_reason == "interrupted"
    assert 0 < len(got) < 300


def test_missing_model_file(tmp_path: Path):
    with pytest.raises(ModelNotFound) as e:
        LlamaCppChat(ModelSpec(name="x", file=tmp_path / "missing.gguf"))
    assert "install.sh" in e.value.hint


def test_corrupt_embedded_model_fails_checksum(tmp_path: Path):
    bad = tmp_path / SMOLLM.name
    shutil.copyfile(SMOLLM, bad)
    with bad.open("r+b") as f:
        f.seek(1_000_000)
        f.write(b"\x00" * 64)
    with pytest.raises(ModelCorrupt) as e:
        LlamaCppChat(ModelSpec(name="x", file=bad))
    assert "sha256" in e.value.message


def test_not_a_gguf(tmp_path: Path):
    junk = tmp_path / "mine.gguf"
    junk.write_bytes(b"<html>not a model</html>")
    with pytest.raises(ModelCorrupt):
        LlamaCppChat(ModelSpec(name="x", file=junk))


def test_llama_load_failure_is_a_clean_error(tmp_path: Path):
    from tests.support.gguf_writer import tiny_llama

    # a whole, well-formed GGUF that llama.cpp refuses (an architecture it does not know)
    broken = tiny_llama(tmp_path / "broken.gguf", arch="nonsense")
    with pytest.raises(ModelLoadError) as e:
        LlamaCppChat(ModelSpec(name="x", file=broken))
    assert "broken.gguf" in e.value.message and e.value.hint


def test_damaged_gguf_header_is_corrupt_before_llama_cpp_sees_it(tmp_path: Path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\xff" * 64)
    with pytest.raises(ModelCorrupt) as e:
        LlamaCppChat(ModelSpec(name="x", file=broken))
    assert "broken.gguf" in e.value.message and "truncated or damaged" in e.value.message and e.value.hint
