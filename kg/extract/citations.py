"""Cited documents: every 发文字号 with the 《title》 it is cited with, title-only citations and their aliases.

Each citation keeps its 机关代字 as printed (``issuer_code``); which organ and region issued it is decided by
:func:`kg.resolve.issuers.resolve_issuer` once the reporting region is known.
"""

from __future__ import annotations

import re

from kg.extract.docnumbers import find_numbers
from kg.extract.facts import Citation, Identity

_OPENERS = {"《": "》", "〈": "〉", "<": ">"}
_NORMATIVE_END = re.compile(
    r"(?:条例|办法|规定|通知|意见|要点|方案|细则|规范|格式|制度|决定|指引|纲要|规划|计划|标准|法|规则|准则|指南|批复|"
    r"公告|通告|决议|暂行规定|实施意见|指导意见|工作要点|若干规定|函)(?:\((?:试行|暂行|修订)\)|（(?:试行|暂行|修订)）)?$"
)
_NOT_A_DOCUMENT = re.compile(
    r"(?:年度报告$|工作报告$|日报$|晚报$|公报$|快报$|周报$|专报$|月报$|杂志$|期刊$|交流$|简报$|[A-Za-z]{3,}[A-Za-z0-9]*)"
)
_ALIAS = re.compile(r"^[\s(（]*(?:以下简称|下称|简称)\s*[“\"]?《([^《》]{1,20})》")
_KNOWN_SHORT = {"政府信息公开条例": "中华人民共和国政府信息公开条例"}


def title_before(norm: str, pos: int) -> tuple[str, int, int] | None:
    """The 《title》 that ends right before ``pos`` (allowing spaces and an opening bracket), nested marks kept."""
    i = pos - 1
    while i >= 0 and norm[i] in " \t\n(（[【":
        i -= 1
    if i < 0 or norm[i] != "》":
        return None
    end = i
    depth = 0
    j = i
    while j >= 0 and end - j < 300:
        ch = norm[j]
        if ch == "》":
            depth += 1
        elif ch == "《":
            depth -= 1
            if depth == 0:
                return clean_title(norm[j + 1 : end]), j + 1, end
        j -= 1
    return None


def shorter_form(short: str, title: str) -> bool:
    """Whether ``short`` is a shorter form of the document title ``title``: its end, up to 12 characters (《条例》 of
    《中华人民共和国政府信息公开条例》), or from 8 characters any part of it (《江苏省2017年政务公开工作要点的通知》 of
    《省政府办公厅关于印发江苏省2017年政务公开工作要点的通知》). Applied within one report here, across the corpus by
    :mod:`kg.titles`."""
    return short != title and (title.endswith(short) and len(short) <= 12 or len(short) >= 8 and short in title)


def clean_title(raw: str) -> str:
    return re.sub(r"\s+", "", raw)


def extract_citations(norm: str, identity: Identity) -> list[Citation]:
    """One citation per distinct number (first title wins), then the titles cited without a number."""
    out: dict[str, Citation] = {}
    numbered_title_spans: set[tuple[int, int]] = set()
    own = identity.report_number
    for n in find_numbers(norm):
        if own and n.canonical == own:
            continue
        found = title_before(norm, n.start)
        title = found[0] if found else None
        if found:
            numbered_title_spans.add((found[1], found[2]))
        c = out.get(n.canonical)
        if c is None:
            out[n.canonical] = Citation(
                number=n.canonical,
                raw=n.raw,
                title=title,
                issuer=None,
                span=(n.start, n.end),
                year=n.year,
                title_span=(found[1], found[2]) if found else None,
                issuer_code=n.code,
            )
        elif c.title is None and title:
            c.title, c.title_span = title, (found[1], found[2])  # type: ignore[index]
    citations = list(out.values())
    citations += _title_only(norm, numbered_title_spans, {c.title for c in citations if c.title}, identity)
    return citations


def _title_only(norm: str, taken: set[tuple[int, int]], numbered: set[str], identity: Identity) -> list[Citation]:
    aliases: dict[str, str] = {}
    found: dict[str, Citation] = {}
    for m in re.finditer(r"《", norm):
        start = m.end()
        depth, j = 1, start
        while j < len(norm) and j - start < 300:
            if norm[j] == "《":
                depth += 1
            elif norm[j] == "》":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if depth:
            continue
        if (start, j) in taken:
            continue
        title = clean_title(norm[start:j])
        if not title:
            continue
        title = aliases.get(title, _KNOWN_SHORT.get(title, title))
        # a shorter form of a document cited before is that document: 《条例》 after 《中华人民共和国政府信息公开条例》,
        # 《江苏省2017年政务公开工作要点的通知》 after 《省政府办公厅关于印发江苏省2017年政务公开工作要点的通知》(苏政办发…)
        longer = [t for t in sorted(numbered) + list(found) if shorter_form(title, t)]
        if longer:
            title = longer[0]
        if title in numbered or title in found:
            if (am := _ALIAS.match(norm[j + 1 : j + 30])) and title in found:
                aliases[am.group(1)] = title
                found[title].alias = am.group(1)
            continue
        if not _NORMATIVE_END.search(title) or _NOT_A_DOCUMENT.search(title) or len(title) <= 3:
            continue
        if identity.title and title == identity.title:
            continue
        c = Citation(number=None, raw=None, title=title, issuer=None, span=(m.start(), j + 1), title_span=(start, j))
        if am := _ALIAS.match(norm[j + 1 : j + 30]):
            aliases[am.group(1)] = title
            c.alias = am.group(1)
        found[title] = c
    return list(found.values())
