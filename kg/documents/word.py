"""Word reports: ``.docx`` read with python-docx, legacy ``.doc`` converted by Debian's antiword (or catdoc).

A ``.docx`` is a ZIP package: its declared unpacked size is checked before anything is parsed, so a ZIP bomb is
refused, and python-docx parses the XML without resolving entities. Paragraphs and tables come out in document order,
one paragraph a line and one table row a line ``| a | b |`` (the form the HTML reader gives tables; a merged cell
once). Scraped corpora hold misnamed files, so the content decides, not the name: a ZIP named ``.doc`` is read as
``.docx``, an OLE file named ``.docx`` as a legacy ``.doc``, and a password-protected ``.docx`` (an OLE file with an
``EncryptedPackage``) is refused with that reason.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import zipfile
from io import BytesIO
from pathlib import Path

from kg.documents.layout import table_row
from kg.errors import InputError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
UNPACKED_FACTOR = 20  # a .docx may unpack to this many times the file-size limit, no more
TIMEOUT_S = 60.0
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


def read_word(data: bytes, where: str, max_bytes: int) -> tuple[str, str]:
    """(text, media type) of a Word file, whatever its name says; raises InputError with the reason."""
    if data.startswith(ZIP_MAGIC):
        return read_docx(data, where, max_bytes), DOCX_TYPE
    if data.startswith(OLE_MAGIC):
        if _ENCRYPTED_PACKAGE in data:
            raise InputError(
                where, "encrypted: the Word file needs a password to open", hint="remove the password and save it again"
            )
        return read_doc(data, where), DOC_TYPE
    if data.lstrip()[:5].lower() == b"{\\rtf":
        raise InputError(where, "an RTF file, not a Word file", hint="save it as .docx")
    raise InputError(where, "not a Word file (neither a .docx ZIP package nor a Word 97–2003 OLE file)")


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOC_TYPE = "application/msword"


def read_docx(data: bytes, where: str, max_bytes: int) -> str:
    try:
        with zipfile.ZipFile(BytesIO(data)) as package:
            infos = package.infolist()
            names = {i.filename for i in infos}
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InputError(where, f"damaged .docx: not a readable ZIP package ({exc})") from exc
    if "word/document.xml" not in names:
        raise InputError(where, "not a Word document (the package has no word/document.xml)")
    unpacked = sum(i.file_size for i in infos)
    if unpacked > UNPACKED_FACTOR * max_bytes:
        raise InputError(
            where,
            f"unpacks to {unpacked:,} bytes, more than {UNPACKED_FACTOR}× the file limit",
            hint="raise the limit with --max-file-mb if it is a real report",
        )
    import docx
    from docx.table import Table

    try:
        document = docx.Document(BytesIO(data))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines.extend(_table_rows(block))
            else:
                lines.append(block.text)
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors … on damaged packages
        raise InputError(where, f"damaged .docx ({type(exc).__name__}: {exc})") from exc
    text = "\n".join(lines).strip("\n")
    if not text.strip():
        raise InputError(where, "no text (the Word document is empty)")
    return text


def _table_rows(table) -> list[str]:  # type: ignore[no-untyped-def]
    """One line ``| a | b |`` per row; a merged cell once (in the row and column where it starts)."""
    rows: list[str] = []
    above: list[object] = []  # the cell elements of the previous row, to see a vertical merge go on
    for row in table.rows:
        cells = []
        elements = []
        previous = None
        for cell in row.cells:
            element = cell._tc  # noqa: SLF001 (read only: the cell's XML element, the same for every merged position)
            elements.append(element)
            if element is previous or element in above:
                continue  # a horizontal span repeats its cell; a vertical span repeats the cell above
            previous = element
            cells.append(" ".join(p.text.strip() for p in cell.paragraphs).strip())
        above = elements
        if any(cells):
            rows.append(table_row(cells))
    return rows


def read_doc(data: bytes, where: str) -> str:
    """A Word 97–2003 file's text, converted by antiword, or by catdoc where antiword is missing."""
    tool = legacy_tool()
    if tool is None:
        raise InputError(
            where,
            "a legacy Word .doc needs antiword or catdoc to read, and neither is installed",
            hint="apt-get install antiword, or save the file as .docx",
        )
    return convert_doc(data, where, tool)


def legacy_tool() -> str | None:
    for name in ("antiword", "catdoc"):
        if shutil.which(name):
            return name
    return None


def convert_doc(data: bytes, where: str, tool: str) -> str:
    with tempfile.TemporaryDirectory(prefix="kg-doc-") as tmp:
        path = Path(tmp) / "report.doc"
        path.write_bytes(data)
        cmd = (
            ["antiword", "-m", "UTF-8.txt", "-w", "0", str(path)]
            if tool == "antiword"
            else ["catdoc", "-d", "utf-8", "-w", str(path)]
        )
        try:
            run = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise InputError(where, f"{tool} took longer than {TIMEOUT_S:g} s to convert it") from exc
    if run.returncode != 0:
        said = run.stderr.decode("utf-8", "replace").strip().replace(str(path), "the file")
        raise InputError(where, f"{tool} cannot convert it: {said or f'exit {run.returncode}'}")
    text = run.stdout.decode("utf-8", "replace").strip("\n")
    if not text.strip():
        raise InputError(where, "no text (the Word document is empty)")
    return text
