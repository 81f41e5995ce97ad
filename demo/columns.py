"""Column helpers shared by the generators: weighted picks, money text, nullable ids, next ids."""

import numpy as np
import pandas as pd
from django.db import models


def pick(rng: np.random.Generator, weights, size) -> np.ndarray:
    """Indexes into ``weights`` drawn in proportion to them (they need not sum to one)."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def money(cents: np.ndarray) -> np.ndarray:
    """Integer cents as decimal text ("1234.05"): exact, unlike going through floats."""
    cents = np.asarray(cents, dtype=np.int64)
    whole = (cents // 100).astype(str)
    frac = np.char.zfill((cents % 100).astype(str), 2)
    return np.char.add(np.char.add(whole, "."), frac).astype(object)


def nullable(values: np.ndarray):
    """Integer ids with 0 meaning NULL."""
    out = pd.array(np.asarray(values, dtype=np.int64), dtype="Int64")
    out[np.asarray(values) == 0] = pd.NA
    return out


def max_id(model) -> int:
    return model.objects.aggregate(m=models.Max("id"))["m"] or 0
