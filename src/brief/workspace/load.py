"""Stage 1, load: find the workspace and read briefs/ and data/ into typed models.

Everything is read and cross-checked before anything is built, so a bad reference is
reported with its file and line instead of surfacing half-way through a build.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from brief.errors import BriefError, DataError, WorkspaceError, did_you_mean
from brief.model.schema import Brief, ChartSpec, Figure, Source
from brief.model.text_schema import languages_of, localise, matching
from brief.model.units import UNITS, Unit
from brief.model.variants import Variant
from brief.workspace.root import find_root as find_root  # re-exported: the loader finds workspaces too
from brief.workspace.vegalite import load_vega_lite
from brief.workspace.yamlio import YamlMap, YamlSeq, line_of, read_yaml, validate

_Entry = TypeVar("_Entry", Source, Figure)


@dataclass(frozen=True)
class Origin:
    """Where an entry was defined, for error messages."""

    path: Path
    line: int | None


@dataclass
class Workspace:
    """Everything a build reads, validated."""

    root: Path
    # The language the texts were read in (None: each text's first language, each brief's first).
    language: str | None = None
    briefs: dict[str, Brief] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    figures: dict[str, Figure] = field(default_factory=dict)
    origins: dict[str, Origin] = field(default_factory=dict)
    # brief id → its variants (``for_each``), for the briefs that have them
    variants: dict[str, list[Variant]] = field(default_factory=dict)
    # brief's own units, then data/units.yaml's (which add to them and override them by name).
    units: dict[str, Unit] = field(default_factory=lambda: dict(UNITS))
    # Problems found while loading; entries with errors are left out of the maps above.
    problems: list[BriefError] = field(default_factory=list)
    # The warnings about texts with no translation into the language (among the problems).
    untranslated: list[BriefError] = field(default_factory=list)

    def report(self, exc: BriefError) -> None:
        """Record *exc* (and every problem it stands for) and carry on."""
        self.problems.extend(exc.problems)

    @property
    def templates_dir(self) -> Path:
        """The workspace's template folder."""
        return self.root / "templates"

    @property
    def out_dir(self) -> Path:
        """Where builds are written."""
        return self.root / "out"

    def expand(self, brief_id: str, figure: str) -> list[tuple[str, str | None]]:
        """``(figure id, variant id)`` for each variant of the brief, its placeholders filled
        in; ``[(figure, None)]`` for a brief without variants."""
        from brief.model.variants import fill

        variants = self.variants.get(brief_id)
        if not variants:
            return [(figure, None)]
        return list(dict.fromkeys((fill(figure, v.params), v.id) for v in variants))

    def figure_hint(self, brief_id: str, figure: str) -> str:
        """What to do about an unknown figure id: a placeholder no variant fills, or the
        nearest ids."""
        from brief.model.variants import placeholders

        left = placeholders(figure)
        if not left:
            return nearest(figure, self.figures)
        variants = self.variants.get(brief_id)
        if not variants:
            return f"{{{left[0]}}} is filled in only in a brief with for_each (one document per variant)"
        return f"{{{left[0]}}} is not a parameter; the variants have: {', '.join(variants[0].params)}"

    def origin(self, kind: str, ident: str) -> Origin:
        """Where the *kind* (``brief``, ``figure``, ``source``) called *ident* was defined."""
        return self.origins[f"{kind}:{ident}"]


def load_workspace(root: Path, collect: bool = False, language: str | None = None) -> Workspace:
    """Read and validate the workspace at *root*, its texts in *language*.

    A text written in several languages (a mapping of language to text) is read in
    *language*, a brief in several languages in *language* when it is one of them (else in
    its first); a text with no translation into *language* falls back to its first language
    and is a warning at its line. Without *language*, every text is read in its first language.

    Every file is read and every problem recorded before stopping, as mkdocs does with its
    config. Without *collect* the first error is raised; with it, problems are left in
    ``ws.problems`` for ``brief check`` to report all at once.
    """
    ws = Workspace(root=root.resolve(), language=language)
    for stage in (_load_units, _load_sources, _load_figures, _load_briefs, _check_references):
        # Entries that failed to load would make every reference to them an error too:
        # report the cause, not the cascade.
        if stage is _check_references and ws.problems:
            break
        try:
            stage(ws)
        except BriefError as exc:
            ws.report(exc)
    if not collect:
        errors = [p for p in ws.problems if p.severity == "error"]
        if errors:
            raise errors[0]
    return ws


def _entries(path: Path, root: Path) -> YamlSeq:
    doc = read_yaml(path, root)
    if doc is None:
        return YamlSeq(1)
    if not isinstance(doc, YamlSeq):
        raise DataError("expected a list of entries (each starting with '- id: ...')", path, 1)
    return doc


def _require_mapping(node: Any, entries: YamlSeq, index: int, path: Path) -> None:
    if not isinstance(node, YamlMap):
        raise DataError(
            f"entry {index + 1} is not a mapping (expected 'id: ...' and other fields)",
            path,
            line_of(entries, [index]),
            hint="indent the entry's fields under its '- '",
        )


