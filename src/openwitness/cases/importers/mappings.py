"""Map the values of two US complaint data sets onto OpenWitness's vocabulary.

The sets are Chicago's Citizens Police Data Project (CPDP, Invisible Institute, 2018 unified
release) and New York's Civilian Complaint Review Board member-of-service histories (CCRB,
2021). Both are described in ``../shared/data/complaints/README.md``. Each function takes one raw
value and returns an IOPC category id (see ``taxonomy.py``), or a finding or result from
``outcomes.py``. None means nothing fits.

The functions are pure and never raise on a value they do not know. An import must not fail
because a new release adds a category or a penalty. The importer keeps the raw text anyway.

Every rule below is OpenWitness's own judgement. Neither publisher gives such a mapping. The
rules were set by reading every distinct value in the two files with its row count. As with
the legacy IPCC codes, the original category text and code (and the original finding and
penalty) are always kept beside the mapped id, so a reader can check or redo the mapping.
"""

from __future__ import annotations

import functools
import re
from typing import Final

from openwitness.cases.outcomes import FINDINGS, RESULTS, check
from openwitness.cases.taxonomy import check_category

_Rules = tuple[tuple[tuple[str, ...], str], ...]

_FORCE: Final = "use-of-force"
_OTHER_POWERS: Final = "police-powers/other-policies-and-procedures"
_PREMISES: Final = "police-powers/premises-searches-and-seizure"
_SERVICE: Final = "delivery-of-duties/general-level-of-service"
_LANGUAGE: Final = "individual-behaviours/impolite-language"
_ACTIONS: Final = "individual-behaviours/impolite-actions"
_HARASSING: Final = "individual-behaviours/overbearing-or-harassing"
_OBSTRUCTION: Final = "abuse-of-position/obstruction-of-justice"
_DISCREDITABLE: Final = "discreditable-conduct"


def _upper(text: str) -> str:
    """Upper case, quotes dropped, runs of spaces collapsed, no spaces around a slash."""
    text = re.sub(r"\s*/\s*", "/", text.replace('"', " ").upper())
    return " ".join(text.split())


def _lower(text: str) -> str:
    return _upper(text).lower()


def _first_match(text: str, rules: _Rules) -> str | None:
    for keywords, target in rules:
        if any(keyword in text for keyword in keywords):
            return target
    return None


# --- Chicago (CPDP): complaint_category and complaint_code ------------------------------------

#: The heading each code family carries in the 1967-1999 release, such as "EXCESSIVE FORCE:
#: ARRESTEE - DURING ARREST" (05A). The 2000-2016 release drops the heading and keeps only the
#: part after it ("ARRESTEE - DURING ARREST", or just "MISCELLANEOUS"). So when the text alone
#: says too little, the heading is put back from the code. Codes were reused in the 2018 release
#: (05Q there is a weapon display, not a civil suit), so the text is always tried first. The
#: "S" codes (2018, COPA) are nearly all use-of-force types.
_CPDP_HEADINGS: Final[dict[str, str]] = {
    "01": "VERBAL ABUSE",
    "02": "ALCOHOL ABUSE",
    "03": "CIVIL RIGHTS VIOLATION",
    "04": "ARREST/LOCKUP PROCEDURE",
    "05": "EXCESSIVE FORCE",
    "06": "BRIBERY/OFFICIAL CORRUPTION",
    "07": "TRAFFIC (NOT BRIBERY/EX-FORCE)",
    "08": "COMMISSION OF CRIME",
    "09": "CONDUCT UNBECOMING (OFF DUTY)",
    "10": "OPERATION/PERSONNEL VIOLATION",
    "12": "SUPERVISOR RESPONSIBILITY",
    "15": "DRUG/SUBSTANCE ABUSE",
    "S": "USE OF FORCE",
}

#: Texts that only name a sub-heading. Alone, they would match the wrong rule: "TRAFFIC" (05E)
#: is excessive force during a traffic stop, and "NO ARREST" (05D) is force with no arrest.
_CPDP_SUBHEADINGS: Final = frozenset(
    {"MISCELLANEOUS", "TRAFFIC", "DOMESTIC", "NO ARREST", "VEHICLE", "INJURY", "NO INJURY"}
)

