"""Disclosure platforms: the closed type list (portal, wechat, weibo, app, gazette, hotline, mailbox,
press_conference, online_interview, service_platform, reading_room, bulletin_board, mass_media, sms), with names
of accounts (“连云港发布”微信公众号, @郑州市教育局, and unquoted where a listing of counts names them: 人事信息3条，
云林新韵微信公众号发布信息224条) and portal URLs (normalized; non-government domains flagged). Gazettes by name are
the 公报 and 政报 in 《》; other 《…报》 are newspapers, except the report itself (《本年报》).

Type words are the concepts' hidden labels in ``ontology/vocabularies.ttl``. Words inside 《》 titles do not count
(a 《政府网站发展指引》 is a document, not a channel), except a gazette's own name (《广东省人民政府公报》).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from kg.extract.anchored import matches_near
from kg.extract.facts import Identity, Platform
from kg.resolve.vocab import labels

# context that makes a type word not a channel of this report
_NOT_A_CHANNEL = {
    "service_platform": re.compile(r"电子政务服务平台|政务服务平台建设总体|电子政务服务"),
    "portal": re.compile(r"网站(?:建设管理的通知|发展指引|管理办法|抽查|考评|集约化)"),
    "mass_media": re.compile(r"电视晚会|电视电话会议|电视会议"),
    "mailbox": re.compile(r"电子信箱"),
    "bulletin_board": re.compile(r"(?:公开栏|公告栏|公示栏|宣传栏)目"),
}
_QUOTED = r"[“\"「『]([^“”\"」『』\n]{2,20})[”\"」』]"
_ACCOUNT_PATTERNS = [
    ("wechat", re.compile(_QUOTED + r"(?:微信公众号|微信公众平台|官方微信|政务微信|微信号|公众号|微信)")),
    ("weibo", re.compile(_QUOTED + r"(?:官方微博|政务微博|新浪微博|微博)")),
    ("app", re.compile(_QUOTED + r"(?:客户端|APP|App|app|移动端)")),
    ("wechat", re.compile(r"(?:微信公众号|官方微信|政务微信|公众号)\s*" + _QUOTED)),
    ("weibo", re.compile(r"(?:官方微博|政务微博)\s*" + _QUOTED)),
    ("app", re.compile(r"(?:客户端|APP|App)\s*" + _QUOTED)),
    (
        "weibo",
        re.compile(r"@([\u4e00-\u9fffA-Za-z0-9_\-]{2,20}?)(?=始终|一直|在|等|的|微博|排名|[,，。、;；:：)）\s]|$)"),
    ),
]
# an unquoted name opening a clause of a listing of counts: …人事信息3条，云林新韵微信公众号发布信息224条
_COUNTED_CHANNELS = {"微信公众号": "wechat", "微信公众平台": "wechat", "官方微信": "wechat", "政务微信": "wechat",
                     "官方微博": "weibo", "政务微博": "weibo", "微博": "weibo", "客户端": "app", "APP": "app"}  # fmt: skip
_COUNTED_ACCOUNT = re.compile(
    r"(?:^|(?<=[,，。、;；:：\s\d条]))([\u4e00-\u9fff]{2,12}?)(" + "|".join(sorted(_COUNTED_CHANNELS, key=len, reverse=True)) + ")"
    r"(?:全年|共|累计)?(?:发布|推送|发送)(?:各类|政务)?(?:信息|消息|文章|稿件)?\s*\d"
)
# what such a run holds when it is a sentence's words, not a name (通过微信公众号发布, 新浪微博共发布)
_NOT_A_NAME = re.compile(
    r"^(?:通过|利用|依托|借助|运用|开通|在|于|由|我|本|该|各|其|全|年|月|日)|的|了|和|与|及|等|官方|政务|新浪|腾讯|抖音|头条"
)
# accounts named in book-title marks: 《XX发布》微信公众号 (found on the unmasked text)
_TITLED_ACCOUNTS = [
    ("wechat", re.compile(r"《([^《》\n]{2,20})》(?:微信公众号|微信公众平台|官方微信|政务微信|公众号)")),
    ("weibo", re.compile(r"《([^《》\n]{2,20})》(?:官方微博|政务微博|微博)")),
    ("app", re.compile(r"《([^《》\n]{2,20})》(?:客户端|APP|App)")),
]
_URL = r"((?:https?://)?(?:www\s*\.\s*|[a-z0-9-]+\.)[a-z0-9.\-\s]*?\.(?:gov\.cn|com\.cn|org\.cn|net\.cn|cn|com|net|org|gov)(?:/[\w./%\-?=&#]*)?)"
# what follows a portal's name to its address, and what follows a …网's
_PORTAL_TAIL = r"[”\"]?\s*(?:[“\"]([^“”\"\n]{2,20})[”\"])?\s*(?:[(（:：]\s*|\s+)" + _URL
_NET_TAIL = r"\s*[(（:：]\s*" + _URL
_PORTAL_URL = re.compile(
    r"(?:[“\"]([^“”\"\n]{2,20})[”\"])?([\u4e00-\u9fff·]{0,20}?(?:门户网站|门户网|政府网站|网站|政府网|政务网))" + _PORTAL_TAIL, re.I
)
_BARE_SITE_URL = re.compile(r"网站[:：]?\s*" + _URL, re.I)
# a site named …网 with a government address: 中国兴化网(www.xinghua.gov.cn)
_NET_URL = re.compile(r"([\u4e00-\u9fff·]{2,20}?网)" + _NET_TAIL, re.I)
# how far before its 网 each can start: a quoted name (22 characters) and 20 Han characters before 门户网站 (网 third)
_PORTAL_REACH, _NET_REACH = 44, 20
_PORTAL_TAIL_RX, _NET_TAIL_RX = re.compile(_PORTAL_TAIL, re.I), re.compile(_NET_TAIL, re.I)
_HAN_OR_DOT = re.compile(r"[\u4e00-\u9fff·]{2}")


def _portal_words(text: str, k: int) -> Iterator[int]:
    """Where a portal word that holds the 网 at ``k`` ends and its tail must start: 网站, or 门户网 政府网 政务网."""
    if text.startswith("站", k + 1):
        yield k + 2
    if text[k - 2 : k] in ("门户", "政府", "政务"):
        yield k + 1


def _net_words(text: str, k: int) -> Iterator[int]:
    """Where a …网 name whose 网 is at ``k`` ends (two Han characters at least before it)."""
    if k >= 2 and _HAN_OR_DOT.match(text, k - 2):
        yield k + 1


# a portal named in quotes, with no address: “某某县人民政府”门户网站
_QUOTED_PORTAL = re.compile(r"[“\"]([^“”\"\n]{2,20})[”\"]\s*(?:政府)?(?:门户网站|门户网|政府网站)")
# a government's gazette is its 公报 or, in many cities, its 政报 (《兰州政报》, 《宁波政报》)
_GAZETTE = re.compile(r"《([^《》]{2,30}?(?:公报|政报))》")
# a newspaper: not a gazette, and not the annual report itself (《本年报》)
_NEWSPAPER = re.compile(r"《([^《》]{2,20}?(?:日报|晚报|时报|(?<![公政年])报))》")
_COLUMN_AFTER = re.compile(r"^\s*(?:专栏|栏目|板块|频道|子栏目)")
# “连云港发布”: a region's new-media brand, named in a sentence about WeChat or 两微一端
_BRAND = re.compile(r"[“\"]([\u4e00-\u9fff]{2,8}发布)[”\"]")
_NEW_MEDIA = re.compile(r"微信|两微|新媒体|公众号")
_GOV_DOMAIN = re.compile(r"\.gov\.cn$|\.gov$|^[a-z0-9.-]*\.(?:gov|mil)\.[a-z]{2}$")
_SPAM = re.compile(r"[A-Za-z]{4,}\d|赌|博彩|娱乐|彩票|官网")


def normalize_url(raw: str) -> str:
    """www.lyg.gov.cn: no scheme, no spaces, lower case, no trailing slash."""
    u = re.sub(r"\s+", "", raw).lower()
    u = re.sub(r"^https?://", "", u)
    return u.rstrip("/.")


def is_government_url(url: str) -> bool:
    host = url.split("/", 1)[0]
    return bool(_GOV_DOMAIN.search(host))


@lru_cache(maxsize=1)
def _type_words() -> list[tuple[str, str, re.Pattern[str]]]:
    """(word, type, pattern), longest words first so 政务服务网 wins over 政务网, compiled once.

    A number (12345) counts only on its own, not inside a telephone number (0851-12345678) or an 索引号."""
    pairs = sorted(
        ((w, t) for t, words in labels("platform", ("hiddenLabel",)).items() for w in words),
        key=lambda p: (-len(p[0]), p[0], p[1]),
    )
    return [(w, t, re.compile(rf"(?<!\d){re.escape(w)}(?!\d)" if w[:1].isdigit() else re.escape(w))) for w, t in pairs]


def _mask_titles(norm: str) -> str:
    """Blank out 《…》 titles (same length, so offsets stay)."""
    return re.sub(r"《[^《》]{1,120}》", lambda m: " " * len(m.group(0)), norm)


def extract_platforms(norm: str, identity: Identity) -> list[Platform]:
    out: list[Platform] = []
    masked = _mask_titles(norm)
    # 1. named accounts
    seen: set[tuple[str, str]] = set()

    def keep(ptype: str, name: str, span: tuple[int, int]) -> None:
        if not _SPAM.search(name) and (ptype, name) not in seen:
            seen.add((ptype, name))
            out.append(Platform(ptype, name, None, span))

    for ptype, rx in _ACCOUNT_PATTERNS:
        for m in rx.finditer(masked):
            name = m.group(1).strip()
            if not _COLUMN_AFTER.match(masked[m.end() : m.end() + 6]) and re.search(r"[\u4e00-\u9fff]", name):
                keep(ptype, name, m.span())
    for m in _COUNTED_ACCOUNT.finditer(masked):
        if not _NOT_A_NAME.search(m.group(1)):
            keep(_COUNTED_CHANNELS[m.group(2)], m.group(1), (m.start(1), m.end(2)))
    for ptype, rx in _TITLED_ACCOUNTS:
        for m in rx.finditer(norm):
            keep(ptype, m.group(1).strip(), m.span())
    for m in _BRAND.finditer(masked):
        sentence_start = max(masked.rfind("。", 0, m.start()), masked.rfind("\n", 0, m.start()))
        before = masked[max(0, masked.rfind("。", 0, max(sentence_start, 0))) : m.end() + 40]
        if _NEW_MEDIA.search(before) and not any(n == m.group(1) for _, n in seen):
            seen.add(("wechat", m.group(1)))
            out.append(Platform("wechat", m.group(1), None, m.span()))
    # 2. gazettes and newspapers by name
    for ptype, rx in (("gazette", _GAZETTE), ("mass_media", _NEWSPAPER)):
        for m in rx.finditer(norm):
            if (ptype, m.group(1)) not in seen:
                seen.add((ptype, m.group(1)))
                out.append(Platform(ptype, m.group(1), None, m.span()))
    # 3. portals with URLs
    for m in matches_near(masked, _PORTAL_URL, "网", _PORTAL_TAIL_RX, _portal_words, _PORTAL_REACH):
        url = normalize_url(m.group(4))
        if "@" in masked[max(0, m.start(4) - 1) : m.start(4)] or ("portal", url) in seen:
            continue
        name = m.group(1) or m.group(3) or _portal_name(m.group(2))
        seen.add(("portal", url))
        out.append(Platform("portal", name, url, m.span(), suspicious=not is_government_url(url)))
    for m in _BARE_SITE_URL.finditer(masked):
        url = normalize_url(m.group(1))
        if ("portal", url) not in seen:
            seen.add(("portal", url))
            out.append(Platform("portal", None, url, m.span(), suspicious=not is_government_url(url)))
    for m in matches_near(masked, _NET_URL, "网", _NET_TAIL_RX, _net_words, _NET_REACH):
        url = normalize_url(m.group(2))
        if is_government_url(url) and ("portal", url) not in seen and (name := _portal_name(m.group(1))):
            seen.add(("portal", url))
            out.append(Platform("portal", name, url, m.span()))
    named = {p.name for p in out if p.type == "portal"}
    for m in _QUOTED_PORTAL.finditer(masked):
        if m.group(1) not in named and not _SPAM.search(m.group(1)):
            named.add(m.group(1))
            out.append(Platform("portal", m.group(1), None, m.span()))
    # 4. types by their words
    typed = {p.type for p in out}
    taken = [False] * len(masked)
    for word, ptype, pattern in _type_words():
        for m in pattern.finditer(masked):
            s, e = m.span()
            if any(taken[s:e]):
                continue
            ctx = masked[max(0, s - 6) : e + 10]
            if (exclude := _NOT_A_CHANNEL.get(ptype)) and exclude.search(ctx):
                continue
            for i in range(s, e):
                taken[i] = True
            types = (
                ("wechat", "weibo", "app")
                if word in ("两微一端",)
                else ("wechat", "weibo")
                if word == "双微"
                else (ptype,)
            )
            for t in types:
                if t not in typed:
                    typed.add(t)
                    out.append(Platform(t, None, None, (s, e)))
    return out


def _portal_name(phrase: str) -> str | None:
    """The portal's name as printed (贺州市人民政府门户网站), without leading verbs."""
    name = re.sub(r"^.*?(?:可在|可从|在|从|通过|登录|访问|于|的)", "", phrase)
    return name if len(name) >= 4 else None
