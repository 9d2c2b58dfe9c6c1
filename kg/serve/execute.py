"""Running an accepted query: a slot, the engine, the limits, and what to do when the engine dies under it.

The answer streams: the gateway reads the engine's lines (TSV, N-Triples) only as fast as the client takes the
converted bytes (:mod:`kg.serve.results`), counting rows as they pass. Up to ``stream_after_bytes`` of output are
kept before anything is sent, so that most answers go out whole, with their length, and a limit passed within them
is still a proper JSON error (422 ``too_many_rows``, 504 ``timeout``). A longer answer is committed (200, chunked)
and streamed; a limit passed after that cuts it (the chunked body ends without its last chunk, which every HTTP
client reports as an incomplete answer). A streamed answer waits on its client, not on the engine, so it gives its
query slot back and holds one of ``max_streams`` stream slots instead: slow readers cannot starve the queries.

When the engine process dies while a query runs (:class:`~kg.serve.engine.Death`):

- it died of its memory limit or of a panic, and this query was the only one on it (and no query left computing
  past its time limit was: :attr:`~kg.serve.engine.Engine.died_alone`), or it ran on the probation engine: this
  query did it. Its family is quarantined (:class:`Quarantine`) and it is answered 422
  ``memory_limit`` or ``engine_crash``; the same query (up to constants) is refused from then on without reaching
  the engine;
- it died so with other queries on it: each of them is a suspect and runs once more, one at a time, on a separate
  probation engine, where the one that did it is found alone, and the innocent ones get their answer;
- it was killed from outside (SIGKILL) or ended otherwise: every query on it runs once more on the new engine.

A query that loses its engine twice is answered 502 ``upstream_error``. The live store (:mod:`kg.serve.live`)
replaces a dead engine at once; queries arriving meanwhile wait for it within their time limit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from kg.namespaces import DEFAULT_BASE, ELI, OA, ONTOLOGY_IRI, SD, SDMX_DIM, VOCAB_IRI
from kg.serve.cache import CachedAnswer, ResultCache
from kg.serve.engine import Death, Engine, EngineAnswer, EngineLost
from kg.serve.errors import Refusal, refuse
from kg.serve.http import AnswerCut, Response
from kg.serve.live import LiveStore
from kg.serve.negotiation import Format
from kg.serve.policy import QueryPlan
from kg.serve.results import ConversionError, Converter
from kg.serve.settings import ServeSettings

log = logging.getLogger(__name__)

_SELECT_UPSTREAM = "text/tab-separated-values"
_ASK_UPSTREAM = "application/sparql-results+json"
_GRAPH_UPSTREAM = "application/n-triples"
_PIECE = 64 * 1024  # engine bytes converted at a time while streaming
ORDER_BY_PANIC = "does not correctly implement a total order"


def turtle_prefixes(base_iri: str = DEFAULT_BASE) -> dict[str, str]:
    """Prefixes for graph results written as Turtle (the project's, plus ``id:`` for the data)."""
    from rdflib.namespace import DCAT, DCTERMS, ORG, PROV, QB, RDF, RDFS, SDO, SKOS, VOID, XSD

    return {
        "dcat": str(DCAT), "dcterms": str(DCTERMS), "eli": str(ELI), "gk": ONTOLOGY_IRI, "id": base_iri,
        "oa": str(OA), "org": str(ORG), "prov": str(PROV), "qb": str(QB), "rdf": str(RDF), "rdfs": str(RDFS),
        "schema": str(SDO), "sd": str(SD), "sdmx-dimension": str(SDMX_DIM), "skos": str(SKOS), "v": VOCAB_IRI,
        "void": str(VOID), "xsd": str(XSD),
    }  # fmt: skip


class Admission:
    """At most ``running`` queries at once; up to ``queued`` more wait (at most ``wait_s``); the rest get 503."""

    def __init__(self, running: int, queued: int, wait_s: float) -> None:
        self.queued = queued
        self.wait_s = wait_s
        self.waiting = 0
        self._slots = asyncio.Semaphore(running)

    def _busy(self, why: str) -> Refusal:
        return refuse(
            "busy",
            f"the endpoint is busy: {why}",
            "retry after a moment; run heavy queries one at a time",
            headers={"Retry-After": "2"},
        )

    async def acquire(self) -> None:
        """Take a slot, waiting in the queue if there is room in it; :meth:`release` it afterwards."""
        if not self._slots.locked():
            await self._slots.acquire()  # does not wait
            return
        if self.waiting >= self.queued:
            raise self._busy("every query slot is taken and the queue is full")
        self.waiting += 1
        try:
            async with asyncio.timeout(self.wait_s):
                await self._slots.acquire()
        except TimeoutError:
            raise self._busy(f"no query slot became free within {self.wait_s:g} s") from None
        finally:
            self.waiting -= 1

    def release(self) -> None:
        self._slots.release()


@dataclass
class Verdict:
    kind: str  # "memory" or "panic"
    detail: str
    since: float


class Quarantine:
    """Families of queries that took the engine down, refused at once from then on (an LRU of ``size``)."""

    def __init__(self, size: int, settings: ServeSettings) -> None:
        self.size = size
        self.settings = settings
        self._families: OrderedDict[str, Verdict] = OrderedDict()
        self.refused = 0

    def __len__(self) -> int:
        return len(self._families)

    def check(self, plan: QueryPlan) -> None:
        verdict = self._families.get(plan.family)
        if verdict is not None:
            self.refused += 1
            self._families.move_to_end(plan.family)
            when = time.strftime("%H:%M:%S", time.localtime(verdict.since))
            raise self.refusal(verdict, f"a query of this form took the query engine down at {when}; it is refused")

    def add(self, plan: QueryPlan, death: Death) -> Refusal:
        """Quarantine ``plan``'s family; the refusal its own client gets."""
        verdict = Verdict(death.kind, death.detail, time.time())
        self._families[plan.family] = verdict
        self._families.move_to_end(plan.family)
        while len(self._families) > self.size:
            self._families.popitem(last=False)
        log.warning("quarantined a query that took the engine down (%s: %s): %s", death.kind, death.detail,
                    " ".join(plan.text.split())[:300])  # fmt: skip
        return self.refusal(verdict, "the query took the query engine down; queries of this form are refused")

    def refusal(self, verdict: Verdict, what: str) -> Refusal:
        if verdict.kind == "memory":
            limit = self.settings.max_engine_bytes // 2**20
            return refuse(
                "memory_limit",
                f"{what}: it needed more than the engine's memory limit of {limit} MB (--max-engine-mb)",
                "make the query more selective (bind a subject, a region or a year; avoid cross products and "
                "ORDER BY over large results), or ask the operator to raise --max-engine-mb",
            )
        hint = "change the query; if it should work, it is an Oxigraph bug worth reporting"
        if ORDER_BY_PANIC in verdict.detail:
            hint = (
                "Oxigraph cannot ORDER BY a mix of numbers and other values (a known bug): sort by a key that "
                "separates them first, e.g. ORDER BY (isNumeric(?x)) ?x"
            )
        return refuse("engine_crash", f"{what}: the query engine crashed ({verdict.detail})", hint)


@dataclass
class _Started:
    """A query whose answer has begun: what was gathered, and the engine answer still being read."""

    engine: Engine
    converter: Converter
    answer: EngineAnswer
    rows: int  # newlines seen, less the header line
    output: list[bytes] = field(default_factory=list)
    size: int = 0
    pending: bytes = b""  # engine bytes not converted yet
    ended: bool = False  # the engine's answer was read to its end


class Runner:
    """Runs accepted plans on the live store's engines, within the limits; one per gateway."""

    def __init__(self, live: LiveStore, settings: ServeSettings) -> None:
        self.live = live
        self.settings = settings
        self.admission = Admission(settings.max_concurrent, settings.max_queued, settings.timeout_s)
        self.streams = 0  # answers being streamed (each holds a stream slot, not a query slot)
        self.results = ResultCache(settings.cache_bytes, settings.cache_entry_bytes)
        self.quarantine = Quarantine(settings.quarantine_size, settings)
        self.prefixes = turtle_prefixes(settings.base_iri)
        self.retried = 0  # queries run again after their engine died
        self.cut = 0  # streamed answers cut by a limit or an engine's death

    async def run(self, plan: QueryPlan, fmt: Format) -> Response:
        self.quarantine.check(plan)
        cache = self.results if self.results.enabled else None
        if cache is not None:
            cached = cache.get(self.live.snapshot_key, plan.text, fmt.media_type)
            if cached is not None:
                return _whole(cached, "hit")
        await self.admission.acquire()
        try:
            deadline = asyncio.get_running_loop().time() + self.settings.timeout_s
            started = await self._start(plan, fmt, deadline)
            engine = started.engine
            if started.ended:
                self.live.release(engine)
                body = b"".join(started.output)
                answer = CachedAnswer(body, fmt.content_type, started.rows, self.live.generation_of(engine))
                if cache is not None:
                    cache.put(self.live.snapshot_key_of(engine), plan.text, fmt.media_type, answer)
                return _whole(answer, "miss" if cache is not None else None)
            if self.streams >= self.settings.max_streams:
                started.answer.abandon()
                self.live.release(engine)
                raise refuse(
                    "busy",
                    f"the endpoint is busy: {self.streams} long answers are being sent to their clients",
                    "retry in a moment; add LIMIT to get a shorter answer",
                    headers={"Retry-After": "2"},
                )
            self.streams += 1  # a stream waits on its client, not on the engine: it gives its query slot back
            headers = [("content-type", fmt.content_type), ("vary", "Accept"),
                       ("x-kg-generation", str(self.live.generation_of(engine)))]  # fmt: skip
            return Response(200, headers, _Stream(self, plan, started, deadline))
        finally:
            self.admission.release()

    # -- starting, with the engine's deaths ---------------------------------------------------------------------
    async def _start(self, plan: QueryPlan, fmt: Format, deadline: float) -> _Started:
        """The query sent and its answer begun; the engine stays acquired (the caller releases it)."""
        suspect = False
        for attempt in (1, 2):
            engine = await self.live.acquire(probation=suspect, deadline=deadline)
            number = engine.acquired  # read before any await: this query's number on that engine
            try:
                async with asyncio.timeout_at(deadline):
                    return await self._gather(engine, plan, fmt)
            except TimeoutError:
                engine.abandoned = True
                self.live.release(engine)
                self.live.recycle_soon(engine)  # Oxigraph may still be computing it: replace the process
                raise _timeout(self.settings.timeout_s) from None
            except EngineLost as lost:
                death = await self.live.death_of(engine)
                self.live.release(engine)
                ran_at_death = number <= engine.acquired_at_death  # not: given the engine after it had died
                to_blame = death is not None and death.caused_by_a_query and ran_at_death
                if to_blame and death is not None and (suspect or engine.died_alone):
                    raise self.quarantine.add(plan, death) from None
                if attempt == 2:
                    raise _lost(death, lost) from None
                suspect = to_blame
                self.retried += 1
                log.info("running a query again (%s): its engine %s", "on probation" if suspect else "as it was",
                         death.detail if death else lost)  # fmt: skip
            except BaseException:
                self.live.release(engine)
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _gather(self, engine: Engine, plan: QueryPlan, fmt: Format) -> _Started:
        """Send the query and read its answer up to ``stream_after_bytes`` of output (or to its end)."""
        if plan.form == "SELECT":
            accept, header_lines = _SELECT_UPSTREAM, 1
        elif plan.form == "ASK":
            accept, header_lines = _ASK_UPSTREAM, 0
        else:
            accept, header_lines = _GRAPH_UPSTREAM, 0
        answer = await engine.request(
            "POST", "/query", [("content-type", "application/sparql-query"), ("accept", accept)],
            plan.text.encode("utf-8"),
        )  # fmt: skip
        try:
            if answer.status != 200:
                text = b""
                while len(text) <= 65536 and (chunk := await answer.read()) is not None:
                    text += chunk
                raise _rejected(answer.status, text.decode("utf-8", "replace"))
            started = _Started(engine, Converter(plan.form, fmt, self.prefixes), answer, -header_lines)
            while not started.ended and started.size <= self.settings.stream_after_bytes:
                piece = await self._next_piece(plan, started, committed=False)
                started.output.append(piece)
                started.size += len(piece)
            return started
        except BaseException:
            answer.abandon()
            raise

    async def _next_piece(self, plan: QueryPlan, started: _Started, *, committed: bool) -> bytes:
        """The next converted bytes (``started.ended`` once the answer is complete), within the row and size
        limits. Before the answer is committed, pieces are converted only at 64 KiB: small answers in one go."""
        settings = self.settings
        converter = started.converter
        try:
            while True:
                chunk = await started.answer.read()
                if chunk is None:
                    rest, started.pending = started.pending, b""
                    if rest and plan.form != "ASK" and not rest.endswith(b"\n"):
                        raise ConversionError("the answer ends inside a line")
                    out = converter.feed(rest) + converter.finish()
                    started.rows = 1 if plan.form == "ASK" else max(started.rows, 0)
                    started.ended = True
                    return out
                if plan.form != "ASK":
                    started.rows += chunk.count(b"\n")
                    if started.rows > settings.max_rows:
                        raise _too_many_rows(plan, settings.max_rows)
                started.pending += chunk
                if len(started.pending) > settings.max_result_bytes:
                    raise refuse(
                        "too_many_rows",
                        f"the result is larger than {settings.max_result_bytes} bytes",
                        "select fewer or shorter values, or add LIMIT",
                    )
                if plan.form == "ASK" or (len(started.pending) < _PIECE and not committed):
                    continue
                cut = started.pending.rfind(b"\n") + 1
                if cut == 0:
                    continue
                lines, started.pending = started.pending[:cut], started.pending[cut:]
                out = converter.feed(lines)
                if out:
                    return out
        except ConversionError as exc:
            raise _malformed(exc) from None

    # -- streaming ----------------------------------------------------------------------------------------------
    async def next_streamed(self, plan: QueryPlan, started: _Started, deadline: float) -> bytes | None:
        """The next piece of a committed answer (None at its end); a limit or the engine's death cuts it."""
        if started.output:
            return started.output.pop(0)
        if started.ended:
            return None
        engine = started.engine
        try:
            async with asyncio.timeout_at(deadline):
                return await self._next_piece(plan, started, committed=True)
        except TimeoutError:
            engine.abandoned = True
            self.live.recycle_soon(engine)
            raise self._cut(plan, f"the query ran longer than {self.settings.timeout_s:g} s") from None
        except Refusal as refusal:
            raise self._cut(plan, refusal.message) from None
        except EngineLost as lost:
            death = await self.live.death_of(engine)
            if death is not None and death.caused_by_a_query and engine.died_alone:
                self.quarantine.add(plan, death)
            raise self._cut(plan, f"the engine failed ({death.detail if death else lost})") from None

    def end_stream(self, started: _Started) -> None:
        started.answer.abandon()
        self.live.release(started.engine)
        self.streams -= 1

    def _cut(self, plan: QueryPlan, why: str) -> AnswerCut:
        self.cut += 1
        log.warning("streamed answer cut: %s: %s", why, " ".join(plan.text.split())[:200])
        return AnswerCut(why)


class _Stream:
    """The body of a streamed answer; :meth:`aclose` gives its stream slot and engine back, even if never read."""

    def __init__(self, runner: Runner, plan: QueryPlan, started: _Started, deadline: float) -> None:
        self.runner, self.plan, self.started, self.deadline = runner, plan, started, deadline
        self.closed = False

    def __aiter__(self) -> _Stream:
        return self

    async def __anext__(self) -> bytes:
        if self.closed:
            raise StopAsyncIteration
        piece = await self.runner.next_streamed(self.plan, self.started, self.deadline)
        if piece is None:
            raise StopAsyncIteration
        return piece

    async def aclose(self) -> None:
        if not self.closed:
            self.closed = True
            self.runner.end_stream(self.started)


def _whole(answer: CachedAnswer, cache: str | None) -> Response:
    headers = [("content-type", answer.content_type), ("x-kg-generation", str(answer.generation)),
               ("x-kg-rows", str(answer.rows)), ("vary", "Accept")]  # fmt: skip
    if cache is not None:
        headers.append(("x-kg-cache", cache))
    return Response(200, headers, answer.body)


def _too_many_rows(plan: QueryPlan, max_rows: int) -> Refusal:
    what = "triples" if plan.returns_graph else "rows"
    return refuse(
        "too_many_rows",
        f"the result has more than {max_rows} {what}; this endpoint returns at most {max_rows}",
        f"add LIMIT {max_rows} (and OFFSET to page through the rest), or ask the operator to raise --max-rows",
    )


def _timeout(timeout_s: float) -> Refusal:
    return refuse(
        "timeout",
        f"the query ran longer than the {timeout_s:g} s limit and was cancelled",
        "make the query more selective (bind a subject, a region or a year; avoid cross products), add LIMIT, "
        "or ask the operator to raise --timeout",
    )


def _rejected(status: int, text: str) -> Refusal:
    message = " ".join(text.split())[:500] or f"HTTP {status}"
    if 400 <= status < 500:
        return refuse("query_rejected", f"the query engine rejected the query: {message}", "fix the query and retry")
    return refuse(
        "upstream_error", f"the query engine failed (HTTP {status}): {message}", "retry; if it persists, tell the operator"
    )


def _malformed(exc: Exception) -> Refusal:
    return refuse(
        "upstream_error",
        f"the query engine sent an incomplete or malformed answer ({exc})",
        "retry; if it persists, tell the operator",
    )


def _lost(death: Death | None, lost: EngineLost) -> Refusal:
    why = f"the query engine ended twice while running the query ({death.detail})" if death else str(lost)
    return refuse("upstream_error", why, "retry in a moment; if it persists, tell the operator")
