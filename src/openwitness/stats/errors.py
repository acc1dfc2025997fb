"""One error type per failure, each with words a person can act on."""

from __future__ import annotations

from openwitness.core.errors import InvalidRequestError, OpenWitnessError


class StatsInputError(OpenWitnessError):
    """A file that cannot be imported: names the file, and the line and field where known."""

    def __init__(
        self, file: str, problem: str, line: int | None = None, field: str | None = None
    ) -> None:
        self.file, self.problem, self.line, self.field = file, problem, line, field
        where = file + (f", line {line}" if line is not None else "")
        where += f", field '{field}'" if field else ""
        super().__init__(f"{where}: {problem}")


class UnknownPeriodError(InvalidRequestError):
    """A request for statistics that cannot be answered as asked (bad force, month or range)."""
