"""Allegation categories: the IOPC's (England and Wales, from 1 February 2020) and the legacy
IPCC codes A to Y that older records use, with how each legacy code maps onto today's categories.

Sources and what is not verified are in ``docs/taxonomy.md``. Ids are stable slugs; an
allegation stores ``category/subcategory`` ids, never the display names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openwitness.core.errors import InvalidRequestError


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    subcategories: dict[str, str] = field(default_factory=dict)  # id -> name
    verified: bool = True  # False: named in the brief, not shown by a source read

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "verified": self.verified,
            "subcategories": [
                {"id": f"{self.id}/{sub}", "name": name} for sub, name in self.subcategories.items()
            ],
        }


IOPC_CATEGORIES: tuple[Category, ...] = (
    Category(
        "delivery-of-duties",
        "Delivery of duties and service",
        {
            "action-following-contact": "Police action following contact",
            "decisions": "Decisions",
            "information": "Information",
            "general-level-of-service": "General level of service",
        },
    ),
    Category(
        "police-powers",
        "Police powers, policies and procedures",
        {
            "premises-searches-and-seizure": "Searches of premises and seizure of property",
            "out-of-court-disposals": "Out of court disposals",
            "other-policies-and-procedures": "Other policies and procedures",
        },
    ),
    Category(
        "individual-behaviours",
        "Individual behaviours",
        {
            "unprofessional-attitude": "Unprofessional attitude and disrespect",
            "lack-of-fairness": "Lack of fairness and impartiality",
            "overbearing-or-harassing": "Overbearing or harassing behaviours",
            "impolite-language": "Impolite language / tone",
            "impolite-actions": "Impolite and intolerant actions",
        },
    ),
    Category(
        "discriminatory-behaviour",
        "Discriminatory behaviour",
        {
            "age": "Age",
            "disability": "Disability",
            "gender-reassignment": "Gender reassignment",
            "marriage-civil-partnership": "Marriage and civil partnership",
            "pregnancy-maternity": "Pregnancy and maternity",
            "race": "Race",
            "religion-belief": "Religion or belief",
            "sex": "Sex",
            "sexual-orientation": "Sexual orientation",
            "other": "Other",
        },
    ),
    Category(
        "abuse-of-position",
        "Abuse of position / corruption",
        {
            "financial": "Abuse of position for financial purpose",
            "sexual": "Abuse of position for sexual purpose",
            "emotional-relationship": (
                "Abuse of position for the purpose of pursuing an inappropriate "
                "emotional relationship"
            ),
            "other": "Abuse of position for other purpose",
            "obstruction-of-justice": "Obstruction of justice",
            "organisational-corruption": "Organisational corruption",
        },
    ),
    Category(
        "sexual-conduct",
        "Sexual conduct",
        {
            "sexual-assault": "Sexual assault",
            "sexual-harassment": "Sexual harassment",
            "other": "Other sexual conduct",
        },
    ),
    Category(
        "information",
        "Access and/or disclosure of information",
        {
            "disclosure": "Disclosure of information",
            "other-sources": "Accessing and handling of information from other sources",
        },
    ),
    Category("police-vehicles", "Use of police vehicles"),
    Category("property", "Handling of or damage to property/premises"),
    Category("discreditable-conduct", "Discreditable conduct"),
    Category("use-of-force", "Use of force", verified=False),
    Category("detention", "Detention in police custody", verified=False),
    Category("other", "Other"),
)

#: Legacy IPCC codes (before 1 Feb 2020): code -> (name, today's category/subcategory id).
#: The mapping is OpenWitness's own, made so that an officer's history reads as one series;
#: the original code is always kept beside it on import.
LEGACY_CODES: dict[str, tuple[str, str]] = {
    "A": ("Serious non-sexual assault", "use-of-force"),
    "B": ("Sexual assault", "sexual-conduct/sexual-assault"),
    "C": ("Other assault", "use-of-force"),
    "D": ("Oppressive conduct or harassment", "individual-behaviours/overbearing-or-harassing"),
    "E": ("Unlawful/unnecessary arrest/detention", "detention"),
    "F": ("Discriminatory behaviour", "discriminatory-behaviour/other"),
    "G": (
        "Irregularity in relation to evidence/perjury",
        "abuse-of-position/obstruction-of-justice",
    ),
    "H": ("Corrupt practice", "abuse-of-position/other"),
    "J": ("Mishandling of property", "property"),
    "K": ("Breach Code A PACE stop/search", "police-powers/other-policies-and-procedures"),
    "L": ("Breach Code B PACE searches", "police-powers/premises-searches-and-seizure"),
    "M": ("Breach Code C PACE detention", "detention"),
    "N": ("Breach Code D PACE identification", "police-powers/other-policies-and-procedures"),
    "P": ("Breach Code E PACE tape recording", "police-powers/other-policies-and-procedures"),
    "Q": ("Lack of fairness and impartiality", "individual-behaviours/lack-of-fairness"),
    "R": ("Multiple/unspecified breach PACE", "police-powers/other-policies-and-procedures"),
    "S": ("Other neglect or failure in duty", "delivery-of-duties/general-level-of-service"),
    "T": ("Other irregularity in procedure", "police-powers/other-policies-and-procedures"),
    "U": ("Incivility, impoliteness, intolerance", "individual-behaviours/impolite-actions"),
    "V": ("Traffic irregularity", "police-vehicles"),
    "W": ("Other", "other"),
    "X": ("Improper disclosure of information", "information/disclosure"),
    "Y": ("Other sexual conduct", "sexual-conduct/other"),
}

_BY_ID = {c.id: c for c in IOPC_CATEGORIES}


def check_category(category_id: str) -> str:
    """Validate ``category`` or ``category/subcategory``; returns it unchanged."""
    category, _, sub = category_id.partition("/")
    known = _BY_ID.get(category)
    if known is None or (sub and sub not in known.subcategories):
        raise InvalidRequestError(
            f"category: unknown allegation category {category_id!r} (see GET /api/v1/taxonomy)"
        )
    return category_id


def from_legacy_code(code: str) -> str:
    """Today's category id for a legacy IPCC code (A to Y)."""
    try:
        return LEGACY_CODES[code.strip().upper()][1]
    except KeyError:
        raise InvalidRequestError(f"category: unknown legacy IPCC code {code!r}") from None


def taxonomy() -> dict[str, Any]:
    return {
        "scheme": "IOPC complaint categories (England and Wales, from 1 February 2020)",
        "categories": [c.to_dict() for c in IOPC_CATEGORIES],
        "legacy_codes": [
            {"code": code, "name": name, "maps_to": target}
            for code, (name, target) in LEGACY_CODES.items()
        ],
    }
