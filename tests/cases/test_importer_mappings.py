"""The Chicago (CPDP) and New York (CCRB) value mappings, run over every value in the real files."""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

import pytest

from openwitness.cases.importers.mappings import (
    ccrb_category,
    ccrb_disposition,
    cpdp_category,
    cpdp_finding,
    cpdp_result,
)
from openwitness.cases.outcomes import FINDINGS, RESULTS
from openwitness.cases.taxonomy import check_category
from tests.support import SHARED, require_shared

COMPLAINTS = SHARED / "data" / "complaints"
CPDP_ACCUSED = COMPLAINTS / "chicago-cpdp-2018" / "complaints-accused.csv.gz"
CCRB_ZIP = COMPLAINTS / "nyc-ccrb-mos-2021" / "2021-03-20.zip"
CCRB_MEMBERS = ("2021-03-20_active_complaint.csv", "2021-03-20_inactive_complaint.csv")


@dataclass
class CpdpValues:
    categories: Counter[tuple[str, str]] = field(default_factory=Counter)  # (text, code)
    findings: Counter[str] = field(default_factory=Counter)  # final and recommended
    outcomes: Counter[str] = field(default_factory=Counter)  # final and recommended


@dataclass
class CcrbValues:
    allegations: Counter[tuple[str, str]] = field(default_factory=Counter)  # (fado, allegation)
    dispositions: Counter[str] = field(default_factory=Counter)


