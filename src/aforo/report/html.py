"""Self-contained HTML pages: figures embedded as PNG data, no external files or scripts.

A report must open years later on a machine without aforo or the network (a court's archive),
so nothing is linked: styles inline, images as base64.
"""

from __future__ import annotations

import base64
import html
import io
from typing import Iterable

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; } .muted { color: #666; font-size: 0.9em; }
"""


def escape(value: object) -> str:
    return html.escape(str(value))


def figure(fig, alt: str) -> str:
    """A matplotlib figure as an <img> with the PNG inline; the figure is closed."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """An HTML table; numbers are right-aligned."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(f'<td class="num">{escape(c)}</td>' if isinstance(c, (int, float)) and not isinstance(c, bool)
                        else f"<td>{escape(c)}</td>" for c in row)
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def page(title: str, sections: Iterable[str], *, subtitle: str = "") -> str:
    sub = f'<p class="muted">{escape(subtitle)}</p>' if subtitle else ""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>{sub}{''.join(sections)}</body></html>\n")