#: Ordered keyword rules. The first rule with a keyword in the text wins. Some texts share
#: words, so order matters. For example, "TRAFFIC (NOT BRIBERY/EX-FORCE)" contains "BRIBERY",
#: and "TRAFFIC VIOLATION (OTHER THAN D.U.I.)" contains "D.U.I.".
_CPDP_RULES: Final[_Rules] = (
    # Lawsuits and referrals: records with no allegation of their own.
    (("CIVIL SUIT", "FORWARDED TO O"), "other"),
    (("SEXUAL ORIENTATION",), "discriminatory-behaviour/sexual-orientation"),
    (("RACIAL", "ETHNIC"), "discriminatory-behaviour/race"),
    (("RELIGIO",), "discriminatory-behaviour/religion-belief"),
    (("SEXUAL HAR",), "sexual-conduct/sexual-harassment"),  # HARASSMENT, HARRASSMENT, …
    (("SEX OFFENSE",), "sexual-conduct/sexual-assault"),  # "RAPE/SEX OFFENSES"
    (("SEXUAL MISCONDUCT",), "sexual-conduct/other"),
    # An officer's own kit and uniform, not a weapon used on anyone.
    (("WEAPON/AMMUN",), "other"),
    (
        (
            "EXCESSIVE FORCE",
            "USE OF FORCE",
            "ARRESTEE",  # "ARRESTEE - DURING ARREST": the 05 family without its heading
            "UNNECESSARY PHYSICAL CONTACT",
            "WEAPON",  # use or unnecessary display of a weapon
            "FIREARM",
            "SHOTS FIRED",
            "TASER",
            "CHOKE",
            "KICKED",
            "STRIKE",
            "TAKE DOWN",
            "DRAGGED",
            "STOMPED",
            "PUSH/PULL",
            "COERCION - VIOLENCE",
            "ASSAULT",  # commission of crime: assault/battery, as legacy IPCC code C
            "UNDER COLOR OF LAW",  # civil rights violation: injury/death
        ),
        _FORCE,
    ),
    (("SEARCH OF PREMISE", "SEARCH OF VEHICLE"), _PREMISES),
    (("SEARCH",), _OTHER_POWERS),  # of a person, or of a prisoner and what they carry
    (("PROPERTY", "INVENTORY"), "property"),  # prisoners' property, inventory, damage
    (("MISDEMEANOR ARREST",), _DISCREDITABLE),  # the officer was arrested, off duty
    (
        (
            "ILLEGAL ARREST",
            "FALSE ARREST",
            "IMPROPER ARREST",
            "ARREST/IMPROPER",
            "LOCKUP",
            "DETENTION",
            "PROPER CARE",  # of a prisoner: injury or death in custody
        ),
        "detention",
    ),
    # Officers' own driving goes to police-vehicles. Traffic enforcement (citations, parking,
    # processing) is a police power. Off duty, in their own car, it is discreditable conduct.
    (("TRAFFIC VIOLATION",), _DISCREDITABLE),
    (("OTHER THAN D.U.I.", "TRAFFIC ACCIDENT", "PURSUIT", "MOTOR VEHICLE"), "police-vehicles"),
    (("FAIL TO ENFORCE",), _SERVICE),
    (("TRAFFIC (NOT BRIBERY",), _OTHER_POWERS),
    (("CIRCUMVENT", "FALSE TESTIMONY"), _OBSTRUCTION),
    (
        ("USE OFFICIAL POSITION", "ABUSE OF AUTHORITY", "CORRUPTION: MISC"),
        "abuse-of-position/other",
    ),
    (
        ("BRIBE", "EXTORTION", "GRATUITY", "PROFESSIONAL SERVICE", "THEFT"),
        "abuse-of-position/financial",
    ),
    (("ALCOHOL", "INTOXICATED", "D.U.I.", "DRUG", "UNFIT FOR DUTY"), _DISCREDITABLE),
    (("COMPLAINT REGISTER",), "delivery-of-duties/action-following-contact"),
    (
        (
            "NEGLECT OF DUTY",
            "PROVIDE SERVICE",  # inadequate/failure to provide service
            "REPORTS - FAIL",
            "COMMUNICATION OPERATION",
            "LEAVING ASSIGNMENT",
            "LEAVING ASGMT",
            "INADEQUATE INVESTIGATION",
            "SUPERVISOR RESPONSIBILITY",
            "SUPVR. RESPONSIBILITY",
        ),
        _SERVICE,
    ),
    (("DEPARTMENT RECORDS",), "information"),  # misuse; the subcategory is not known
    (
        ("DOMESTIC", "ALTERCATION", "CONDUCT UNBECOMING", "COMMISSION OF CRIME"),
        _DISCREDITABLE,
    ),
    (("VERBAL ABUSE", "PROFANITY"), _LANGUAGE),
    (("HARASS", "THREAT"), _HARASSING),
    (("CIVIL RIGHTS VIOLATION",), _OTHER_POWERS),  # first amendment, miscellaneous, …
    # Personnel rules with no IOPC counterpart: absence, medical roll, residency, uniform,
    # licensing of officers' own cars, insubordination, …
    (("OPERATION/PERSONNEL", "MISCELLANEOUS"), "other"),
)


