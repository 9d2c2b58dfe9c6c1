"""Normalization keeps an offset map: every span of the normalized text maps back to the original."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kg.text import normalize

TOKENS = list("國辦發政府信息公開报告年度〔〕（）()|  \n\r\u200b０１２３ＡＢab發1234") + [
    "(fā)",
    "（guó）",
    "|||||",
    "　",
    "\xa0",
]
NOISY = st.lists(st.sampled_from(TOKENS), max_size=120).map("".join)


@given(NOISY)
def test_offsets_point_into_original(raw: str) -> None:
    t = normalize(raw)
    assert len(t.offsets) == len(t.norm) + 1
    assert list(t.offsets) == sorted(t.offsets)
    for i in range(len(t.norm)):
        s, e = t.span(i, i + 1)
        assert 0 <= s < e <= len(t.original)


@given(NOISY)
def test_normalization_is_idempotent(raw: str) -> None:
    once = normalize(raw).norm
    assert normalize(once).norm == once


def test_a_simplified_text_with_a_place_name_in_a_traditional_character_stays_as_it_is() -> None:
    text = "乾县人民政府2019年政府信息公开工作年度报告\n乾县人民政府办公室编制。乾县，乾县。"
    t = normalize(text)
    assert not t.traditional and t.norm.startswith("乾县人民政府")
    assert normalize("乾县人民政府關於印發《乾县政務公開工作要點》的通知").traditional  # many traditional characters


def test_traditional_pinyin_and_pipes() -> None:
    t = normalize("國辦發〔２０１４〕12號 發(fā)布||||| 通知")
    assert t.traditional
    assert t.norm == "国办发〔2014〕12号 发布 通知"
    i = t.norm.index("发布")
    assert t.quote(i, i + 2) == "發(fā)布"
