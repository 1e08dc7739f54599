"""A naive one-file pipeline with the same libraries, to compare `brief` against.

Altair → vl-convert SVG → Jinja → WeasyPrint, for the same policy brief: the same figures,
the same six charts and the same narrative text, but none of what `brief` adds (no
checks, no endnotes, no tags, no cache, no atomic write). Run from a workspace:

    python benchmarks/naive_pipeline.py WORKSPACE OUT.pdf
"""

from __future__ import annotations

import base64
import csv
import glob
import sys
from pathlib import Path

import altair as alt
import jinja2
import vl_convert as vlc
import weasyprint
import yaml
from markdown_it import MarkdownIt


def main(root: Path, out: Path) -> None:
    """Build the policy brief the simple way."""
    brief = yaml.safe_load((root / "briefs" / "us-china-ai-gap.yaml").read_text())
    figures = {
        f["id"]: f
        for p in glob.glob(str(root / "data" / "figures" / "*.yaml"))
        for f in yaml.safe_load(Path(p).read_text())
    }
    for p in glob.glob(str(root / "data" / "figures" / "*.csv")):
        with open(p, newline="", encoding="utf-8") as table:
            figures.update((row["id"], row) for row in csv.DictReader(table))
    vlc.register_font_directory(str(root / "templates" / "fonts"))

    def value(fid: str) -> float:
        fig = figures[fid]
        if "value" in fig:
            return float(fig["value"])
        a, b = (value(x) for x in fig["derive"]["of"])
        return a / b

    charts = {}
    for cid in brief["audiences"]["policy"]["charts"]:
        spec = brief["charts"][cid]
        rows = [{"label": r["label"], "series": r.get("series", ""), "value": value(r["figure"])} for r in spec["rows"]]
        chart = (
            alt.Chart(alt.Data(values=rows))
            .mark_bar()
            .encode(y="label:N", x="value:Q", color="series:N")
            .properties(width=300, height=spec.get("height", 150))
        )
        svg = vlc.vegalite_to_svg(chart.configure(font="'Source Sans 3'").to_dict(), vl_version="v6_4")
        charts[cid] = (spec["title"], base64.b64encode(svg.encode()).decode())

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(root / "templates" / "policy")), autoescape=True)
    placed = []

    def chart(*ids: str) -> str:
        placed.extend(ids)
        return "".join(
            f"<figure><figcaption>{charts[i][0]}</figcaption>"
            f'<img src="data:image/svg+xml;base64,{charts[i][1]}" style="width:100%"></figure>'
            for i in ids
        )

    def fig(fid: str, style: str = "long", note: bool = True) -> str:
        return f"{value(fid):g} {figures[fid]['unit']}"

    md = MarkdownIt("commonmark", {"html": True})
    body = "".join(
        md.render(env.get_template(f"{s}.md.j2").render(fig=fig, chart=chart, cite=lambda *a: ""))
        for s in brief["audiences"]["policy"]["sections"]
    )
    faces = (("Source Serif 4", "SourceSerif4-Regular.ttf"), ("Source Sans 3", "SourceSans3-Regular.ttf"))
    fonts = "".join(
        f'@font-face {{ font-family: "{n}"; src: url("{(root / "templates" / "fonts" / f).as_uri()}"); }}'
        for n, f in faces
    )
    html = (
        f"<html><head><style>{fonts} @page {{ size: Letter; margin: 0.9in }} "
        f"body {{ font-family: 'Source Serif 4'; font-size: 10pt }} h2 {{ font-family: 'Source Sans 3' }}"
        f"</style></head><body><h1>{brief['title']}</h1>{body}</body></html>"
    )
    weasyprint.HTML(string=html, base_url=str(root)).write_pdf(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]))
