"""The ingest ledger: which sources a store holds, from which files, and which batch was in flight.

A small SQLite database beside the Oxigraph data (``DIR/kg-ledger.sqlite``), written by ``kg ingest`` and
``kg load`` only. It is bookkeeping, not data: nothing of it is exported, and the graph itself says everything a
query needs. It holds

- ``files``: for each file read (by its source key), its size, modification time and SHA-256, so that an unchanged
  file is skipped without reading it, and a touched but unchanged one after hashing only;
- ``sources``: for each source in the store, its graph, the report it is a copy of and the SHA-256 of its text;
  ``state`` is ``pending`` while its batch is being written and ``done`` once it is whole;
- ``checks`` and ``violations``: which version of the shapes each source was checked against when it was written,
  and what the check found, so that ``kg validate`` re-checks only what changed (:mod:`kg.validate`);
- ``citing`` and ``cited_titles``: what the citation summaries count (:mod:`kg.summary`), kept as the graphs are
  written — each report's cited documents with the region and year its graph keeps, and each source graph's
  citations by document and title — so that refreshing a document cited by 60,000 reports reads rows of one index
  rather than joining the store's graphs (IRIs and titles by number, in ``terms``: 30 bytes a row, where the
  IRIs themselves took 420);
- ``summarized``: per document and region, the figures its summary graph holds (reports, first and last year), so
  that a refresh writes the regions whose figures changed without reading the graph back (the 条例's has 1,700 region
  nodes at 100k reports); ``meta.summaries`` says whether they can be trusted (``kept``) or a refresh was cut short;
- ``dirty``: documents whose citation summaries are to be refreshed (:mod:`kg.summary`), and whose title-only
  resolutions are to be looked at again (:mod:`kg.titles`);
- ``titled``, ``printed`` and ``titles_pending``: the index :mod:`kg.titles` resolves title-only documents with —
  each title-only document by its title key; per source, the titles and short forms its numbered citations print
  (with the document and the report), searchable by any part (an FTS5 trigram index of the distinct keys); and the
  sources written or removed since the pass last read them, so that it reads only those.

A batch is marked pending before anything of it reaches the store and done after all of it has: a crash (even
``kill -9``) in between leaves pending rows, and :func:`recover` removes what they may have half written before the
next ingest starts, so the store holds only whole sources.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import StoreError

LEDGER_FILE = "kg-ledger.sqlite"
FORMAT = "3"  # the store layout: one graph per source, one derived graph per report, shared graphs
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (key TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, sha256 TEXT);
CREATE TABLE IF NOT EXISTS sources (
    key TEXT PRIMARY KEY, graph TEXT NOT NULL, report TEXT, sha256 TEXT, file TEXT, state TEXT NOT NULL,
    previous_report TEXT
);
CREATE TABLE IF NOT EXISTS dirty (doc TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS checks (key TEXT PRIMARY KEY, shapes TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS violations (
    key TEXT NOT NULL, focus TEXT, path TEXT, message TEXT, severity TEXT, shape TEXT, value TEXT
);
CREATE INDEX IF NOT EXISTS violations_key ON violations (key);
CREATE INDEX IF NOT EXISTS sources_state ON sources (state);
CREATE INDEX IF NOT EXISTS sources_file ON sources (file);
CREATE TABLE IF NOT EXISTS titled (doc TEXT PRIMARY KEY, key TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS titled_key ON titled (key);
CREATE TABLE IF NOT EXISTS printed (
    source TEXT NOT NULL, doc TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL, report TEXT NOT NULL,
    citation TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS printed_key ON printed (key, kind, doc);
CREATE INDEX IF NOT EXISTS printed_source ON printed (source);
CREATE TABLE IF NOT EXISTS printed_keys (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS titles_pending (source TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS terms (id INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS citing (
    doc INTEGER NOT NULL, report INTEGER NOT NULL, region INTEGER, year INTEGER, PRIMARY KEY (doc, report)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS citing_report ON citing (report);
CREATE TABLE IF NOT EXISTS cited_titles (graph INTEGER NOT NULL, doc INTEGER NOT NULL, title INTEGER NOT NULL, n INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS cited_titles_doc ON cited_titles (doc);
CREATE INDEX IF NOT EXISTS cited_titles_graph ON cited_titles (graph);
CREATE TABLE IF NOT EXISTS summarized (
    doc INTEGER NOT NULL, region INTEGER NOT NULL, reports INTEGER NOT NULL, first INTEGER, last INTEGER,
    PRIMARY KEY (doc, region)
) WITHOUT ROWID;
"""
# printed keys by any part of them (LIKE '%…%' through the trigram index); without FTS5, a scan of printed_keys
_FTS = "CREATE VIRTUAL TABLE IF NOT EXISTS printed_text USING fts5(key, tokenize='trigram')"
Printed = tuple[str, str, str, str, str]  # a numbered citation's printing: (document, key, kind, report, citation)
RegionFigures = dict[str, tuple[int, int | None, int | None]]  # a summary's regions (IRI): reports, first, last year


