"""Read a GGUF file's header: what the model is, how big, and whether the file is whole.

:func:`read_gguf` parses the metadata and the tensor table (never the tensor data) from a memory
map, so it takes well under a second even for a 14B model. The tensor table says where each
tensor's bytes end; a file shorter than that is truncated (an interrupted copy or download), which
:func:`check_gguf` reports as :class:`ModelCorrupt`. :meth:`GGUFInfo.memory_mb` estimates what
llama.cpp needs to run the model at a context: weights + KV cache (f16) + compute buffers.
Split models (``name-00001-of-00003.gguf``) are read shard by shard and summed.
"""

from __future__ import annotations

import mmap
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jarvis.errors import ModelCorrupt, ModelNotFound

MiB = 1024 * 1024
_VERSIONS = (2, 3)  # v1 (2023) counted in 32 bits; llama.cpp no longer loads it
_SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
_KEEP_ARRAY = 512  # arrays longer than this (vocabularies, merges) are skipped, only their length kept

# ggml tensor type id -> (elements per block, bytes per block), as ggml.c's type traits
GGML_TYPES: dict[int, tuple[str, int, int]] = {
    0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20), 6: ("Q5_0", 32, 22),
    7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 36), 10: ("Q2_K", 256, 84),
    11: ("Q3_K", 256, 110), 12: ("Q4_K", 256, 144), 13: ("Q5_K", 256, 176), 14: ("Q6_K", 256, 210),
    15: ("Q8_K", 256, 292), 16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74), 18: ("IQ3_XXS", 256, 98),
    19: ("IQ1_S", 256, 50), 20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110), 22: ("IQ2_S", 256, 82),
    23: ("IQ4_XS", 256, 136), 24: ("I8", 1, 1), 25: ("I16", 1, 2), 26: ("I32", 1, 4), 27: ("I64", 1, 8),
    28: ("F64", 1, 8), 29: ("IQ1_M", 256, 56), 30: ("BF16", 1, 2), 34: ("TQ1_0", 256, 54),
    35: ("TQ2_0", 256, 66), 39: ("MXFP4", 32, 17),
}

# general.file_type (llama.cpp's llama_ftype) -> the name people use for the quantisation
FILE_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S",
    12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K",
    19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL",
    26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16",
    36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4_MOE",
}

SPLIT = re.compile(r"^(?P<stem>.+)-(?P<part>\d{5})-of-(?P<count>\d{5})\.gguf$")
# Worst-case tokens llama.cpp plans its compute buffer for (llama-cpp-python's n_batch/n_ubatch default).
N_UBATCH = 512


