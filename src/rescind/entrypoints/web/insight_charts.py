"""The insights' tables as pictures (SVG by pygal) and as CSV: one shape for every door.

Charts are drawn on the server with pygal's JavaScript switched off and embedded as
``data:`` images (the console's Content-Security-Policy allows those, and an SVG shown as an
image keeps its own styles), so they read without JavaScript; every number is also in the
table beside the chart. pygal takes some tens of milliseconds per chart, so a drawing is kept
for the numbers it shows (the same table draws the same picture).
"""

from __future__ import annotations

import base64
import csv
import io
import sys
from functools import lru_cache

import pygal
from pygal.style import Style

from rescind.domain.insight_figures import PROMISE_HOURS, Table

# pygal 3.1 appends a finder for its map plugins that knows only the old find_module protocol;
# every later import then raises an ImportWarning. The maps are not used here.
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

_STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#52606d",
    colors=("#1d4ed8", "#b91c1c", "#b45309", "#047857", "#6d28d9", "#0e7490"),
    font_family="system-ui, sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=12,
    title_font_size=14,
    value_font_size=11,
)
_COMMON = {
    "js": [],  # no script: the picture is the picture
    "disable_xml_declaration": True,
    "style": _STYLE,
    "width": 640,
    "height": 300,
    "legend_at_bottom": True,
    "print_values": False,
    "show_y_guides": True,
    "truncate_label": 28,
}


@lru_cache(maxsize=256)
def chart_image(table: Table) -> str:
    """The chart of ``table`` as a ``data:image/svg+xml`` URI."""
    svg = _chart(table).render(is_unicode=True).encode()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _chart(table: Table) -> pygal.graph.graph.Graph:
    labels = [str(row[0]) for row in table.rows]
    series = table.columns[1:]
    if table.name == "by_week":
        chart = pygal.Line(show_dots=True, dots_size=3, x_label_rotation=30, **_COMMON)
    elif table.name == "decision_time":
        chart = pygal.Bar(
            show_legend=False,
            title=f"promise: {PROMISE_HOURS[0]}–{PROMISE_HOURS[1]} h",
            **_COMMON,
        )
    elif len(series) == 1:
        chart = pygal.HorizontalBar(show_legend=False, print_values=True, **_COMMON_NO_VALUES)
    else:
        chart = pygal.HorizontalStackedBar(**_COMMON)
    chart.x_labels = labels
    for i, name in enumerate(series, start=1):
        chart.add(name.replace("_", " "), [int(row[i]) for row in table.rows])
    return chart


_COMMON_NO_VALUES = {k: v for k, v in _COMMON.items() if k != "print_values"}


def csv_text(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows([_cell(v) for v in row] for row in table.rows)
    return out.getvalue()


def _cell(value: str | int) -> str | int:
    """A text cell a spreadsheet would run as a formula is written as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
