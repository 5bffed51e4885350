"""Repository search queries as the fake GitHub understands them (`/search/repositories?q=`).

Qualifiers honoured: language:, created: (dates or timestamps, ranges with `..`, `>`, `>=`,
`<`, `<=`), stars: (likewise), topic: (repeatable) and fork: (true, only; forks are left out
otherwise, as GitHub does). Free words are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from tests.fakes.git_model import FakeRepo, as_datetime


@dataclass
class SearchQuery:
    """The qualifiers of a repository search the fake understands; free words are ignored."""

    language: str | None = None
    created: tuple[datetime, datetime] | None = None  # inclusive bounds
    stars: tuple[int, int] | None = None
    topics: tuple[str, ...] = ()
    fork: str = "false"  # GitHub leaves forks out unless fork:true or fork:only

    @classmethod
    def parse(cls, q: str) -> SearchQuery:
        query = cls()
        for term in q.split():
            key, _, value = term.partition(":")
            if key == "language":
                query.language = value.lower()
            elif key == "created":
                query.created = _date_range(value)
            elif key == "stars":
                query.stars = _int_range(value)
            elif key == "topic":
                query.topics += (value.lower(),)
            elif key == "fork":
                query.fork = value
        return query

    def matches(self, repo: FakeRepo) -> bool:
        if self.language and (repo.language or "").lower() != self.language:
            return False
        if self.created and not self.created[0] <= repo.created_at <= self.created[1]:
            return False
        if self.stars and not self.stars[0] <= repo.stargazers_count <= self.stars[1]:
            return False
        if any(t not in [x.lower() for x in repo.topics] for t in self.topics):
            return False
        return {"true": True, "only": repo.fork}.get(self.fork, not repo.fork)


def _bound(value: str, *, end: bool) -> datetime:
    if "T" in value:
        return as_datetime(value)
    day = date.fromisoformat(value)
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return moment.replace(hour=23, minute=59, second=59) if end else moment


def _date_range(value: str) -> tuple[datetime, datetime]:
    low, high = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
    if ".." in value:
        start, _, stop = value.partition("..")
        return (low if start == "*" else _bound(start, end=False),
                high if stop == "*" else _bound(stop, end=True))  # fmt: skip
    for op, answer in ((">=", lambda v: (_bound(v, end=False), high)),
                       ("<=", lambda v: (low, _bound(v, end=True))),
                       (">", lambda v: (_bound(v, end=True), high)),
                       ("<", lambda v: (low, _bound(v, end=False)))):  # fmt: skip
        if value.startswith(op):
            return answer(value[len(op) :])
    return _bound(value, end=False), _bound(value, end=True)


def _int_range(value: str) -> tuple[int, int]:
    big = 2**62
    if ".." in value:
        start, _, stop = value.partition("..")
        return (0 if start == "*" else int(start), big if stop == "*" else int(stop))
    for op, answer in ((">=", lambda v: (v, big)), ("<=", lambda v: (0, v)),
                       (">", lambda v: (v + 1, big)), ("<", lambda v: (0, v - 1))):  # fmt: skip
        if value.startswith(op):
            return answer(int(value[len(op) :]))
    return int(value), int(value)
