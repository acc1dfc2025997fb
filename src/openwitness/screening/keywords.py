"""The keyword baseline: flag a message when it holds a word from a fixed list of slurs,
insults and threats, the way many vetting teams search a chat today. It is measured beside
the classifier so the classifier has to earn its place.

Content warning: the list below is made of slurs, on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

#: English slurs and abusive words by the category they usually signal; stems match the
#: word and its plurals ("faggot" matches "faggots")
# fmt: off
KEYWORDS: dict[str, tuple[str, ...]] = {
    "racist": (
        "nigger", "nigga", "negro", "coon", "darkie", "paki", "chink", "gook", "spic",
        "wetback", "kike", "raghead", "towelhead", "sand nigger", "gypsy", "pikey", "wog",
        "jungle bunny", "monkey", "ape", "savage", "terrorist", "illegals", "go back to",
    ),
    "sexist": (
        "bitch", "slut", "whore", "cunt", "skank", "hoe", "thot", "slag", "feminazi",
        "make me a sandwich", "kitchen", "women are", "females are",
    ),
    "homophobic": (
        "faggot", "fag", "dyke", "queer", "tranny", "shemale", "poof", "homo", "lesbo",
        "batty boy", "sodomite",
    ),
    "other_hate": (
        "retard", "retarded", "spastic", "spaz", "cripple", "mong", "subhuman", "vermin",
    ),
    "violent": (
        "kill", "murder", "rape", "shoot", "stab", "hang", "lynch", "beat", "gas", "burn",
        "die", "exterminate",
    ),
    "abusive": ("fuck", "shit", "asshole", "bastard", "dick", "scum", "idiot", "stupid", "trash"),
}
# fmt: on

_WORDS = sorted((re.escape(w) for ws in KEYWORDS.values() for w in ws), key=len, reverse=True)
_PATTERN = re.compile(r"\b(?:" + "|".join(_WORDS) + r")(?:s|es|ed|ing)?\b", re.IGNORECASE)


def keyword_flags(texts: Sequence[str]) -> NDArray[np.bool_]:
    """True where a text holds any word of the list."""
    return np.array([_PATTERN.search(t) is not None for t in texts], dtype=bool)
