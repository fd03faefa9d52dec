"""The plan summary's charts, drawn on the server as inline SVG: they need no script, print as they
show, and say what they draw (role="img", an aria-label, a <title>, and their numbers as text).

Only presentation attributes (fill=, x=, width=): the content security policy refuses style="".
Each function takes plain numbers and labels and returns markup ready for a template.
"""

from __future__ import annotations

from markupsafe import Markup, escape

# One colour per status, dark enough for white text and distinct in grey when printed.
STATUS_COLOURS = {"not_started": "#6b7280", "in_progress": "#1d4ed8", "done": "#15803d", "abandoned": "#9a3412"}
LATE_COLOUR = "#b91c1c"
TEXT_COLOUR = "currentColor"  # the page's text colour, whatever the theme
WIDTH = 640
LABEL_WIDTH = 200
ROW = 34


def _svg(label: str, height: int, body: list[str], width: int = WIDTH) -> Markup:
    label = escape(label)
    return Markup(
        f'<svg class="plan-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" role="img" aria-label="{label}">'
        f"<title>{label}</title>{''.join(body)}</svg>")


def _text(x: float, y: float, text: str, *, anchor: str = "start", fill: str = TEXT_COLOUR, weight: str = "normal",
          size: int = 14) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}" font-size="{size}" '
            f'font-weight="{weight}" font-family="inherit">{escape(text)}</text>')


def _track(y: float, span: float) -> str:
    """The grey rail a bar runs along (the page's text colour, faint: right in every theme)."""
    return (f'<rect x="{LABEL_WIDTH}" y="{y}" width="{span}" height="24" rx="3" '
            'fill="currentColor" fill-opacity="0.12"/>')


def _clip(text: str, length: int = 26) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def status_bars(title: str, rows: list[tuple[str, str, int]]) -> Markup:
    """One horizontal bar per status: rows of (key, label, count); `key` picks the colour."""
    top = max((count for _key, _label, count in rows), default=0) or 1
    span = WIDTH - LABEL_WIDTH - 60
    body = []
    for i, (key, label, count) in enumerate(rows):
        y = i * ROW + 6
        length = span * count / top
        body.append(_text(0, y + 18, _clip(label)))
        body.append(_track(y, span))
        if count:
            colour = LATE_COLOUR if key == "late" else STATUS_COLOURS.get(key, TEXT_COLOUR)
            body.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="24" rx="3" fill="{colour}">'
                        f"<title>{escape(label)} : {count}</title></rect>")
        body.append(_text(LABEL_WIDTH + span + 8, y + 18, str(count), weight="bold"))
    return _svg(title, len(rows) * ROW + 8, body)


def stacked_bars(title: str, rows: list[tuple[str, list[tuple[str, str, int]]]], empty: str) -> Markup:
    """One bar per row (an objective), split by status: rows of (label, [(key, status label, count)])."""
    span = WIDTH - LABEL_WIDTH - 60
    body = []
    for i, (label, parts) in enumerate(rows):
        y = i * ROW + 6
        total = sum(count for _key, _label, count in parts)
        body.append(_text(0, y + 18, _clip(label)))
        body.append(_track(y, span))
        x = float(LABEL_WIDTH)
        for key, part_label, count in parts:
            if not count or not total:
                continue
            length = span * count / total
            body.append(f'<rect x="{x:.1f}" y="{y}" width="{length:.1f}" height="24" '
                        f'fill="{STATUS_COLOURS.get(key, TEXT_COLOUR)}"><title>{escape(label)} – '
                        f"{escape(part_label)} : {count}</title></rect>")
            if length >= 22:
                body.append(_text(x + length / 2, y + 17, str(count), anchor="middle", fill="#ffffff", size=13))
            x += length
        body.append(_text(LABEL_WIDTH + span + 8, y + 18, str(total) if total else empty, weight="bold"))
    return _svg(title, max(len(rows), 1) * ROW + 8, body)


def target_bars(title: str, rows: list[tuple[str, float | None, str]]) -> Markup:
    """How far each indicator has gone from its baseline to its target: rows of (label, ratio 0..1 or
    None when it cannot be said, the text shown beside it: « 12 / 20 lits »)."""
    span = WIDTH - LABEL_WIDTH - 150
    body = []
    for i, (label, ratio, said) in enumerate(rows):
        y = i * ROW + 6
        body.append(_text(0, y + 18, _clip(label)))
        body.append(_track(y, span))
        if ratio:
            colour = STATUS_COLOURS["done"] if ratio >= 1 else STATUS_COLOURS["in_progress"]
            body.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{span * ratio:.1f}" height="24" rx="3" '
                        f'fill="{colour}"><title>{escape(label)} : {round(ratio * 100)} %</title></rect>')
        body.append(f'<line x1="{LABEL_WIDTH + span}" x2="{LABEL_WIDTH + span}" y1="{y - 3}" y2="{y + 27}" '
                    f'stroke="{TEXT_COLOUR}" stroke-width="2"/>')
        body.append(_text(LABEL_WIDTH + span + 8, y + 18, said, size=13))
    return _svg(title, max(len(rows), 1) * ROW + 8, body)
