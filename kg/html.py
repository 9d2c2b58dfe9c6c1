"""Main text of an HTML page, and the page's own URL when it says it.

The page's ``<title>`` and ``og:title`` often carry the report's title (and so who reports) when the body starts at
一、总体情况: each is put before the text when the text does not already begin with it.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lhtml

_DROP = ("script", "style", "noscript", "template", "svg", "iframe", "object", "head")
_BLOCK = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section", "article",
    "header", "footer", "ul", "ol", "dd", "dt", "blockquote", "pre", "title", "td", "th",
}  # fmt: skip
_BOILER = re.compile(r"(^|\s)(nav|menu|footer|breadcrumb|sidebar|share|copyright)(\s|$)", re.I)


def html_to_text(markup: str) -> tuple[str, str | None]:
    """(text, url): block elements become line breaks; navigation, scripts and styles are dropped."""
    try:
        doc = lhtml.document_fromstring(markup)
    except (etree.ParserError, ValueError):
        return re.sub(r"<[^>]+>", " ", markup), None
    url = None
    for xp in ('//link[@rel="canonical"]/@href', '//meta[@property="og:url"]/@content', "//base/@href"):
        found = doc.xpath(xp)
        if found and str(found[0]).startswith(("http://", "https://")):
            url = str(found[0]).strip()
            break
    title = " ".join(doc.xpath("//title//text()")).strip()
    og_title = " ".join(str(t) for t in doc.xpath('//meta[@property="og:title"]/@content')).strip()
    for el in doc.xpath("//" + " | //".join(_DROP)):
        el.drop_tree()
    for el in doc.xpath("//nav | //*[@class or @id]"):
        if el.tag == "nav" or _BOILER.search(f"{el.get('class', '')} {el.get('id', '')}"):
            if el.getparent() is not None and el.tag not in ("body", "html"):
                el.drop_tree()
    parts: list[str] = []

    def walk(el: etree._Element) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _BLOCK:
            parts.append("\n")
        if el.text and tag:
            parts.append(el.text)
        for child in el:
            walk(child)
        if tag in _BLOCK:
            parts.append("\n")
        if el.tail:
            parts.append(el.tail)

    body = doc.find("body")
    walk(body if body is not None else doc)
    text = "".join(parts)
    text = re.sub(r"[ \t\xa0]*\n[ \t\xa0\n]*", "\n", text).strip()
    for heading in (title, og_title):
        if heading and heading not in text[:500]:
            text = heading + "\n" + text
    return text, url
