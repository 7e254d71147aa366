"""Zip archives (DOCX, XLSX) checked before any parser sees them: a decompression bomb is
refused while it is still small.

Two checks, because headers can lie: the sizes the archive declares (entry count, total and
XML sizes, compression ratio), then every entry read through, in chunks, counting the bytes
that really come out and stopping at the cap."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

MAX_ENTRIES = 2_000
MAX_TOTAL = 100 * 1024 * 1024  # all entries, decompressed
MAX_XML = 40 * 1024 * 1024  # XML parts, which parsers hold in memory as trees (several times this)
MAX_RATIO = 200  # decompressed / compressed for one entry; real XML is 5-20
_CHUNK = 1024 * 1024


class ZipBombError(ValueError):
    """The archive is over a limit (the message says which)."""


@dataclass(frozen=True)
class ZipLimits:
    entries: int = MAX_ENTRIES
    total: int = MAX_TOTAL
    xml: int = MAX_XML
    ratio: int = MAX_RATIO


def _is_xml(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels", ".vml"))


def check_zip(source: bytes | Path, limits: ZipLimits = ZipLimits()) -> None:
    """Raise ZipBombError when the archive would decompress past a limit,
    zipfile.BadZipFile when it is not an archive."""
    handle = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
    with handle, zipfile.ZipFile(handle) as zf:
        infos = zf.infolist()
        if len(infos) > limits.entries:
            raise ZipBombError(f"{len(infos)} entries in the archive (limit {limits.entries})")
        declared = sum(i.file_size for i in infos)
        declared_xml = sum(i.file_size for i in infos if _is_xml(i.filename))
        if declared > limits.total or declared_xml > limits.xml:
            raise ZipBombError(f"archive expands to {declared / 1e6:.0f} MB "
                               f"(limit {limits.total / 1e6:.0f} MB, XML {limits.xml / 1e6:.0f} MB)")
        for info in infos:
            if info.file_size > 1024 * 1024 and info.file_size > limits.ratio * max(1, info.compress_size):
                raise ZipBombError(f"entry {info.filename!r} is compressed {info.file_size // max(1, info.compress_size)}"
                                   f" to 1 (limit {limits.ratio} to 1)")
        # The declared sizes may be false: count what decompression really yields.
        total = xml = 0
        for info in infos:
            if info.is_dir():
                continue
            with zf.open(info) as member:
                while chunk := member.read(_CHUNK):
                    total += len(chunk)
                    if _is_xml(info.filename):
                        xml += len(chunk)
                    if total > limits.total or xml > limits.xml:
                        raise ZipBombError(f"archive expands past {limits.total / 1e6:.0f} MB "
                                           f"(XML {limits.xml / 1e6:.0f} MB)")