def _cpdp_heading(code: str) -> str | None:
    code = code.strip().upper()
    return _CPDP_HEADINGS.get("S" if code.startswith("S") else code[:2])


@functools.cache  # a few hundred distinct values over 100,000s of rows
def cpdp_category(category: str, code: str) -> str | None:
    """The IOPC category id for a CPDP ``complaint_category`` and ``complaint_code``."""
    text = _upper(category)
    if not text:
        return None
    heading = _cpdp_heading(code)
    with_heading = f"{heading}: {text}" if heading and not text.startswith(heading) else text
    candidates = (with_heading,) if text in _CPDP_SUBHEADINGS else (text, with_heading)
    for candidate in candidates:
        target = _first_match(candidate, _CPDP_RULES)
        if target is not None:
            return target
    return None


# --- New York (CCRB): fado_type and allegation ------------------------------------------------

#: Every allegation in the 2021 release except "Other" and "Other - Abuse", which fall back to
#: the FADO type. Keys are lower case, as ``_lower`` makes them.
_CCRB_ALLEGATIONS: Final[dict[str, str]] = {
    # Force. A vehicle here is one used to strike someone, not police driving.
    **dict.fromkeys(
        (
            "physical force",
            "chokehold",
            "restricted breathing",
            "hit against inanimate object",
            "pepper spray",
            "nonlethal restraining device",
            "handcuffs too tight",
            "nightstick as club (incl asp & baton)",
            "flashlight as club",
            "radio as club",
            "gun as club",
            "other blunt instrument as a club",
            "police shield",
            "gun fired",
            "gun pointed",  # under Force and under Abuse of Authority
            "gun drawn",
            "gun pointed/gun drawn",
            "animal",
            "vehicle",
        ),
        _FORCE,
    ),
    # Abuse of Authority: stops, frisks and searches of people.
    **dict.fromkeys(
        (
            "stop",
            "vehicle stop",
            "question",
            "question and/or stop",
            "frisk",
            "frisk and/or search",
            "search (of person)",
            "strip-searched",
            "body cavity searches",
            "refusal to show arrest warrant",
            "forcible removal to hospital",
            "questioned immigration status",
            "failed to obtain language interpretation",
            "interference with recording",
            "photography/videography",
        ),
        _OTHER_POWERS,
    ),
    # Premises, vehicles and things searched or seized.
    **dict.fromkeys(
        (
            "premises entered and/or searched",
            "entry of premises",
            "search of premises",
            "vehicle search",
            "refusal to show search warrant",
            "search of recording device",
            "seizure of property",
        ),
        _PREMISES,
    ),
    "property damaged": "property",
    "electronic device information deletion": "property",  # a civilian's data destroyed
    "retaliatory arrest": "detention",  # as CPDP's illegal arrest and legacy IPCC code E
    "refusal to obtain medical treatment": "detention",  # for someone held by the police
    **dict.fromkeys(
        (
            "refusal to provide name/shield number",
            "refusal to provide name",
            "refusal to provide shield number",
            "obstructed shield number",
            "failure to provide rtka card",  # Right to Know Act business card
        ),
        "delivery-of-duties/information",
    ),
    "refusal to process civilian complaint": "delivery-of-duties/action-following-contact",
    "improper dissemination of medical info": "information/disclosure",
    **dict.fromkeys(
        (
            "threat of arrest",
            "threat of force (verbal or physical)",
            "threat of summons",
            "threat to damage/seize property",
            "threat to notify acs",
            "threat re: removal to hospital",
            "threat re: immigration status",
            "retaliatory summons",
        ),
        _HARASSING,
    ),
    "sex miscon (sexual harassment, verbal)": "sexual-conduct/sexual-harassment",
    "sex miscon (sexual harassment, gesture)": "sexual-conduct/sexual-harassment",
    "sex miscon (sexual/romantic proposition)": "abuse-of-position/sexual",
    "sex miscon (sexually motivated frisk)": "sexual-conduct/sexual-assault",
    "sex miscon (sexually motiv strip-search)": "sexual-conduct/other",
    "sexual misconduct (sexual humiliation)": "sexual-conduct/other",
    # Discourtesy.
    "word": _LANGUAGE,
    "curse": _LANGUAGE,  # older releases
    "demeanor/tone": _LANGUAGE,
    "action": _ACTIONS,
    "gesture": _ACTIONS,
    # Offensive Language, by the Equality Act 2010 characteristic it names.
    "race": "discriminatory-behaviour/race",
    "ethnicity": "discriminatory-behaviour/race",  # the Act's race includes ethnic origin
    "religion": "discriminatory-behaviour/religion-belief",
    "gender": "discriminatory-behaviour/sex",
    "gender identity": "discriminatory-behaviour/gender-reassignment",
    "sexual orientation": "discriminatory-behaviour/sexual-orientation",
    "physical disability": "discriminatory-behaviour/disability",
}

