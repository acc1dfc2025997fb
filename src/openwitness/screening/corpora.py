"""The labelled abusive-language corpora the classifier learns from and is judged on, read
from the folder layout of ``../shared/data/abuse-text`` with the standard ``csv`` module.

Which corpus may be used for what is decided here, once, so no script can get it wrong:
HateCheck and ETHOS are test sets only; EDOS and Guest are split by their own ``split``
column, and their test rows are never returned for training.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from openwitness.core.errors import NotFoundError

#: what the classifier scores every message for: ``hateful`` is abuse aimed at people for
#: who they are (the flag); the targets say at whom; ``violent`` is a threat or a call to harm
CATEGORIES = (
    "hateful",
    "racist",
    "sexist",
    "homophobic",
    "other_hate",
    "violent",
    "sexual",
    "mocking_victims",
)
#: the categories that say whom hate is aimed at; one of them per hateful text
TARGETS = ("racist", "sexist", "homophobic", "other_hate")


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text: a category is True (is), False (is not) or missing (not labelled
    by its corpus, so it says nothing either way); ``target`` is whom hate is aimed at, where
    the corpus says."""

    text: str
    labels: dict[str, bool]
    source: str
    target: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


#: words that name a group, used only to guess whom a hateful training text is aimed at when
#: its corpus does not say (Davidson, OLID); never used to score a message
_GROUP_WORDS = {
    "racist": (
        "black|blacks|african|africans|arab|arabs|muslim|muslims|islam|islamic|jew|jews|jewish"
        "|immigrant|immigrants|migrant|migrants|refugee|refugees|mexican|mexicans|asian|asians"
        "|chinese|indian|indians|paki|pakis|nigger|niggers|nigga|niggas|negro|negroes|latino"
        "|latinos|hispanic|hispanics|race|racial|ghetto|coon|coons|spic|spics|chink|chinks|kike"
        "|kikes|illegals|foreigner|foreigners|gypsy|gypsies|wetback|wetbacks|beaner|beaners"
    ),
    "homophobic": (
        "gay|gays|lesbian|lesbians|homo|homos|faggot|faggots|fag|fags|dyke|dykes|queer|queers"
        "|trans|tranny|trannies|transgender|bisexual|lgbt|lgbtq|homosexual|homosexuals"
    ),
    "sexist": (
        "women|woman|girl|girls|female|females|bitch|bitches|slut|sluts|whore|whores|cunt"
        "|cunts|hoe|hoes|feminist|feminists|wife|wives"
    ),
    "other_hate": "disabled|retard|retards|retarded|autistic|cripple|cripples|spastic",
}
_GROUP_PATTERNS = {
    target: re.compile(rf"\b(?:{words})\b", re.IGNORECASE) for target, words in _GROUP_WORDS.items()
}


def named_groups(text: str) -> set[str]:
    return {target for target, pattern in _GROUP_PATTERNS.items() if pattern.search(text)}


def guess_target(text: str) -> str | None:
    """The one group a text names, or None when it names none or several."""
    named = named_groups(text)
    return named.pop() if len(named) == 1 else None


def _open_csv(path: Path, delimiter: str = ",") -> Iterator[dict[str, str]]:
    if not path.is_file():
        raise NotFoundError(f"{path} is missing: point --corpora at the abuse-text folder")
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8", errors="replace", newline="") as file:
        yield from csv.DictReader(file, delimiter=delimiter)


def davidson(root: Path) -> list[Example]:
    """Tweets coded hate speech (0), offensive (1) or neither (2). "Offensive" tweets say
    nothing about hate (coders put many sexist slurs there), so they are left out."""
    rows = _open_csv(root / "davidson-hate-offensive/data/labeled_data.csv")
    return [
        Example(
            row["tweet"],
            {"hateful": row["class"] == "0"},
            "davidson",
            guess_target(row["tweet"]) if row["class"] == "0" else None,
        )
        for row in rows
        if row["class"] in ("0", "2")
    ]


def olid(root: Path) -> list[Example]:
    """OffensEval 2019 training tweets: not offensive, or offensive and aimed at a group;
    other offensive tweets (insults at one person, swearing) say nothing about hate."""
    path = root / "olid/olid-training-v1.0.tsv"
    if not path.is_file():
        raise NotFoundError(f"{path} is missing: point --corpora at the abuse-text folder")
    examples = []
    with path.open(encoding="utf-8", errors="replace", newline="") as file:
        for row in csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["subtask_a"] == "NOT":
                examples.append(Example(row["tweet"], {"hateful": False}, "olid"))
            elif row["subtask_c"] == "GRP":
                target = guess_target(row["tweet"])
                examples.append(Example(row["tweet"], {"hateful": True}, "olid", target))
    return examples


def edos(root: Path, split: str) -> list[Example]:
    """Gab and Reddit posts: sexist or not, and the category of sexism (threats, derogation,
    animosity, prejudiced discussion)."""
    examples = []
    for row in _open_csv(root / "edos/data/edos_labelled_aggregated.csv"):
        if row["split"] != split:
            continue
        sexist = row["label_sexist"] == "sexist"
        # a post that is not sexist is taken as not hateful only when it names no group but
        # women: Gab's posts that are not sexist are often racist
        labels = {"sexist": sexist}
        if sexist or not named_groups(row["text"]) - {"sexist"}:
            labels["hateful"] = sexist
        if sexist:
            labels["violent"] = row["label_category"].startswith("1.")
        target = "sexist" if sexist else None
        examples.append(Example(row["text"], labels, f"edos-{split}", target))
    return examples


