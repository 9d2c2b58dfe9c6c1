"""Reports published as documents rather than text: PDF (text layer, page offsets kept), ``.docx`` and ``.doc``.

:func:`read_document` gives the text that spans point into, and for paged formats the offset in it where each page
starts; a file whose text cannot be had raises :class:`~kg.errors.InputError` with its path and reason.
"""

from __future__ import annotations

from dataclasses import dataclass

SUFFIXES = {".pdf", ".docx", ".doc"}


@dataclass(frozen=True)
class Extracted:
    text: str
    media_type: str
    encoding: str  # how the text was had: "pdf-text-layer", "docx", "antiword", "catdoc"
    pages: tuple[int, ...] = ()  # start offset of each page in ``text``; empty for formats without pages


def read_document(data: bytes, where: str, suffix: str, max_bytes: int) -> Extracted:
    from kg.errors import InputError

    if suffix == ".pdf":
        from kg.documents.pdf import read_pdf

        text, pages = read_pdf(data, where)
        extracted = Extracted(text, "application/pdf", "pdf-text-layer", pages)
    else:
        from kg.documents.word import DOCX_TYPE, legacy_tool, read_word

        text, media_type = read_word(data, where, max_bytes)
        how = "docx" if media_type == DOCX_TYPE else legacy_tool() or "doc"
        extracted = Extracted(text, media_type, how)
    if len(extracted.text.encode("utf-8")) > max_bytes:
        raise InputError(where, f"its text is larger than the limit ({max_bytes:,} bytes)", hint="split the file")
    return extracted