@cache
def _read_cpdp() -> CpdpValues:
    values = CpdpValues()
    with gzip.open(CPDP_ACCUSED, "rt", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            values.categories[row["complaint_category"], row["complaint_code"]] += 1
            values.findings.update((row["final_finding"], row["recc_finding"]))
            values.outcomes.update((row["final_outcome"], row["recc_outcome"]))
    return values


@cache
def _read_ccrb() -> CcrbValues:
    values = CcrbValues()
    with zipfile.ZipFile(CCRB_ZIP) as archive:
        for member in CCRB_MEMBERS:
            with archive.open(member) as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                for row in csv.reader(text):
                    # officer_id, complaint_id, date, fado_type, allegation, board_disposition, …
                    values.allegations[row[3], row[4]] += 1
                    values.dispositions[row[5]] += 1
    return values


@pytest.fixture
def cpdp() -> CpdpValues:
    require_shared(CPDP_ACCUSED)
    return _read_cpdp()


@pytest.fixture
def ccrb() -> CcrbValues:
    require_shared(CCRB_ZIP)
    return _read_ccrb()


def _is_valid_category(target: str | None) -> bool:
    return target is None or check_category(target) == target


# --- every real value gives a valid id, finding or result -----------------------------------


def test_every_cpdp_category_maps_to_a_valid_id(cpdp: CpdpValues) -> None:
    assert len(cpdp.categories) > 300  # 300 texts, some under more than one code
    for (text, code), _ in cpdp.categories.items():
        assert _is_valid_category(cpdp_category(text, code)), (text, code)


def test_every_ccrb_allegation_maps_to_a_valid_id(ccrb: CcrbValues) -> None:
    assert len({allegation for _, allegation in ccrb.allegations}) >= 80
    for fado, allegation in ccrb.allegations:
        assert _is_valid_category(ccrb_category(fado, allegation)), (fado, allegation)


def test_every_cpdp_finding_code_maps_into_findings(cpdp: CpdpValues) -> None:
    assert set(cpdp.findings) == {"SU", "NS", "UN", "EX", "NAF", "NC", "DIS", ""}
    for code in cpdp.findings:
        finding = cpdp_finding(code)
        assert finding in FINDINGS or (finding is None and not code), code


def test_every_cpdp_outcome_maps_into_results(cpdp: CpdpValues) -> None:
    assert len(cpdp.outcomes) > 70
    for outcome in cpdp.outcomes:
        result = cpdp_result(outcome)
        # only a blank or "Unknown" penalty gives no result
        assert result in RESULTS or outcome.strip().upper() in {"", "UNKNOWN"}, outcome


def test_every_ccrb_disposition_maps_into_findings_and_results(ccrb: CcrbValues) -> None:
    assert len(ccrb.dispositions) == 24
    for disposition in ccrb.dispositions:
        finding, result = ccrb_disposition(disposition)
        assert finding in FINDINGS, disposition
        assert result is None or result in RESULTS, disposition
        if disposition.startswith("Substantiated"):
            assert finding == "sustained", disposition
        else:
            assert finding != "sustained", disposition


# --- coverage, weighted by rows ---------------------------------------------------------------


def test_at_least_95_percent_of_cpdp_rows_get_a_category(cpdp: CpdpValues) -> None:
    total = sum(cpdp.categories.values())
    mapped = sum(
        n for (text, code), n in cpdp.categories.items() if cpdp_category(text, code) is not None
    )
    assert total == 244_436
    assert mapped / total >= 0.95, f"{mapped}/{total}"


def test_at_least_99_percent_of_ccrb_rows_get_a_category(ccrb: CcrbValues) -> None:
    total = sum(ccrb.allegations.values())
    mapped = sum(n for key, n in ccrb.allegations.items() if ccrb_category(*key) is not None)
    assert total == 175_505
    assert mapped / total >= 0.99, f"{mapped}/{total}"


# --- spot checks of real values -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "expected"),
    [
        ("EXCESSIVE FORCE:  ARRESTEE - DURING ARREST", "05A", "use-of-force"),
        ("ARRESTEE - DURING ARREST", "05A", "use-of-force"),
        ("TRAFFIC", "05E", "use-of-force"),  # the 05 family's heading is put back
        ("NO ARREST", "05D", "use-of-force"),
        (
            "SEARCH OF PREMISE/VEHICLE WITHOUT WARRANT",
            "03C",
            "police-powers/premises-searches-and-seizure",
        ),
        ("SEARCH OF PERSON WITHOUT WARRANT", "03B", "police-powers/other-policies-and-procedures"),
        ("ILLEGAL ARREST", "03D", "detention"),
        ("MISCELLANEOUS", "03G", "police-powers/other-policies-and-procedures"),
        ("MISCELLANEOUS", "10Z", "other"),
        ("VERBAL ABUSE - USE OF PROFANITY", "01A", "individual-behaviours/impolite-language"),
        ("VERBAL ABUSE - RACIAL/ETHNIC/ETC.", "01B", "discriminatory-behaviour/race"),
        ("SEXUAL ORIENTATION", "01C", "discriminatory-behaviour/sexual-orientation"),
        (
            "INADEQUATE/FAILURE TO PROVIDE SERVICE",
            "10U",
            "delivery-of-duties/general-level-of-service",
        ),
        (
            "NEGLECT OF DUTY/CONDUCT UNBECOMING - ON DUTY",
            "10J",
            "delivery-of-duties/general-level-of-service",
        ),
        ("DOMESTIC ALTERCATION/INCIDENT - OFF DUTY", "05K", "discreditable-conduct"),
        ("ALCOHOL ABUSE: INTOXICATED ON DUTY", "02A", "discreditable-conduct"),
        ("PRISONER'S PROPERTY - INVENTORY/RECEIPT", "04E", "property"),
        (
            "BRIBERY/OFFICIAL CORRUPTION:  SOLICIT/ACCEPT BRIBE (TRAFFIC)",
            "06B",
            "abuse-of-position/financial",
        ),
        (
            "TRAFFIC (NOT BRIBERY/EX-FORCE):  MISCOND DURING ISSUE OF CITATION",
            "07A",
            "police-powers/other-policies-and-procedures",
        ),
        ("PREVENTABLE TRAFFIC ACCIDENT", "07T", "police-vehicles"),
        ("TRAFFIC VIOLATION (OTHER THAN D.U.I.)", "09D", "discreditable-conduct"),
        ("SEXUAL HARRASSMENT", "10S", "sexual-conduct/sexual-harassment"),
        ("RAPE/SEX OFFENSES", "08C", "sexual-conduct/sexual-assault"),
        ("", "", None),
    ],
)
def test_cpdp_category_spot_checks(text: str, code: str, expected: str | None) -> None:
    assert cpdp_category(text, code) == expected


