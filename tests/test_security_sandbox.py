"""Security review, round 3: the sandbox's per-call size bounds (M5), parse depth (L10) and
blank characters in text (L17). Hostile templates run as ``brief check``/``brief build``
subprocesses under an operating-system memory limit, as the review ran them."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

import brief as brief_package
from brief.cli import cli
from helpers import line_number

# Subprocesses import brief from where this process did.
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(
        p for p in (str(Path(brief_package.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH")) if p
    ),
}
MEMORY_LIMIT = 1536 * 1024 * 1024  # a check needs a few hundred MB; the review's payloads took 0.9-2.7 GB


def _limit_memory() -> None:
    # A data-size limit, as docs/security.md recommends: an address-space limit (RLIMIT_AS)
    # would keep the chart engine from starting at all in the build cases.
    resource.setrlimit(resource.RLIMIT_DATA, (MEMORY_LIMIT, MEMORY_LIMIT))


@dataclass
class Run:
    """A finished ``brief`` subprocess: its exit code, its output, how long it ran and the
    most memory it held."""

    returncode: int
    output: str
    seconds: float
    peak_mb: float


def run_brief(root: Path, *args: str, timeout: float = 60) -> Run:
    """``python -m brief -C root ARGS`` in a process with bounded memory and time; its own
    peak memory is read from the kernel (``wait4``) as it ends."""
    with tempfile.TemporaryFile("w+") as output:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "brief", "-C", str(root), *args],
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=_limit_memory,
            env=ENV,
        )
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - started > timeout:
                process.kill()
                process.wait()
                pytest.fail(f"brief {' '.join(args)} ran over {timeout} s")
            time.sleep(0.02)
        process.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait for it again
        output.seek(0)
        return Run(process.returncode, output.read(), time.monotonic() - started, usage.ru_maxrss / 1024)


def one_error(output: str, *words: str) -> str:
    """The one ``error:`` line of *output*, which holds each of *words*; no traceback."""
    assert "Traceback" not in output, output[-3000:]
    errors = [line for line in output.splitlines() if "error:" in line]
    assert len(errors) == 1, output[-3000:]
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- L17: blank characters outside Cc and Cf -------------------------------------------

# Refused besides Cc and Cf (brief.workspace.yamlio's _BLANK): Unicode's Default_Ignorable_Code_Point
# outside Cc/Cf, characters drawn as nothing, and the line and paragraph separators. U+FE0E and
# U+FE0F are refused alone (they are allowed only after a visible character).
BLANK = frozenset(
    [
        *(0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F, 0x2065, 0x3164, 0xFFA0),
        *range(0xFE00, 0xFE10),
        *range(0xFFF0, 0xFFF9),
        *range(0xE0000, 0xE1000),
        *(0x2800, 0x1D159, 0x16FE4, 0x2028, 0x2029),
    ]
)

FIGURE = """\
- id: extra_figure
  label: An extra figure for a test
  value: 12.5
  unit: pp
  as_of: "2024"
  source: report-a
  locator: "table 9"
"""


@pytest.mark.parametrize("char", ["\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"])
def test_l17_blank_character_in_a_figure_label_is_refused(mini: Path, char: str) -> None:
    """Review R10/U04: a figure label holding a Hangul filler or U+2800 BRAILLE PATTERN BLANK
    passed ``brief check`` and printed as blank space."""
    path = write(mini, "data/figures/zz.yaml", FIGURE.replace("An extra", f"An{char}extra"))
    result = CliRunner().invoke(cli, ["-C", str(mini), "check"])
    assert result.exit_code == 1, result.output
    line = one_error(result.output, f"U+{ord(char):04X}")
    assert line.startswith(f"data/figures/zz.yaml:{line_number(path, 'label:')}:"), line


def test_l17_blank_character_in_a_unit_s_words_is_refused(mini: Path) -> None:
    """Review U04: a unit's words in data/units.yaml holding U+3164 HANGUL FILLER."""
    path = write(mini, "data/units.yaml", 'wafers:\n  long: "{n} wafers"\n  short: "{n}\u3164w"\n  axis: wafers\n')
    result = CliRunner().invoke(cli, ["-C", str(mini), "check"])
    assert result.exit_code == 1, result.output
    line = one_error(result.output, "U+3164 HANGUL FILLER")
    assert line.startswith(f"data/units.yaml:{line_number(path, 'short:')}:"), line


