"""The GGUF header reader: the real embedded models, written files, truncated and split files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from devsupport.paths import QWEN_05, QWEN_15, SMOLLM
from jarvis.errors import ModelCorrupt, ModelNotFound
from jarvis.gguf import MiB, check_gguf, format_params, read_gguf, shard_paths
from jarvis.llm.llama_cpp_backend import verify_model_file
from tests.support.gguf_writer import tensor_bytes, tiny_llama, write_gguf


def _cut(src: Path, dst: Path, size: int) -> Path:
    with src.open("rb") as f:
        dst.write_bytes(f.read(size))
    return dst


@pytest.mark.parametrize(
    ("path", "arch", "layers", "quant", "kv_4k", "compute_4k"),
    [
        # KV cache and compute buffer sizes as llama.cpp itself reports them at n_ctx=4096 (verbose load)
        (QWEN_05, "qwen2", 24, "Q4_K_M", 48, 302),
        (QWEN_15, "qwen2", 28, "Q4_K_M", 112, 306),
        (SMOLLM, "llama", 30, "Q4_1", 90, 100),
    ],
)
def test_real_models(path: Path, arch: str, layers: int, quant: str, kv_4k: int, compute_4k: int):
    info = check_gguf(path)
    assert (info.architecture, info.layers, info.quantization) == (arch, layers, quant)
    # the tensor table accounts for every byte of the file: nothing missing, nothing extra
    assert info.data_end == info.file_size == path.stat().st_size and not info.truncated
    assert info.kv_cache_mb(4096) == kv_4k
    assert abs(info.compute_mb(4096) - compute_4k) <= 1
    weights = info.tensor_bytes / MiB
    assert weights + kv_4k + compute_4k < info.memory_mb(4096) < 1.2 * (weights + kv_4k + compute_4k) + 100
    assert info.memory_mb(8192) > info.memory_mb(4096)
    assert info.context_length >= 8192 and info.vocab_size > 40000


def test_written_file_is_read_back(tmp_path: Path):
    info = read_gguf(tiny_llama(tmp_path / "t.gguf", layers=3, embd=256, vocab=64))
    assert (info.architecture, info.layers, info.head_count, info.head_count_kv) == ("llama", 3, 4, 2)
    assert (info.key_length, info.vocab_size, info.quantization, info.name) == (64, 64, "Q8_0", "Tiny Test")
    assert info.parameters == 256 * 64 + 3 * (256 * 256 + 256)
    assert info.kv_cache_mb(2048) == -(-(3 * 2 * (64 + 64) * 2 * 2048) // MiB)
    assert "llama" in info.summary() and "Q8_0" in info.summary()


def test_quantisation_from_the_tensors_when_the_header_does_not_say(tmp_path: Path):
    path = write_gguf(tmp_path / "q.gguf", {"general.architecture": "llama"},
                      [("a", (256, 64), "Q4_K"), ("b", (64,), "F32")])
    assert read_gguf(path).quantization == "Q4_K"


def test_truncated_data_is_caught_with_how_much_is_missing(tmp_path: Path):
    cut = _cut(SMOLLM, tmp_path / "my-model.gguf", SMOLLM.stat().st_size - 3 * MiB)
    with pytest.raises(ModelCorrupt) as e:
        check_gguf(cut)
    assert "truncated" in e.value.message and "3.0 MiB missing" in e.value.message and e.value.hint
    assert read_gguf(cut).truncated  # reading the header alone still works
    with pytest.raises(ModelCorrupt):  # and the loader refuses it before llama.cpp sees it
        verify_model_file(cut)


def test_truncated_header_and_not_gguf(tmp_path: Path):
    with pytest.raises(ModelCorrupt) as e:
        check_gguf(_cut(SMOLLM, tmp_path / "h.gguf", 4000))
    assert "header" in e.value.message and "truncated or damaged" in e.value.message
    junk = tmp_path / "j.gguf"
    junk.write_bytes(b"<html>" + b"x" * 100)
    with pytest.raises(ModelCorrupt, match="not a GGUF file"):
        check_gguf(junk)
    with pytest.raises(ModelNotFound):
        read_gguf(tmp_path / "none.gguf")


def test_a_whole_copy_under_another_name_is_ok(tmp_path: Path):
    copy = tmp_path / "renamed.gguf"
    shutil.copyfile(SMOLLM, copy)
    verify_model_file(copy)  # not an embedded name: checked by its header, not by sha256


def test_split_models_are_read_and_checked_shard_by_shard(tmp_path: Path):
    meta = {"general.architecture": "llama", "llama.block_count": 2, "split.count": 2}
    first = write_gguf(tmp_path / "big-00001-of-00002.gguf", meta, [("a", (256, 256), "Q8_0")])
    second = write_gguf(tmp_path / "big-00002-of-00002.gguf", {"split.count": 2}, [("b", (256, 128), "Q8_0")])
    assert shard_paths(first) == (first, second)
    info = check_gguf(first)
    assert info.tensor_bytes == tensor_bytes((256, 256), "Q8_0") + tensor_bytes((256, 128), "Q8_0")
    assert info.parameters == 256 * 384 and info.layers == 2
    _cut(second, second, second.stat().st_size - 100)
    with pytest.raises(ModelCorrupt, match="big-00002-of-00002.gguf"):
        check_gguf(first)
    second.unlink()
    with pytest.raises(ModelNotFound, match="big-00002-of-00002.gguf"):
        check_gguf(first)


def test_format_params():
    assert format_params(494_032_768) == "0.49B"
    assert format_params(7_615_616_512) == "7.6B"
    assert format_params(8_000_000_000) == "8B"
    assert format_params(14_770_033_664) == "14.8B"
    assert format_params(134_515_008) == "0.13B"
    assert format_params(60_000_000) == "60M"
