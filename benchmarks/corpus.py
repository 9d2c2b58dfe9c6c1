"""A realistic, seeded corpus of annual reports for the scale benchmarks (1k, 10k, 100k reports).

Usage: python benchmarks/corpus.py OUT_DIR --reports N [--seed S] [--copies 0.1] [--gold]

What it writes, as real corpora are:
- reporting bodies drawn from the gazetteer (real names and codes): county, city and province governments, their
  departments (教育局, 财政局 …) and a few township governments; each reports for a year in 2008–2024;
- citations: the State's directives (国办发, 国发) cited by everyone, a province's by its own regions (苏政办发 …),
  a city's by its counties, with the bracket variants scraped pages show (〔〕 [] 【】 （） ()), the 条例 by title only;
- platforms (portal with its address, named WeChat/Weibo accounts, gazette, hotline, …), initiatives and figures;
- about ``--copies`` of the reports again as copies from mirror sites: byte-identical, defaced by spam and menus,
  in traditional script, or in GB18030 — copies of one report must count once;
- one file per report, under the site that published it (``gov/``, ``mirror-1/`` …), as .txt or .html.

With ``--gold``, each report also gets ``gold/NAME.json`` in the scorer's format (citations, identity, figures), so the
extraction can be scored on the generated corpus too.
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BRACKETS = [("〔", "〕")] * 6 + [("[", "]"), ("【", "】"), ("（", "）"), ("(", ")")]
DEPARTMENTS = ["教育局", "财政局", "民政局", "卫生健康委员会", "自然资源局", "生态环境局", "住房和城乡建设局",
               "交通运输局", "农业农村局", "市场监督管理局", "人力资源和社会保障局", "审计局", "统计局", "司法局"]
NATIONAL = [  # (code, title pattern, first year it appears): the State's yearly and standing directives
    ("国办发", "国务院办公厅关于印发{y}年政务公开工作要点的通知", 2011),
    ("国办发", "国务院办公厅关于做好政府信息依申请公开工作的意见", 2010),
    ("国发", "国务院关于加快推进“互联网+政务服务”工作的指导意见", 2016),
    ("国办发", "国务院办公厅关于全面推进基层政务公开标准化规范化工作的指导意见", 2019),
    ("国办发", "国务院办公厅关于在政务公开工作中进一步做好政务舆情回应的通知", 2016),
    ("国办函", "国务院办公厅关于印发政府信息公开信息处理费管理办法的通知", 2020),
]
SPAM = ["allsport365bet", "皇冠体育", "澳门新葡京", "bet365备用网址", "太阳城娱乐"]
MENUS = ["首页 | 政务公开 | 政务服务 | 互动交流 | 走进{n}", "当前位置：首页 > 政府信息公开 > 年度报告",
         "【字体：大 中 小】 【打印本页】 【关闭窗口】", "扫一扫在手机打开当前页"]
INITIATIVES = ["五公开", "放管服", "最多跑一次", "互联网+政务服务", "双随机、一公开", "一网通办", "证照分离"]
FILLER = [
    "坚持以公开为常态、不公开为例外，推进决策、执行、管理、服务、结果全过程公开。",
    "进一步规范政府信息公开工作流程，严格落实信息发布保密审查制度，确保公开信息准确、及时。",
    "围绕重点领域信息公开，及时公开财政预决算、重大建设项目、公共资源配置等信息。",
    "加强政策解读工作，做到政策性文件与解读方案、解读材料同步组织、同步审签、同步部署。",
    "积极回应社会关切，对涉及群众切身利益的热点问题及时发布权威信息，正确引导社会舆论。",
    "加强政府网站内容建设，定期开展网站自查，及时更新栏目内容，杜绝“空白栏目”和“僵尸栏目”。",
    "组织开展政府信息公开业务培训，提升工作人员的业务能力和服务水平。",
    "工作中还存在一些不足：公开内容不够全面，解读形式不够丰富，基层公开工作发展不平衡。",
    "下一步，我们将继续加大公开力度，拓展公开渠道，不断提高政府信息公开工作水平。",
]


@dataclass
class Body:
    adcode: str
    region: str  # the region's name: 兴化市
    level: str  # of the reporting body: province | city | county | township
    body: str  # government | department
    name: str  # the reporting body's name: 兴化市人民政府, 兴化市教育局, 昌荣镇人民政府
    province: str
    city: str | None


@dataclass
class Report:
    name: str
    body: Body
    year: int
    published: str
    text: str
    gold: dict = field(default_factory=dict)


def _abbreviations() -> dict[str, str]:
    out = {}
    with (ROOT / "kg" / "resolve" / "data" / "province_abbreviations.csv").open(encoding="utf-8") as f:
        for row in csv.reader(line for line in f if not line.startswith("#")):
            out[row[0]] = row[1][0]
    return out


class Generator:
    def __init__(self, seed: int) -> None:
        from kg.resolve.regions import STATE, gazetteer, stem

        self.rng = random.Random(seed)
        gz = gazetteer()
        self.stem = stem
        cur = {c: r for c, r in gz.current.items() if c != STATE}
        self.provinces = sorted(c for c in cur if c.endswith("0000"))
        self.cities = sorted(c for c in cur if c.endswith("00") and not c.endswith("0000"))
        # names that occur once in the gazetteer, so the generated truth is unambiguous (城区, 河东区 … are not)
        unique = {c for c in cur if len(gz.by_name.get(cur[c].name, [])) == 1}
        self.counties = sorted(c for c in cur if not c.endswith("00") and c in unique)
        self.cur = cur
        self.abbr = _abbreviations()
        self.gz = gz
        self.used: set[tuple[str, int]] = set()

    def _city_of(self, code: str) -> str | None:
        city = code[:4] + "00"
        return city if city in self.cur and city != code else None

    def body(self) -> Body:
        r = self.rng.random()
        if r < 0.04:
            code, level = self.rng.choice(self.provinces), "province"
        elif r < 0.22:
            code, level = self.rng.choice(self.cities), "city"
        else:
            code, level = self.rng.choice(self.counties), "county"
        region = self.cur[code].name
        province = code[:2] + "0000"
        city = self._city_of(code) if level == "county" else None
        kind = self.rng.random()
        if kind < 0.3:
            dept = self.rng.choice(DEPARTMENTS)
            if level == "province":
                dept = dept.replace("局", "厅") if dept.endswith("局") else dept
            return Body(code, region, level, "department", region + dept, province, city)
        if kind < 0.34 and level == "county":
            town = self.stem(region)[:1] + self.rng.choice("东西南北中新") + self.rng.choice("桥河山湖安平") + "镇"
            return Body(code, region, "township", "government", region + town + "人民政府", province, city)
        return Body(code, region, level, "government", region + "人民政府", province, city)

    def _number(self, code: str, year: int, title: str) -> tuple[str, str]:
        """(canonical, as printed with a bracket variant): one document has one number, whoever cites it."""
        import zlib

        n = zlib.crc32(f"{code}|{year}|{title}".encode()) % 120 + 1
        left, right = self.rng.choice(BRACKETS)
        printed = f"{code}{left}{year}{right}{n}号"
        return f"{code}〔{year}〕{n}号", printed

    def _directives(self, b: Body, year: int) -> list[tuple[str, str, str, str, str]]:
        """(canonical number, as printed, title, issuer level, issuer adcode) cited by this report."""
        out = []
        national = [d for d in NATIONAL if d[2] <= year]
        for code, title, _ in self.rng.sample(national, k=min(len(national), self.rng.randint(1, 3))):
            dy = year if "{y}" in title else self.rng.randint(max(2008, year - 3), year)
            canon, printed = self._number(code, dy, title)
            out.append((canon, printed, title.format(y=dy), "national", "100000"))
        pname = self.cur[b.province].name
        pab = self.abbr.get(b.province)
        if pab and b.province != "710000":
            for _ in range(self.rng.randint(1, 2)):
                dy = self.rng.randint(max(2008, year - 2), year)
                title = f"{pname}人民政府办公厅关于印发{pname}{dy}年政务公开工作要点的通知"
                canon, printed = self._number(f"{pab}政办发", dy, title)
                out.append((canon, printed, title, "province", b.province))
        if b.city and b.level in ("county", "township"):
            cname = self.cur[b.city].name
            cab = self.stem(cname)[:1]
            # only when the character names one city of the province, so the truth is unambiguous
            same = [c for c in self.cities if c[:2] == b.province[:2] and self.stem(self.cur[c].name)[:1] == cab]
            if len(same) == 1 and cab not in self.abbr.values():
                dy = self.rng.randint(max(2008, year - 1), year)
                title = f"{cname}人民政府办公室关于做好{dy}年政府信息公开工作的通知"
                canon, printed = self._number(f"{cab}政办发", dy, title)
                out.append((canon, printed, title, "city", b.city))
        return out

    def report(self, i: int) -> Report:
        rng = self.rng
        while True:  # a body publishes one report a year: a second one would be a copy, not a new report
            b = self.body()
            year = rng.randint(2008, 2024)
            if (b.name, year) not in self.used:
                self.used.add((b.name, year))
                break
        month, day = rng.randint(1, 3), rng.randint(1, 28)
        published = f"{year + 1}-{month:02d}-{day:02d}"
        st = self.stem(b.region)
        host = f"www.{''.join(rng.choice('abcdefghjkmnpqrstwxyz') for _ in range(rng.randint(2, 5)))}.gov.cn"
        directives = self._directives(b, year)
        lines = [
            f"索引号：{rng.randint(10**8, 10**9 - 1)}/{year + 1}-{rng.randint(1, 9999):05d}  主题分类：综合政务",
            f"发布机构：{b.name.replace('人民政府', '政府办')}  发布日期：{published}",
            "",
            f"{b.name}{year}年政府信息公开工作年度报告",
            "",
        ]
        cites = "、".join(f"《{t}》({p})" for _, p, t, _, _ in directives)
        we = "我局" if b.body == "department" else ("我镇" if b.level == "township" else "我" + b.region[-1])
        lines.append(f"  本报告根据《中华人民共和国政府信息公开条例》(以下简称《条例》)和{cites}的要求编制。"
                     f"本报告所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。")
        lines.append("  一、总体情况")
        initiatives = rng.sample(INITIATIVES, 2)
        lines.append(f"  {year}年，{we}认真贯彻落实《条例》，深入推进" + "、".join(initiatives) + "改革。"
                     + rng.choice(FILLER))
        stats: dict[str, int] = {}
        total = rng.randint(50, 30000)
        stats["info_disclosed_total"] = total
        lines.append(f"  （一）主动公开情况。全年主动公开政府信息{total}条。" + rng.choice(FILLER))
        platforms = [("portal", f"{b.name}门户网站", host)]
        lines.append(f"  通过{b.name}门户网站({host})公开信息，"
                     f"并利用微信公众号“{st}发布”、政务微博“@{st}发布”及时发布政务信息。")
        platforms += [("wechat", f"{st}发布", None), ("weibo", f"{st}发布", None)]
        channels = {"gazette": "编印《{r}政府公报》{n}期", "hotline": "依托12345政务服务热线受理群众咨询{n}件",
                    "reading_room": "在档案馆设立信息公开查阅点", "bulletin_board": "利用村(居)务公开栏公开信息{n}条",
                    "press_conference": "召开新闻发布会{n}次"}
        types = {"portal", "wechat", "weibo"}
        for kind in rng.sample(sorted(channels), 3):
            n = rng.randint(2, 40)
            lines.append("  " + channels[kind].format(r=b.region, n=n) + "。")
            types.add(kind)
            if kind == "press_conference":
                stats["press_conferences"] = n
        received = rng.randint(0, 400)
        completed = received - rng.randint(0, min(received, 5))
        recon, suits = rng.randint(0, 6), rng.randint(0, 4)
        stats.update(requests_received=received, requests_completed=completed, reconsiderations=recon, lawsuits=suits)
        if year >= 2019:  # the national template's tables, flattened with pipes as scraped pages show them
            lines += _tables(rng, received, completed, recon, suits)
        else:
            lines.append(f"  （二）依申请公开情况。全年共收到政府信息公开申请{received}件，办结{completed}件。"
                         + rng.choice(FILLER))
            lines.append(f"  （三）复议诉讼情况。因政府信息公开申请行政复议{recon}件，提起行政诉讼{suits}件。")
        for _ in range(rng.randint(10, 40)):
            lines.append("  " + rng.choice(FILLER))
        lines.append(f"{b.name}")
        lines.append(f"{year + 1}年{month}月{day}日")
        text = "\n".join(lines) + "\n"
        gold = {
            "report": {"region": b.region, "adcode": b.adcode, "province_adcode": b.province, "level": b.level,
                       "body": b.body, "number": None, "year": year, "published": published},
            "citations": [{"number": c, "issuer_level": lv, "issuer_adcode": ad, "title": t}
                          for c, _, t, lv, ad in directives],
            "ignore_citations": [],
            "cited_titles": ["中华人民共和国政府信息公开条例"],
            "platform_types": sorted(types),
            "named_platforms": [{"type": t, "name": n, **({"url": u} if u else {})} for t, n, u in platforms],
            "initiatives": initiatives,
            "statistics": {k: {"value": v} for k, v in stats.items()},
        }
        return Report(f"r{i:06d}", b, year, published, text, gold)


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    cuts = sorted(rng.randint(0, total) for _ in range(parts - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


def _tables(rng: random.Random, received: int, completed: int, recon: int, suits: int) -> list[str]:
    """Sections 二–四 of the 2019 template (新收 row, 办理结果 (七)总计, the review row)."""
    new = _split(rng, received, 6)
    done = _split(rng, completed, 6)
    direct, after = _split(rng, suits, 2)
    review = [*_split(rng, recon, 4), recon, *_split(rng, direct, 4), direct, *_split(rng, after, 4), after]
    row = lambda cells: "| " + " | ".join(str(c) for c in cells) + " |"  # noqa: E731
    return [
        "二、主动公开政府信息情况",
        "| 第二十条第(一)项 | | | |",
        "| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |",
        row(["规章", 0, 0, 0]),
        row(["行政规范性文件", rng.randint(0, 30), rng.randint(0, 5), rng.randint(10, 90)]),
        "三、收到和处理政府信息公开申请情况",
        "| (本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和) | 申请人情况 | | | | | | |",
        "| | 自然人 | 法人或其他组织 | | | | | 总计 |",
        "| | | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | |",
        row(["一、本年新收政府信息公开申请数量", *new, received]),
        row(["二、上年结转政府信息公开申请数量", 0, 0, 0, 0, 0, 0, 0]),
        row(["三、本年度办理结果", "(一)予以公开", *_split(rng, completed // 2, 6), completed // 2]),
        row(["(七)总计", *done, completed]),
        row(["四、结转下年度继续办理", 0, 0, 0, 0, 0, 0, 0]),
        "四、政府信息公开行政复议、行政诉讼情况",
        "| 行政复议 | 行政诉讼 |",
        "| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 未经复议直接起诉 | 复议后起诉 |",
        "| | | | | | 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |",
        row(review),
        "五、存在的主要问题及改进情况",
    ]


def _deface(rng: random.Random, text: str, name: str) -> str:
    """A mirror's copy: menus and breadcrumbs added, a spam line or two, table pipes; the report's words kept."""
    lines = text.split("\n")
    head = [m.format(n=name) for m in rng.sample(MENUS, 2)]
    for _ in range(rng.randint(1, 2)):
        at = rng.randint(6, max(7, len(lines) - 2))
        lines.insert(at, f"{rng.choice(SPAM)}官网 {rng.choice(SPAM)}注册送彩金")
    return "\n".join(head + lines + [rng.choice(MENUS).format(n=name)])


def write_corpus(out: Path, n: int, seed: int = 2026, copies: float = 0.1, gold: bool = False,
                 html_share: float = 0.1) -> dict[str, int]:
    """Write ``n`` reports (plus about ``copies``·n mirror copies) under ``out``; returns counts by kind."""
    from opencc import OpenCC

    t2s = OpenCC("s2t")
    gen = Generator(seed)
    rng = random.Random(seed + 1)
    counts = {"reports": 0, "copies": 0, "html": 0, "traditional": 0, "gb18030": 0, "defaced": 0, "identical": 0}
    (out / "gov").mkdir(parents=True, exist_ok=True)
    if gold:
        (out / "gold").mkdir(exist_ok=True)
    for i in range(n):
        rep = gen.report(i)
        as_html = rng.random() < html_share
        _write(out / "gov", rep.name, rep.text, as_html, "utf-8")
        counts["reports"] += 1
        counts["html"] += as_html
        if gold:
            (out / "gold" / f"{rep.name}.json").write_text(
                json.dumps({"id": rep.name, **rep.gold}, ensure_ascii=False, indent=1), encoding="utf-8")
        if rng.random() < copies:
            site = out / f"mirror-{rng.randint(1, 4)}"
            site.mkdir(exist_ok=True)
            kind = rng.choice(["identical", "defaced", "traditional", "gb18030"])
            text, enc = rep.text, "utf-8"
            if kind == "defaced":
                text = _deface(rng, text, rep.body.region)
            elif kind == "traditional":
                text = t2s.convert(text)
            elif kind == "gb18030":
                enc = "gb18030"
            _write(site, rep.name, text, False, enc)
            counts["copies"] += 1
            counts[kind] += 1
            if gold:
                (out / "gold" / f"{rep.name}.json").write_text(
                    json.dumps({"id": rep.name, **rep.gold}, ensure_ascii=False, indent=1), encoding="utf-8")
    return counts


def _write(site: Path, name: str, text: str, as_html: bool, encoding: str) -> None:
    if as_html:
        body = "".join(f"<p>{html.escape(line)}</p>\n" for line in text.split("\n"))
        page = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{name}</title></head><body>"
                f"<div class=\"nav\">首页 | 政务公开</div><div class=\"content\">{body}</div>"
                f"<div class=\"footer\">版权所有</div></body></html>")
        (site / f"{name}.html").write_text(page, encoding="utf-8")
    else:
        (site / f"{name}.txt").write_bytes(text.encode(encoding))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--reports", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--copies", type=float, default=0.1, help="share of reports also scraped from a mirror")
    ap.add_argument("--gold", action="store_true", help="also write gold/NAME.json for the scorer")
    args = ap.parse_args()
    counts = write_corpus(args.out, args.reports, args.seed, args.copies, args.gold)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
