"""Each worker's in-memory index of the picker's repositories, fresh with the rule snapshot.

Why: the picker's search used to run two SQL queries per keystroke (a ``COUNT`` and a page)
joining repositories, spaces, integrations and bindings, with ``LIKE '%text%'``, which no
B-tree index serves: every search scanned the catalogue inside the database, and under
gunicorn it ran at 6% of a trivial endpoint's requests per second. Both SQLite and
PostgreSQL are served the same way here, so there is no second code path (``pg_trgm``
would have needed one for SQLite and a migration that needs the extension's privileges).

What it holds, in two layers so that each is rebuilt only when its own data moves:

- the catalogue: every repository in the database's own order (``ORDER BY name, id``, so
  the order is the database collation's, as before), with lower-cased names joined into one
  string. Re-read only when the catalogue counter (row 2 of ``mirror_rule_generation``,
  bumped by triggers on repository writes, on SQLite on space writes: migration
  0010) moved;
- the visibility facts: integrations, spaces and their bindings, re-read whenever the rule
  snapshot (:mod:`mirror_plugin.services.rulecache`) is a new one. That snapshot decides freshness
  for both: a commit in this worker makes the very next request re-check the counter; a
  commit elsewhere is seen within ``MIRROR_RULE_REFRESH_SECONDS``, exactly like a
  revocation for ``check_image``.

Per (workspace, tab) a *view* is made on first use: the visible rows and their names joined
by NUL into one string. A search counts and pages its matches with one C-speed regular
expression scan of that string, or, when the query's rarest trigram is in at most a quarter
of the view's rows, walks those rows (a trigram's rows are found by one scan of the whole
catalogue the first time a query needs them, then kept). Views and trigram rows are dropped
with the layer they came from and capped in number.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from mirror_plugin.models import Binding, Integration, Repository, RuleGeneration, Scope, Space
from mirror_plugin.services.catalogue import visible_in_memory
from mirror_plugin.state import mirror_state

#: Row of ``mirror_rule_generation`` counting repository writes (migration 0010).
CATALOGUE_ROW = 2
#: Views kept per worker; beyond it the oldest is dropped (one per workspace and tab in use).
MAX_VIEWS = 512
#: Trigrams whose rows are kept per catalogue; beyond it they are found again on demand.
MAX_POSTINGS = 8192
#: Likewise per view (each holds only its scope's share of a trigram's rows).
MAX_VIEW_POSTINGS = 256
EXTRAS_KEY = "picker_index"
_SEPARATOR = "\0"  # PostgreSQL cannot store it in a name; SQLite names with it are scanned


@dataclass(frozen=True, slots=True)
class IndexedRegistry:
    """What the picker shows of an integration (the attributes the JSON reads)."""

    id: int
    name: str
    kind: str
    registry_host: str
    scope: str
    workspace_id: str
    health: str
    last_error: str | None
    last_synced_at: datetime | None

    @property
    def is_platform(self) -> bool:
        """As :attr:`Integration.is_platform`: the rule's labels read either."""
        return self.scope == Scope.PLATFORM.value


@dataclass(frozen=True, slots=True)
class IndexedSpace:
    id: int
    name: str
    public: bool
    registry: IndexedRegistry
    bound: frozenset[str]


@dataclass(frozen=True, slots=True)
class IndexedRepository:
    name: str
    artifact_count: int | None
    space: IndexedSpace


@dataclass(slots=True)
class _Joined:
    """Lower-cased names joined by NUL into one string, so a substring is found at C speed."""

    names: list[str]
    text: str
    starts: list[int]  # where each name begins in ``text``
    plain: bool  # no name holds the separator, so ``text`` can be scanned

    @classmethod
    def of(cls, names: list[str]) -> _Joined:
        starts, offset = [], 1
        for name in names:
            starts.append(offset)
            offset += len(name) + 1
        text = _SEPARATOR + _SEPARATOR.join(names) + _SEPARATOR
        return cls(names, text, starts, all(_SEPARATOR not in n for n in names))

    def _pattern(self, text: str) -> re.Pattern[str] | None:
        # The rest of the name is consumed so a name holding the text twice counts once; the
        # empty group makes findall return shared empty strings instead of copying names.
        if not self.plain or _SEPARATOR in text:
            return None
        return re.compile(re.escape(text) + "[^\0]*()")

    def count(self, text: str) -> int:
        """How many names contain ``text``."""
        pattern = self._pattern(text)
        if pattern is None:
            return sum(1 for name in self.names if text in name)
        return len(pattern.findall(self.text))

    def positions(self, text: str) -> Iterator[int]:
        """The indexes of the names that contain ``text``, in order, lazily."""
        pattern = self._pattern(text)
        if pattern is None:
            yield from (i for i, name in enumerate(self.names) if text in name)
            return
        starts = self.starts
        for match in pattern.finditer(self.text):
            yield bisect.bisect_right(starts, match.start()) - 1


