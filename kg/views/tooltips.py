"""Tooltips: small HTML fragments in which every scraped string is escaped.

The pages show a tooltip by assigning this HTML to a popup element, so escaping here is what keeps a report that
names its platform ``<img src=x onerror=…>`` from running anything: only the tags written below are markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from kg.views.data import MAX_EVIDENCE, Evidence, evidence_key

MAX_QUOTE = 160  # characters of a quoted sentence shown in a tooltip


def esc(text: object) -> str:
    return escape(str(text), quote=True)


def clip(text: str, limit: int = MAX_QUOTE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def heading(text: str) -> str:
    return f"<b>{esc(text)}</b>"


def line(label: str, value: object) -> str:
    """``label: value`` with both escaped; empty values give no line."""
    if value is None or value == "":
        return ""
    return f"{esc(label)}: {esc(value)}"


def evidence_html(items: Sequence[Evidence], limit: int = MAX_EVIDENCE) -> str:
    """The reports a fact comes from, earliest first, each with its quoted sentence."""
    ordered = sorted(items, key=evidence_key)
    parts = []
    for ev in ordered[:limit]:
        year = f" ({ev.year})" if ev.year is not None else ""
        title = ev.report_title or ev.report.rsplit("/", 1)[-1]
        part = f"<i>{esc(clip(title, 80))}</i>{esc(year)}"
        if ev.quote:
            part += f"<br>“{esc(clip(ev.quote))}”"
        parts.append(part)
    if len(ordered) > limit:
        parts.append(esc(f"… {len(ordered) - limit} more report(s)"))
    return "<hr>".join(parts)


def tooltip(title: str, lines: Iterable[str] = (), evidence: Sequence[Evidence] = ()) -> str:
    """A tooltip: an escaped heading, pre-escaped ``lines`` (from :func:`line`), then the evidence."""
    body = [heading(title)] + [ln for ln in lines if ln]
    html = "<br>".join(body)
    if evidence:
        html += "<hr>" + evidence_html(evidence)
    return html
