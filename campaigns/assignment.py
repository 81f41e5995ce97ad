"""Randomised assignment to arms: stratified permuted blocks, driven by a seeded hash.

Pure functions (no database), so the tests can check balance and determinism on any number of
units. Within each stratum (line and segment), units are taken in the order of their seeded hash
and dealt into blocks; each block holds every arm in its exact share (e.g. 2 hold-out, 9 A, 9 B
for a 10 % hold-out and two equal arms), shuffled by a generator seeded with the experiment's
seed, the stratum and the block's number. The same seed and units give the same arms, each
stratum is balanced to within one block, and a unit's arm is recorded at enrolment and never
recomputed (a later enrolment run continues the stratum's blocks where the last one stopped).
"""

import hashlib
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce


def unit_hash(seed: str, unit_id: int) -> int:
    """A unit's stable pseudo-random number for this experiment (64 bits of SHA-256)."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{unit_id}".encode()).digest()[:8], "big")


def block_pattern(shares: list[tuple[int, int]]) -> list[int]:
    """One block's arms in order, from (arm id, integer share) pairs reduced by their common divisor."""
    divisor = reduce(math.gcd, (share for _arm, share in shares))
    return [arm for arm, share in shares for _ in range(share // divisor)]


def arm_shares(*, holdout_arm: int, holdout_percent: int, arms: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Integer shares: the hold-out gets ``holdout_percent`` of units, the other arms split the rest by
    weight. ``arms``: (arm id, weight) of the arms that are not the hold-out."""
    total_weight = sum(weight for _arm, weight in arms)
    shares = [(holdout_arm, holdout_percent * total_weight)]
    shares += [(arm, (100 - holdout_percent) * weight) for arm, weight in arms]
    return shares


@dataclass(frozen=True)
class Assigned:
    unit_id: int
    stratum: str
    arm_id: int


def assign(
    units: Iterable[tuple[int, str]],
    *,
    seed: str,
    shares: list[tuple[int, int]],
    already_enrolled: dict[str, int] | None = None,
) -> list[Assigned]:
    """Arms for ``units`` ((unit id, stratum) pairs not enrolled yet). ``already_enrolled``: how many
    units each stratum holds from earlier runs, so its blocks continue rather than restart."""
    pattern = block_pattern(shares)
    size = len(pattern)
    by_stratum: dict[str, list[int]] = {}
    for unit_id, stratum in units:
        by_stratum.setdefault(stratum, []).append(unit_id)
    already_enrolled = already_enrolled or {}
    result = []
    for stratum in sorted(by_stratum):
        position = already_enrolled.get(stratum, 0)
        block_number, block = -1, pattern
        for unit_id in sorted(by_stratum[stratum], key=lambda unit: (unit_hash(seed, unit), unit)):
            number, offset = divmod(position, size)
            if number != block_number:
                block_number, block = number, pattern[:]
                # A reproducible shuffle, not a secret: the seed is meant to be replayed.
                random.Random(f"{seed}:{stratum}:{number}").shuffle(block)  # noqa: S311  # nosec B311
            result.append(Assigned(unit_id, stratum, block[offset]))
            position += 1
    return result