def _register(ws: Workspace, kind: str, ident: str, path: Path, line: int | None) -> None:
    key = f"{kind}:{ident}"
    if key in ws.origins:
        first = ws.origins[key]
        raise DataError(
            f"duplicate {kind} id {ident!r} (first defined at {first.path.name}:{first.line})",
            path,
            line,
            hint="give each entry a unique id",
        )
    ws.origins[key] = Origin(path, line)


def _load_units(ws: Workspace) -> None:
    from brief.workspace.units import read_units

    path = ws.root / "data" / "units.yaml"
    if path.exists():
        declared, problems = read_units(path, ws.root)
        ws.units.update(declared)
        for problem in problems:
            ws.report(problem)


def _load_sources(ws: Workspace) -> None:
    path = ws.root / "data" / "sources.yaml"
    if not path.exists():
        raise WorkspaceError("missing data/sources.yaml", path, hint="every figure needs a source")
    ws.sources.update(_load_entries(ws, path, Source, "source"))


def _load_entries(ws: Workspace, path: Path, model: type[_Entry], kind: str) -> dict[str, _Entry]:
    """Every valid entry of a YAML list file, by id; each bad entry is reported, not fatal."""
    entries = _entries(path, ws.root)
    loaded: dict[str, _Entry] = {}
    for i, node in enumerate(entries):
        try:
            _require_mapping(node, entries, i, path)
            entry = validate(model, _localised(ws, model, node, path, ws.language), path, {"units": ws.units})
            _register(ws, kind, entry.id, path, line_of(entries, [i]))
        except BriefError as exc:
            ws.report(exc)
            continue
        loaded[entry.id] = entry
    return loaded


def _figure_files(root: Path) -> list[Path]:
    folder = root / "data" / "figures"
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.csv")])
    single = root / "data" / "figures.yaml"
    return [single, *files] if single.exists() else files


def _load_figures(ws: Workspace) -> None:
    for path in _figure_files(ws.root):
        if path.suffix == ".csv":
            _load_figures_csv(ws, path)
            continue
        try:
            ws.figures.update(_load_entries(ws, path, Figure, "figure"))
        except BriefError as exc:
            ws.report(exc)


def _load_figures_csv(ws: Workspace, path: Path) -> None:
    from brief.workspace.tables import read_figures_csv

    try:
        figures, problems = read_figures_csv(path, ws.root, ws.units)
    except BriefError as exc:
        ws.report(exc)
        return
    ws.problems.extend(problems)
    for line, figure in figures:
        try:
            _register(ws, "figure", figure.id, path, line)
        except BriefError as exc:
            ws.report(exc)
            continue
        ws.figures[figure.id] = figure


def _load_briefs(ws: Workspace) -> None:
    folder = ws.root / "briefs"
    for path in sorted(folder.glob("*.yaml")):
        try:
            doc: Any = read_yaml(path, ws.root)
            if not isinstance(doc, YamlMap):
                raise DataError(
                    "a brief file is a mapping (title:, date:, audiences: ...)",
                    path,
                    1,
                    hint="start from the file that `brief new brief NAME` writes",
                )
            doc.setdefault("id", path.stem)
            if "language" in doc and "languages" in doc:
                raise DataError(
                    "write either `language` (one) or `languages` (several), not both",
                    path,
                    line_of(doc, ["language"]),
                    hint="list every language the brief is built in under `languages`",
                )
            languages = languages_of(doc)
            language = (matching(ws.language, languages) if ws.language else None) or languages[0]
            brief = validate(Brief, _localised(ws, Brief, doc, path, language), path, {"language": language})
            brief = brief.model_copy(update={"language": language})
            _register(ws, "brief", brief.id, path, 1)
        except BriefError as exc:
            ws.report(exc)
            continue
        ws.briefs[brief.id] = brief
        ws.origins[f"language:{brief.id}"] = Origin(path, line_of(doc, ["language"]))
        if brief.for_each is not None:
            from brief.workspace.variants import read_variants

            ws.variants[brief.id], problems = read_variants(ws.root, path, doc, brief.for_each)
            ws.problems.extend(problems)
        for name, audience in brief.audiences.items():
            ws.origins[f"audience:{brief.id}:{name}"] = Origin(path, line_of(doc, ["audiences", name]))
            for i in range(len(audience.sections)):
                ws.origins[f"section:{brief.id}:{name}:{i}"] = Origin(
                    path, line_of(doc, ["audiences", name, "sections", i])
                )
        for cid, chart in brief.charts.items():
            ws.origins[f"chart:{brief.id}:{cid}"] = Origin(path, line_of(doc, ["charts", cid]))
            for r in range(len(chart.rows)):
                line = line_of(doc, ["charts", cid, "rows", r, "figure"])
                ws.origins[f"chart-row:{brief.id}:{cid}:{r}"] = Origin(path, line)