def guest(root: Path, split: str) -> list[Example]:
    """Expert-labelled Reddit misogyny (Guest et al. 2021)."""
    examples = []
    for row in _open_csv(root / "guest-online-misogyny/data/final_labels.csv"):
        if row["split"] != split or not row["body"].strip():
            continue
        misogynistic = row["level_1"] == "Misogynistic"
        labels = {"hateful": misogynistic, "sexist": misogynistic}
        if misogynistic:
            labels["violent"] = row["level_3"].startswith("Threatening")
        target = "sexist" if misogynistic else None
        examples.append(Example(row["body"], labels, f"guest-{split}", target))
    return examples


#: ToxiGen's folders and file groups, mapped to the categories here
_TOXIGEN_GROUPS = {
    "black": "racist",
    "asian": "racist",
    "jewish": "racist",
    "latino": "racist",
    "native_american": "racist",
    "chinese": "racist",
    "mexican": "racist",
    "middle_east": "racist",
    "immigrant": "racist",
    "muslim": "racist",
    "lgbtq": "homophobic",
    "bisexual": "homophobic",
    "mental_disability": "other_hate",
    "physical_disability": "other_hate",
}


def toxigen(root: Path) -> list[Example]:
    """Human-written implicit hate and neutral sentences about named groups."""
    folder = root / "toxigen-demonstrations/demonstrations"
    if not folder.is_dir():
        raise NotFoundError(f"{folder} is missing: point --corpora at the abuse-text folder")
    examples = []
    seen: set[str] = set()
    for path in sorted(folder.glob("*/*.txt")):
        kind, _, group = path.stem.removesuffix("_sentences").partition("_")
        category = _TOXIGEN_GROUPS.get(group)
        if category is None or kind not in ("hate", "neutral"):
            continue
        hateful = kind == "hate"
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            text = line.strip().lstrip("- ").strip()
            if not text or text in seen:  # two Muslim files overlap
                continue
            seen.add(text)
            labels = {category: hateful, "hateful": hateful}
            target = category if hateful else None
            examples.append(Example(text, labels, "toxigen", target, {"group": group}))
    return examples


def training_set(root: Path) -> list[Example]:
    """Everything the classifier may learn from; never HateCheck, ETHOS, or a test split."""
    return [
        *davidson(root),
        *olid(root),
        *edos(root, "train"),
        *guest(root, "train"),
        *toxigen(root),
    ]


def validation_set(root: Path) -> list[Example]:
    """Where thresholds are chosen: EDOS's own dev split (never its test split)."""
    return edos(root, "dev")


# --- test sets: never trained or tuned on -------------------------------------------------

#: HateCheck's target identities, mapped to the categories here
_HATECHECK_TARGETS = {
    "women": "sexist",
    "trans people": "homophobic",
    "gay people": "homophobic",
    "black people": "racist",
    "Muslims": "racist",
    "immigrants": "racist",
    "disabled people": "other_hate",
}


def hatecheck(root: Path) -> list[Example]:
    examples = []
    for row in _open_csv(root / "hatecheck/test_suite_cases.csv"):
        hateful = row["label_gold"] == "hateful"
        target = _HATECHECK_TARGETS.get(row["target_ident"]) if hateful else None
        labels = {"hateful": hateful} | {t: t == target for t in TARGETS}
        examples.append(
            Example(
                row["test_case"].strip(),
                labels,
                "hatecheck",
                target,
                {"functionality": row["functionality"], "target": row["target_ident"]},
            )
        )
    return examples


#: ETHOS multi-label columns, mapped to the categories here
_ETHOS_COLUMNS = {
    "race": "racist",
    "national_origin": "racist",
    "religion": "racist",
    "gender": "sexist",
    "sexual_orientation": "homophobic",
    "disability": "other_hate",
    "violence": "violent",
}


def ethos(root: Path) -> list[Example]:
    """The binary set (hate when at least half the annotators said so), with the categories
    of the multi-label file where a hateful comment is found in it."""
    folder = root / "ethos/ethos/ethos_data"
    multi = {
        row["comment"].strip(): row
        for row in _open_csv(folder / "Ethos_Dataset_Multi_Label.csv", delimiter=";")
    }
    examples = []
    for row in _open_csv(folder / "Ethos_Dataset_Binary.csv", delimiter=";"):
        text = row["comment"].strip()
        hateful = float(row["isHate"]) >= 0.5
        labels = {"hateful": hateful}
        detail = multi.get(text)
        if not hateful:
            labels |= {category: False for category in _ETHOS_COLUMNS.values()}
        elif detail is not None:
            for column, category in _ETHOS_COLUMNS.items():
                labels[category] = labels.get(category, False) or float(detail[column]) >= 0.5
        examples.append(Example(text, labels, "ethos"))
    return examples


def test_sets(root: Path) -> dict[str, list[Example]]:
    """The held-out sets the documented tables are measured on."""
    return {
        "HateCheck": hatecheck(root),
        "ETHOS": ethos(root),
        "EDOS test": edos(root, "test"),
        "Guest test": guest(root, "test"),
    }