#: For allegations not in the table (new releases): keyword rules, then the FADO type.
_CCRB_KEYWORDS: Final[_Rules] = (
    (("sex miscon", "sexual misconduct"), "sexual-conduct/other"),
    (("threat",), _HARASSING),
    (("refusal to provide",), "delivery-of-duties/information"),
    (("official statement",), _OBSTRUCTION),
)

_CCRB_FADO: Final[dict[str, str]] = {
    "force": _FORCE,
    "abuse of authority": _OTHER_POWERS,
    "discourtesy": "individual-behaviours/unprofessional-attitude",
    "offensive language": "discriminatory-behaviour/other",
    "untruthful statement": _OBSTRUCTION,
}


@functools.cache  # a few hundred distinct values over 100,000s of rows
def ccrb_category(fado_type: str, allegation: str) -> str | None:
    """The IOPC category id for a CCRB allegation: by the allegation, else by its FADO type."""
    text = _lower(allegation)
    target = _CCRB_ALLEGATIONS.get(text) or _first_match(text, _CCRB_KEYWORDS)
    return target or _CCRB_FADO.get(_lower(fado_type))


# --- Findings and results -----------------------------------------------------------------------

#: CPDP finding codes. NAF (no affidavit) means the complainant signed no affidavit, so nothing
#: was investigated. NC and DIS are rare and undocumented, so they map to "other".
_CPDP_FINDINGS: Final[dict[str, str]] = {
    "SU": "sustained",
    "NS": "not-sustained",
    "UN": "unfounded",
    "EX": "exonerated",
    "NAF": "closed-without-finding",
    "NC": "other",
    "DIS": "other",
}


@functools.cache  # a few hundred distinct values over 100,000s of rows
def cpdp_finding(code: str) -> str | None:
    """The finding for a CPDP ``final_finding`` or ``recc_finding`` code (None if blank)."""
    return _CPDP_FINDINGS.get(code.strip().upper())