@dataclass(frozen=True)
class GGUFInfo:
    """What a GGUF header says about a model (all shards of a split model together)."""

    path: Path
    version: int
    architecture: str
    name: str
    parameters: int
    layers: int
    context_length: int
    embedding_length: int
    head_count: int
    head_count_kv: int
    key_length: int
    value_length: int
    vocab_size: int
    quantization: str
    tensor_bytes: int
    file_size: int
    data_end: int
    shards: tuple[Path, ...] = ()
    extents: tuple[tuple[int, int], ...] = ()  # (file size, end of tensor data) per shard
    metadata: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def truncated(self) -> bool:
        """True when any shard is shorter than the end of its tensor data."""
        return any(size < end for size, end in self.extents)

    def kv_cache_mb(self, context: int) -> int:
        """KV cache at ``context`` tokens with llama.cpp's default f16 cache, MiB."""
        per_token = self.layers * self.head_count_kv * (self.key_length + self.value_length) * 2
        return -(-per_token * context // MiB)

    def compute_mb(self, context: int) -> int:
        """llama.cpp's compute buffer for one ``N_UBATCH`` batch, MiB.

        The larger of the logits and the attention scores (+ mask), plus three activations; within
        1% of what llama.cpp reserves on the CPU for the embedded models at 4k and 16k context.
        """
        logits = N_UBATCH * self.vocab_size * 4
        scores = N_UBATCH * context * (max(1, self.head_count) + 1) * 4
        return -(-(max(logits, scores) + 3 * N_UBATCH * self.embedding_length * 4) // MiB)

    def memory_mb(self, context: int) -> int:
        """Memory to run at ``context``: weights + KV cache + compute buffers + 5% and 64 MiB slack."""
        weights = self.tensor_bytes / MiB
        total = weights + self.kv_cache_mb(context) + self.compute_mb(context)
        return int(total * 1.05 + 64)

    def summary(self) -> str:
        """One line: architecture, size, quantisation, layers, context."""
        return (
            f"{self.architecture} {format_params(self.parameters)} {self.quantization}, {self.layers} layers, "
            f"trained context {self.context_length}, weights {self.tensor_bytes / MiB:.0f} MiB"
        )


def format_params(n: int) -> str:
    """``494032768`` -> ``"0.49B"``; ``7615616512`` -> ``"7.6B"``."""
    if n >= 10**9:
        return f"{n / 1e9:.1f}B" if n >= 10 * 10**9 or n % 10**9 else f"{n // 10**9}B"
    return f"{n / 1e9:.2f}B" if n >= 10**8 else f"{n / 1e6:.0f}M"


def shard_paths(path: Path) -> tuple[Path, ...]:
    """Every shard of a split model (``-00001-of-00003.gguf``), or just ``path``."""
    m = SPLIT.match(path.name)
    if not m:
        return (path,)
    count = int(m["count"])
    return tuple(path.with_name(f"{m['stem']}-{i:05d}-of-{count:05d}.gguf") for i in range(1, count + 1))


class _Reader:
    """Little-endian values from a memory map; any read past the end means a truncated header."""

    def __init__(self, buf: Any, path: Path) -> None:
        self.buf, self.pos, self.path = buf, 0, path

    def unpack(self, fmt: str) -> Any:
        value = struct.unpack_from(fmt, self.buf, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        n = self.unpack("<Q")
        if self.pos + n > len(self.buf):
            raise struct.error("string past the end")
        raw = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return raw.decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        self.pos += 8 + struct.unpack_from("<Q", self.buf, self.pos)[0]

    def value(self, kind: int) -> Any:
        if kind in _SCALAR:
            return self.unpack(_SCALAR[kind])
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            item, count = self.unpack("<I"), self.unpack("<Q")
            if count > _KEEP_ARRAY:
                if item == _STRING:
                    for _ in range(count):
                        self.skip_string()
                elif item in _SCALAR:
                    self.pos += count * struct.calcsize(_SCALAR[item])
                else:
                    raise ValueError(f"nested array of type {item}")
                if self.pos > len(self.buf):
                    raise struct.error("array past the end")
                return _Skipped(count)
            return [self.value(item) for _ in range(count)]
        raise ValueError(f"unknown metadata value type {kind}")


@dataclass(frozen=True)
class _Skipped:
    """A long array that was not kept (a vocabulary): only its length."""

    length: int


@dataclass(frozen=True)
class _Shard:
    version: int
    metadata: dict[str, Any]
    parameters: int
    tensor_bytes: int
    data_end: int
    file_size: int
    type_bytes: dict[int, int]


def _read_shard(path: Path) -> _Shard:
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            if size < 24:
                raise ModelCorrupt(f"not a GGUF file (only {size} bytes): {path}", "download or copy it again")
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                return _parse(_Reader(buf, path), size)
    except FileNotFoundError:
        raise ModelNotFound(f"model file not found: {path}", "check the path, or pull it again") from None
    except (struct.error, ValueError, UnicodeDecodeError) as exc:
        raise ModelCorrupt(
            f"GGUF header of {path.name} is truncated or damaged ({exc})", "download or copy the file again"
        ) from None
    except OSError as exc:
        raise ModelCorrupt(f"cannot read {path}: {exc.strerror or exc}", "check the file and its permissions") from None


def _parse(r: _Reader, size: int) -> _Shard:
    if bytes(r.buf[:4]) != b"GGUF":
        raise ModelCorrupt(f"not a GGUF file: {r.path}", "point 'file' at a .gguf model")
    r.pos = 4
    version = r.unpack("<I")
    if version not in _VERSIONS:
        raise ModelCorrupt(
            f"unsupported GGUF version {version}: {r.path.name}", "use a file made by a recent llama.cpp"
        )
    n_tensors, n_kv = r.unpack("<Q"), r.unpack("<Q")
    meta: dict[str, Any] = {}
    for _ in range(n_kv):
        key = r.string()
        meta[key] = r.value(r.unpack("<I"))
    params = 0
    tensor_bytes = 0
    last = (0, 0)  # (offset, bytes) of the tensor that ends furthest into the data
    type_bytes: dict[int, int] = {}
    for _ in range(n_tensors):
        r.skip_string()
        dims = [r.unpack("<Q") for _ in range(r.unpack("<I"))]
        kind, offset = r.unpack("<I"), r.unpack("<Q")
        count = 1
        for d in dims:
            count *= d
        params += count
        _, block, block_bytes = GGML_TYPES.get(kind, ("?", 0, 0))
        nbytes = count // block * block_bytes if block else 0
        tensor_bytes += nbytes
        type_bytes[kind] = type_bytes.get(kind, 0) + nbytes
        if offset + nbytes > sum(last):
            last = (offset, nbytes)
    align = int(meta.get("general.alignment", 32) or 32)
    data_start = -(-r.pos // align) * align
    return _Shard(version, meta, params, tensor_bytes, data_start + sum(last), size, type_bytes)


def _arch_int(meta: dict[str, Any], arch: str, key: str, default: int = 0) -> int:
    value = meta.get(f"{arch}.{key}", default)
    if isinstance(value, list):  # per-layer values (some architectures): the largest
        value = max(value) if value else default
    return int(value) if isinstance(value, (int, float)) else default


def read_gguf(path: Path | str) -> GGUFInfo:
    """Parse the header (and every shard's) of a GGUF model.

    Raises:
        ModelNotFound: the file (or a shard) is missing.
        ModelCorrupt: not a GGUF file, an unsupported version, or a header cut short.
    """
    path = Path(path)
    shards = shard_paths(path)
    parsed = [_read_shard(p) for p in shards]
    meta = parsed[0].metadata
    arch = str(meta.get("general.architecture", "unknown"))
    heads = _arch_int(meta, arch, "attention.head_count", 1) or 1
    embd = _arch_int(meta, arch, "embedding_length")
    head_dim = embd // heads if embd else 0
    vocab = meta.get("tokenizer.ggml.tokens")
    vocab_size = vocab.length if isinstance(vocab, _Skipped) else len(vocab) if isinstance(vocab, list) else 0
    vocab_size = _arch_int(meta, arch, "vocab_size", vocab_size)
    types: dict[int, int] = {}
    for s in parsed:
        for kind, n in s.type_bytes.items():
            types[kind] = types.get(kind, 0) + n
    file_type = meta.get("general.file_type")
    quant = FILE_TYPES.get(file_type) if isinstance(file_type, int) else None
    if quant is None:
        top = max(types, key=lambda k: types[k]) if types else -1
        quant = GGML_TYPES.get(top, ("unknown",))[0]
    return GGUFInfo(
        path=path,
        version=parsed[0].version,
        architecture=arch,
        name=str(meta.get("general.name", path.stem)),
        parameters=sum(s.parameters for s in parsed),
        layers=_arch_int(meta, arch, "block_count"),
        context_length=_arch_int(meta, arch, "context_length"),
        embedding_length=embd,
        head_count=heads,
        head_count_kv=_arch_int(meta, arch, "attention.head_count_kv", heads) or heads,
        key_length=_arch_int(meta, arch, "attention.key_length", head_dim),
        value_length=_arch_int(meta, arch, "attention.value_length", head_dim),
        vocab_size=vocab_size,
        quantization=quant,
        tensor_bytes=sum(s.tensor_bytes for s in parsed),
        file_size=sum(s.file_size for s in parsed),
        data_end=sum(s.data_end for s in parsed),
        shards=shards,
        extents=tuple((s.file_size, s.data_end) for s in parsed),
        metadata={k: v for k, v in meta.items() if not isinstance(v, _Skipped)},
    )


def check_gguf(path: Path | str) -> GGUFInfo:
    """:func:`read_gguf`, and :class:`ModelCorrupt` when any shard is shorter than its tensor data."""
    info = read_gguf(path)
    for shard, (size, end) in zip(info.shards, info.extents, strict=True):
        if size < end:
            raise ModelCorrupt(
                f"model file is truncated: {shard.name} is {size} bytes, its header needs "
                f"{end} ({(end - size) / MiB:.1f} MiB missing)",
                "the download or copy was cut short: delete it and pull or copy it again",
            )
    return info
