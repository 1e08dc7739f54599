"""Stage 3b, draw: vl-convert draws Vega-Lite specs to SVG.

vl-convert is imported here and nowhere else. This is all a chart worker process runs, so it
imports nothing but vl-convert and our errors: the worker starts the engine while the build
is still loading the workspace, and every import here would delay it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brief.errors import ChartError

# The Vega-Lite version every chart is written for (Altair 5.4+ writes v6 specs).
VL_VERSION = "v6_4"

# vl-convert's JavaScript engine (V8 1.9) reserves about 64 GB of address space as it starts,
# memory it never touches: under a lower address-space limit (``ulimit -v``, RLIMIT_AS) it
# cannot start and kills its process with SIGTRAP and a C stack dump. A limit on memory used
# (a cgroup's MemoryMax, or ``ulimit -d``) bounds it instead.
ENGINE_ADDRESS_SPACE = 72 * 1024**3
ADDRESS_SPACE_HINT = (
    "limit the memory a build uses with a cgroup (systemd-run --user -p MemoryMax=2G brief build ...) "
    "or a data-size limit (ulimit -d 2000000), not with ulimit -v"
)

# Each folder given to vl-convert, with the font files it held then.
_fonts_registered: dict[Path, frozenset[tuple[str, int]]] = {}


def register_fonts(font_dirs: tuple[Path, ...] | list[Path]) -> None:
    """Give vl-convert the brand's font folders: it measures label text with its own font
    lookup, and must measure it as the PDF will print it. A folder is read again only when
    its files have changed (the preview outlives a font being added)."""
    import vl_convert as vlc

    for folder in font_dirs:
        files = frozenset((f.name, f.stat().st_mtime_ns) for f in folder.iterdir() if f.is_file())
        if _fonts_registered.get(folder) != files:
            vlc.register_font_directory(str(folder))
            _fonts_registered[folder] = files


@dataclass(frozen=True)
class DrawJob:
    """Charts to draw: ``(chart id, Vega-Lite spec)`` pairs, the brand's font folders, and the
    brief file an error names."""

    specs: tuple[tuple[str, dict[str, Any]], ...]
    font_dirs: tuple[Path, ...]
    brief_path: Path


def draw_specs(job: DrawJob) -> list[str]:
    """The SVG of each spec of *job*, in order (run here or in a chart worker)."""
    import vl_convert as vlc

    register_fonts(job.font_dirs)
    svgs = []
    brief_path = job.brief_path
    for chart_id, spec in job.specs:
        try:
            svgs.append(str(vlc.vegalite_to_svg(spec, vl_version=VL_VERSION, allowed_base_urls=[])))
        except Exception as exc:  # vl-convert raises plain ValueErrors with JS messages
            raise ChartError(f"chart {chart_id!r} failed to render: {exc}", brief_path) from None
    return svgs


def warm_up() -> None:
    """Start vl-convert's JavaScript engine, which takes about 0.45 s on its first use."""
    import vl_convert as vlc

    vlc.vegalite_to_svg({"mark": "point"}, vl_version=VL_VERSION, allowed_base_urls=[])


def export_spec(
    chart_id: str, spec: dict[str, Any], font_dirs: list[Path], brief_path: Path, fmt: str, scale: float
) -> bytes:
    """One chart for slides, as SVG or as PNG at *scale* times its size."""
    import vl_convert as vlc

    register_fonts(font_dirs)
    try:
        if fmt == "png":
            return bytes(vlc.vegalite_to_png(spec, vl_version=VL_VERSION, scale=scale, allowed_base_urls=[]))
        return str(vlc.vegalite_to_svg(spec, vl_version=VL_VERSION, allowed_base_urls=[])).encode("utf-8")
    except Exception as exc:  # vl-convert raises plain ValueErrors with JS messages
        raise ChartError(f"chart {chart_id!r} failed to export: {exc}", brief_path) from exc


def engine_can_start() -> bool:
    """Whether this process's address-space limit leaves room for the chart engine to start."""
    try:
        import resource
    except ImportError:  # no such limits to hit (Windows)
        return True
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return soft == resource.RLIM_INFINITY or soft >= ENGINE_ADDRESS_SPACE


def check_engine_can_start() -> None:
    """A :class:`ChartError` if the chart engine cannot start here: one line, where the engine
    itself would kill the process with a C stack dump."""
    if not engine_can_start():
        import resource

        limit = resource.getrlimit(resource.RLIMIT_AS)[0] / 1024**3
        raise ChartError(
            f"the chart engine cannot start under this memory limit (ulimit -v, {limit:.1f} GB of address "
            f"space): it reserves about 64 GB of addresses it never uses",
            hint=ADDRESS_SPACE_HINT,
        )