#: CPDP penalty texts, in order. Both columns mix "NO ACTION TAKEN" and "No Action Taken", and
#: some rows begin "**". "Violation noted" is the lightest penalty in CPD's list (code 000), so
#: it maps to "reprimand". "Sustained-no penalty" maps to no-further-action. "Separated other
#: case" means the officer had been separated over another case, so this case's own penalty is
#: "other", and the separation is not counted twice.
_CPDP_RESULT_RULES: Final[_Rules] = (
    (("SEPARATED OTHER CASE",), "other"),
    (("RESIGN", "RETIRE"), "resigned-or-retired"),  # "RESIGNED -NOT SERVED" too
    (("NOT SERVED", "REINSTATED", "DECEASED"), "other"),
    (("NO ACTION", "NO PENALTY"), "no-further-action"),
    (("VIOLATION NOTED", "REPRIMAND"), "reprimand"),
    (("SUSPEN",), "suspension"),  # N DAY SUSPENSION, SUSPENDED OVER 30 DAYS, SUSPEN'D INDEFINIT'Y
    (("SEPARAT", "TERMINAT", "DISMISS", "DISCHARGE"), "separation"),  # incl. ADMIN. TERMINATION
)


@functools.cache  # a few hundred distinct values over 100,000s of rows
def cpdp_result(outcome: str) -> str | None:
    """The result for a CPDP ``final_outcome`` or ``recc_outcome`` (None if blank or unknown)."""
    text = " ".join(outcome.replace("*", " ").upper().split())
    if not text or text == "UNKNOWN":
        return None
    if text.isdigit():
        # Bare numbers (35, 40, 99, 365, …) appear, nearly all on sustained rows, in the
        # 2000-2016 release. They are read as a suspension's days. 999 is "deceased" in the
        # Invisible Institute's list of CPD penalty codes.
        return "other" if text == "999" else "suspension"
    return _first_match(text, _CPDP_RESULT_RULES)


@functools.cache  # a few hundred distinct values over 100,000s of rows
def ccrb_disposition(board_disposition: str) -> tuple[str | None, str | None]:
    """(finding, recommended result) for a CCRB ``board_disposition``.

    The board writes its recommendation in brackets after "Substantiated". Command-level
    instructions count as instructions-or-training. "No Recommendations" gives no result.
    An allegation closed because the complainant, the alleged victim or a witness would not
    cooperate or could not be reached, was withdrawn, or had an unidentified victim is
    "closed-without-finding". "Miscellaneous" (the officer retired, resigned or was
    terminated before a finding) and "Closed - Pending Litigation" map to "other". For a
    retirement, resignation or termination, the second element records that event. It is
    not a recommendation. A blank value gives (None, None). Any other unrecognised value
    gives ("other", None).
    """
    text = _lower(board_disposition)
    if not text:
        return None, None
    if text.startswith("substantiated"):
        recommendation = text.partition("(")[2]
        if "charges" in recommendation:
            return "sustained", "charges"
        if "command discipline" in recommendation:
            return "sustained", "command-discipline"
        if "instruction" in recommendation or "training" in recommendation:
            return "sustained", "instructions-or-training"
        return "sustained", None
    if text.startswith("unsubstantiated"):
        return "not-sustained", None
    if text.startswith("exonerated"):
        return "exonerated", None
    if text.startswith("unfounded"):
        return "unfounded", None
    if any(word in text for word in ("uncooperative", "unavailable", "withdrawn", "unidentified")):
        return "closed-without-finding", None
    if "retired" in text or "resigned" in text:
        return "other", "resigned-or-retired"
    if "terminated" in text:
        return "other", "separation"
    return "other", None


def _check_tables() -> None:
    """Fail at import if a table names a category, finding or result that does not exist."""
    targets = {t for _, t in _CPDP_RULES + _CCRB_KEYWORDS}
    for target in sorted(targets | set(_CCRB_ALLEGATIONS.values()) | set(_CCRB_FADO.values())):
        check_category(target)
    for finding in _CPDP_FINDINGS.values():
        check("finding", finding, FINDINGS)
    for _, result in _CPDP_RESULT_RULES:
        check("result", result, RESULTS)


_check_tables()