@pytest.mark.parametrize(
    ("fado", "allegation", "expected"),
    [
        ("Offensive Language", "Race", "discriminatory-behaviour/race"),
        ("Offensive Language", "Sexual orientation", "discriminatory-behaviour/sexual-orientation"),
        ("Offensive Language", "Physical disability", "discriminatory-behaviour/disability"),
        ("Offensive Language", "Other", "discriminatory-behaviour/other"),
        ("Force", "Physical force", "use-of-force"),
        ("Abuse of Authority", "Gun Pointed", "use-of-force"),
        ("Abuse of Authority", "Stop", "police-powers/other-policies-and-procedures"),
        ("Abuse of Authority", "Search (of person)", "police-powers/other-policies-and-procedures"),
        (
            "Abuse of Authority",
            "Premises entered and/or searched",
            "police-powers/premises-searches-and-seizure",
        ),
        (
            "Abuse of Authority",
            "Refusal to provide name/shield number",
            "delivery-of-duties/information",
        ),
        (
            "Abuse of Authority",
            "Threat of arrest",
            "individual-behaviours/overbearing-or-harassing",
        ),
        ("Abuse of Authority", "Property damaged", "property"),
        ("Discourtesy", "Word", "individual-behaviours/impolite-language"),
        (
            "Untruthful Statement",
            "False official statement",
            "abuse-of-position/obstruction-of-justice",
        ),
    ],
)
def test_ccrb_category_spot_checks(fado: str, allegation: str, expected: str) -> None:
    assert ccrb_category(fado, allegation) == expected


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ("1 DAY SUSPENSION", "suspension"),
        ("30 Day Suspension", "suspension"),
        ("SUSPEN'D INDEFINIT'Y", "suspension"),
        ("NO ACTION TAKEN", "no-further-action"),
        ("No Action Taken", "no-further-action"),
        ("SUSTAINED-NO PENALTY", "no-further-action"),
        ("Violation Noted", "reprimand"),
        ("Reprimand", "reprimand"),
        ("SEPARATION", "separation"),
        ("ADMIN. TERMINATION", "separation"),
        ("RESIGNED -NOT SERVED", "resigned-or-retired"),
        ("**PENALTY NOT SERVED", "other"),
        ("REINSTATED POLICE BD", "other"),
        ("Unknown", None),
        ("", None),
    ],
)
def test_cpdp_result_spot_checks(outcome: str, expected: str | None) -> None:
    assert cpdp_result(outcome) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("SU", "sustained"),
        ("NS", "not-sustained"),
        ("UN", "unfounded"),
        ("EX", "exonerated"),
        ("NAF", "closed-without-finding"),
        ("NC", "other"),
        ("DIS", "other"),
        ("", None),
    ],
)
def test_cpdp_finding_spot_checks(code: str, expected: str | None) -> None:
    assert cpdp_finding(code) == expected


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        ("Substantiated (Charges)", ("sustained", "charges")),
        ("Substantiated (Command Discipline B)", ("sustained", "command-discipline")),
        ("Substantiated (Command Lvl Instructions)", ("sustained", "instructions-or-training")),
        ("Substantiated (Formalized Training)", ("sustained", "instructions-or-training")),
        ("Substantiated (No Recommendations)", ("sustained", None)),
        ("Unsubstantiated", ("not-sustained", None)),
        ("Exonerated", ("exonerated", None)),
        ("Unfounded", ("unfounded", None)),
        ("Complainant Uncooperative", ("closed-without-finding", None)),
        ("Alleged Victim Unavailable", ("closed-without-finding", None)),
        ("Complaint Withdrawn", ("closed-without-finding", None)),
        ("Victim Unidentified", ("closed-without-finding", None)),
        ("Closed - Pending Litigation", ("other", None)),
        ("Miscellaneous", ("other", None)),
        ("Miscellaneous - Subject Retired", ("other", "resigned-or-retired")),
        ("Miscellaneous - Subject Terminated", ("other", "separation")),
    ],
)
def test_ccrb_disposition_spot_checks(
    disposition: str, expected: tuple[str | None, str | None]
) -> None:
    assert ccrb_disposition(disposition) == expected


# --- values no release has yet ----------------------------------------------------------------


def test_unknown_values_do_not_raise() -> None:
    assert cpdp_category("SOMETHING NEW", "99X") is None
    assert cpdp_finding("ZZ") is None
    assert cpdp_result("A PENALTY NOBODY HAS SEEN") is None
    assert ccrb_category("New FADO", "New allegation") is None
    assert ccrb_category("Force", "New allegation") == "use-of-force"  # falls back to FADO
    assert ccrb_category("Abuse of Authority", "Threat of something new") == (
        "individual-behaviours/overbearing-or-harassing"
    )
    assert ccrb_disposition("Mediated") == ("other", None)
    assert ccrb_disposition("") == (None, None)


def test_case_and_spacing_do_not_matter() -> None:
    assert cpdp_category("  excessive force:   arrestee - during arrest ", "05a") == "use-of-force"
    assert cpdp_category("RACIAL / ETHNIC, ETC.", "01B") == "discriminatory-behaviour/race"
    assert cpdp_result("  1 day   suspension ") == "suspension"
    assert ccrb_category("offensive language", " RACE ") == "discriminatory-behaviour/race"
    assert ccrb_disposition("substantiated (charges)") == ("sustained", "charges")
