"""Test helpers that turn a text report into the documents governments publish: PDF (real CJK text layer) and DOCX.

The PDFs are set the way Chinese official documents are: a fixed text column, each paragraph's first line indented
by two characters (首行缩进, not space characters), full lines justified to the right edge, a paragraph going on over
a page break, and the page number centred at the foot of each page (``— 3 —``). Two font setups give the two kinds of
text layer real reports have: ``cid`` uses reportlab's built-in STSong-Light (a standard CID font, not embedded,
``UniGB-UCS2-H`` encoding, needs no font file), ``embedded`` embeds a TrueType subset with a ToUnicode map (Debian's
fonts-wqy-microhei). A scanned report is an image and nothing else.

DOCX files hold one paragraph per line; with ``tables=True`` a block of ``| a | b |`` lines becomes a real Word
table, a row with fewer cells than the widest ending in one merged cell.
"""

from __future__ import annotations

import shutil
from pathlib import Path

WQY = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
PAGE_W, PAGE_H = 595.0, 842.0  # A4 in points
MARGIN, SIZE, LEADING = 72.0, 12.0, 18.0


def has_embedded_font() -> bool:
    return WQY.is_file()


def _font(kind: str) -> str:
    from reportlab.pdfbase import pdfmetrics

    if kind == "cid":
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        return "STSong-Light"
    from reportlab.pdfbase.ttfonts import TTFont

    if "WQY" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("WQY", str(WQY), subfontIndex=0))
    return "WQY"


def _typeset(paragraph: str) -> str:
    """Space characters other than the ideographic space (no-break, en, em …) printed as a plain space, as a
    typesetter does when the font has no glyph of their own."""
    import unicodedata

    return "".join(" " if unicodedata.category(ch) == "Zs" and ch != "\u3000" else ch for ch in paragraph)


def _wrap(text: str, font: str, first_width: float, width: float) -> list[str]:
    """Break a paragraph into lines anywhere (Chinese line breaking), filling each line as far as it goes."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines: list[str] = []
    current, used, limit = "", 0.0, first_width
    for ch in text:
        w = stringWidth(ch, font, SIZE)
        if current and used + w > limit:
            lines.append(current)
            current, used, limit = "", 0.0, width
        current += ch
        used += w
    lines.append(current)
    return lines


def write_pdf(
    text: str, path: Path, *, fonts: str = "cid", user_password: str | None = None, owner_password: str | None = None
) -> list[str]:
    """Lay ``text`` (one paragraph a line) out as a PDF; returns the first line set on each page.

    With ``user_password`` the file needs it to open; with only ``owner_password`` anyone opens it, but editing and
    copying are marked as not allowed (a common setting of published reports).
    """
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    font = _font(fonts)
    encrypt = (
        StandardEncryption(user_password or "", owner_password, canModify=0, canCopy=0)
        if user_password is not None or owner_password is not None
        else None
    )
    c = canvas.Canvas(str(path), pagesize=(PAGE_W, PAGE_H), encrypt=encrypt, invariant=1)
    width = PAGE_W - 2 * MARGIN
    indent = 2 * SIZE
    page = 1
    y = PAGE_H - MARGIN
    firsts: list[str] = []

    def foot() -> None:
        label = f"— {page} —"
        c.setFont(font, 10.5)
        c.drawCentredString(PAGE_W / 2, MARGIN / 2, label)

    for paragraph in text.split("\n"):
        if not paragraph.strip():
            y -= LEADING
            continue
        lines = _wrap(_typeset(paragraph), font, width - indent, width)
        for i, line in enumerate(lines):
            if y < MARGIN:
                foot()
                c.showPage()
                page += 1
                y = PAGE_H - MARGIN
            if len(firsts) < page:
                firsts.append(line)
            x = MARGIN + (indent if i == 0 else 0)
            t = c.beginText(x, y)
            t.setFont(font, SIZE)
            if i < len(lines) - 1 and len(line) > 1:  # justified: a full line reaches the right edge
                natural = stringWidth(line, font, SIZE)
                t.setCharSpace((width - (x - MARGIN) - natural) / (len(line) - 1))
            t.textOut(line)
            c.drawText(t)
            y -= LEADING
    foot()
    c.showPage()
    c.save()
    return firsts


def write_scanned_pdf(path: Path, pages: int = 2) -> None:
    """A scanned-like report: each page one greyscale image (ruled lines standing for text), no text layer."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=(PAGE_W, PAGE_H), invariant=1)
    for n in range(pages):
        img = Image.new("L", (620, 877), 255)
        draw = ImageDraw.Draw(img)
        for row in range(40, 840, 24):
            draw.rectangle((60, row, 560 - (row * 7 + n * 13) % 180, row + 10), fill=40)
        c.drawImage(ImageReader(img), 0, 0, width=PAGE_W, height=PAGE_H)
        c.showPage()
    c.save()


def write_docx(text: str, path: Path, *, tables: bool = False) -> None:
    import docx

    document = docx.Document()
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if tables and _is_row(lines[i]):
            j = i
            while j < len(lines) and _is_row(lines[j]):
                j += 1
            _add_table(document, [_cells(line) for line in lines[i:j]])
            i = j
            continue
        document.add_paragraph(lines[i])
        i += 1
    document.save(str(path))


def _is_row(line: str) -> bool:
    s = line.strip()
    return len(s) > 1 and s.startswith("|") and s.endswith("|")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip()[1:-1].split("|")]


def _add_table(document, rows: list[list[str]]) -> None:  # type: ignore[no-untyped-def]
    n = max(len(r) for r in rows)
    table = document.add_table(rows=len(rows), cols=n)
    for r, cells in enumerate(rows):
        row = table.rows[r]
        for k, value in enumerate(cells):
            row.cells[k].text = value
        if len(cells) < n:  # the last cell spans the rest of the row
            row.cells[len(cells) - 1].merge(row.cells[n - 1])
            row.cells[len(cells) - 1].text = cells[-1]


def has_tool(name: str) -> bool:
    return shutil.which(name) is not None
