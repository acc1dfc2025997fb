"""The words of the data.police.uk files and what we count them as.

Every value the published files use is listed here explicitly, so a new or misspelt string is
refused by name at import instead of being silently counted in the wrong group. Sources: the
data.police.uk API documentation for stop and search, the Home Office's 18+1 self-defined
ethnicity list (files from 2018 on) and the older 16+1 coded list (2016 and earlier), and the
ONS 2011 Census top-level ethnic groups (docs/statistics.md).
"""

from __future__ import annotations

from typing import Final

#: The stop-and-search header, identical in every published file.
SEARCH_HEADER: Final = (
    "Type",
    "Date",
    "Part of a policing operation",
    "Policing operation",
    "Latitude",
    "Longitude",
    "Gender",
    "Age range",
    "Self-defined ethnicity",
    "Officer-defined ethnicity",
    "Legislation",
    "Object of search",
    "Outcome",
    "Outcome linked to object of search",
    "Removal of more than just outer clothing",
)
STREET_HEADER: Final = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
OUTCOMES_HEADER: Final = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Outcome type",
)
HEADERS: Final = {
    "stop-and-search": SEARCH_HEADER,
    "street": STREET_HEADER,
    "outcomes": OUTCOMES_HEADER,
}

#: The five groups, in the order tables show them; White is the comparison group.
GROUPS: Final = ("White", "Black", "Asian", "Mixed", "Other")
OFFICER_DEFINED: Final = frozenset(GROUPS)

#: "Not stated" is a person declining to say; a blank is nothing recorded. Both are kept apart
#: from the five groups and from each other (bounds treat both as unknown).
NOT_STATED: Final = "Not stated"

_SELF_2018: Final = {
    "White - English/Welsh/Scottish/Northern Irish/British": "White",
    "White - Irish": "White",
    "White - Gypsy or Irish Traveller": "White",
    "White - Any other White background": "White",
    "Mixed/Multiple ethnic groups - White and Black Caribbean": "Mixed",
    "Mixed/Multiple ethnic groups - White and Black African": "Mixed",
    "Mixed/Multiple ethnic groups - White and Asian": "Mixed",
    "Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background": "Mixed",
    "Asian/Asian British - Indian": "Asian",
    "Asian/Asian British - Pakistani": "Asian",
    "Asian/Asian British - Bangladeshi": "Asian",
    "Asian/Asian British - Chinese": "Asian",  # ONS 2011: Chinese is in Asian
    "Asian/Asian British - Any other Asian background": "Asian",
    "Black/African/Caribbean/Black British - African": "Black",
    "Black/African/Caribbean/Black British - Caribbean": "Black",
    "Black/African/Caribbean/Black British - Any other Black/African/Caribbean background": "Black",
    "Other ethnic group - Arab": "Other",
    "Other ethnic group - Any other ethnic group": "Other",
    "Other ethnic group - Not stated": NOT_STATED,
}
_SELF_2016_CODED: Final = {
    "White - White British (W1)": "White",
    "White - White Irish (W2)": "White",
    "White - Any other White ethnic background (W9)": "White",
    "Mixed - White and Black Caribbean (M1)": "Mixed",
    "Mixed - White and Black African (M2)": "Mixed",
    "Mixed - White and Asian (M3)": "Mixed",
    "Mixed - Any other Mixed ethnic background (M9)": "Mixed",
    "Asian or Asian British - Indian (A1)": "Asian",
    "Asian or Asian British - Pakistani (A2)": "Asian",
    "Asian or Asian British - Bangladeshi (A3)": "Asian",
    "Asian or Asian British - Any other Asian ethnic background (A9)": "Asian",
    "Black or Black British - Caribbean (B1)": "Black",
    "Black or Black British - African (B2)": "Black",
    "Black or Black British - Any other Black ethnic background (B9)": "Black",
    "Chinese or other ethnic group - Chinese (O1)": "Asian",  # ONS 2011 grouping, as above
    "Chinese or other ethnic group - Any other ethnic group (O9)": "Other",
    "Not Stated (NS)": NOT_STATED,
}
#: Self-defined ethnicity (both published lists) -> ONS 2011 top-level group or "Not stated".
SELF_DEFINED: Final = {**_SELF_2018, **_SELF_2016_CODED}

#: Older outcome names (2016 and some 2018 files) -> the names used since.
OUTCOME_RENAMED: Final = {
    "Nothing found - no further action": "A no further action disposal",
    "Suspect arrested": "Arrest",
    "Suspect summonsed to court": "Summons / charged by post",
    "Offender given drugs possession warning": "Khat or Cannabis warning",
    "Offender given penalty notice": "Penalty Notice for Disorder",
    "Offender cautioned": "Caution (simple or conditional)",
    "Local resolution": "Community resolution",
}
OUTCOMES: Final = frozenset(
    {
        "A no further action disposal",
        "Arrest",
        "Community resolution",
        "Khat or Cannabis warning",
        "Penalty Notice for Disorder",
        "Summons / charged by post",
        "Caution (simple or conditional)",
        *OUTCOME_RENAMED,
    }
)
NO_FURTHER_ACTION: Final = "A no further action disposal"

SEARCH_TYPES: Final = frozenset({"Person search", "Vehicle search", "Person and Vehicle search"})
GENDERS: Final = frozenset({"Male", "Female", "Other"})
AGE_RANGES: Final = ("under 10", "10-17", "18-24", "25-34", "over 34")
BOOLEANS: Final = frozenset({"True", "False"})
SECTION_60: Final = "Criminal Justice and Public Order Act 1994 (section 60)"

#: Census force names that are not the file slug lower-cased and hyphenated.
CENSUS_FORCE_NAMES: Final = {
    "Avon & Somerset": "avon-and-somerset",
    "Devon & Cornwall": "devon-and-cornwall",
}
#: Forces with no meaningful resident population (docs/statistics.md says why).
NO_RESIDENT_RATE: Final = {
    "city-of-london": "the City of London has about 7,400 residents but millions of workers and "
    "visitors, so searches per resident are meaningless (over 1,000 per 1,000)",
    "btp": "British Transport Police police the railways, not an area with residents",
}


def force_slug(census_name: str) -> str:
    """The file slug of a force named as in the Census tables."""
    name = census_name.strip()
    return CENSUS_FORCE_NAMES.get(name) or name.lower().replace("&", "and").replace(" ", "-")
