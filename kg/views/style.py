"""Colours, sizes and names shared by every view (one place, so the legends and the graphs agree)."""

from __future__ import annotations

import math

from kg.resolve.vocab import platform_types

# Issuing level of a directive (and level of a region). Colour-blind-safe (Okabe–Ito) hues.
LEVEL_COLORS: dict[str, str] = {
    "national": "#D55E00",  # vermilion
    "province": "#E69F00",  # orange
    "city": "#009E73",  # bluish green
    "county": "#0072B2",  # blue
    "township": "#56B4E9",  # sky blue
    "unknown": "#999999",  # grey
}
LEVEL_NAMES: dict[str, str] = {
    "national": "国家 national",
    "province": "省级 province",
    "city": "市级 city",
    "county": "县级 county",
    "township": "乡镇 township",
    "unknown": "未知 unknown",
}
# The cascade of the diffusion view, top to bottom.
LEVEL_ORDER: tuple[str, ...] = ("national", "province", "city", "county", "township", "unknown")

# Node labels: drawn by vis-network below the node (dots, squares, diamonds) in this font size (canvas pixels).
FONT_SIZE = 12
AXIS_FONT_SIZE = 22  # the year and level labels of the diffusion grid
LABEL_CHARS = 12  # a directive cited by title only is labelled with this many characters of it, then "…"

REGION_COLOR = "#5B6B7F"  # slate: regions are drawn as squares in a neutral colour
REGION_SIZES: dict[str, float] = {"national": 14, "province": 12, "city": 9, "county": 6, "township": 5, "unknown": 6}

# Communities and platform types: a fixed categorical palette, reused cyclically: Tableau 10, then ten hues that
# differ from all of those (Tableau 20's light variants did not: #FF9D9A beside #FF9DA7 made 新闻媒体 and 新闻发布会
# the same pink).
PALETTE: tuple[str, ...] = (
    "#4E79A7", "#F28E2B", "#E15759", "#76B7B2", "#59A14F", "#EDC948", "#B07AA1", "#FF9DA7", "#9C755F", "#BAB0AC",
    "#17BECF", "#8CD17D", "#2F4B7C", "#B6992D", "#4D4D4D", "#D37295", "#A0CBE8", "#FFBE7D", "#665191", "#499894",
)  # fmt: skip

PLATFORM_ORDER: tuple[str, ...] = platform_types()


def level_color(level: str) -> str:
    return LEVEL_COLORS.get(level, LEVEL_COLORS["unknown"])


def level_name(level: str) -> str:
    return LEVEL_NAMES.get(level, LEVEL_NAMES["unknown"])


def level_rank(level: str) -> int:
    return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else len(LEVEL_ORDER) - 1


def directive_size(cited_by: int) -> float:
    """Node size of a directive cited by ``cited_by`` regions: area grows with the count, capped."""
    return round(min(6.0 + 4.0 * math.sqrt(max(cited_by, 0)), 48.0), 2)


def hub_size(count: int) -> float:
    """Node size of a platform type run by ``count`` regions."""
    return round(min(10.0 + 3.0 * math.sqrt(max(count, 0)), 60.0), 2)


def region_size(level: str) -> float:
    return REGION_SIZES.get(level, REGION_SIZES["unknown"])


def palette_color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def platform_color(notation: str) -> str:
    rank = PLATFORM_ORDER.index(notation) if notation in PLATFORM_ORDER else len(PLATFORM_ORDER)
    return palette_color(rank)


def short_title(title: str, limit: int = LABEL_CHARS) -> str:
    """``title`` in book-title marks, cut to ``limit`` characters and an ellipsis when longer: 《连云港市十三五沿海开…》."""
    text = " ".join(title.split())
    return f"《{text}》" if len(text) <= limit else f"《{text[:limit]}…》"


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)
