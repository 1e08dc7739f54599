"""The flagship policy brief's text, as its PDF prints it: the headline numbers in their
units, and none of the seed traps (a benchmark lead as a percentage, a rise in percentage
points as percent, the wrong AI Index edition, SWE-bench attributed to China, the two 1.70%
gaps confused). The PDF is built once per session (conftest.policy_build)."""

from __future__ import annotations

import re

import pytest

from conftest import spaced, squashed

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "expected",
    ["17.5 percentage points", "$109.1 billion", "276,300", "11.7 times", "1.70%", "27 percentage points", "3.7 pp"],
    ids=["pp", "usd-billion", "count", "ratio", "percent-2dp", "pp-adoption", "pp-short"],
)
def test_key_numbers_in_the_text(policy_text: str, expected: str) -> None:
    """The headline numbers are printed in their units."""
    assert squashed(expected) in squashed(policy_text)


@pytest.mark.parametrize(
    "lead",
    ["17.5", "0.3", "13.5", "8.1", "24.3", "1.6", "31.6", "3.7"],
    ids=[f"{bench}-{year}" for bench in ("mmlu", "mmmu", "math", "humaneval") for year in ("2023", "2024")],
)
def test_no_benchmark_lead_printed_as_percent(policy_text: str, lead: str) -> None:
    """Seed trap 1: no benchmark lead is printed as a percentage ("17.5%")."""
    assert not re.search(rf"(?<![\d.,]){re.escape(lead)} ?%", spaced(policy_text))


def test_no_27_percent(policy_text: str) -> None:
    """Seed trap: Greater China's rise in organisational use is 27 percentage points, not 27%."""
    text = spaced(policy_text)
    assert not re.search(r"(?<![\d.,])27 ?%", text)
    assert "27 percentage points" in text


def test_right_ai_index_edition(policy_text: str) -> None:
    """Seed trap 2: the 2025 AI Index is cited, never the 2024 edition."""
    text = spaced(policy_text)
    assert not re.search(r"AI Index 2024|2024 AI Index", text)
    assert squashed("AI Index 2025") in squashed(policy_text)
    assert squashed("Artificial Intelligence Index Report 2025") in squashed(policy_text)


def test_swe_bench_not_attributed_to_china(policy_text: str) -> None:
    """Seed trap 3: SWE-bench's 71.7 is never attributed to China (if it is printed at all)."""
    sentences = re.split(r"(?<=[.;])\s", spaced(policy_text))
    for sentence in sentences:
        if "71.7" in sentence:
            assert not re.search(r"China|Chinese", sentence), sentence


def test_two_arena_gaps_are_named(policy_text: str) -> None:
    """Seed trap 4: both 1.70% gaps are printed, each with its comparison named."""
    text = spaced(policy_text)
    assert text.count("1.70%") >= 2
    assert "the best closed model and the best open-weight model" in text
