"""Reports from the public: a case made without an account, followed up with a secret token.

A report's evidence has already gone through the vault and the public log (``POST
/api/v1/evidence``); the report's receipt gathers every item's own tlog-proof receipt, so the
person can keep one file that proves what they lodged and when.
"""

from __future__ import annotations

from typing import Any

from openwitness.cases.complaints import Case, Cases, NewCase
from openwitness.core.clock import iso
from openwitness.evidence.custody import Entitlement
from openwitness.evidence.service import Vault
from openwitness.ledger.store import TransparencyLog

RECEIPT_TYPE = "openwitness report receipt v1"


class Reports:
    def __init__(
        self, cases: Cases, vault: Vault, log: TransparencyLog, intake_organisation: str | None
    ) -> None:
        self.cases = cases
        self.vault = vault
        self.log = log
        self.intake_organisation = intake_organisation

    def submit(self, new: NewCase, claims: tuple[str, ...]) -> tuple[Case, str, dict[str, Any]]:
        """Record a report; returns the case, its follow-up token (shown once) and receipt.

        Each item must be the reporter's own upload, proven by the claim its upload answered
        with: a hash alone is public. The report goes to the installation's intake
        organisation, or, without one, to admins to assign (``witness case assign``)."""
        actor = f"public:{new.reporter_kind}"
        who = Entitlement(None, privileged=False, claims=claims)
        case, token = self.cases.add(new, actor, self.intake_organisation, who, follow_up=True)
        assert token is not None
        return case, token, self.receipt(case)

    def receipt(self, case: Case) -> dict[str, Any]:
        """Every lodged item's receipt against the latest checkpoint, in one document."""
        items = []
        for sha256 in case.incident.evidence:
            record = self.vault.get(sha256)
            items.append(
                {
                    "sha256": sha256,
                    "size": record.size,
                    "media_type": record.media_type,
                    "log_index": record.log_index,
                    "tlog_proof": self.log.receipt(record.log_index).to_text(),
                }
            )
        return {
            "type": RECEIPT_TYPE,
            "case": case.id,
            "received_at": iso(case.received_at),
            "items": items,
            "verify": "save each tlog_proof as a .tlog-proof file and run "
            "'witness verify FILE --receipt FILE.tlog-proof --key <the log key>'",
        }

    def follow_up(self, token: str) -> dict[str, Any]:
        """What the reporter may know about their report: progress, outcomes, their receipt."""
        case = self.cases.by_follow_up(token)
        return {
            "case": case.id,
            "received_at": iso(case.received_at),
            "allegations": [
                {
                    "status": a.status,
                    "due_on": a.due_on.isoformat() if a.due_on else None,
                    "final_finding": a.final_finding,
                    "final_result": a.final_result,
                    "closed_on": a.closed_on.isoformat() if a.closed_on else None,
                    "review_deadline": (
                        a.review_deadline.isoformat() if a.review_deadline else None
                    ),
                }
                for a in case.allegations
            ],
            "receipt": self.receipt(case),
        }
