"""The 文号 parser: every printed variant gives the canonical form; the canonical form is a fixed point."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.extract.docnumbers import canonical_number, find_numbers

CODES = ["国办发", "苏政办发", "川委办", "广府公开办函", "豫政办明电", "通县政规", "国办公开办函"]
BRACKETS = [("〔", "〕"), ("[", "]"), ("【", "】"), ("(", ")"), ("（", "）"), ("﹝", "﹞"), ("［", "］"), ("[ ", " ]")]
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@given(
    code=st.sampled_from(CODES),
    year=st.integers(1990, 2030),
    seq=st.integers(1, 99999),
    brackets=st.sampled_from(BRACKETS),
    wide=st.booleans(),
    hao=st.sampled_from(["号", "號", ""]),
    space=st.sampled_from(["", " "]),
)
def test_variants_canonicalise(
    code: str, year: int, seq: int, brackets: tuple[str, str], wide: bool, hao: str, space: str
) -> None:
    digits = f"{year}"
    printed = f"{code}{space}{brackets[0]}{digits}{brackets[1]}{space}{seq}{hao}"
    if wide:
        printed = printed.translate(FULLWIDTH)
    assert canonical_number(printed) == f"{code}〔{year}〕{seq}号"


@given(code=st.sampled_from(CODES), year=st.integers(1990, 2030), seq=st.integers(1, 99999))
def test_canonical_is_fixed_point(code: str, year: int, seq: int) -> None:
    c = f"{code}〔{year}〕{seq}号"
    assert canonical_number(c) == c


def test_traditional_number_is_simplified() -> None:
    assert canonical_number("無政公開〔2019〕1號") == "无政公开〔2019〕1号"
    assert canonical_number("國辦發〔２０１４〕１２號") == "国办发〔2014〕12号"


@pytest.mark.parametrize("garbled", ["国办发〔202130", "国办发〔2021〕", "国办发2021 30号", "DB45/T1801"])
def test_garbled_numbers_are_not_invented(garbled: str) -> None:
    assert find_numbers(garbled) == []


def test_running_text_keeps_only_the_issuer_code() -> None:
    found = find_numbers("按照豫政办明电〔2017〕69号和市长批示,根据国办发〔2016〕80号文件精神")
    assert [n.canonical for n in found] == ["豫政办明电〔2017〕69号", "国办发〔2016〕80号"]


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        # a place whose name starts with a character that is also a conjunction: 和县, 和政县, 将乐县, 即墨区
        ("（和政办发〔2019〕5号）", ["和政办发〔2019〕5号"]),
        ("印发了《将乐县…》(将政办〔2020〕3号)", ["将政办〔2020〕3号"]),
        ("即政发〔2018〕12号", ["即政发〔2018〕12号"]),
        # the conjunction itself, before a code with its own prefix, is still not part of the code
        ("《…的通知》和国办发〔2016〕80号", ["国办发〔2016〕80号"]),
        ("精神和苏政办发〔2017〕1号", ["苏政办发〔2017〕1号"]),
        ("及鲁政办字〔2018〕9号", ["鲁政办字〔2018〕9号"]),
    ],
)
def test_a_place_initial_is_not_a_conjunction(text: str, numbers: list[str]) -> None:
    assert [n.canonical for n in find_numbers(text)] == numbers


def test_decree_kept_as_printed() -> None:
    assert [n.canonical for n in find_numbers("根据中华人民共和国国务院令第492号")] == ["中华人民共和国国务院令第492号"]


@given(st.text(max_size=300))
def test_parser_never_raises(text: str) -> None:
    for n in find_numbers(text):
        assert text[n.start : n.end] == n.raw


def test_decree_with_year_keeps_its_di() -> None:
    assert [n.canonical for n in find_numbers("国务院令〔2007〕第492号")] == ["国务院令〔2007〕第492号"]


# NUMBER_RE tried once per opening bracket (kg.extract.docnumbers._number_matches): the pattern's own matches, on
# texts of numbers (codes of any length, spaces, every bracket, decrees) among other text
_HAN = "国办发苏政府令中华人民共和务院关于印"
_SPACE = st.sampled_from(["", "", " ", "\n", "\u3000"])


@st.composite
def _number_text(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 5))):
        code = "".join(draw(st.lists(st.sampled_from(_HAN), min_size=0, max_size=20)))
        i = draw(st.integers(0, 6))
        parts += [draw(st.sampled_from(["", "和", "、", "x", "2"])), code, draw(_SPACE), "〔[【(（﹝［"[i], draw(_SPACE),
                  draw(st.sampled_from(["2016", "1998", "2101", "20"])), draw(_SPACE), "〕]】)）﹞］"[draw(st.integers(0, 6))],
                  draw(st.sampled_from(["", "第", " 第 "])), draw(st.sampled_from(["80", "3", "123456", ""])),
                  draw(st.sampled_from(["号", "號", "", "〔", "5"]))]  # fmt: skip
    return "".join(parts)


@settings(max_examples=500, deadline=None)
@given(_number_text())
def test_number_matches_are_the_patterns_own(text: str) -> None:
    from kg.extract.docnumbers import NUMBER_RE, _number_matches

    assert [(m.span(), m.groupdict()) for m in _number_matches(text)] == [
        (m.span(), m.groupdict()) for m in NUMBER_RE.finditer(text)
    ]


# DECREE_RE tried only near a 令 followed by 第 and a number (kg.extract.anchored.matches_near): the pattern's own
# matches, on texts of decree numbers (codes up to the pattern's 12 characters, 中华人民共和国, spaces) among other text
_DECREE_HAN = "国务院中华人民共和国公安部令省政府第号"
_DECREE_LENGTHS = st.integers(0, 14) | st.sampled_from([11, 12, 13])


@st.composite
def _decree_text(draw: st.DrawFn) -> str:
    han = lambda n: "".join(draw(st.lists(st.sampled_from(_DECREE_HAN), min_size=n, max_size=n)))  # noqa: E731
    parts = []
    for _ in range(draw(st.integers(0, 5))):
        parts += [draw(st.sampled_from(["", "和", "、", "x", "2", " ", "中华人民共和国"])), han(draw(_DECREE_LENGTHS)),
                  draw(st.sampled_from(["令", "令令", "", "令 "])), draw(_SPACE), draw(st.sampled_from(["第", "", "第 "])),
                  draw(st.sampled_from(["492", "5", "123456", ""])), draw(_SPACE), draw(st.sampled_from(["号", "號", "", "x"]))]  # fmt: skip
    return "".join(parts)


@settings(max_examples=1000, deadline=None)
@given(_decree_text())
def test_decree_matches_are_the_patterns_own(text: str) -> None:
    from kg.extract import docnumbers as d
    from kg.extract.anchored import matches_near

    found = matches_near(text, d.DECREE_RE, "令", d._DECREE_TAIL_RX, d._decree_words, d._DECREE_REACH)
    assert [(m.span(), m.groupdict()) for m in found] == [(m.span(), m.groupdict()) for m in d.DECREE_RE.finditer(text)]
