"""The five collection tiers, their default and minimum intervals (seconds).

Source: DESIGN.md, "The five tiers".
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Tier(StrEnum):
    """A collection tier; the value is the name used in settings, the UI and the CLI."""

    REALTIME = "realtime"
    SHORT = "short"
    MEDIUM = "medium"
    LONG = "long"
    EXTENDED = "extended"


#: Default interval of each tier, seconds.
DEFAULT_INTERVALS: Final[dict[Tier, int]] = {
    Tier.REALTIME: 5,
    Tier.SHORT: 60,
    Tier.MEDIUM: 300,
    Tier.LONG: 3600,
    Tier.EXTENDED: 86400,
}

#: Smallest interval an operator may configure for each tier, seconds.
MINIMUM_INTERVALS: Final[dict[Tier, int]] = {
    Tier.REALTIME: 5,
    Tier.SHORT: 30,
    Tier.MEDIUM: 120,
    Tier.LONG: 600,
    Tier.EXTENDED: 3600,
}
