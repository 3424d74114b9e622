"""Plots for the report: matplotlib without a display, saved as PNG bytes.

The report embeds them in the HTML (base64) and writes them next to the Markdown, so each is
made once, here, with a plain and uniform look.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display: reports are written on servers and in CI

import matplotlib.pyplot as plt  # noqa: E402

from aforo.verify.model import Figure  # noqa: E402


def axes(title: str, xlabel: str, ylabel: str, size=(6.0, 4.0)):
    """A new figure with one set of axes, labelled."""
    fig, ax = plt.subplots(figsize=size, dpi=100)
    ax.set_title(title, fontsize=11)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    return fig, ax


def grid(title: str, n_cols: int, size=(10.0, 4.0)):
    """A new figure with ``n_cols`` axes side by side."""
    fig, many = plt.subplots(1, n_cols, figsize=size, dpi=100)
    fig.suptitle(title, fontsize=11)
    for ax in many:
        ax.grid(True, alpha=0.3)
    return fig, many


def finish(fig, title: str, file_name: str) -> Figure:
    """Render and close the figure; returns it as a report :class:`Figure`."""
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return Figure(title=title, png=buffer.getvalue(), file_name=file_name)
