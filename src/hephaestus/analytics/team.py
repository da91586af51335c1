"""Who knows the code: ownership, knowledge risk, code age and sum of coupling from the history.

Everything here is computed from the commits of the history pass the other analytics read (the
store's commit cache: one row per commit with its author, date, current paths and line counts),
so these measures cost no second ``git log``. Author names are git's ``%aN``: ``.mailmap``
applies. Commits older than the window, commits changing more files than ``large_commit`` and
commits of bots (an author name ending in ``[bot]``, GitHub's convention for apps) are left out
of ownership, knowledge risk and code age; sum of coupling counts every commit of at most
``coupling_max_changeset`` files, as coupling does.

Definitions (code-maat's, Adam Tornhill, https://github.com/adamtornhill/code-maat):

- A file's **share** per author is the author's changed lines (added + deleted) over all
  authors' changed lines (when no line changed, e.g. only binary changes: commits instead).
  The **main developer** has the largest share (ties: the name first in order).
- **Fragmentation** is code-maat's fractal value (``as-entity-fragmentation``, after D'Ambros,
  Gall, Lanza and Pinzger): ``1 - sum over authors of (author's commits / commits)^2``; 0 for
  one author, approaching 1 for many authors of equal part.
- **Sum of coupling** (code-maat's ``soc``): for each file, the sum over the commits that changed
  it of the number of *other* analysed files the commit changed: the log code-maat is given is
  the analysed files' log, as for coupling (:func:`hephaestus.analytics.rank.coupling`).
- **Truck factor** of a directory (Avelino, Passos, Hora and Valente, "A novel approach for
  estimating truck factors", ICPC 2016, greedy variant): take the files below the directory that
  have a main developer; repeatedly remove the author who is main developer of the most files
  still covered (ties: name order) until the removed authors are main developers of more than
  half of those files; the truck factor is the number removed (0 for no such file).
- A month is 30 days, as in the analytics window.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from hephaestus.analytics.churn import iso
from hephaestus.analytics.team_models import (
    AgeBucket,
    AtRisk,
    AuthorShare,
    FileAge,
    Ownership,
    SocRow,
    TruckFactor,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from hephaestus.analytics.churn import Commit

MONTH: Final = 30 * 86400
"""Seconds in a month of the analytics (30 days)."""
AGE_BUCKETS: Final = ((0, 1), (1, 3), (3, 6), (6, 12), (12, 24), (24, None))
"""Code-age buckets, in months: low inclusive, high exclusive (``None``: no bound)."""
ROOT: Final = "."


def is_bot(author: str) -> bool:
    """Return whether ``author`` names a bot: ``dependabot[bot]``, ``renovate[bot]``, …."""
    return author.lower().endswith("[bot]")


def directories(path: str) -> list[str]:
    """Return the directories holding ``path``, innermost first, ending with ``'.'``."""
    parts = path.split("/")[:-1]
    return ["/".join(parts[:k]) for k in range(len(parts), 0, -1)] + [ROOT]


@dataclass(slots=True)
class TeamHistory:
    """The history's people, per file and per directory of the files kept.

    ``changes`` maps a file or directory to author -> [changed lines, commits]; ``last_change``
    a file to its latest change (epoch); ``last_seen`` an author to their latest commit;
    ``soc`` a file to [sum of coupling, commits counted].
    """

    changes: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    last_change: dict[str, int] = field(default_factory=dict)
    last_seen: dict[str, int] = field(default_factory=dict)
    soc: dict[str, list[int]] = field(default_factory=dict)


def _changed_lines(commit: Commit) -> dict[str, int]:
    """Return each distinct path of ``commit`` with its lines added + deleted.

    A path named twice (two old names of one file) counts once, with both entries' lines.
    """
    distinct: dict[str, int] = {}
    for k, path in enumerate(commit.paths):
        added, removed = commit.lines[k] if commit.lines is not None else (0, 0)
        distinct[path] = distinct.get(path, 0) + added + removed
    return distinct


def tally_team(
    commits: Iterable[Commit], *, files: set[str], since: int, large: int, max_changeset: int
) -> TeamHistory:
    """Count ``commits`` (their paths current names) for the paths in ``files``."""
    team = TeamHistory()
    for commit in commits:
        if commit.time < since:
            continue
        distinct = _changed_lines(commit)
        kept = distinct.keys() & files
        if 0 < len(commit.paths) <= max_changeset:  # the size coupling's changesets are cut at
            for path in kept:
                entry = team.soc.setdefault(path, [0, 0])
                entry[0] += len(kept) - 1
                entry[1] += 1
        if is_bot(commit.author):
            continue
        author = commit.author
        team.last_seen[author] = max(team.last_seen.get(author, commit.time), commit.time)
        if len(commit.paths) > large:
            continue
        seen: dict[str, int] = {}
        for path in kept:
            team.last_change[path] = max(team.last_change.get(path, commit.time), commit.time)
            for place in (path, *directories(path)):
                seen[place] = seen.get(place, 0) + distinct[path]
        for place, lines in seen.items():  # each commit counts once per file and directory
            entry = team.changes.setdefault(place, {}).setdefault(author, [0, 0])
            entry[0] += lines
            entry[1] += 1
    return team


def ownership(path: str, authors: dict[str, list[int]]) -> Ownership:
    """Return the ownership of ``path`` from its authors' [changed lines, commits]."""
    lines = sum(n for n, _ in authors.values())
    commits = sum(c for _, c in authors.values())
    weight = {a: (n if lines else c) for a, (n, c) in authors.items()}
    total = lines or commits
    ranked = sorted(authors, key=lambda a: (-weight[a], -authors[a][1], a))
    shares = tuple(
        AuthorShare(
            author=a, lines=authors[a][0], commits=authors[a][1],
            share=round(weight[a] / total, 4) if total else 0.0,
        )
        for a in ranked
    )  # fmt: skip
    fractal = 1 - sum((c / commits) ** 2 for _, c in authors.values()) if commits else 0.0
    return Ownership(
        path=path, lines=lines, commits=commits, main_developer=ranked[0],
        main_share=shares[0].share, fragmentation=round(max(fractal, 0.0), 4), authors=shares,
    )  # fmt: skip


