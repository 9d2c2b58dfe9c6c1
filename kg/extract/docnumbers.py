"""发文字号 (document numbers): finding them in text and writing them in one canonical form.

Canonical form (GB/T 9704): ``机关代字〔年份〕序号号``: 〔〕 brackets, ASCII digits, no spaces, ending in 号.
Decree numbers (国务院令第492号) are kept as printed. A garbled number (``〔202130``) is not a number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from kg.extract.anchored import matches_near

OPEN = "〔[【(（﹝［"
CLOSE = "〕]】)）﹞］"
_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

# the 机关代字 is matched loosely here (any run of Han characters) and trimmed by ``trim_code``
NUMBER_RE = re.compile(
    rf"(?P<code>[\u4e00-\u9fff]{{1,16}})\s*[{re.escape(OPEN)}]\s*(?P<year>(?:19|20)\d\d)\s*[{re.escape(CLOSE)}]"
    rf"\s*第?\s*(?P<seq>\d{{1,5}})\s*(?P<hao>[号號])?(?![\d〔\[])"
)
_DECREE_TAIL = r"\s*第\s*(?P<seq>\d{1,5})\s*[号號]"
DECREE_RE = re.compile(r"(?P<code>(?:中华人民共和国)?[\u4e00-\u9fff]{1,12}?令)" + _DECREE_TAIL)
_DECREE_TAIL_RX = re.compile(_DECREE_TAIL)
_DECREE_REACH = 19  # 中华人民共和国 and 12 Han characters before the 令

# words that precede a 机关代字 in running text and are not part of it
_LEADING = re.compile(
    r"^(?:.*?(?:按照|根据|依据|依照|贯彻落实|贯彻|落实|执行|印发|出台|转发|下发|制定|修订|发布|通过|即|见|参照|对照|"
    r"结合|(?<!共)和|及|与|以及|或|并|的|了|等|文件|精神|要求|号文|关于|是|为|在|以|由|将|对|经))"
)
# what is left of a code without its issuer's prefix: 政办发, 府发, 办函, 委发 … (never a code on its own)
_BARE_TAIL = re.compile(r"^(?:政|府|办|委|党|发|函)")
_ORGAN_WORDS = re.compile(r".*(?:办公厅|办公室|人民政府|委员会|管理局)")
_CODE_CHARS = re.compile(r"[\u4e00-\u9fff]+$")


@dataclass(frozen=True)
class DocNumber:
    code: str
    year: int | None
    seq: int
    canonical: str
    start: int  # offsets in the searched text, code included
    end: int
    raw: str
    decree: bool = False


def trim_code(raw: str, max_len: int = 10) -> str:
    """The 机关代字 inside a run of Han characters that ends at the bracket: ``按照豫政办明电`` → ``豫政办明电``."""
    code = raw
    for _ in range(3):
        m = _LEADING.match(code)
        if not m or m.end() >= len(code):
            break
        if m.end() == 1 and _BARE_TAIL.match(code[1:]):
            break  # 和政办发, 将政发, 即政发: the first character of a place (和县, 将乐县, 即墨区), not a conjunction
        code = code[m.end() :]
    # an organ's name right before its code: 江苏省政府办公厅苏政办发 → 苏政办发 (codes never contain these words)
    organ = _ORGAN_WORDS.search(code)
    if organ and organ.end() < len(code):
        code = code[organ.end() :]
    if len(code) > max_len:
        code = code[-max_len:]
    return code


def canonical(code: str, year: int, seq: int) -> str:
    return f"{code}〔{year}〕{seq}号"


def canonical_number(text: str) -> str | None:
    """Canonical form of a printed number, or None when it is not a well-formed 发文字号."""
    from kg.text import to_simplified

    s = to_simplified(text.translate(_DIGITS)).strip()
    found = find_numbers(s)
    if len(found) == 1 and found[0].start == 0 and found[0].end == len(s):
        return found[0].canonical
    return None


_OPENING = re.compile(rf"[{re.escape(OPEN)}]")


def _number_matches(text: str) -> list[re.Match[str]]:
    """The matches of ``NUMBER_RE.finditer(text)``, tried once per opening bracket: a match's code is the last (up
    to 16) Han characters before the bracket and its spaces, so no other start can match. The pattern alone tries
    16 code lengths at every Han character (a tenth of a worker's time); same matches, tested on whole corpora."""
    out: list[re.Match[str]] = []
    end = 0
    for b in _OPENING.finditer(text):
        e = b.start()
        while e > 0 and text[e - 1].isspace():
            e -= 1
        # back over the Han run that ends at the bracket, at most 16 characters and not into the last match
        p, low = e, max(e - 16, end)
        while p > low and "\u4e00" <= text[p - 1] <= "\u9fff":
            p -= 1
        if p < e and (m := NUMBER_RE.match(text, p)):
            out.append(m)
            end = m.end()
    return out


def _decree_words(text: str, k: int) -> Iterator[int]:
    """Where a decree's code whose 令 is at ``k`` ends (a Han character at least before it)."""
    if k >= 1 and "\u4e00" <= text[k - 1] <= "\u9fff":
        yield k + 1


def find_numbers(text: str) -> list[DocNumber]:
    """Every 发文字号 and decree number in ``text`` (already normalized: simplified script, ASCII digits)."""
    out: list[DocNumber] = []
    for m in _number_matches(text):
        code = trim_code(m.group("code"))
        if not code or not _CODE_CHARS.match(code):
            continue
        start = m.start("code") + len(m.group("code")) - len(code)
        year, seq = int(m.group("year")), int(m.group("seq"))
        form = canonical(code, year, seq)
        if code.endswith("令") and "第" in m.group(0):  # a decree keeps its 第: 国务院令〔2007〕第492号
            form = f"{code}〔{year}〕第{seq}号"
        out.append(DocNumber(code, year, seq, form, start, m.end(), text[start : m.end()], decree=code.endswith("令")))
    for m in matches_near(text, DECREE_RE, "令", _DECREE_TAIL_RX, _decree_words, _DECREE_REACH):
        code = trim_code(m.group("code"), max_len=16)
        if not code.endswith("令") or len(code) < 2:
            continue
        start = m.start("code") + len(m.group("code")) - len(code)
        seq = int(m.group("seq"))
        out.append(DocNumber(code, None, seq, f"{code}第{seq}号", start, m.end(), text[start : m.end()], decree=True))
    return sorted(out, key=lambda d: d.start)
