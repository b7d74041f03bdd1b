"""Server-rendered inline SVG charts (no JavaScript, no CDN: cells may be offline).

Each function returns a SafeString holding one <svg> with a <title> for screen readers; every
text is escaped. Colours follow the grade tones of the meeting pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape as _html_escape
from typing import Any

from django.utils.safestring import SafeString, mark_safe


def escape(value: Any) -> str:
    """As django.utils.html.escape (html.escape of str(value): & < > " '), as a plain str: the
    commune's heatmap escapes ~1,200 texts a computation and Django's lazy-aware wrapper cost
    ~3 ms of them."""
    return _html_escape(str(value))

GRADE_COLOURS = {"tot": "#2e7d32", "kha": "#1565c0", "trung_binh": "#ef6c00", "kem": "#c62828"}
STATE_COLOURS = {
    "held": "#90a4ae",  # held, minutes not approved yet
    "missing": "#ffffff",
    "future": "#f5f5f5",
}
PALETTE = ("#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#c62828", "#00838f", "#5d4037")


def _svg(width: int, height: int, title: str, body: list[str]) -> SafeString:
    return mark_safe(  # noqa: S308 - every text below is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>'
        + "".join(body)
        + "</svg>"
    )


def bars(
    title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *, height: int = 220
) -> SafeString:
    """Grouped vertical bars: one group per label, one bar per series."""
    n, k = max(len(labels), 1), max(len(series), 1)
    left, top = 36, 24
    label_w = max([6.5 * len(label) + 10 for label in labels] + [14 * k + 14])
    width = int(max(360, left + n * label_w + 10))
    legend = _legend([name for name, _ in series], left, width)
    bottom = 40 + 16 * (legend.lines - 1)
    height += 16 * (legend.lines - 1)
    plot_h = height - bottom - top
    peak = max([v for _, values in series for v in values] + [1])
    group_w = (width - left - 10) / n
    bar_w = min(22.0, (group_w - 8) / k)
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 5}" y2="{top + plot_h}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{top + 4}" font-size="10" text-anchor="end">{_num(peak)}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" font-size="10" text-anchor="end">0</text>',
    ]
    for i, label in enumerate(labels):
        x0 = left + i * group_w + (group_w - bar_w * k) / 2
        for j, (name, values) in enumerate(series):
            v = values[i] if i < len(values) else 0
            h = plot_h * v / peak
            body.append(
                f'<rect x="{x0 + j * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[j % len(PALETTE)]}"><title>{escape(name)} — {escape(label)}: {_num(v)}</title></rect>'
            )
        body.append(
            f'<text x="{left + i * group_w + group_w / 2:.1f}" y="{height - bottom + 14}" font-size="10" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    body += legend.render(height - bottom + 30)
    return _svg(width, height, title, body)


def stacked(
    title: str, labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[int]]], *, height: int = 220
) -> SafeString:
    """Stacked vertical bars: series are (name, colour, values)."""
    n = max(len(labels), 1)
    left, top = 36, 24
    width = max(360, left + n * 34 + 10)
    legend = _legend([name for name, _, _ in series], left, width, [c for _, c, _ in series])
    bottom = 40 + 16 * (legend.lines - 1)
    height += 16 * (legend.lines - 1)
    plot_h = height - bottom - top
    totals = [sum(values[i] for _, _, values in series) for i in range(len(labels))]
    peak = max(totals + [1])
    group_w = (width - left - 10) / n
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 5}" y2="{top + plot_h}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{top + 4}" font-size="10" text-anchor="end">{peak}</text>',
    ]
    for i, label in enumerate(labels):
        y = top + plot_h
        x = left + i * group_w + group_w * 0.15
        for name, colour, values in series:
            v = values[i]
            if not v:
                continue
            h = plot_h * v / peak
            y -= h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{group_w * 0.7:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{escape(label)} — {escape(name)}: {v}</title></rect>"
            )
        body.append(
            f'<text x="{left + i * group_w + group_w / 2:.1f}" y="{height - bottom + 14}" font-size="10" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    body += legend.render(height - bottom + 30)
    return _svg(width, height, title, body)


def line(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    top_value: float = 100,
    height: int = 200,
) -> SafeString:
    """One trend line (None = no data that month), y from 0 to TOP_VALUE."""
    n = max(len(labels), 1)
    left, bottom, top = 36, 30, 16
    width = max(360, left + n * 34 + 10)
    plot_h = height - bottom - top
    step = (width - left - 20) / max(n - 1, 1)
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 5}" y2="{top + plot_h}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{top + 4}" font-size="10" text-anchor="end">{_num(top_value)}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" font-size="10" text-anchor="end">0</text>',
    ]
    points = []
    for i, (label, v) in enumerate(zip(labels, values, strict=False)):
        x = left + 10 + i * step
        body.append(
            f'<text x="{x:.1f}" y="{height - 10}" font-size="10" text-anchor="middle">{escape(label)}</text>'
        )
        if v is None:
            continue
        y = top + plot_h - plot_h * min(v, top_value) / top_value
        points.append(f"{x:.1f},{y:.1f}")
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1565c0"><title>{escape(label)}: {_num(v)}</title></circle>'
        )
    if len(points) > 1:
        body.insert(
            3, f'<polyline points="{" ".join(points)}" fill="none" stroke="#1565c0" stroke-width="2"/>'
        )
    return _svg(width, height, title, body)


def heatmap(
    title: str,
    rows: Sequence[str],
    columns: Sequence[str],
    cells: Sequence[Sequence[tuple[str, str, str | None]]],
) -> SafeString:
    """ROWS × COLUMNS squares; cells[r][c] = (colour, tooltip, link or None)."""
    left, top, size = 170, 22, 34
    width = left + len(columns) * size + 10
    height = top + len(rows) * size + 10
    body = []
    escaped_columns = [escape(label) for label in columns]
    for c, label in enumerate(escaped_columns):
        body.append(
            f'<text x="{left + c * size + size / 2}" y="{top - 8}" font-size="10" text-anchor="middle">{label}</text>'
        )
    for r, name in enumerate(rows):
        short = name if len(name) <= 28 else name[:27] + "…"
        body.append(
            f'<text x="{left - 6}" y="{top + r * size + size * 0.65}" font-size="11" text-anchor="end">{escape(short)}</text>'
        )
        escaped_name = escape(name)
        for c, (colour, tip, href) in enumerate(cells[r]):
            rect = (
                f'<rect x="{left + c * size + 1}" y="{top + r * size + 1}" width="{size - 2}" height="{size - 2}" '
                f'fill="{colour}" stroke="#ccc"><title>{escaped_name} — {escaped_columns[c]}: {escape(tip)}</title></rect>'
            )
            body.append(f'<a href="{escape(href)}">{rect}</a>' if href else rect)
    return _svg(width, height, title, body)


class _Legend:
    """Legend entries laid out left to right, wrapping to new lines within the chart's width."""

    def __init__(self, names: Sequence[str], x: int, width: int, colours: Sequence[str] | None) -> None:
        self.items: list[tuple[float, int, str, str]] = []  # (x, line, colour, name)
        pos, line = float(x), 0
        for i, name in enumerate(names):
            w = 24 + 6.5 * len(name)
            if pos + w > width and pos > x:
                pos, line = float(x), line + 1
            self.items.append((pos, line, colours[i] if colours else PALETTE[i % len(PALETTE)], name))
            pos += w
        self.lines = line + 1

    def render(self, y: int) -> list[str]:
        out = []
        for pos, line, colour, name in self.items:
            yy = y + 16 * line
            out.append(f'<rect x="{pos:.0f}" y="{yy - 9}" width="10" height="10" fill="{colour}"/>')
            out.append(f'<text x="{pos + 14:.0f}" y="{yy}" font-size="11">{escape(name)}</text>')
        return out


def _legend(names: Sequence[str], x: int, width: int, colours: Sequence[str] | None = None) -> _Legend:
    return _Legend(names, x, width, colours)


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}".replace(".", ",")
