"""The plan summary's charts, drawn on the server as inline SVG: they need no script, print as they
show, and say what they draw (role="img", an aria-label, a <title>, and their numbers as text).

Only presentation attributes (fill=, x=, width=): the content security policy refuses style="".
Each function takes plain numbers and labels and returns markup ready for a template.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape

# One colour per status, dark enough for white text and distinct in grey when printed.
STATUS_COLOURS = {"not_started": "#6b7280", "in_progress": "#1d4ed8", "done": "#15803d", "abandoned": "#9a3412"}
LATE_COLOUR = "#b91c1c"
TEXT_COLOUR = "currentColor"  # the page's text colour, whatever the theme


@dataclass(frozen=True)
class Layout:
    """Where a chart's rows go. A viewBox scales its words with it: a chart drawn 640 units wide
    shown on a phone (about 320 px) would write at half size. So each chart is drawn twice: wide,
    the label beside its bar; narrow, the label above it; the page's CSS shows the one that fits."""

    name: str
    width: int      # of the viewBox, in units shown as CSS pixels at most
    bar_x: int      # where bars start (the labels are left of it, or above)
    row: int        # height of one row
    bar_y: int      # top of a bar below its row's top
    label_y: int    # baseline of the label below its row's top
    clip: int       # characters of a label kept


WIDE = Layout("wide", 640, 200, 34, 0, 18, 24)
NARROW = Layout("narrow", 330, 0, 54, 22, 15, 42)
LAYOUTS = (WIDE, NARROW)


def _svg(label: str, layout: Layout, rows: int, body: list[str]) -> Markup:
    label = escape(label)
    height = max(rows, 1) * layout.row + 8
    return Markup(
        f'<svg class="plan-chart plan-chart-{layout.name}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {layout.width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" role="img" '
        f'aria-label="{label}"><title>{label}</title>{"".join(body)}</svg>')


def _drawn(title: str, rows: int, draw: Callable[[Layout], list[str]]) -> Markup:
    """The chart in each layout, one after the other (one is shown: static/css/app.css)."""
    return Markup("").join(_svg(title, layout, rows, draw(layout)) for layout in LAYOUTS)


def _text(x: float, y: float, text: str, *, anchor: str = "start", fill: str = TEXT_COLOUR, weight: str = "normal",
          size: int = 14) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}" font-size="{size}" '
            f'font-weight="{weight}" font-family="inherit">{escape(text)}</text>')


def _track(layout: Layout, top: float, span: float) -> str:
    """The grey rail a bar runs along (the page's text colour, faint: right in every theme)."""
    return (f'<rect x="{layout.bar_x}" y="{top}" width="{span}" height="24" rx="3" '
            'fill="currentColor" fill-opacity="0.12"/>')


def _clip(text: str, length: int = 26) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def status_bars(title: str, rows: list[tuple[str, str, int]]) -> Markup:
    """One horizontal bar per status: rows of (key, label, count); `key` picks the colour."""
    top = max((count for _key, _label, count in rows), default=0) or 1

    def draw(layout: Layout) -> list[str]:
        span = layout.width - layout.bar_x - 60
        body = []
        for i, (key, label, count) in enumerate(rows):
            y = i * layout.row + 6
            bar = y + layout.bar_y
            body.append(_text(0, y + layout.label_y, _clip(label, layout.clip)))
            body.append(_track(layout, bar, span))
            if count:
                colour = LATE_COLOUR if key == "late" else STATUS_COLOURS.get(key, TEXT_COLOUR)
                body.append(f'<rect x="{layout.bar_x}" y="{bar}" width="{span * count / top:.1f}" height="24" '
                            f'rx="3" fill="{colour}"><title>{escape(label)} : {count}</title></rect>')
            body.append(_text(layout.bar_x + span + 8, bar + 18, str(count), weight="bold"))
        return body

    return _drawn(title, len(rows), draw)


def stacked_bars(title: str, rows: list[tuple[str, list[tuple[str, str, int]]]], empty: str) -> Markup:
    """One bar per row (an objective), split by status: rows of (label, [(key, status label, count)])."""

    def draw(layout: Layout) -> list[str]:
        span = layout.width - layout.bar_x - 60
        body = []
        for i, (label, parts) in enumerate(rows):
            y = i * layout.row + 6
            bar = y + layout.bar_y
            total = sum(count for _key, _label, count in parts)
            body.append(_text(0, y + layout.label_y, _clip(label, layout.clip)))
            body.append(_track(layout, bar, span))
            x = float(layout.bar_x)
            for key, part_label, count in parts:
                if not count or not total:
                    continue
                length = span * count / total
                body.append(f'<rect x="{x:.1f}" y="{bar}" width="{length:.1f}" height="24" '
                            f'fill="{STATUS_COLOURS.get(key, TEXT_COLOUR)}"><title>{escape(label)} – '
                            f"{escape(part_label)} : {count}</title></rect>")
                if length >= 22:
                    body.append(_text(x + length / 2, bar + 17, str(count), anchor="middle", fill="#ffffff", size=13))
                x += length
            body.append(_text(layout.bar_x + span + 8, bar + 18, str(total) if total else empty, weight="bold"))
        return body

    return _drawn(title, len(rows), draw)


def target_bars(title: str, rows: list[tuple[str, float | None, str]]) -> Markup:
    """How far each indicator has gone from its baseline to its target: rows of (label, ratio 0..1 or
    None when it cannot be said, the text shown beside it: « 12 / 20 lits »)."""

    def draw(layout: Layout) -> list[str]:
        span = layout.width - layout.bar_x - 150
        body = []
        for i, (label, ratio, said) in enumerate(rows):
            y = i * layout.row + 6
            bar = y + layout.bar_y
            body.append(_text(0, y + layout.label_y, _clip(label, layout.clip)))
            body.append(_track(layout, bar, span))
            if ratio:
                colour = STATUS_COLOURS["done"] if ratio >= 1 else STATUS_COLOURS["in_progress"]
                body.append(f'<rect x="{layout.bar_x}" y="{bar}" width="{span * ratio:.1f}" height="24" rx="3" '
                            f'fill="{colour}"><title>{escape(label)} : {round(ratio * 100)} %</title></rect>')
            body.append(f'<line x1="{layout.bar_x + span}" x2="{layout.bar_x + span}" y1="{bar - 3}" y2="{bar + 27}" '
                        f'stroke="{TEXT_COLOUR}" stroke-width="2"/>')
            body.append(_text(layout.bar_x + span + 8, bar + 18, said, size=13))
        return body

    return _drawn(title, len(rows), draw)
