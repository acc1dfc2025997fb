"""Early warning in the product: models trained and stored with their evaluation, and every
officer scored again whenever the allegations change.

A model is trained deliberately (``witness patterns train``) and kept, versioned, in one row
with the rolling evaluation run at the same time on the same records, so every flag names the
model and the figures it was judged by. Scoring is cheap and follows the records: a run is
tied to the records' *generation* (allegation and officer counts and the newest change in the
append-only history), and a read that finds the generation moved scores everyone again first.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, insert, select

from openwitness import __version__
from openwitness.core.clock import as_utc, now, today
from openwitness.core.errors import InvalidRequestError, NotFoundError, OpenWitnessError
from openwitness.core.files import write_atomically
from openwitness.patterns import EPOCH, YEAR, check_label
from openwitness.storage.db import Database
from openwitness.storage.models import (
    Allegation,
    ChangeRecord,
    Officer,
    PatternModel,
    PatternRun,
    PatternScore,
)

if TYPE_CHECKING:  # the modelling libraries load when a model is used, not with every command
    from openwitness.patterns.model import CalibratedModel
    from openwitness.patterns.records import AllegationRecords


def _sklearn() -> str:
    return version("scikit-learn")


class ModelUnusableError(OpenWitnessError):
    """A stored model cannot be read back here; training again makes a new version."""


def records_generation(conn: Connection) -> str:
    """Changes whenever an allegation or officer is added, changed, merged or removed: every
    change writes a history row, and the counts catch removals."""
    row = conn.execute(
        select(
            select(func.count(Allegation.id)).scalar_subquery(),
            select(func.max(Allegation.id)).scalar_subquery(),
            select(func.count(Officer.id)).scalar_subquery(),
            select(func.max(ChangeRecord.id)).scalar_subquery(),
        )
    ).one()
    return ".".join(str(value or 0) for value in row)


def _run_key(conn: Connection) -> str:
    """What a kept run is valid for: the records as they are, on this day (a day later every
    window has moved, even with nothing new)."""
    return f"{today().isoformat()}:{records_generation(conn)}"


def as_of_day(records: AllegationRecords, on: date) -> int:
    """The day flags are computed as of: today, unless the records ended over a year ago (a
    historical release), when it is the end of the last year they really cover (a release's
    last months are often barely entered: CPDP's ends in 2018 but covers to 2016), so a closed
    data set is not read as a force whose officers all stopped getting complaints."""
    from openwitness.patterns.evaluate import covered_years

    t = (on - EPOCH).days
    if records.last_day >= t - YEAR:
        return t
    last_covered = (date(covered_years(records)[1], 12, 31) - EPOCH).days
    return min(records.last_day, last_covered)


@dataclass(frozen=True)
class ModelInfo:
    id: int
    label: str
    trained_at: datetime
    trained_by: str
    records_to: date
    seed: int
    software: dict[str, Any]
    features: list[str]
    evaluation: dict[str, Any]
    sha256: str

    def to_dict(self, full: bool = False) -> dict[str, Any]:
        """The model's version and its evaluation: pooled figures, or ``full`` with every
        year's."""
        evaluation = self.evaluation if full else {"rules": self.evaluation.get("rules", {})}
        return {
            "id": self.id, "label": self.label, "trained_at": self.trained_at.isoformat(),
            "trained_by": self.trained_by, "records_to": self.records_to.isoformat(),
            "seed": self.seed, "software": self.software, "model_sha256": self.sha256,
            "features": self.features, "evaluation": evaluation,
        }  # fmt: skip


@dataclass(frozen=True)
class StoredFlag:
    officer_id: int
    force: str
    rank: int
    score: float
    percentiles: dict[str, Any]
    facts: list[dict[str, Any]]

    def to_dict(self, de_identified: bool = False) -> dict[str, Any]:
        """The flag as people and tools see it. De-identified (for analysts): no officer, and
        the co-accusal fact without the partners' names, in the general words."""
        from openwitness.patterns.explain import describe

        answer: dict[str, Any] = {
            "rank": self.rank, "score": self.score, "force": self.force,
            "percentiles": self.percentiles,
        }  # fmt: skip
        if de_identified:
            answer["facts"] = [
                {**{k: v for k, v in fact.items() if k != "partners"},
                 "words": describe(fact["feature"], fact["value"])}
                for fact in self.facts
            ]  # fmt: skip
            return answer
        return {"officer": self.officer_id, **answer, "facts": self.facts}


@dataclass(frozen=True)
class Run:
    id: int
    model: ModelInfo
    as_of: date
    computed_at: datetime
    population: int
    flags: list[StoredFlag]


@dataclass(frozen=True)
class Standing:
    """One officer in the current run: percentiles always, the flag when there is one."""

    officer_id: int
    label: str
    as_of: date
    percentiles: dict[str, Any]
    flag: StoredFlag | None
    #: how many officers the run flags
    flagged: int


def _info(row: Any) -> ModelInfo:
    return ModelInfo(
        row.id, row.label, as_utc(row.trained_at) or row.trained_at, row.trained_by,
        row.records_to, row.seed, row.software, list(row.features), row.evaluation,
        row.model_sha256,
    )  # fmt: skip


def _flag(row: Any) -> StoredFlag:
    """A flagged ``pattern_score`` row with the officer's ``force_id``."""
    return StoredFlag(
        row.officer_id, row.force_id, row.flag_rank, row.score, row.percentiles, row.facts or []
    )


_INFO_COLUMNS = [c for c in PatternModel.__table__.c if c.name != "model"]


class EarlyWarning:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._models: dict[int, CalibratedModel] = {}
        self._lock = threading.Lock()  # one scoring at a time in this process

    # models ---------------------------------------------------------------------------------

    def train(
        self,
        label: str,
        actor: str,
        seed: int = 0,
        progress: Callable[[str], None] = lambda _: None,
    ) -> ModelInfo:
        """Run the rolling evaluation, train the model on every year whose outcome is known,
        and keep both as one new version."""
        from openwitness.patterns.evaluate import evaluate
        from openwitness.patterns.features import FeatureBuilder
        from openwitness.patterns.flags import train
        from openwitness.patterns.records import load_records

        check_label(label)
        with self.db.read() as conn:
            generation = records_generation(conn)
        progress("reading the allegations…")
        records = load_records(self.db)
        if not len(records.day):
            raise InvalidRequestError(
                "there are no allegations against named officers to learn from"
            )
        progress(f"{len(records.day):,} allegations; the rolling evaluation, a model per year…")
        # a figure that could not be computed (NaN: no hits to compare in a bootstrap sample)
        # is kept as null, which JSON, PostgreSQL and the API's answers all take
        evaluation = json.loads(
            json.dumps(evaluate(records, label, seed).to_dict()), parse_constant=lambda _: None
        )
        progress("training the model on every year whose outcome is known…")
        model = train(FeatureBuilder(records), label, records.last_day, seed)
        blob = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        with self.db.write() as conn:
            model_id = conn.execute(
                insert(PatternModel).values(
                    label=label, trained_at=now(), trained_by=actor,
                    records_to=EPOCH + timedelta(days=records.last_day),
                    records_generation=generation, seed=seed,
                    software={"openwitness": __version__, "scikit-learn": _sklearn()},
                    features=list(model.names), evaluation=evaluation, model=blob,
                    model_sha256=hashlib.sha256(blob).hexdigest(),
                ).returning(PatternModel.id)
            ).scalar_one()  # fmt: skip
        self._models[model_id] = model
        return self.model_info(model_id)

    def models(self) -> list[ModelInfo]:
        """Every version, newest first."""
        with self.db.read() as conn:
            rows = conn.execute(select(*_INFO_COLUMNS).order_by(PatternModel.id.desc())).all()
        return [_info(row) for row in rows]

    def model_info(self, model_id: int) -> ModelInfo:
        with self.db.read() as conn:
            row = conn.execute(select(*_INFO_COLUMNS).where(PatternModel.id == model_id)).first()
        if row is None:
            raise NotFoundError(f"there is no early-warning model {model_id}")
        return _info(row)

    def export(self, model_id: int, folder: Path) -> tuple[Path, Path]:
        """Write a version as two files anyone can publish together: the model as saved
        (``openwitness-model-N.pkl``) and its description with the evaluation and the model
        file's SHA-256 (``openwitness-model-N.json``)."""
        info = self.model_info(model_id)
        blob = self._model_bytes(info)
        folder.mkdir(parents=True, exist_ok=True)
        model_path = folder / f"openwitness-model-{model_id}.pkl"
        described = folder / f"openwitness-model-{model_id}.json"
        write_atomically(model_path, blob)
        write_atomically(described, json.dumps(info.to_dict(full=True), indent=2) + "\n")
        return model_path, described

    def _model_bytes(self, info: ModelInfo) -> bytes:
        """The model as saved, refused unless it still matches its recorded SHA-256."""
        with self.db.read() as conn:
            blob: bytes = conn.execute(
                select(PatternModel.model).where(PatternModel.id == info.id)
            ).scalar_one()
        if hashlib.sha256(blob).hexdigest() != info.sha256:
            raise ModelUnusableError(
                f"early-warning model {info.id} does not match its recorded SHA-256 (damaged or "
                "altered): train it again with 'witness patterns train'"
            )
        return blob

    def _latest(self, label: str) -> ModelInfo | None:
        check_label(label)
        with self.db.read() as conn:
            row = conn.execute(
                select(*_INFO_COLUMNS).where(PatternModel.label == label)
                .order_by(PatternModel.id.desc()).limit(1)
            ).first()  # fmt: skip
        return _info(row) if row else None

    def _load(self, info: ModelInfo) -> CalibratedModel:
        if info.id in self._models:
            return self._models[info.id]
        if info.software.get("scikit-learn") != _sklearn():
            raise ModelUnusableError(
                f"early-warning model {info.id} was trained with scikit-learn "
                f"{info.software.get('scikit-learn')} and this is {_sklearn()}: train "
                "it again with 'witness patterns train'"
            )
        blob = self._model_bytes(info)
        # pickle is how scikit-learn models are saved; these bytes were written by `train`
        # into the database and match the digest recorded with them
        from openwitness.patterns.model import CalibratedModel

        model = pickle.loads(blob)  # noqa: S301
        if not isinstance(model, CalibratedModel):
            raise ModelUnusableError(f"early-warning model {info.id} is not a model")
        self._models[info.id] = model
        return model

    # runs -----------------------------------------------------------------------------------

    def current(self, label: str = "sustained") -> Run | None:
        """The latest model's run on the records as they are now (scored first if they
        changed since); None when no model has been trained for this label."""
        info = self._latest(label)
        if info is None:
            return None
        with self.db.read() as conn:
            run_id = self._run_for(conn, info.id, _run_key(conn))
        if run_id is None:
            with self._lock:
                with self.db.read() as conn:
                    run_id = self._run_for(conn, info.id, _run_key(conn))
                if run_id is None:
                    run_id = self._score(info)
        return self._read_run(run_id, info)

    @staticmethod
    def _run_for(conn: Connection, model_id: int, generation: str) -> int | None:
        return conn.execute(
            select(PatternRun.id).where(
                PatternRun.model_id == model_id, PatternRun.records_generation == generation
            ).order_by(PatternRun.id.desc()).limit(1)
        ).scalar()  # fmt: skip

    def _score(self, info: ModelInfo) -> int:
        """Score every officer as the records stand now and keep it as the model's run."""
        from openwitness.patterns.features import FeatureBuilder
        from openwitness.patterns.flags import fact_dict, score
        from openwitness.patterns.percentiles import officer_percentiles
        from openwitness.patterns.records import load_records

        model = self._load(info)
        with self.db.read() as conn:
            generation = _run_key(conn)
        records = load_records(self.db)
        builder = FeatureBuilder(records)
        t = as_of_day(records, today())
        snapshot = builder.snapshot(t)
        flags = score(model, builder, snapshot)
        ranks = {flag.officer_id: (rank, flag) for rank, flag in enumerate(flags, 1)}
        percentiles = officer_percentiles(builder, t)
        rows = []
        for i, officer_id in enumerate(records.officer_ids.tolist()):
            rank, flag = ranks.get(officer_id, (None, None))
            rows.append({
                "officer_id": officer_id, "percentiles": percentiles[i], "flag_rank": rank,
                "score": round(flag.score, 4) if flag else None,
                "facts": [fact_dict(fact) for fact in flag.facts] if flag else None,
            })  # fmt: skip
        with self.db.write() as conn:
            run_id = conn.execute(
                insert(PatternRun).values(
                    model_id=info.id, records_generation=generation,
                    as_of=EPOCH + timedelta(days=t), computed_at=now(),
                    population=len(snapshot.officers), flagged=len(flags),
                ).returning(PatternRun.id)
            ).scalar_one()  # fmt: skip
            if rows:
                conn.execute(insert(PatternScore), [{"run_id": run_id, **row} for row in rows])
            # the model's earlier runs go (after the new one is in, so ids never repeat)
            old = select(PatternRun.id).where(
                PatternRun.model_id == info.id, PatternRun.id != run_id
            )
            conn.execute(delete(PatternScore).where(PatternScore.run_id.in_(old)))
            conn.execute(delete(PatternRun).where(PatternRun.id.in_(old)))
        return int(run_id)

    def _read_run(self, run_id: int, info: ModelInfo) -> Run:
        with self.db.read() as conn:
            run = conn.execute(select(PatternRun).where(PatternRun.id == run_id)).one()
            flagged = conn.execute(
                select(PatternScore, Officer.force_id)
                .join(Officer, Officer.id == PatternScore.officer_id)
                .where(PatternScore.run_id == run_id, PatternScore.flag_rank.is_not(None))
                .order_by(PatternScore.flag_rank)
            ).all()
        return Run(
            run.id, info, run.as_of, as_utc(run.computed_at) or run.computed_at, run.population,
            [_flag(r) for r in flagged],
        )  # fmt: skip

    def standing(self, officer_id: int, label: str = "sustained") -> Standing | None:
        """The officer's percentiles and flag in the current run (None before any model)."""
        run = self.current(label)
        if run is None:
            return None
        with self.db.read() as conn:
            row = conn.execute(
                select(PatternScore, Officer.force_id)
                .join(Officer, Officer.id == PatternScore.officer_id)
                .where(PatternScore.run_id == run.id, PatternScore.officer_id == officer_id)
            ).first()
        if row is None:  # merged into another record, or not an officer
            return None
        flag = _flag(row) if row.flag_rank is not None else None
        return Standing(officer_id, label, run.as_of, row.percentiles, flag, len(run.flags))
