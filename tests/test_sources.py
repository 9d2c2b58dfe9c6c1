"""Reading reports: encodings detected, HTML main text, JSONL records; bad input reported, never fatal."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from kg.errors import InputError
from kg.sources import SourceDocument, decode, read_sources

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _read(*paths: Path, max_bytes: int = 10**7) -> list[SourceDocument | InputError]:
    return list(read_sources(list(paths), max_bytes))


def test_encodings_are_detected() -> None:
    got = {d.file_name: d.encoding for d in _read(FIXTURES) if isinstance(d, SourceDocument)}
    assert got["county_report.txt"] == "utf-8"
    assert got["county_report_gb18030.txt"] == "gb18030"
    assert got["central_big5.txt"] == "big5"


def test_same_text_whatever_the_encoding() -> None:
    docs = {d.file_name: d for d in _read(FIXTURES) if isinstance(d, SourceDocument)}
    assert docs["county_report.txt"].text == docs["county_report_gb18030.txt"].text


def test_bad_files_are_reported_with_path_and_reason() -> None:
    errors = {str(e.path): e.reason for e in _read(FIXTURES) if isinstance(e, InputError)}
    assert errors[str(FIXTURES / "binary.txt")] == "binary data, not text"
    assert errors[str(FIXTURES / "empty.txt")] == "empty file"
    assert errors[f"{FIXTURES / 'records.jsonl'}:2"].startswith("not JSON")
    assert errors[f"{FIXTURES / 'records.jsonl'}:3"].startswith("a record must be a JSON object")


def test_too_large_is_refused_not_truncated() -> None:
    (err,) = _read(FIXTURES / "county_report.txt", max_bytes=100)
    assert isinstance(err, InputError) and err.reason.startswith("too large")


def test_missing_and_unsupported(tmp_path: Path) -> None:
    sheet = tmp_path / "report.xlsx"
    sheet.write_bytes(b"PK\x03\x04")
    (err,) = _read(sheet)
    assert isinstance(err, InputError) and err.reason == "unsupported file type .xlsx"
    assert err.hint == "give .txt, .html, .jsonl, .pdf, .docx or .doc"
    (err,) = _read(tmp_path / "gone.pdf")
    assert isinstance(err, InputError) and err.reason == "no such file"


def test_documents_in_a_directory_are_read_not_ignored(tmp_path: Path) -> None:
    from .documents_support import write_docx, write_pdf

    text = (FIXTURES / "county_report.txt").read_text(encoding="utf-8")
    write_pdf(text, tmp_path / "a.pdf")
    write_docx(text, tmp_path / "b.docx")
    docs = {d.file_name: d for d in _read(tmp_path) if isinstance(d, SourceDocument)}
    assert sorted(docs) == ["a.pdf", "b.docx"]
    assert docs["a.pdf"].media_type == "application/pdf" and docs["a.pdf"].pages[0] == 0
    assert docs["b.docx"].pages == () and docs["b.docx"].text.splitlines() == text.strip("\n").splitlines()
    flat = lambda s: "".join(s.split())  # noqa: E731
    assert flat(docs["a.pdf"].text) == flat(text)


def test_html_main_text_and_url() -> None:
    (doc,) = _read(FIXTURES / "page.html")
    assert isinstance(doc, SourceDocument)
    assert doc.url == "http://www.thx.gov.cn/xxgk/ndbg/2025/0120.html"
    assert "通化县人民政府2024年政府信息公开工作年度报告" in doc.text
    assert "2099" not in doc.text  # scripts are not text
    assert "首页 | 政务公开" not in doc.text  # navigation is dropped


def test_jsonl_records_keep_url_and_fetch_date() -> None:
    docs = [d for d in _read(FIXTURES / "records.jsonl") if isinstance(d, SourceDocument)]
    # a record is its URL (fetched again, it replaces itself), else its file and line
    assert [d.source_id for d in docs] == ["url:http://www.example.gov.cn/a/report-a.html", "url:http://www.example.gov.cn/b/report-b.html"]
    assert docs[0].url.endswith("report-a.html") and docs[0].fetched == "2020-02-01"
    assert docs[1].media_type == "text/html" and "黄石市2019年" in docs[1].text


def test_wrong_encoding_gives_a_hint() -> None:
    latin = "Rapport annuel élaboré à Genève".encode("latin-1")
    try:
        decode(latin, "x.txt")
    except InputError as exc:
        assert exc.hint
    else:
        raise AssertionError("latin-1 text was accepted as a Chinese report")


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_decode_never_raises_anything_but_input_error(data: bytes) -> None:
    try:
        text, enc = decode(data, "fuzz.txt")
    except InputError:
        return
    assert isinstance(text, str) and enc
