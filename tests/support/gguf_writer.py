"""Write small GGUF files with chosen metadata and tensors (zeros) for header and hub tests."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

# ggml type id -> (elements per block, bytes per block) for the types the tests use
TYPES = {"F32": (0, 1, 4), "F16": (1, 1, 2), "Q4_0": (2, 32, 18), "Q8_0": (8, 32, 34), "Q4_K": (12, 256, 144)}


def _string(s: str) -> bytes:
    raw = s.encode()
    return struct.pack("<Q", len(raw)) + raw


def _value(v: Any) -> bytes:
    if isinstance(v, bool):
        return struct.pack("<I?", 7, v)
    if isinstance(v, int):
        return struct.pack("<IQ", 10, v) if v >= 2**32 else struct.pack("<II", 4, v)
    if isinstance(v, float):
        return struct.pack("<If", 6, v)
    if isinstance(v, str):
        return struct.pack("<I", 8) + _string(v)
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return struct.pack("<IIQ", 9, 8, len(v)) + b"".join(_string(x) for x in v)
    if isinstance(v, list):
        return struct.pack("<IIQ", 9, 5, len(v)) + b"".join(struct.pack("<i", x) for x in v)
    raise TypeError(v)


def tensor_bytes(dims: tuple[int, ...], kind: str) -> int:
    _, block, size = TYPES[kind]
    n = 1
    for d in dims:
        n *= d
    return n // block * size


def write_gguf(
    path: Path, metadata: dict[str, Any], tensors: list[tuple[str, tuple[int, ...], str]], alignment: int = 32,
    version: int = 3, data: bool = True,
) -> Path:
    """A GGUF file: header, tensor table, aligned filler data (``data=False``: the header alone,
    as if a big model's download stopped right after it). Returns ``path``."""
    head = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(metadata))
    for key, value in metadata.items():
        head += _string(key) + _value(value)
    offset = 0
    table = b""
    sizes = []
    for name, dims, kind in tensors:
        table += _string(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        table += struct.pack("<IQ", TYPES[kind][0], offset)
        size = tensor_bytes(dims, kind)
        sizes.append(size)
        offset += -(-size // alignment) * alignment
    header = head + table
    header += b"\0" * (-len(header) % alignment)
    body = b"".join(b"\x01" * s + b"\0" * (-s % alignment) for s in sizes) if data else b""
    path.write_bytes(header + body)
    return path


def qwen7b_header(path: Path) -> Path:
    """The header of a Qwen2.5-7B-Instruct Q4_K_M-sized model (7.6B parameters), with no tensor data."""
    arch, embd, layers, ffn, vocab = "qwen2", 3584, 28, 18944, 152064
    meta: dict[str, Any] = {
        "general.architecture": arch, "general.name": "Qwen2.5 7B Instruct", "general.file_type": 15,
        f"{arch}.block_count": layers, f"{arch}.context_length": 32768, f"{arch}.embedding_length": embd,
        f"{arch}.attention.head_count": 28, f"{arch}.attention.head_count_kv": 4, f"{arch}.vocab_size": vocab,
    }
    tensors: list[tuple[str, tuple[int, ...], str]] = [
        ("token_embd.weight", (embd, vocab), "Q4_K"), ("output.weight", (embd, vocab), "Q4_K")]
    for i in range(layers):
        tensors += [(f"blk.{i}.attn_q.weight", (embd, embd), "Q4_K"), (f"blk.{i}.attn_o.weight", (embd, embd), "Q4_K"),
                    (f"blk.{i}.attn_kv.weight", (embd, 1024), "Q4_K")]
        tensors += [(f"blk.{i}.ffn_{n}.weight", (embd, ffn), "Q4_K") for n in ("up", "gate", "down")]
    return write_gguf(path, meta, tensors, data=False)


def tiny_llama(path: Path, layers: int = 2, embd: int = 256, vocab: int = 64, arch: str = "llama") -> Path:
    """A small llama-shaped GGUF (Q8_0/F32 zeros): real header, no usable weights."""
    meta: dict[str, Any] = {
        "general.architecture": arch,
        "general.name": "Tiny Test",
        "general.file_type": 7,  # MOSTLY_Q8_0
        f"{arch}.block_count": layers,
        f"{arch}.context_length": 2048,
        f"{arch}.embedding_length": embd,
        f"{arch}.attention.head_count": 4,
        f"{arch}.attention.head_count_kv": 2,
        "tokenizer.ggml.tokens": [f"t{i}" for i in range(vocab)],
    }
    tensors: list[tuple[str, tuple[int, ...], str]] = [("token_embd.weight", (embd, vocab), "Q8_0")]
    for i in range(layers):
        tensors += [(f"blk.{i}.attn_q.weight", (embd, embd), "Q8_0"), (f"blk.{i}.attn_norm.weight", (embd,), "F32")]
    return write_gguf(path, meta, tensors)
