"""Spot-check sampling: a stratified, reproducible random draw (pure; no I/O).

Given the same candidates and seed, `draw` returns the same calls on every machine:
each group gets its own generator seeded with "<seed>|<group>" (Python seeds a
Random from a str through SHA-512, stable across runs and versions 3.2+).
"""

from __future__ import annotations

import random
import secrets


def new_seed() -> str:
    return secrets.token_hex(8)


def draw(candidates: dict[str, list[int]], per_group: int, seed: str) -> dict[str, list[int]]:
    """Up to `per_group` call ids from each group, without replacement."""
    if per_group < 1:
        raise ValueError("per_group must be at least 1")
    chosen: dict[str, list[int]] = {}
    for group in sorted(candidates):
        ids = sorted(set(candidates[group]))
        generator = random.Random(f"{seed}|{group}")  # noqa: S311  (a fair draw, not a secret)
        chosen[group] = sorted(generator.sample(ids, min(per_group, len(ids))))
    return chosen
