"""Variants: one brief file, many documents (one per region, country, sector...).

A brief with ``for_each`` (a CSV file in data/, or a list in the brief file) is built once
per row. Each row is a variant: an ``id`` (used in the output's file name) and any other
parameters. ``{name}`` in a chart's figure ids, labels, title and subtitle, in the brief's
title and subtitle and in a template's ``fig("...")`` is replaced by the variant's parameter
*name*, so ``fig("robots_{id}_2023")`` is ``robots_us_2023`` in the ``us`` variant; templates
also see the row as ``variant``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
# A variant id names a file: the same characters as any other id. Both are used with
# fullmatch(): with match() and "$", a name ending in a newline would pass.
VARIANT_ID = re.compile(r"[a-z0-9][a-z0-9_.-]*")
PARAMETER = re.compile(r"[a-z_][a-z0-9_]*")


@dataclass(frozen=True)
class Variant:
    """One row of a brief's ``for_each``: its parameters (``id`` among them) and its line."""

    params: Mapping[str, str]
    line: int | None = None

    @property
    def id(self) -> str:
        """The variant's id, as in the output's file name."""
        return self.params["id"]


def fill(text: str, params: Mapping[str, str]) -> str:
    """*text* with each ``{name}`` replaced by parameter *name* (unknown names are kept)."""
    if not params:
        return text
    return PLACEHOLDER.sub(lambda m: params.get(m.group(1), m.group(0)), text)


def placeholders(text: str) -> list[str]:
    """The parameter names *text* refers to, in order."""
    return PLACEHOLDER.findall(text)