class _Catalogue:
    """Repositories in the database's order, lower-cased, and the rows of each trigram
    asked for so far (found by one scan of the joined names, then kept)."""

    def __init__(self, generation: int | None, rows: Iterable[Any]) -> None:
        self.generation = generation
        #: (id, name, space id, artifact count) per row.
        self.rows: list[tuple[int, str, int, int | None]] = [tuple(row) for row in rows]
        self.lowered = [name.lower() for _, name, _, _ in self.rows]
        self.space_ids = [space_id for _, _, space_id, _ in self.rows]
        self.joined = _Joined.of(self.lowered)
        self.postings: dict[str, list[int]] = {}

    def rarest(self, text: str) -> str | None:
        """The trigram of ``text`` in the fewest rows, or None when ``text`` is shorter."""
        if len(text) < 3:
            return None
        return min(
            (text[i : i + 3] for i in range(len(text) - 2)), key=lambda g: len(self.posting(g))
        )

    def posting(self, gram: str) -> list[int]:
        """The rows holding ``gram``, in order (one scan of every name the first time)."""
        found = self.postings.get(gram)
        if found is None:
            if len(self.postings) >= MAX_POSTINGS:
                self.postings.clear()
            found = self.postings[gram] = list(self.joined.positions(gram))
        return found


@dataclass(slots=True)
class _View:
    """One scope: its rows (positions in the catalogue), their spaces and joined names, and
    the rows of each trigram asked for so far (the catalogue's, kept to this scope)."""

    rows: list[int]
    spaces: frozenset[int]
    joined: _Joined
    postings: dict[str, list[int]] = field(default_factory=dict)

    def posting(self, catalogue: _Catalogue, gram: str) -> list[int]:
        found = self.postings.get(gram)
        if found is None:
            if len(self.postings) >= MAX_VIEW_POSTINGS:
                self.postings.clear()
            shown, space_of = self.spaces, catalogue.space_ids
            found = [p for p in catalogue.posting(gram) if space_of[p] in shown]
            self.postings[gram] = found
        return found


class _Facts:
    """Spaces (with their registry and bindings) at one rule snapshot, and the views made."""

    def __init__(self, connection: Any, catalogue: _Catalogue) -> None:
        registries = {
            row.id: IndexedRegistry(
                row.id,
                row.name,
                row.kind,
                row.registry_host,
                row.scope,
                row.workspace_id,
                row.health,
                row.last_error,
                row.last_synced_at,
            )
            for row in connection.execute(
                select(
                    Integration.id,
                    Integration.name,
                    Integration.kind,
                    Integration.registry_host,
                    Integration.scope,
                    Integration.workspace_id,
                    Integration.health,
                    Integration.last_error,
                    Integration.last_synced_at,
                )
            )
        }
        bound: dict[int, set[str]] = {}
        for space_id, workspace_id in connection.execute(
            select(Binding.space_id, Binding.workspace_id)
        ):
            bound.setdefault(space_id, set()).add(workspace_id)
        # A space whose integration came after that read (a write in between) is left out
        # until the next snapshot, as are repositories whose space is not here.
        self.spaces = {
            space_id: IndexedSpace(
                space_id,
                name,
                bool(public),
                registries[integration_id],
                frozenset(bound.get(space_id, ())),
            )
            for space_id, integration_id, name, public in connection.execute(
                select(Space.id, Space.integration_id, Space.name, Space.public)
            )
            if integration_id in registries
        }
        self.catalogue = catalogue
        self.views: dict[tuple[str | None, str | None, int | None], _View] = {}

    def view(self, workspace_id: str | None, tab: str | None, space_id: int | None) -> _View:
        key = (workspace_id, tab, space_id)
        found = self.views.get(key)
        if found is None:
            shown = {
                space.id
                for space in self.spaces.values()
                if (space_id is None or space.id == space_id)
                and visible_in_memory(space, workspace_id, tab)
            }
            rows = [p for p, space in enumerate(self.catalogue.space_ids) if space in shown]
            lowered = self.catalogue.lowered
            found = _View(rows, frozenset(shown), _Joined.of([lowered[p] for p in rows]))
            if len(self.views) >= MAX_VIEWS:
                self.views.pop(next(iter(self.views)), None)
            self.views[key] = found
        return found


