"""PDF reports: the text layer, read by pdfminer.six in a child process with a memory and a time limit.

pdfminer.six (MIT) is chosen for its CJK support: it ships Adobe's CMaps, so both embedded fonts with a ToUnicode
map and the standard CID fonts that are not embedded (STSong-Light with ``UniGB-UCS2-H``) come out as Unicode text.
Parsing runs in a child process because a PDF can be a compression bomb or can send the parser into pathological
work: the child sets its own address-space limit, the parent kills it after a timeout, and either way the file is
reported with its reason and the batch goes on. The child sends the lines of each page with their positions; the
paragraphs are rejoined here (:mod:`kg.documents.layout`).

A PDF without a text layer (a scan) is refused with "no text layer; OCR not done": it is never an empty report.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from kg.documents.layout import Line, join_pages
from kg.errors import InputError

MAX_PAGES = 2000
TIMEOUT_S = 180.0
MEMORY_BYTES = 2 * 1024**3  # the child's address space
_UNMAPPED = re.compile(r"\(cid:\d+\)")
_HAN = re.compile(r"[\u3400-\u9fff]")


def read_pdf(data: bytes, where: str) -> tuple[str, tuple[int, ...]]:
    """(text, start offset of each page); raises InputError with the reason the text cannot be had."""
    if b"%PDF-" not in data[:1024]:
        raise InputError(where, "not a PDF (no %PDF- header)", hint="is the file damaged, or of another type?")
    answer = _run_child(data, where)
    if "error" in answer:
        raise InputError(where, answer["error"], hint=answer.get("hint"))
    pages = [[Line(*line) for line in page] for page in answer["pages"]]
    text, starts = join_pages(pages)
    n_pages = len(pages)
    if not text.strip():
        if answer["images"]:
            raise InputError(
                where,
                f"no text layer; OCR not done ({n_pages} pages of images)",
                hint="run OCR on it (e.g. ocrmypdf) and ingest the result",
            )
        raise InputError(where, f"no text on any of its {n_pages} pages")
    unmapped = answer["unmapped"]
    if unmapped and unmapped > len(_HAN.findall(text)):
        raise InputError(
            where,
            f"its text layer cannot be read: {unmapped} characters have no Unicode mapping; OCR not done",
            hint="its fonts lack a ToUnicode map; run OCR on it (e.g. ocrmypdf) and ingest the result",
        )
    return text, starts


def _run_child(data: bytes, where: str) -> dict:
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    cmd = [sys.executable, "-m", "kg.documents.pdf", str(MAX_PAGES), str(MEMORY_BYTES)]
    try:
        run = subprocess.run(cmd, input=data, capture_output=True, timeout=TIMEOUT_S, env=env, check=False)
    except subprocess.TimeoutExpired as exc:
        raise InputError(
            where, f"reading its text took longer than {TIMEOUT_S:g} s", hint="is it damaged, or very large?"
        ) from exc
    if run.returncode != 0:
        err = run.stderr.decode("utf-8", "replace").strip().splitlines()
        if any("MemoryError" in line for line in err):
            raise InputError(where, f"reading its text needs more than {MEMORY_BYTES // 1024**2} MiB of memory")
        raise InputError(where, f"the PDF reader failed (exit {run.returncode}): {err[-1] if err else 'no message'}")
    answer: dict = json.loads(run.stdout)
    return answer


# -- the child -----------------------------------------------------------------------------------------------
def _limit_memory(limit: int) -> None:
    try:
        import resource
    except ImportError:  # not on this platform: the timeout still bounds the child
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def extract_lines(data: bytes, max_pages: int) -> dict:
    """The text lines of every page with their boxes, the number of images, and the glyphs without Unicode."""
    from io import BytesIO

    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTContainer, LTImage, LTTextLineHorizontal
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.psexceptions import PSException

    pages: list[list[list[object]]] = []
    counts = {"images": 0, "unmapped": 0}

    def walk(item: object, out: list[list[object]]) -> None:
        if isinstance(item, LTTextLineHorizontal):
            text = item.get_text()
            counts["unmapped"] += len(_UNMAPPED.findall(text))
            text = _UNMAPPED.sub("\ufffd", text)
            if text.strip():
                out.append([text, item.x0, item.x1, item.y0, item.y1])
        elif isinstance(item, LTImage):
            counts["images"] += 1
        elif isinstance(item, LTContainer):
            for child in item:
                walk(child, out)

    try:
        for n, page in enumerate(extract_pages(BytesIO(data), laparams=LAParams(all_texts=True))):
            if n >= max_pages:
                return {"error": f"more than {max_pages} pages", "hint": "split the file"}
            lines: list[list[object]] = []
            walk(page, lines)
            pages.append(lines)
    except PDFPasswordIncorrect:
        return {"error": "encrypted: it needs a password to open", "hint": "remove the password and save it again"}
    except PDFEncryptionError as exc:
        return {"error": f"encrypted in a way that cannot be read ({exc or type(exc).__name__})"}
    except PSException as exc:
        return {"error": f"damaged or not a PDF ({type(exc).__name__}: {exc})"}
    except MemoryError:
        raise
    except Exception as exc:  # pdfminer raises plain KeyError/TypeError/ValueError on some damaged files
        return {"error": f"damaged PDF ({type(exc).__name__}: {exc})"}
    if not pages:
        return {"error": "no pages"}
    return {"pages": pages, **counts}


def _main() -> None:
    max_pages, memory = int(sys.argv[1]), int(sys.argv[2])
    _limit_memory(memory)
    data = sys.stdin.buffer.read()
    sys.stdout.buffer.write(json.dumps(extract_lines(data, max_pages), ensure_ascii=False).encode("utf-8"))


if __name__ == "__main__":
    _main()