def ownerships(team: TeamHistory, files: Iterable[str]) -> tuple[list[Ownership], list[Ownership]]:
    """Return the ownership of each of ``files`` changed in the window, and of their directories.

    Both lists are sorted by path.
    """
    kept = sorted(p for p in set(files) if p in team.changes)
    places = sorted({d for p in kept for d in directories(p)})
    return (
        [ownership(p, team.changes[p]) for p in kept],
        [ownership(d, team.changes[d]) for d in places],
    )


def truck_factor(mains: Iterable[str]) -> tuple[int, list[str]]:
    """Return the truck factor of files whose main developers are ``mains``, and who was removed.

    Greedy (see the module): remove the author owning the most files until the removed own
    more than half of them.
    """
    counts = Counter(mains)
    total = sum(counts.values())
    covered, removed = 0, []
    for author, owned in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        if covered * 2 > total:
            break
        removed.append(author)
        covered += owned
    return len(removed), removed


def truck_factors(files: list[Ownership], places: list[Ownership]) -> list[TruckFactor]:
    """Return the truck factor of each directory in ``places`` over the owned ``files``."""
    below: dict[str, list[str]] = {}
    for owned in files:
        for holder in directories(owned.path):
            below.setdefault(holder, []).append(owned.main_developer)
    factors = []
    for place in places:
        mains = below.get(place.path, [])
        count, removed = truck_factor(mains)
        factors.append(
            TruckFactor(directory=place.path, files=len(mains), truck_factor=count,
                        authors=tuple(removed))
        )  # fmt: skip
    return factors


def at_risk(owned: list[Ownership], team: TeamHistory, *, now: int, cutoff: int) -> list[AtRisk]:
    """Return those of ``owned`` whose main developer's latest commit is before ``cutoff``."""
    risky = []
    for entry in owned:
        last = team.last_seen[entry.main_developer]
        if last < cutoff:
            risky.append(
                AtRisk(
                    path=entry.path, main_developer=entry.main_developer,
                    main_share=entry.main_share, last_commit=iso(last),
                    inactive_months=max(0, now - last) // MONTH,
                )
            )  # fmt: skip
    return risky


def ages(team: TeamHistory, files: Iterable[str], *, now: int) -> list[FileAge]:
    """Return each file's age: oldest first, files unchanged in the window last (by path)."""
    changed = sorted((team.last_change[p], p) for p in set(files) if p in team.last_change)
    unchanged = sorted(p for p in set(files) if p not in team.last_change)
    return [
        FileAge(path=p, last_change=iso(t), months=max(0, now - t) // MONTH) for t, p in changed
    ] + [FileAge(path=p, last_change=None, months=None) for p in unchanged]


def age_buckets(files: list[FileAge]) -> list[AgeBucket]:
    """Count ``files`` per age bucket (:data:`AGE_BUCKETS`), then those with no change counted."""
    buckets = []
    for low, high in AGE_BUCKETS:
        label = f"{low}-{high} months" if high is not None else f"{low}+ months"
        count = sum(
            1
            for f in files
            if f.months is not None and low <= f.months and (high is None or f.months < high)
        )
        buckets.append(AgeBucket(label=label, low=low, high=high, files=count))
    unchanged = sum(1 for f in files if f.months is None)
    buckets.append(AgeBucket(label="no change counted", low=None, high=None, files=unchanged))
    return buckets


def soc_rows(team: TeamHistory) -> list[SocRow]:
    """Return the sum of coupling per file: highest first, then by path."""
    rows = [SocRow(path=p, soc=s, commits=c) for p, (s, c) in team.soc.items()]
    return sorted(rows, key=lambda row: (-row.soc, row.path))
