"""Reading report files: ``.txt``, ``.html``/``.htm``, ``.jsonl`` records, and ``.pdf``/``.docx``/``.doc``
(:mod:`kg.documents`), directories recursively.

Encodings are detected, not guessed: UTF-8 (with or without BOM) is tried strictly first; otherwise
charset-normalizer chooses among GB18030 (a superset of GBK and GB2312), Big5 and UTF-16, and the choice must decode
cleanly. A file that is binary, empty, too large, or in no supported encoding yields an :class:`InputError` with
its path and reason; reading goes on with the next file.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kg.documents import SUFFIXES as DOCUMENT_SUFFIXES
from kg.errors import InputError

SUFFIXES = {".txt", ".html", ".htm", ".jsonl"} | DOCUMENT_SUFFIXES
_CANDIDATE_ENCODINGS = ["gb18030", "big5", "utf_16"]


@dataclass(frozen=True)
class SourceDocument:
    source_id: str  # the source's identity (see :func:`source_key`): its graph and IRIs are minted from it
    file_name: str  # the name whose stem identifies the report (file name, or URL's last segment for records)
    text: str  # decoded original text (for HTML: the page's main text)
    encoding: str
    url: str | None = None
    fetched: str | None = None
    media_type: str = "text/plain"
    pages: tuple[int, ...] = ()  # start offset of each page in ``text`` (PDF); empty for formats without pages

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def decode(data: bytes, where: str) -> tuple[str, str]:
    """Decode report bytes; returns (text, encoding name). Raises InputError with the reason."""
    if not data.strip():
        raise InputError(where, "empty file", hint="nothing to ingest; remove the file or re-fetch it")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise InputError(where, f"broken UTF-16 ({exc.reason} at byte {exc.start})") from exc
    sample = data[:65536]
    if b"\x00" in sample or _control_ratio(sample) > 0.05:
        raise InputError(
            where, "binary data, not text", hint="a PDF or Word file is read when its name ends in .pdf, .docx or .doc"
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=_CANDIDATE_ENCODINGS).best()
    if best is None:
        raise InputError(
            where,
            "not UTF-8, GB18030/GBK or Big5 text",
            hint="re-save the file as UTF-8 (e.g. iconv -f ENCODING -t UTF-8)",
        )
    enc = best.encoding
    try:
        text = data.decode(enc)
    except UnicodeDecodeError as exc:
        raise InputError(where, f"undecodable as {enc} at byte {exc.start}") from exc
    if _han_ratio(text) < 0.05:
        raise InputError(where, f"decodes as {enc} but holds almost no Chinese text", hint="is it a report?")
    return text, enc


_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))


def _control_ratio(data: bytes) -> float:
    if not data:
        return 0.0
    bad = len(data) - len(data.translate(None, _CONTROL))
    return bad / len(data)


def _han_ratio(text: str) -> float:
    sample = text[:20000]
    if not sample:
        return 0.0
    return sum(1 for ch in sample if "\u4e00" <= ch <= "\u9fff") / len(sample)


_HTML_START = re.compile(rb"^\s*(<!doctype html|<html|<head|<body|<meta|<div)", re.I)


def looks_like_html(data: bytes) -> bool:
    return bool(_HTML_START.match(data[:2048]))


def source_key(path: Path, root: Path | None = None) -> str:
    """A file's identity: its resolved absolute path, or its path relative to ``root`` when one is given.

    The same file has the same key whatever the working directory and whichever directory it was found through, and
    two different files never share one. A root (``kg ingest --root``) makes the keys, and so the IRIs, independent
    of where the corpus lies on disk.
    """
    resolved = Path(path).resolve()
    if root is None:
        return resolved.as_posix()
    base = Path(root).resolve()
    if not resolved.is_relative_to(base):
        raise InputError(str(path), f"not under the corpus root {base}", hint="give --root a directory that holds it")
    return resolved.relative_to(base).as_posix()


def record_key(file_key: str, url: str | None, lineno: int) -> str:
    """A JSONL record's identity: its URL (the same page fetched again replaces it), else its file and line."""
    return f"url:{url}" if url else f"{file_key}#{lineno}"


