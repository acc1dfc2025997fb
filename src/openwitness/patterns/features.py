"""Each officer's features as of a day, from nothing recorded after it, and the labels of the
year that follows.

"As of t" is enforced by construction: every count is over allegations made on or before t, and
every outcome (a finding, a sanction) counts only from the day it was known. Counting uses
sorted keys and binary search, so a snapshot of 33,000 officers takes milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from openwitness.patterns import YEAR
from openwitness.patterns.records import MAX_COACCUSED, UNKNOWN_DAY, AllegationRecords

#: the windows the counts are taken over, in days
WINDOWS = {"90d": 90, "1y": YEAR, "2y": 2 * YEAR, "5y": 5 * YEAR}
#: an officer is in a snapshot's population if they had an allegation in this many days before
ACTIVE_DAYS = 5 * YEAR
#: a value the records do not give (years of service with no start date): the trees learn what
#: it means; NaN would do but a column that is all NaN (a force with no dates) breaks binning
UNKNOWN = -1.0
#: no allegation for longer than this counts as this
LONGEST_GAP = 10 * YEAR


class _Counter:
    """Counts of (officer, day) pairs in day windows, for every officer at once."""

    def __init__(self, officer: NDArray[np.int64], day: NDArray[np.int64]) -> None:
        self.keys = np.sort(officer * (1 << 20) + day)

    def upto(self, n_officers: int, last: int) -> NDArray[np.int64]:
        """How many per officer with day <= last."""
        last = max(last, -1)  # days are never negative (records clip them)
        bounds = np.arange(n_officers, dtype=np.int64) * (1 << 20) + last
        starts = np.arange(n_officers, dtype=np.int64) * (1 << 20) - 1
        return np.searchsorted(self.keys, bounds, "right") - np.searchsorted(
            self.keys, starts, "right"
        )

    def within(self, n_officers: int, t: int, days: int) -> NDArray[np.int64]:
        """How many per officer with t - days < day <= t."""
        return self.upto(n_officers, t) - self.upto(n_officers, t - days)


@dataclass(frozen=True)
class Snapshot:
    """The officers in the population at day ``t``, their features and (when the year after
    is in the data) their labels."""

    t: int
    officers: NDArray[np.int64]  # indices into the records' officer arrays
    names: tuple[str, ...]
    features: NDArray[np.float64]
    any_next_year: NDArray[np.bool_]
    sustained_next_year: NDArray[np.bool_]

    def column(self, name: str) -> NDArray[np.float64]:
        return self.features[:, self.names.index(name)]


class FeatureBuilder:
    """Built once per set of records; :meth:`snapshot` is then cheap for any day."""

    def __init__(self, records: AllegationRecords) -> None:
        self.records = records
        r = records
        self.n = len(r.officer_ids)
        self.all = _Counter(r.officer, r.day)
        pairs = np.unique(np.stack([r.officer, r.complaint, r.day]), axis=1)
        self.complaints = _Counter(pairs[0], pairs[2])
        self.by_group = [
            _Counter(r.officer[r.group == g], r.day[r.group == g]) for g in range(len(r.groups))
        ]
        self.outcome_known = _Counter(r.officer, r.known)
        self.adverse_known = _Counter(r.officer[r.adverse], r.known[r.adverse])
        self.downgraded_known = _Counter(r.officer[r.downgraded], r.known[r.downgraded])
        self.sanctioned_known = _Counter(r.officer[r.sanctioned], r.known[r.sanctioned])
        self.adverse_made = _Counter(r.officer[r.adverse], r.day[r.adverse])
        self._pairs = self._coaccused_pairs(pairs)

    @staticmethod
    def _coaccused_pairs(pairs: NDArray[np.int64]) -> NDArray[np.int64]:
        """(officer, partner, day) for every two officers accused in one complaint, both
        ways; complaints naming more than MAX_COACCUSED officers are left out."""
        officer, complaint, day = pairs
        order = np.argsort(complaint, kind="stable")
        officer, complaint, day = officer[order], complaint[order], day[order]
        starts = np.flatnonzero(np.r_[True, complaint[1:] != complaint[:-1]])
        sizes = np.diff(np.r_[starts, len(complaint)])
        out = []
        for start, size in zip(starts[sizes > 1], sizes[sizes > 1], strict=True):
            if size > MAX_COACCUSED:
                continue
            members = officer[start : start + size]
            a, b = np.meshgrid(members, members)
            keep = a != b
            out.append(np.stack([a[keep], b[keep], np.full(keep.sum(), day[start])]))
        return np.concatenate(out, axis=1) if out else np.zeros((3, 0), np.int64)

    def _last_day(self, t: int) -> NDArray[np.float64]:
        """Days since each officer's last allegation on or before t (LONGEST_GAP if none)."""
        bounds = np.arange(self.n, dtype=np.int64) * (1 << 20) + t
        at = np.searchsorted(self.all.keys, bounds, "right") - 1
        found = self.all.keys[np.clip(at, 0, None)] if len(self.all.keys) else bounds
        same = (at >= 0) & (found >> 20 == np.arange(self.n))
        gap = np.where(same, t - (found & ((1 << 20) - 1)), LONGEST_GAP)
        return np.minimum(gap, LONGEST_GAP).astype(np.float64)

    def partners_of(self, officer: int, t: int) -> list[tuple[int, int]]:
        """(partner, complaints together) for the officers accused with ``officer`` in two or
        more complaints in the 5 years to t, most shared first (for a flag's words)."""
        a, b, day = self._pairs
        mine = (a == officer) & (day <= t) & (day > t - 5 * YEAR)
        partners, together = np.unique(b[mine], return_counts=True)
        keep = together >= 2
        order = np.argsort(-together[keep], kind="stable")
        return [(int(p), int(c)) for p, c in zip(partners[keep][order], together[keep][order],
                                                  strict=True)]  # fmt: skip

    def _network(
        self, t: int, adverse_5y: NDArray[np.int64], n_1y: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Partners accused with each officer in >= 2 complaints over 5 years, and what is known
        of those partners at t: their proven allegations and their count in the last year."""
        a, b, day = self._pairs
        window = (day <= t) & (day > t - 5 * YEAR)
        key, counts = np.unique(a[window] * self.n + b[window], return_counts=True)
        strong = key[counts >= 2]
        officer, partner = strong // self.n, strong % self.n
        partners = np.bincount(officer, minlength=self.n).astype(np.float64)
        partner_adverse = np.bincount(officer, adverse_5y[partner], self.n).astype(np.float64)
        partner_recent = np.zeros(self.n)
        np.maximum.at(partner_recent, officer, n_1y[partner].astype(np.float64))
        return partners, partner_adverse, partner_recent

    def serving(self, t: int) -> NDArray[np.bool_]:
        """Officers who had not left by t (where the records give a leaving date)."""
        to = self.records.employed_to
        return np.asarray((to == UNKNOWN_DAY) | (to > t))

    def years_of_service(self, t: int) -> NDArray[np.float64]:
        """Years from each officer's start to t (UNKNOWN with no start, or one after t)."""
        start = self.records.employed_from
        return np.where((start != UNKNOWN_DAY) & (start <= t), (t - start) / YEAR, UNKNOWN)

    def rank_in_force(
        self, values: NDArray[np.float64], eligible: NDArray[np.bool_]
    ) -> NDArray[np.float64]:
        """Per officer: the percentage of the eligible officers of the same force with a lower
        value (so equal values share a percentile and "more than X%" is true as said);
        UNKNOWN for the ineligible."""
        out = np.full(self.n, UNKNOWN)
        for force in range(len(self.records.forces)):
            members = np.flatnonzero(eligible & (self.records.force == force))
            if len(members):
                ordered = np.sort(values[members])
                lower = np.searchsorted(ordered, values[members], "left")
                out[members] = 100.0 * lower / len(members)
        return out

    def peer_percentile(
        self, t: int, counts_5y: NDArray[np.int64], years: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """CPDP's method: allegations per year of service (over the last 5 years), ranked
        against the officers of the same force serving at t; officers with under a year's
        service, or no known start, have none (UNKNOWN)."""
        rate = counts_5y / np.clip(np.minimum(years, 5.0), 1.0, None)
        return self.rank_in_force(rate, (years >= 1.0) & self.serving(t))

    def snapshot(self, t: int) -> Snapshot:
        """Features as of day t of the officers with an allegation in the 5 years before it
        who had not left by then."""
        r, n = self.records, self.n
        counts = {w: self.all.within(n, t, d) for w, d in WINDOWS.items()}
        made = counts["5y"] + self.all.upto(n, t - 5 * YEAR)
        known = self.outcome_known.upto(n, t)
        adverse_5y = self.adverse_known.within(n, t, 5 * YEAR)
        years = self.years_of_service(t)
        partners, partner_adverse, partner_recent = self._network(t, adverse_5y, counts["1y"])
        columns: dict[str, NDArray[np.float64]] = {
            **{f"allegations_{w}": c.astype(np.float64) for w, c in counts.items()},
            "allegations_all": made.astype(np.float64),
            "complaints_1y": self.complaints.within(n, t, YEAR).astype(np.float64),
            "complaints_5y": self.complaints.within(n, t, 5 * YEAR).astype(np.float64),
            **{
                f"{group}_5y": counter.within(n, t, 5 * YEAR).astype(np.float64)
                for group, counter in zip(r.groups, self.by_group, strict=True)
            },
            "proven_known_5y": adverse_5y.astype(np.float64),
            "proven_known_all": self.adverse_known.upto(n, t).astype(np.float64),
            "downgraded_known_5y": self.downgraded_known.within(n, t, 5 * YEAR).astype(float),
            "sanctioned_known_5y": self.sanctioned_known.within(n, t, 5 * YEAR).astype(float),
            "unresolved": (made - known).astype(np.float64),
            "days_since_last": self._last_day(t),
            "acceleration": (2 * counts["1y"] - counts["2y"]).astype(np.float64),
            "years_of_service": years,
            "peer_percentile": self.peer_percentile(t, counts["5y"], years),
            "coaccused_partners": partners,
            "partners_proven_5y": partner_adverse,
            "partners_max_1y": partner_recent,
        }
        population = np.flatnonzero((counts["5y"] > 0) & self.serving(t))
        any_next = self.all.within(n, t + YEAR, YEAR) > 0
        sustained_next = self.adverse_made.within(n, t + YEAR, YEAR) > 0
        names = tuple(columns)
        matrix = np.column_stack([columns[name][population] for name in names])
        return Snapshot(
            t, population, names, matrix, any_next[population], sustained_next[population]
        )
