"""PDF, DOCX and DOC reports: the same facts as the text they were made from, pages kept, bad files reported.

The documents are made by the tests themselves (tests/documents_support.py): PDFs with a real CJK text layer (a
standard CID font, and an embedded TrueType subset), a scanned-like PDF, DOCX with real Word tables. The one legacy
``.doc`` (tests/documents/seed-000.doc) was converted from examples/reports/seed-000.txt once, since no Python
library writes Word 97 files (tests/documents/README.md says how).
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli.main import cli
from kg.config import Config
from kg.documents import pdf as pdf_reader
from kg.documents.layout import Line, join_pages
from kg.documents.word import convert_doc
from kg.errors import InputError
from kg.pipeline import ingest
from kg.queries import load_query, run_select
from kg.sources import SourceDocument, read_sources
from kg.store import open_store

from .conftest import EXAMPLES, FIXTURES
from .documents_support import (
    has_embedded_font,
    has_tool,
    write_docx,
    write_pdf,
    write_scanned_pdf,
)

DOCUMENTS = Path(__file__).resolve().parent / "documents"
FACT_QUERIES = ["eval/reports", "eval/citations", "eval/platforms", "eval/initiatives", "eval/statistics"]
_EMBEDDED = pytest.mark.skipif(not has_embedded_font(), reason="fonts-wqy-microhei is not installed")


def _read(path: Path, max_bytes: int = 10**7) -> SourceDocument | InputError:
    (item,) = read_sources([path], max_bytes)
    return item


def _facts(store: Path, config: Config) -> dict[str, list[tuple[str, ...]]]:
    """What the graph answers about each report, with the source named by its stem (seed-000.pdf → seed-000)."""
    opened = open_store(store, read_only=True)
    out: dict[str, list[tuple[str, ...]]] = {}
    for name in FACT_QUERIES:
        table = run_select(opened, load_query(name, config.queries_dir))
        i = table.columns.index("source")
        out[name] = sorted(
            tuple(Path(v).stem if k == i else v for k, v in enumerate(row))
            for row in table.rows
            if row[i].startswith("seed-")
        )
    facts = run_select(opened, load_query("report-facts", config.queries_dir))
    # every fact with its quote (whitespace aside: a quote may span a rejoined line), not its offsets
    out["quotes"] = sorted(
        (Path(r[0]).stem, r[2], "".join(r[5].split())) for r in facts.rows if r[0].startswith("seed-")
    )
    return out


@pytest.fixture(scope="module")
def text_facts(example_store: Path, config: Config) -> dict[str, list[tuple[str, ...]]]:
    return _facts(example_store, config)


@pytest.mark.parametrize(
    "kind", ["pdf-cid", pytest.param("pdf-embedded", marks=_EMBEDDED), "docx"], ids=lambda k: str(k)
)
def test_example_reports_as_documents_give_the_same_facts(
    kind: str, text_facts: dict, config: Config, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for src in sorted(EXAMPLES.glob("seed-*.txt")):
        text = src.read_text(encoding="utf-8")
        if kind == "docx":
            write_docx(text, docs / f"{src.stem}.docx", tables=True)
        else:
            write_pdf(text, docs / f"{src.stem}.pdf", fonts=kind.removeprefix("pdf-"))
    summary = ingest([docs], tmp_path / "store", config)
    assert summary.skipped == [] and summary.reports == 5
    got = _facts(tmp_path / "store", config)
    for name in [*FACT_QUERIES, "quotes"]:
        assert got[name] == text_facts[name], name
    assert all(got[name] for name in FACT_QUERIES)  # the examples have facts of every kind


def test_pdf_pages_start_where_each_page_does(tmp_path: Path) -> None:
    text = (EXAMPLES / "seed-001.txt").read_text(encoding="utf-8")
    firsts = write_pdf(text, tmp_path / "r.pdf")
    doc = _read(tmp_path / "r.pdf")
    assert isinstance(doc, SourceDocument) and doc.media_type == "application/pdf"
    assert len(doc.pages) == len(firsts) > 10 and doc.pages[0] == 0
    assert list(doc.pages) == sorted(doc.pages)
    for start, first in zip(doc.pages, firsts, strict=True):
        assert doc.text[start:].lstrip().startswith(first.strip()), first
    assert "— 2 —" not in doc.text  # running page numbers are not report text


def test_explain_gives_the_page_of_a_quote(config: Config, tmp_path: Path) -> None:
    from pdfminer.high_level import extract_text

    filler = "本年度我县围绕重点领域信息公开,持续完善制度机制,加强政策解读与回应关切,推进政务公开标准化规范化建设。"
    number = "国办发〔2019〕14号"
    lines = ["某某县人民政府2019年政府信息公开工作年度报告", *[filler] * 40]
    lines += [f"根据《国务院办公厅关于印发2019年政务公开工作要点的通知》({number})要求,全面推进各项工作。", filler]
    path = tmp_path / "p.pdf"
    pages = len(write_pdf("\n".join(lines), path))
    # an independent reading, page by page, says where the number is
    (on_page,) = [n + 1 for n in range(pages) if number in "".join(extract_text(str(path), page_numbers=[n]).split())]
    assert on_page > 1
    store = tmp_path / "store"
    assert ingest([path], store, config).reports == 1
    table = run_select(open_store(store, read_only=True), load_query("report-facts", config.queries_dir))
    (fact,) = {r[1] for r in table.rows if r[2] == "citation" and number in r[5]}
    res = CliRunner().invoke(cli, ["explain", fact, "--store", str(store)])
    assert res.exit_code == 0, res.output
    (read_from,) = [line for line in res.stdout.splitlines() if "【" in line]
    assert read_from.startswith(f"  read from p.pdf p. {on_page} [")


def test_a_scanned_pdf_is_reported_never_an_empty_report(config: Config, tmp_path: Path) -> None:
    write_scanned_pdf(tmp_path / "scan.pdf", pages=2)
    err = _read(tmp_path / "scan.pdf")
    assert isinstance(err, InputError)
    assert err.reason == "no text layer; OCR not done (2 pages of images)" and err.hint
    summary = ingest([tmp_path], tmp_path / "store", config)
    assert summary.reports == 0 and [s.reason for s in summary.skipped] == [err.reason]


def test_encrypted_pdfs(tmp_path: Path) -> None:
    text = (EXAMPLES / "seed-000.txt").read_text(encoding="utf-8")
    write_pdf(text, tmp_path / "locked.pdf", user_password="secret")
    err = _read(tmp_path / "locked.pdf")
    assert isinstance(err, InputError) and err.reason == "encrypted: it needs a password to open"
    if not has_embedded_font():
        pytest.skip("fonts-wqy-microhei is not installed")
    # only an owner password (copying "not allowed"): anyone can open it, so its text is read (with an embedded
    # font: reportlab encrypts a standard CID font's CIDSystemInfo so that no reader finds its CMap)
    write_pdf(text, tmp_path / "restricted.pdf", fonts="embedded", owner_password="owner")
    doc = _read(tmp_path / "restricted.pdf")
    assert isinstance(doc, SourceDocument) and "国办发〔2016〕19号" in doc.text


def test_damaged_and_mislabelled_pdfs(tmp_path: Path) -> None:
    (tmp_path / "garbage.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(4000))
    (tmp_path / "html.pdf").write_bytes("<html><body>不是PDF</body></html>".encode())
    good = tmp_path / "good.pdf"
    write_pdf("某某县人民政府2019年政府信息公开工作年度报告\n正文。", good)
    (tmp_path / "cut.pdf").write_bytes(good.read_bytes()[:300])
    reasons = {Path(e.path).name: e.reason for e in read_sources([tmp_path], 10**7) if isinstance(e, InputError)}
    assert reasons["html.pdf"] == "not a PDF (no %PDF- header)"
    assert reasons["garbage.pdf"].startswith("damaged")
    assert reasons["cut.pdf"].startswith("damaged") or reasons["cut.pdf"].startswith("no text")
    assert "good.pdf" not in reasons


def test_the_pdf_reader_is_bounded_in_memory_and_time(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import zlib

    # a compression bomb: 640 MiB of zeros in a stream of under 3 MB
    packer = zlib.compressobj(1)
    chunk = bytes(64 * 1024**2)
    stream = b"".join(packer.compress(chunk) for _ in range(10)) + packer.flush()
    body = b"BT /F1 12 Tf 72 720 Td (x) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents [4 0 R 5 0 R] >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, obj in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    (tmp_path / "bomb.pdf").write_bytes(out.getvalue())
    monkeypatch.setattr(pdf_reader, "MEMORY_BYTES", 256 * 1024**2)
    err = _read(tmp_path / "bomb.pdf")
    assert isinstance(err, InputError) and err.reason == "reading its text needs more than 256 MiB of memory"

    write_pdf((EXAMPLES / "seed-001.txt").read_text(encoding="utf-8"), tmp_path / "slow.pdf")
    monkeypatch.setattr(pdf_reader, "TIMEOUT_S", 0.05)
    err = _read(tmp_path / "slow.pdf")
    assert isinstance(err, InputError) and err.reason == "reading its text took longer than 0.05 s"


def test_docx_tables_read_as_rows_with_merged_cells_once(tmp_path: Path) -> None:
    from kg.extract.report import extract_facts
    from kg.text import normalize

    text = (FIXTURES / "table_2021.txt").read_text(encoding="utf-8")
    write_docx(text, tmp_path / "t.docx", tables=True)
    doc = _read(tmp_path / "t.docx")
    assert isinstance(doc, SourceDocument) and doc.pages == ()
    assert doc.text.splitlines() == text.strip("\n").splitlines()

    def figures(t: str) -> list[tuple[str, float]]:
        return sorted((s.key, s.value) for s in extract_facts(normalize(t).norm).statistics)

    assert figures(doc.text) == figures(text) != []


def test_bad_docx_files_are_reported_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "notzip.docx").write_bytes("这不是Word文件".encode() * 50)
    with zipfile.ZipFile(tmp_path / "nodoc.docx", "w") as z:
        z.writestr("hello.txt", "no document here")
    with zipfile.ZipFile(tmp_path / "bomb.docx", "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", "<w:document/>")
        z.writestr("word/media/big.bin", bytes(30 * 1024**2))
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500)
    (tmp_path / "locked.docx").write_bytes(ole + "EncryptedPackage".encode("utf-16-le") + bytes(500))
    write_docx("", tmp_path / "empty.docx")
    reasons = {Path(e.path).name: e.reason for e in read_sources([tmp_path], 10**6) if isinstance(e, InputError)}
    assert reasons == {
        "notzip.docx": "not a Word file (neither a .docx ZIP package nor a Word 97–2003 OLE file)",
        "nodoc.docx": "not a Word document (the package has no word/document.xml)",
        "bomb.docx": reasons["bomb.docx"],
        "locked.docx": "encrypted: the Word file needs a password to open",
        "empty.docx": "no text (the Word document is empty)",
    }
    assert (
        reasons["bomb.docx"].startswith("unpacks to 31,457,") and "more than 20× the file limit" in reasons["bomb.docx"]
    )


def test_a_docx_named_doc_is_read_by_its_content(tmp_path: Path) -> None:
    write_docx("某某县人民政府2019年政府信息公开工作年度报告\n正文。", tmp_path / "report.doc")
    doc = _read(tmp_path / "report.doc")
    assert isinstance(doc, SourceDocument) and doc.text.startswith("某某县人民政府2019年")


@pytest.mark.parametrize("tool", ["antiword", "catdoc"])
def test_legacy_doc_gives_the_same_text_and_facts(tool: str, config: Config, tmp_path: Path) -> None:
    if not has_tool(tool):
        pytest.skip(f"{tool} is not installed (scripts/test.sh installs it)")
    data = (DOCUMENTS / "seed-000.doc").read_bytes()
    text = convert_doc(data, "seed-000.doc", tool)
    original = (EXAMPLES / "seed-000.txt").read_text(encoding="utf-8")
    assert [ln.strip() for ln in text.splitlines() if ln.strip()] == [
        ln.strip() for ln in original.splitlines() if ln.strip()
    ]


@pytest.mark.skipif(not has_tool("antiword"), reason="antiword is not installed (scripts/test.sh installs it)")
def test_legacy_doc_ingests_with_the_facts_of_its_text(text_facts: dict, config: Config, tmp_path: Path) -> None:
    summary = ingest([DOCUMENTS / "seed-000.doc"], tmp_path / "store", config)
    assert summary.skipped == [] and summary.reports == 1
    got = _facts(tmp_path / "store", config)
    for name in [*FACT_QUERIES, "quotes"]:
        assert got[name] == [r for r in text_facts[name] if r[0] == "seed-000"], name


def test_legacy_doc_without_a_converter_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # neither antiword nor catdoc on it
    err = _read(DOCUMENTS / "seed-000.doc")
    assert isinstance(err, InputError)
    assert err.reason == "a legacy Word .doc needs antiword or catdoc to read, and neither is installed"
    assert err.hint == "apt-get install antiword, or save the file as .docx"


@pytest.mark.skipif(not has_tool("antiword"), reason="antiword is not installed (scripts/test.sh installs it)")
def test_damaged_doc_gives_the_converters_reason(tmp_path: Path) -> None:
    (tmp_path / "bad.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(3000))
    err = _read(tmp_path / "bad.doc")
    assert isinstance(err, InputError) and err.reason.startswith("antiword cannot convert it: ")


def test_a_batch_of_documents_goes_on_past_every_bad_file(config: Config, tmp_path: Path) -> None:
    text = (EXAMPLES / "seed-002.txt").read_text(encoding="utf-8")
    write_pdf(text, tmp_path / "a.pdf")
    write_scanned_pdf(tmp_path / "b-scan.pdf", pages=1)
    write_pdf(text, tmp_path / "c-locked.pdf", user_password="x")
    (tmp_path / "d-bad.docx").write_bytes(b"PK\x03\x04 broken")
    write_docx((EXAMPLES / "seed-004.txt").read_text(encoding="utf-8"), tmp_path / "e.docx")
    res = CliRunner().invoke(cli, ["ingest", str(tmp_path), "--store", str(tmp_path / "store")])
    assert res.exit_code == 0, res.output
    lines = res.stderr.splitlines()
    assert lines[0].startswith("ingested 2 sources of 2 reports, ") and lines[0].endswith("3 files skipped")
    assert f"  skipped {tmp_path / 'b-scan.pdf'}: no text layer; OCR not done (1 pages of images)" in lines
    assert f"  skipped {tmp_path / 'c-locked.pdf'}: encrypted: it needs a password to open" in lines
    assert any(line.startswith(f"  skipped {tmp_path / 'd-bad.docx'}: damaged .docx") for line in lines)


# -- rejoining lines (kg.documents.layout) ---------------------------------------------------------------------
def _line(text: str, x0: float, y: float, size: float = 12.0, right: float | None = None) -> Line:
    return Line(text, x0, right if right is not None else x0 + size * len(text), y, y + size)


def test_wrapped_lines_rejoin_and_paragraphs_stay_apart() -> None:
    page1 = [
        _line("年度报告", 200, 768),  # centred title: short of the edge
        _line("根据《国务院办公厅关于", 96, 750, right=300),  # indented first line, full
        _line("印发通知》(国办发〔2016〕", 72, 732, right=300),  # full: goes on
        _line("19号)要求。", 72, 714),  # short: paragraph ends
        _line("一、总体情况", 72, 696),
        _line("— 1 —", 180, 40),
    ]
    page2 = [
        _line("2", 180, 768),  # a bare number first on the page, but page 2 is numbered "— 2 —" at its foot
        _line("全年主动公开信息", 96, 750),
        _line("— 2 —", 180, 40),
    ]
    text, starts = join_pages([page1, page2])
    assert text.split("\n") == [
        "年度报告",
        "根据《国务院办公厅关于印发通知》(国办发〔2016〕19号)要求。",
        "一、总体情况",
        "2",
        "全年主动公开信息",
    ]
    assert starts == (0, text.index("2\n全年"))


def test_a_paragraph_goes_on_over_the_page_break_and_cells_become_a_row() -> None:
    page1 = [_line("上一行写满了整个版心", 72, 98, right=300), _line("本页最后一行也写满了", 72, 80, right=300)]
    page2 = [
        _line("接着写完。", 72, 780),
        _line("收到申请", 72, 700, right=130),
        _line("41", 200, 700),
        _line("5", 260, 700),
    ]
    text, starts = join_pages([page1, page2])
    assert text == "上一行写满了整个版心本页最后一行也写满了接着写完。\n| 收到申请 | 41 | 5 |"
    assert starts == (0, len("上一行写满了整个版心本页最后一行也写满了"))