def _localised(ws: Workspace, model: type[Any], node: Any, path: Path, language: str | None) -> Any:
    """*node* with its texts in *language*; each text without a translation is a warning."""
    owner = f"{model.__name__.lower()} {node.get('id')!r}: " if model is not Brief and isinstance(node, dict) else ""
    localised, missing = localise(model, node, language, owner)
    for gap in missing:
        ws.untranslated.append(gap.warning(path))
        ws.report(ws.untranslated[-1])
    return localised


def untranslated_elsewhere(ws: Workspace) -> list[BriefError]:
    """The texts with no translation into each language of the briefs built in several (a
    workspace is loaded in one language: ``brief check`` asks about all of them)."""
    tags = dict.fromkeys(t for b in ws.briefs.values() if len(b.editions_languages) > 1 for t in b.editions_languages)
    seen = {(p.message, p.path, p.line) for p in ws.untranslated}
    found: list[BriefError] = []
    for tag in tags:
        for warning in load_workspace(ws.root, collect=True, language=tag).untranslated:
            if (warning.message, warning.path, warning.line) not in seen:
                seen.add((warning.message, warning.path, warning.line))
                found.append(warning)
    return found


def _check_references(ws: Workspace) -> None:
    for fid, fig in ws.figures.items():
        origin = ws.origin("figure", fid)
        if fig.source is not None and fig.source not in ws.sources:
            hint = f"add it to data/sources.yaml or use one of: {_some(ws.sources)}"
            ws.report(
                DataError(f"figure {fid!r} cites unknown source {fig.source!r}", origin.path, origin.line, hint=hint)
            )
        if fig.derive is not None:
            for ref in fig.derive.of:
                if ref not in ws.figures:
                    ws.report(
                        DataError(
                            f"figure {fid!r} derives from unknown figure {ref!r}",
                            origin.path,
                            origin.line,
                            hint=nearest(ref, ws.figures),
                        )
                    )
    _check_cycles(ws)
    for bid, brief in ws.briefs.items():
        for cid, chart in brief.charts.items():
            known = True
            for r, row in enumerate(chart.rows):
                origin = ws.origin("chart-row", f"{bid}:{cid}:{r}")
                for figure, variant in ws.expand(bid, row.figure):
                    if figure not in ws.figures:
                        known = False
                        where = f" in variant {variant!r}" if variant else ""
                        ws.report(
                            DataError(
                                f"chart {cid!r} uses unknown figure {figure!r}{where}",
                                origin.path,
                                origin.line,
                                hint=ws.figure_hint(bid, figure),
                            )
                        )
            if known:
                _check_chart_units(ws, bid, cid, chart)
            if chart.spec is not None:
                try:
                    load_vega_lite(ws.root / chart.spec, ws.root)
                except BriefError as exc:
                    ws.report(exc)


def _check_chart_units(ws: Workspace, bid: str, cid: str, chart: ChartSpec) -> None:
    """One axis, one unit: a chart whose rows are in different units (a count and a percentage)
    is an error at the first row that differs, unless it declares a dual or normalised axis.
    A table is exempt: each cell is printed with its own unit. Each variant is checked with
    its own figures."""
    if chart.kind == "table" or chart.axis == "normalised":
        return
    expanded = [ws.expand(bid, row.figure) for row in chart.rows]
    for v in range(len(expanded[0]) if expanded else 0):
        figures = [cells[v][0] for cells in expanded]
        units = list(dict.fromkeys(ws.figures[f].unit for f in figures))
        allowed = 2 if chart.axis == "dual" else 1
        if len(units) <= allowed:
            continue
        r = next(i for i, f in enumerate(figures) if ws.figures[f].unit == units[allowed])
        origin = ws.origin("chart-row", f"{bid}:{cid}:{r}")
        if chart.axis == "dual":
            message = f"chart {cid!r} has a dual axis but rows in {len(units)} units: {', '.join(units)}"
            hint = "a dual axis shows two units; split the chart"
        else:
            message = f"chart {cid!r} mixes units on one axis: {units[0]} and {units[1]} ({figures[r]!r})"
            hint = "plot one unit per chart, or, in a line chart, declare axis: dual (two units) or axis: normalised"
        ws.report(DataError(message, origin.path, origin.line, hint=hint))
        return


def _check_cycles(ws: Workspace) -> None:
    done: set[str] = set()

    def visit(fid: str, trail: tuple[str, ...]) -> None:
        if fid in done:
            return
        if fid in trail:
            origin = ws.origin("figure", fid)
            cycle = " → ".join((*trail[trail.index(fid) :], fid))
            raise DataError(f"figures derive from each other in a loop: {cycle}", origin.path, origin.line)
        derive = ws.figures[fid].derive
        for ref in derive.of if derive else ():
            if ref in ws.figures:
                visit(ref, (*trail, fid))
        done.add(fid)

    for fid in ws.figures:
        visit(fid, ())


def _some(names: dict[str, Any]) -> str:
    listed = sorted(names)
    return ", ".join(listed[:8]) + (" …" if len(listed) > 8 else "")


def nearest(name: str, names: dict[str, Any]) -> str:
    """A hint naming the closest valid names (difflib's ratio, as ``git`` does for commands)."""
    return did_you_mean(name, names, f"valid names include: {_some(names)}")