@dataclass
class Counted:
    """What a batch changes of what the citation summaries count: per report (IRI), the documents its graph cites
    with its region and year (``[]``: none, or no graph any more); per source graph (IRI), its citations' (document,
    title, citations) (``[]``: none, or the graph is gone). A report or graph not named is unchanged."""

    citing: dict[str, list[tuple[str, str | None, int | None]]] = field(default_factory=dict)
    titles: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)


@dataclass(frozen=True)
class FileRecord:
    size: int
    mtime_ns: int
    sha256: str


@dataclass(frozen=True)
class SourceRecord:
    key: str
    graph: str
    report: str | None
    sha256: str | None
    file: str | None
    state: str
    previous_report: str | None = None


class Ledger:
    def __init__(self, store_dir: Path, *, read_only: bool = False) -> None:
        self.path = Path(store_dir) / LEDGER_FILE
        uri = f"file:{self.path}?mode=ro" if read_only else f"file:{self.path}"
        try:
            # one connection for the ingest's threads (the writer thread writes; the main thread reads file
            # records meanwhile): sqlite3 serializes the calls
            self.db = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30, check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the ingest ledger ({exc})") from exc
        self._lock = threading.RLock()
        self._fts = False
        if not read_only:
            self.db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" + _SCHEMA)
            try:
                self.db.execute(_FTS)
                self._fts = True
            except sqlite3.OperationalError:  # an SQLite built without FTS5: the same answers, by a scan
                pass

    @classmethod
    def open_for_store(cls, store_dir: Path, *, store_has_data: bool) -> Ledger:
        """The ledger of a store being written; a store written by an earlier layout is refused, never misread."""
        exists = (Path(store_dir) / LEDGER_FILE).exists()
        if store_has_data and not exists:
            raise StoreError(
                f"{store_dir}: this store was written by an earlier version of govkg (one graph per file path)",
                hint=f"rebuild it: remove {store_dir} and run `kg ingest REPORTS --store {store_dir}` again",
            )
        ledger = cls(store_dir)
        fmt = ledger.meta("format")
        if fmt is None:
            ledger.set_meta("format", FORMAT)
        elif fmt != FORMAT:
            raise StoreError(
                f"{store_dir}: store layout {fmt}, this govkg writes layout {FORMAT}",
                hint=f"rebuild it: remove {store_dir} and run `kg ingest REPORTS --store {store_dir}` again",
            )
        return ledger

    @contextmanager
    def _tx(self) -> Iterator[None]:
        """One transaction (the connection is in autocommit mode otherwise); one at a time across threads."""
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    @classmethod
    def for_reading(cls, store_dir: Path) -> Ledger | None:
        """The ledger of a store opened to read it (None when the store has none, e.g. a copy made by hand)."""
        if not (Path(store_dir) / LEDGER_FILE).exists():
            return None
        return cls(store_dir, read_only=True)

    def close(self) -> None:
        self.db.close()

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # files
    def files(self) -> dict[str, FileRecord]:
        return {k: FileRecord(s, m, h) for k, s, m, h in self.db.execute("SELECT key, size, mtime_ns, sha256 FROM files")}

    def file_records(self, keys: Iterable[str]) -> dict[str, FileRecord]:
        out: dict[str, FileRecord] = {}
        keys = list(keys)
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for k, size, mtime, sha in self.db.execute(
                f"SELECT key, size, mtime_ns, sha256 FROM files WHERE key IN ({marks})", chunk
            ):
                out[k] = FileRecord(size, mtime, sha)
        return out

    def record_files(self, records: Iterable[tuple[str, FileRecord]]) -> None:
        with self._tx():
            self.db.executemany(
                "INSERT OR REPLACE INTO files (key, size, mtime_ns, sha256) VALUES (?, ?, ?, ?)",
                [(k, r.size, r.mtime_ns, r.sha256) for k, r in records],
            )

    def forget_files(self, keys: Iterable[str]) -> None:
        with self._tx():
            self.db.executemany("DELETE FROM files WHERE key = ?", [(k,) for k in keys])

    # sources
    def source(self, key: str) -> SourceRecord | None:
        row = self.db.execute(
            "SELECT key, graph, report, sha256, file, state, previous_report FROM sources WHERE key = ?", (key,)
        ).fetchone()
        return SourceRecord(*row) if row else None

    def sources(self, keys: Iterable[str]) -> dict[str, SourceRecord]:
        out: dict[str, SourceRecord] = {}
        keys = list(keys)
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(
                f"SELECT key, graph, report, sha256, file, state, previous_report FROM sources WHERE key IN ({marks})",
                chunk,
            ):
                out[row[0]] = SourceRecord(*row)
        return out

    def pending(self) -> list[SourceRecord]:
        return [
            SourceRecord(*row)
            for row in self.db.execute(
                "SELECT key, graph, report, sha256, file, state, previous_report FROM sources WHERE state = 'pending'"
            )
        ]

    def mark_pending(self, records: Iterable[SourceRecord]) -> None:
        """Before a batch touches the store: its sources are pending (with the report each was a copy of before)."""
        with self._tx():
            for r in records:
                old = self.source(r.key)
                self.db.execute(
                    "INSERT OR REPLACE INTO sources (key, graph, report, sha256, file, state, previous_report) "
                    "VALUES (?, ?, ?, ?, ?, 'pending', ?)",
                    (r.key, r.graph, r.report, r.sha256, r.file, old.report if old else None),
                )

    def mark_done(self, keys: Iterable[str], dirty: Iterable[str] = (), counted: Counted | None = None) -> None:
        """The batch is whole; ``dirty`` documents' citation summaries are to be refreshed, and what the batch's
        sources print read by the title pass (:mod:`kg.titles`); ``counted``: what the summaries count, as the
        batch changed it (in the same transaction: a crash loses neither)."""
        keys = list(keys)
        with self._tx():
            if counted is not None:
                self._write_counted(counted)
            self.db.executemany(
                "UPDATE sources SET state = 'done', previous_report = NULL WHERE key = ?", [(k,) for k in keys]
            )
            self.db.executemany("INSERT OR IGNORE INTO dirty (doc) VALUES (?)", [(d,) for d in dirty])
            self.db.executemany("INSERT OR IGNORE INTO titles_pending (source) VALUES (?)", [(k,) for k in keys])

    def record_checks(self, shapes: str, found: dict[str, list]) -> None:  # type: ignore[type-arg]
        """The sources in ``found`` were checked against the shapes of digest ``shapes``; each with its findings."""
        with self._tx():
            keys = [(k,) for k in found]
            self.db.executemany("DELETE FROM violations WHERE key = ?", keys)
            self.db.executemany("INSERT OR REPLACE INTO checks (key, shapes) VALUES (?, ?)", [(k, shapes) for k in found])
            self.db.executemany(
                "INSERT INTO violations (key, focus, path, message, severity, shape, value) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(k, v.focus, v.path, v.message, v.severity, v.source, v.value) for k, vs in found.items() for v in vs],
            )

    def unchecked(self, shapes: str) -> list[SourceRecord]:
        """Sources in the store that were not checked against the shapes of digest ``shapes``."""
        return [
            SourceRecord(*row)
            for row in self.db.execute(
                "SELECT s.key, s.graph, s.report, s.sha256, s.file, s.state, s.previous_report FROM sources s "
                "LEFT JOIN checks c ON c.key = s.key WHERE s.state = 'done' AND (c.shapes IS NULL OR c.shapes != ?)",
                (shapes,),
            )
        ]

    def violations(self) -> list[tuple[str, str, str, str, str, str]]:
        return list(
            self.db.execute(
                "SELECT v.focus, v.path, v.message, v.severity, v.shape, v.value FROM violations v "
                "JOIN sources s ON s.key = v.key AND s.state = 'done'"
            )
        )

    def dirty(self) -> list[str]:
        return [d for (d,) in self.db.execute("SELECT doc FROM dirty ORDER BY doc")]

    def clean(self, docs: Iterable[str]) -> None:
        with self._tx():
            self.db.executemany("DELETE FROM dirty WHERE doc = ?", [(d,) for d in docs])

    # what the citation summaries count (kg.summary)
    def _ids(self, terms: Iterable[str]) -> dict[str, int]:
        """The numbers of ``terms`` (IRIs, titles), numbering those new to the ledger."""
        terms = sorted(set(terms))
        self.db.executemany("INSERT OR IGNORE INTO terms (term) VALUES (?)", [(t,) for t in terms])
        out: dict[str, int] = {}
        for i in range(0, len(terms), 500):
            chunk = terms[i : i + 500]
            marks = ",".join("?" * len(chunk))
            out.update((t, n) for n, t in self.db.execute(f"SELECT id, term FROM terms WHERE term IN ({marks})", chunk))
        return out

    def _write_counted(self, counted: Counted) -> None:
        ids = self._ids(
            [*counted.citing, *(t for rows in counted.citing.values() for d, r, _ in rows for t in (d, r) if t),
             *counted.titles, *(t for rows in counted.titles.values() for d, title, _ in rows for t in (d, title))]
        )  # fmt: skip
        self.db.executemany("DELETE FROM citing WHERE report = ?", [(ids[r],) for r in sorted(counted.citing)])
        self.db.executemany(
            "INSERT INTO citing (doc, report, region, year) VALUES (?, ?, ?, ?)",
            [(ids[d], ids[report], ids[region] if region else None, year)
             for report, rows in sorted(counted.citing.items()) for d, region, year in rows],
        )  # fmt: skip
        self.db.executemany("DELETE FROM cited_titles WHERE graph = ?", [(ids[g],) for g in sorted(counted.titles)])
        self.db.executemany(
            "INSERT INTO cited_titles (graph, doc, title, n) VALUES (?, ?, ?, ?)",
            [(ids[g], ids[d], ids[t], n) for g, rows in sorted(counted.titles.items()) for d, t, n in rows],
        )

    def replace_counted(self, counted: Counted) -> None:
        """Everything the summaries count, afresh (a store written before the ledger kept it: :meth:`kg.writer.StoreWriter.count_citations`)."""
        with self._tx():
            self.db.execute("DELETE FROM citing")
            self.db.execute("DELETE FROM cited_titles")
            self._write_counted(counted)
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('counted', '1')")

    def counted_kept(self) -> bool:
        return self.meta("counted") == "1"

    def citing(self, doc: str) -> list[tuple[str, str | None, int | None]]:
        """The reports citing ``doc``: (report, its region, its year)."""
        return self.db.execute(
            "SELECT r.term, g.term, c.year FROM terms d JOIN citing c ON c.doc = d.id JOIN terms r ON r.id = c.report "
            "LEFT JOIN terms g ON g.id = c.region WHERE d.term = ?",
            (doc,),
        ).fetchall()

    def citing_by_region(self, docs: Iterable[str]) -> Iterator[tuple[str, str | None, int, int | None, int | None]]:
        """Per document of ``docs`` and region: (document, region, reports, first year, last year)."""
        yield from self._per_doc(
            "SELECT d.term, g.term, COUNT(*), MIN(c.year), MAX(c.year) FROM terms d JOIN citing c ON c.doc = d.id "
            "LEFT JOIN terms g ON g.id = c.region WHERE d.term IN ({}) GROUP BY d.id, c.region",
            docs,
        )

    def titles_cited(self, docs: Iterable[str]) -> Iterator[tuple[str, str, int]]:
        """Per document of ``docs``: the titles its citations print, with how many do."""
        yield from self._per_doc(
            "SELECT d.term, t.term, SUM(c.n) FROM terms d JOIN cited_titles c ON c.doc = d.id "
            "JOIN terms t ON t.id = c.title WHERE d.term IN ({}) GROUP BY d.id, c.title",
            docs,
        )

    def _per_doc(self, query: str, docs: Iterable[str]) -> Iterator[tuple]:  # type: ignore[type-arg]
        docs = sorted(set(docs))
        for i in range(0, len(docs), 500):
            chunk = docs[i : i + 500]
            yield from self.db.execute(query.format(",".join("?" * len(chunk))), chunk)

    def summarized(self, doc: str) -> RegionFigures:
        """The figures of ``doc``'s summary per region (IRI), as last written."""
        return {
            region: (n, first, last)
            for region, n, first, last in self.db.execute(
                "SELECT g.term, s.reports, s.first, s.last FROM terms d JOIN summarized s ON s.doc = d.id "
                "JOIN terms g ON g.id = s.region WHERE d.term = ?",
                (doc,),
            )
        }

    def record_summarized(self, figures: dict[str, tuple[RegionFigures, RegionFigures]]) -> None:
        """Per document: its regions' figures now written (``figures[doc][0]``: new or changed, ``[1]``: gone); and the
        figures are to be trusted again (see :meth:`summaries_kept`)."""
        with self._tx():
            ids = self._ids([*figures, *(r for now, gone in figures.values() for r in (*now, *gone))])
            self.db.executemany(
                "DELETE FROM summarized WHERE doc = ? AND region = ?",
                [(ids[d], ids[r]) for d, (_, gone) in figures.items() for r in gone],
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO summarized (doc, region, reports, first, last) VALUES (?, ?, ?, ?, ?)",
                [(ids[d], ids[r], *v) for d, (now, _) in figures.items() for r, v in now.items()],
            )
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('summaries', 'kept')")

    def summaries_kept(self) -> bool | None:
        """Whether the ``summarized`` figures are those of the store's summary graphs: True; False when a refresh was
        cut short (the documents it was refreshing are still dirty); None when they were never kept (a store written
        before they were)."""
        value = self.meta("summaries")
        return None if value is None else value == "kept"

    def refreshing_summaries(self) -> None:
        """A refresh begins: the figures are not to be trusted until it has recorded them (never kept stays so)."""
        self.db.execute("UPDATE meta SET value = 'writing' WHERE key = 'summaries'")

    # the title index (kg.titles)
    def reset_titles(self) -> None:
        with self._tx():
            for table in ("titled", "printed", "printed_keys", "titles_pending") + (("printed_text",) if self._fts else ()):
                self.db.execute(f"DELETE FROM {table}")

    def titled_with(self, keys: Iterable[str]) -> list[tuple[str, str]]:
        """The title-only documents whose title key is one of ``keys``: (document, key)."""
        out: list[tuple[str, str]] = []
        keys = sorted(set(keys))
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            out += self.db.execute(f"SELECT doc, key FROM titled WHERE key IN ({marks})", chunk).fetchall()
        return sorted(out)

    def index_titled(self, keys: dict[str, str | None], dirty: Iterable[str] = ()) -> None:
        """Index title-only documents by their title keys (None: gone from the index), and mark ``dirty`` documents."""
        with self._tx():
            self.db.executemany("DELETE FROM titled WHERE doc = ?", [(d,) for d, k in keys.items() if k is None])
            self.db.executemany(
                "INSERT OR REPLACE INTO titled (doc, key) VALUES (?, ?)", [(d, k) for d, k in keys.items() if k]
            )
            self.db.executemany("INSERT OR IGNORE INTO dirty (doc) VALUES (?)", [(d,) for d in dirty])

    def titles_pending(self) -> list[str]:
        """The sources written or removed since the title pass last read them."""
        return [k for (k,) in self.db.execute("SELECT source FROM titles_pending ORDER BY source")]

    def printed_by(self, sources: Iterable[str]) -> set[tuple[str, str]]:
        """The (key, kind) pairs these sources' numbered citations print, as the index has them."""
        out: set[tuple[str, str]] = set()
        keys = sorted(set(sources))
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            out |= set(self.db.execute(f"SELECT DISTINCT key, kind FROM printed WHERE source IN ({marks})", chunk))
        return out

    def replace_printed(self, printed: dict[str, list[Printed]], dirty: Iterable[str] = ()) -> None:
        """What these sources' numbered citations print now (a removed source: nothing), so they are read; and the
        ``dirty`` documents that this changes (in the same transaction: a crash loses neither)."""
        with self._tx():
            keys: set[str] = set()
            for source, rows in sorted(printed.items()):
                keys |= {k for (k,) in self.db.execute("SELECT DISTINCT key FROM printed WHERE source = ?", (source,))}
                keys |= {k for _, k, _, _, _ in rows}
                self.db.execute("DELETE FROM printed WHERE source = ?", (source,))
                self._insert_printed(source, rows)
                self.db.execute("DELETE FROM titles_pending WHERE source = ?", (source,))
            for key in sorted(keys):
                self._index_key(key)
            self.db.executemany("INSERT OR IGNORE INTO dirty (doc) VALUES (?)", [(d,) for d in dirty])

    def add_printed(self, printed: dict[str, list[Printed]]) -> None:
        """Index the printings of sources the index does not hold yet (when it is built afresh: :meth:`reset_titles`);
        :meth:`index_printed_keys` makes them searchable."""
        with self._tx():
            for source, rows in sorted(printed.items()):
                self._insert_printed(source, rows)

    def index_printed_keys(self) -> None:
        with self._tx():
            for (key,) in self.db.execute("SELECT DISTINCT key FROM printed ORDER BY key").fetchall():
                self._index_key(key)

    def _insert_printed(self, source: str, rows: list[Printed]) -> None:
        self.db.executemany(
            "INSERT INTO printed (source, doc, key, kind, report, citation) VALUES (?, ?, ?, ?, ?, ?)",
            [(source, *row) for row in rows],
        )

    def source_graphs(self) -> dict[str, str]:
        """Graph → source key, for every source in the store."""
        return dict(self.db.execute("SELECT graph, key FROM sources WHERE state = 'done'"))

    def _index_key(self, key: str) -> None:
        """Keep ``key`` in the searchable keys exactly while some printing has it."""
        printed = self.db.execute("SELECT 1 FROM printed WHERE key = ? LIMIT 1", (key,)).fetchone() is not None
        row = self.db.execute("SELECT id FROM printed_keys WHERE key = ?", (key,)).fetchone()
        if printed and row is None:
            cur = self.db.execute("INSERT INTO printed_keys (key) VALUES (?)", (key,))
            if self._fts:
                self.db.execute("INSERT INTO printed_text (rowid, key) VALUES (?, ?)", (cur.lastrowid, key))
        elif not printed and row is not None:
            self.db.execute("DELETE FROM printed_keys WHERE id = ?", row)
            if self._fts:
                self.db.execute("DELETE FROM printed_text WHERE rowid = ?", row)

    def printed_as(self, key: str, kind: str) -> list[tuple[str, str, int, str]]:
        """The numbered documents printed with exactly ``key`` as a title or short form: (doc, key, reports printing
        it, the citation of the first of them)."""
        rows = self.db.execute(
            "SELECT doc, COUNT(DISTINCT report), MIN(report || ' ' || citation) FROM printed "
            "WHERE key = ? AND kind = ? GROUP BY doc ORDER BY doc",
            (key, kind),
        )
        return [(doc, key, n, first.split(" ", 1)[1]) for doc, n, first in rows]

    def printed_containing(self, part: str) -> list[tuple[str, str, int, str]]:
        """The numbered documents printed with a title that contains ``part``: (doc, key, reports, evidence)."""
        if self._fts and len(part) >= 3 and not any(c in part for c in "%_"):
            keys = self.db.execute(
                "SELECT p.key FROM printed_text t JOIN printed_keys p ON p.id = t.rowid WHERE t.key LIKE ?",
                (f"%{part}%",),
            ).fetchall()
        else:
            keys = self.db.execute("SELECT key FROM printed_keys WHERE instr(key, ?) > 0", (part,)).fetchall()
        out: list[tuple[str, str, int, str]] = []
        for (key,) in sorted(keys):
            out += self.printed_as(key, "title")
        return out

    def forget_sources(self, keys: Iterable[str]) -> None:
        rows = [(k,) for k in keys]
        with self._tx():
            for table in ("sources", "checks", "violations"):
                self.db.executemany(f"DELETE FROM {table} WHERE key = ?", rows)
            self.db.executemany("INSERT OR IGNORE INTO titles_pending (source) VALUES (?)", rows)  # what they printed

    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM sources WHERE state = 'done'").fetchone()[0])

    def graphs(self) -> Iterator[str]:
        for (g,) in self.db.execute("SELECT graph FROM sources WHERE state = 'done'"):
            yield g