def test_l17_the_blank_set_and_what_stays_allowed() -> None:
    """Each blank character is refused on its own; an emoji's presentation selector after the
    emoji, and spaces such as U+3000 IDEOGRAPHIC SPACE (drawn as the space they are), pass."""
    from brief.workspace.hidden import invisible_character

    for code in sorted(BLANK):
        assert invisible_character(f"a{chr(code)}b" if code not in (0xFE0E, 0xFE0F) else chr(code)), hex(code)
    for text in ("\u2764\ufe0f love", "\u260e\ufe0e", "a\u3000b", "\u00a0", "한국어", "ᄀ"):
        assert invisible_character(text) is None, text
    for text in ("\u2764\ufe0f\ufe0f", "a \ufe0f", "a\n\ufe0e", "\U000e0100"):
        assert invisible_character(text) is not None, text


# --- shared: a workspace and an overlay whose policy section is a hostile template ---------


@pytest.fixture
def overlaid(mini: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The mini workspace (with a press section) and an overlay folder; the overlay's
    ``policy/intro.md.j2`` is what :func:`hostile` writes."""
    write(mini, "templates/press/intro.md.j2", "Press note.\n")
    overlay = tmp_path / "overlay"
    (overlay / "policy").mkdir(parents=True)
    return mini, overlay


def hostile(overlay: Path, body: str) -> Path:
    """The overlay's policy section: a line of text, the chart the audience places, then *body* on line 4."""
    return write(overlay, "policy/intro.md.j2", 'Introduction.\n\n{{ chart("counts") }}\n' + body + "\n")


# --- L10: parse depth ---------------------------------------------------------------------

DEEP_TEMPLATES = {
    "parentheses": "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}",
    "unary-minus": "{{ " + "-" * 3000 + "1 }}",
    "lists": "{{ " + "[" * 3000 + "]" * 3000 + " }}",
    "sum": "{{ 1" + " + 1" * 20000 + " }}",
    "ifs": "{% if 1 %}" * 3000 + "x" + "{% endif %}" * 3000,
    "loops": "{% for a in [1] %}" * 25 + "x" + "{% endfor %}" * 25,  # past Python's 20 nested blocks
    "css-not": "<style>p" + ":not(" * 2000 + "div" + ")" * 2000 + " { color: red }</style>",
    "css-calc": '<p style="width: ' + "calc(" * 2000 + "1px" + ")" * 2000 + '">x</p>',
}


@pytest.mark.parametrize("command", ["check", "build"])
@pytest.mark.parametrize("case", list(DEEP_TEMPLATES), ids=list(DEEP_TEMPLATES))
def test_l10_deep_nesting_is_one_error_at_its_line(overlaid: tuple[Path, Path], case: str, command: str) -> None:
    """Review J06/X05: 3,000 nested parentheses, unary minus or lists, ``1 + 1 + ...`` 20,000
    times, and ``p:not(:not(...))`` 2,000 deep in a <style> were RecursionError tracebacks
    (Jinja's parser; sanitise's CSS walk). Now one error line naming the file and line 4."""
    root, overlay = overlaid
    hostile(overlay, DEEP_TEMPLATES[case])
    args = ["check"] if command == "check" else ["build", "--audience", "policy"]
    result = run_brief(root, *args, "--templates", str(overlay))
    assert result.returncode == 1, result.output
    line = one_error(result.output, "nested")
    assert "policy/intro.md.j2:4:" in line, line


def test_l10_nesting_within_the_bounds_still_builds(overlaid: tuple[Path, Path]) -> None:
    """Twenty nested loops, 60 parentheses and CSS 32 levels deep (a {} block and 31 :not())
    are still a template."""
    root, overlay = overlaid
    body = (
        "{% for a in [1] %}" * 20
        + "{{ "
        + "(" * 60
        + "1"
        + ")" * 60
        + " }}"
        + "{% endfor %}" * 20
        + "\n\n<style>p"
        + ":not(" * 31
        + "div"
        + ")" * 31
        + " { color: red }</style>"
    )
    hostile(overlay, body)
    result = run_brief(root, "check", "--templates", str(overlay))
    assert result.returncode == 0, result.output


# --- M5: every call that builds a value in one step is estimated before it runs -----------

TOO_BIG = "a template builds a value of over 5 MB"
# A check of the mini workspace peaks near 100 MB; each payload used to allocate 0.9-2.7 GB
# (and, under the 1.5 GB limit, end in "needs more memory", or past the deadline).
PEAK_MB = 400

# The review's payloads (J02-J05), then our own.
GROWING_CALLS = {
    "J02-format-width": ('{{ "{:>900000000}".format("a")|length }}', TOO_BIG),
    "J03-printf-star-width": ('{{ ("%*d" % (900000000, 1))|length }}', TOO_BIG),
    "J04-tojson-indent": ("{{ [1, [2]]|tojson(indent=400000000)|length }}", TOO_BIG),
    "J04-slice": ("{{ [1]|slice(30000000)|list|length }}", TOO_BIG),
    "J05-strftime-widths": ('{{ brief.date.strftime("%10000Y" * 700000)|length }}', TOO_BIG),
    "format-nested-width": ('{% set f = "{:>{w}}" %}{{ f.format("a", w=900000000)|length }}', TOO_BIG),
    "format-map-width": ('{{ "{a:>900000000}".format_map({"a": "b"})|length }}', TOO_BIG),
    "format-float-precision": ('{{ "{:.900000000f}".format(1.5)|length }}', TOO_BIG),
    "markup-format-width": ('{% set m = "{:>900000000}"|safe %}{{ m.format("a")|length }}', TOO_BIG),
    "format-filter-star-precision": ('{{ "%.*f"|format(900000000, 1.5)|length }}', TOO_BIG),
    "printf-mapping-width": ('{{ ("%(a)900000000s" % {"a": 1})|length }}', TOO_BIG),
    "printf-int-precision": ('{{ ("%.900000000d" % 1)|length }}', TOO_BIG),
    "batch-fill": ('{{ [1]|batch(900000000, "x")|list|length }}', TOO_BIG),
    "batch-of-one": ("{{ ([1] * 5000000)|batch(1)|list|length }}", TOO_BIG),
    "to-bytes": ('{{ (1).to_bytes(900000000, "big")|length }}', TOO_BIG),
    "bytes-repeated": ('{{ ("x".encode() * 900000000)|length }}', TOO_BIG),
    "translate": ('{{ ("a" * 5000000).translate({97: "x" * 1000})|length }}', TOO_BIG),
    "wordwrap-wrapstring": ('{{ ("a " * 2000000)|wordwrap(1, wrapstring="x" * 1000)|length }}', TOO_BIG),
    "indent-by-a-string": ('{{ ("\\n" * 5000000)|indent("x" * 1000)|length }}', TOO_BIG),
    "urlize-target": ('{{ ("a.com " * 100000)|urlize(target="x" * 1000000)|length }}', TOO_BIG),
    # One long string a million times in a tuple is small; as text it is terabytes.
    "tuple-printed": ('{{ ("x" * 5000000,) * 5000000 }}', TOO_BIG),
    "tuple-joined-by-tilde": ('{{ "a" ~ (("x" * 5000000,) * 5000000) }}', TOO_BIG),
    "tuple-upper": ('{{ (("x" * 5000000,) * 5000000)|upper|length }}', TOO_BIG),
    "tuple-in-format": ('{{ "{}".format(("x" * 5000000,) * 5000000)|length }}', TOO_BIG),
    "tuple-repr-in-format": ('{{ "{!r}".format(("x" * 5000000,) * 5000000)|length }}', TOO_BIG),
    "join-of-a-generator": ('{{ "".join((("x" * 1000000,) * 1000)|map("string"))|length }}', TOO_BIG),
    "join-filter-of-a-generator": ('{{ ((("x" * 1000000,) * 1000)|map("string"))|join|length }}', TOO_BIG),
    "pprint-indents": ("{{ (([1] * 1000,) * 5000)|pprint|length }}", TOO_BIG),
    "sum-of-lists": ("{{ ([[1] * 1000] * 100000)|sum(start=[])|length }}", "a sum builds over 50 MB"),
    "number-squared": (
        "{% set ns = namespace(x=10**20000) %}{% for i in range(30) %}{% set ns.x = ns.x * ns.x %}{% endfor %}"
        "{{ ns.x|string|length }}",
        "a number too large to compute",
    ),
}


@pytest.mark.parametrize("case", list(GROWING_CALLS), ids=list(GROWING_CALLS))
def test_m5_a_call_that_builds_too_much_is_refused_before_it_runs(overlaid: tuple[Path, Path], case: str) -> None:
    """Review J02-J05 (M5): ``brief check --templates overlay`` with these allocated 0.9-2.7 GB
    or ran 56 s before a refusal. Each is now one error line at its line, in a second or two,
    under an operating-system memory limit and without ever holding much memory."""
    root, overlay = overlaid
    payload, words = GROWING_CALLS[case]
    hostile(overlay, payload)
    result = run_brief(root, "check", "--templates", str(overlay))
    assert result.returncode == 1, result.output
    line = one_error(result.output, words)
    assert "policy/intro.md.j2:4:" in line, line
    assert result.seconds < 10, result.seconds
    assert result.peak_mb < PEAK_MB, f"{result.peak_mb:.0f} MB"


def test_m5_build_refuses_as_check_does(overlaid: tuple[Path, Path]) -> None:
    """Review J02: ``brief build`` gives the same one line, before it draws or typesets."""
    root, overlay = overlaid
    hostile(overlay, GROWING_CALLS["J02-format-width"][0])
    result = run_brief(root, "build", "--audience", "policy", "--templates", str(overlay))
    assert result.returncode == 1, result.output
    assert "policy/intro.md.j2:4:" in one_error(result.output, TOO_BIG)
    assert result.peak_mb < PEAK_MB, f"{result.peak_mb:.0f} MB"


def test_m5_ordinary_calls_still_work() -> None:
    """The estimates refuse only what is too big: each of these renders as Python says."""
    import datetime as dt

    from brief.workspace.sandbox import BriefSandbox

    day = dt.date(2025, 5, 1)
    cases = {
        '{{ "{:>5}|{:.2f}|{:,}".format("a", 3.14159, 1234567) }}': "    a|3.14|1,234,567",
        '{% set f = "{:>{w}}" %}{{ f.format("a", w=3) }}': "  a",
        '{{ "{n:03d}".format_map({"n": 7}) }}': "007",
        '{{ "%*d|%.*f" % (4, 7, 1, 2.25) }} {{ "%(a)s!"|format(a=1) }}': "   7|2.2 1!",
        '{{ "%5.1f%%"|format(12.345) }}': " 12.3%",
        '{{ d.strftime("%d %B %Y") }} {{ "{:%Y}".format(d) }}': "01 May 2025 2025",
        "{{ [1, [2]]|tojson(indent=2) }}": "[\n  1,\n  [\n    2\n  ]\n]",
        "{{ [1, 2, 3]|slice(2)|list }} {{ [1, 2, 3]|batch(2, 0)|list }}": "[[1, 2], [3]] [[1, 2], [3, 0]]",
        "{{ ([1] * 1000)|batch(1)|list|length }} {{ ([1] * 1000)|slice(1000)|list|length }}": "1000 1000",
        "{{ [[1], [2]]|sum(start=[]) }} {{ [1, 2]|sum }}": "[1, 2] 3",
        '{{ "a b c"|wordwrap(1, wrapstring="/") }} {{ "a\nb"|indent("> ", first=true) }}': "a/b/c > a\n> b",
        '{{ "see https://a.com"|urlize(target="_blank") }}': (
            'see <a href="https://a.com" rel="noopener" target="_blank">https://a.com</a>'
        ),
        '{{ (1).to_bytes(2, "big")|length }} {{ "ab".translate({97: "xy"}) }}': "2 xyb",
        "{{ (2 ** 60) * (2 ** 60) }} {{ ('a',) * 3 }} {{ 'a' ~ 1 ~ [2] }}": f"{2**120} ('a', 'a', 'a') a1[2]",
    }
    env = BriefSandbox()
    for source, expected in cases.items():
        assert env.from_string(source).render(d=day) == expected, source


def test_m5_slow_calls_one_after_another_stop_at_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Review (M5, "one call can still run past the deadline"): the clock was read every 64
    steps, so a few slow calls in a row ran on past it. It is now read at every call."""
    import brief.workspace.sandbox as sandbox

    monkeypatch.setattr(sandbox, "MAX_SECONDS", 0.3)
    env = sandbox.BriefSandbox()
    env.budget.start()
    source = '{% set s = "see a.com " * 20000 %}' + "{{ s|urlize|length }}" * 30
    started = time.monotonic()
    with pytest.raises(sandbox.TemplateRefused, match=r"take over 0\.3 s"):
        env.from_string(source).render()
    assert time.monotonic() - started < 2