def iter_paths(paths: Iterable[Path], every_file: bool = False) -> Iterator[Path]:
    """Each given file, and every supported file under each given directory, sorted.

    With ``every_file``, the other files under the directories too (hidden ones left out), so that a caller can
    name what it does not read.
    """
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for x in sorted(p.rglob("*")):
                if not x.is_file() or any(part.startswith(".") for part in x.relative_to(p).parts):
                    continue
                if every_file or x.suffix.lower() in SUFFIXES:
                    yield x
        else:
            yield p


def read_sources(
    paths: Iterable[Path], max_bytes: int, root: Path | None = None
) -> Iterator[SourceDocument | InputError]:
    """Every report in ``paths``; a file that cannot be read yields its InputError instead (never raises)."""
    for path in iter_paths(paths):
        yield from read_file(path, max_bytes, root)


def read_file(path: Path, max_bytes: int, root: Path | None = None) -> Iterator[SourceDocument | InputError]:
    """The report(s) of one file (one per record for JSONL), or the InputError saying why it cannot be read."""
    where = str(path)
    try:
        rel = source_key(path, root)
    except InputError as exc:
        yield exc
        return
    try:
        if not path.exists():
            raise InputError(where, "no such file")
        if path.suffix.lower() not in SUFFIXES:
            raise InputError(
                where,
                f"unsupported file type {path.suffix or '(none)'}",
                hint="give .txt, .html, .jsonl, .pdf, .docx or .doc",
            )
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(
                where,
                f"too large ({size:,} bytes > limit {max_bytes:,})",
                hint="split the file, or raise the limit with --max-file-mb",
            )
        data = path.read_bytes()
    except InputError as exc:
        yield exc
        return
    except OSError as exc:
        yield InputError(where, f"cannot read ({exc.strerror or exc})")
        return
    if path.suffix.lower() == ".jsonl":
        yield from _read_jsonl(data, where, rel, max_bytes)
        return
    if path.suffix.lower() in DOCUMENT_SUFFIXES:
        yield _read_document(data, where, rel, path, max_bytes)
        return
    try:
        text, enc = decode(data, where)
        if path.suffix.lower() in {".html", ".htm"} or looks_like_html(data):
            from kg.html import html_to_text

            body, url = html_to_text(text)
            yield SourceDocument(rel, path.name, body, enc, url=url, media_type="text/html")
        else:
            yield SourceDocument(rel, path.name, text, enc)
    except InputError as exc:
        yield exc


def _read_document(data: bytes, where: str, rel: str, path: Path, max_bytes: int) -> SourceDocument | InputError:
    from kg.documents import read_document

    try:
        got = read_document(data, where, path.suffix.lower(), max_bytes)
    except InputError as exc:
        return exc
    return SourceDocument(rel, path.name, got.text, got.encoding, media_type=got.media_type, pages=got.pages)


def _read_jsonl(data: bytes, where: str, rel: str, max_bytes: int) -> Iterator[SourceDocument | InputError]:
    try:
        content, _ = decode(data, where)
    except InputError as exc:
        yield exc
        return
    from kg.html import html_to_text

    for lineno, line in enumerate(content.splitlines(), 1):
        if not line.strip():
            continue
        here = f"{where}:{lineno}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            yield InputError(here, f"not JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(rec, dict):
            yield InputError(here, "a record must be a JSON object {url, text|html, fetched}")
            continue
        url = rec.get("url") if isinstance(rec.get("url"), str) else None
        fetched = rec.get("fetched") if isinstance(rec.get("fetched"), str) else None
        text, html = rec.get("text"), rec.get("html")
        if isinstance(text, str) and text.strip():
            body, media = text, "text/plain"
        elif isinstance(html, str) and html.strip():
            body, page_url = html_to_text(html)
            url = url or page_url
            media = "text/html"
        else:
            yield InputError(here, "record has no 'text' or 'html'")
            continue
        if len(body.encode("utf-8")) > max_bytes:
            yield InputError(here, "record too large")
            continue
        name = _record_name(url, lineno)
        key = record_key(rel, url, lineno)
        yield SourceDocument(key, name, body, "utf-8", url=url, fetched=fetched, media_type=media)


def _record_name(url: str | None, lineno: int) -> str:
    if url:
        last = url.rstrip("/").rsplit("/", 1)[-1]
        if last and "." in last or last:
            return last
    return f"record-{lineno}"