#: The trigram's rows are walked one by one only when they are this share of the view or
#: less; otherwise scanning the view's joined names at C speed is cheaper.
POSTINGS_SHARE = 4


def _matches(catalogue: _Catalogue, view: _View, text: str) -> tuple[int, Iterable[int]]:
    """(how many rows of ``view`` contain ``text``, their catalogue positions in order)."""
    if not text:
        return len(view.rows), view.rows
    gram = catalogue.rarest(text)
    if gram is not None:
        candidates = view.posting(catalogue, gram)
        if len(text) == 3:  # the trigram is the text: its rows are the answer
            return len(candidates), candidates
        if len(candidates) * POSTINGS_SHARE <= len(view.rows):
            lowered = catalogue.lowered
            found = [p for p in candidates if text in lowered[p]]
            return len(found), found
    rows = view.rows
    return view.joined.count(text), (rows[i] for i in view.joined.positions(text))


class SearchIndex:
    """One per app (in ``app.extensions``): the current facts and catalogue, reloaded lazily."""

    def __init__(self) -> None:
        self._snapshot: object = None
        self._facts: _Facts | None = None
        self._catalogue: _Catalogue | None = None
        self._lock = threading.Lock()

    def facts(self) -> _Facts:
        """The facts for the current rule snapshot (may raise what ``RuleCache.facts`` does)."""
        state = mirror_state()
        snapshot = state.rules.facts(state.db, state.host)
        facts = self._facts
        if facts is not None and snapshot is self._snapshot:
            return facts
        with self._lock:
            if self._facts is None or snapshot is not self._snapshot:
                self._facts = self._load(state.db.engine)
                self._snapshot = snapshot
            return self._facts

    def _load(self, engine: Engine) -> _Facts:
        with engine.connect() as connection:
            # The counter is read before the rows: a write in between makes the rows newer
            # than the counter says, and the next move re-reads them; never older.
            generation = connection.scalar(
                select(RuleGeneration.value).where(RuleGeneration.id == CATALOGUE_ROW)
            )
            catalogue = self._catalogue
            if catalogue is None or generation is None or catalogue.generation != generation:
                rows = connection.execute(
                    select(
                        Repository.id,
                        Repository.name,
                        Repository.space_id,
                        Repository.artifact_count,
                    ).order_by(Repository.name, Repository.id)
                )
                catalogue = _Catalogue(generation, rows)
                self._catalogue = catalogue
            return _Facts(connection, catalogue)

    def space(self, workspace_id: str | None, space_id: int | None) -> IndexedSpace | None:
        """The space if ``workspace_id``'s namespaces may see it (any tab), else None."""
        space = self.facts().spaces.get(space_id) if space_id is not None else None
        if space is None or not visible_in_memory(space, workspace_id, None):
            return None
        return space

    def search(
        self,
        workspace_id: str | None,
        text: str,
        *,
        tab: str | None = None,
        space_id: int | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> tuple[int, list[IndexedRepository]]:
        """(total, one page) of visible repositories whose name contains ``text`` (any case),
        in the database's ``name, id`` order; ``space_id`` keeps one space's only."""
        facts = self.facts()
        view = facts.view(workspace_id, tab, space_id)
        total, positions = _matches(facts.catalogue, view, text.lower())
        page: list[IndexedRepository] = []
        for number, position in enumerate(positions):
            if number >= offset + limit:
                break
            if number >= offset:
                _, name, space_id, count = facts.catalogue.rows[position]
                page.append(IndexedRepository(name, count, facts.spaces[space_id]))
        return total, page


def index() -> SearchIndex:
    """This app's index, made on first use."""
    extras = mirror_state().extras
    found = extras.get(EXTRAS_KEY)
    if found is None:
        found = extras.setdefault(EXTRAS_KEY, SearchIndex())
    return found  # type: ignore[no-any-return]
