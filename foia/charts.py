"""Server-rendered SVG charts for the dashboard: no JavaScript, no CDN, readable offline and in print."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

SENT_COLOR = "#0b5cad"
ANSWER_COLOR = "#e07b00"
BAR_COLOR = "#3f7fbf"
NO_DATA_COLOR = "#eef1f3"
# Response rate shades, from "almost nobody answered" (red) to "almost everyone" (green).
RATE_SHADES = [(0.2, "#b42318"), (0.4, "#e0694f"), (0.6, "#f0b44c"), (0.8, "#8cc084"), (1.01, "#1e7b34")]

# A tile grid of the US (row, column), the layout newsrooms use for state maps.
US_TILES: dict[str, tuple[int, int]] = {
    "AK": (0, 0), "ME": (0, 11),
    "VT": (1, 10), "NH": (1, 11),
    "WA": (2, 1), "ID": (2, 2), "MT": (2, 3), "ND": (2, 4), "MN": (2, 5), "IL": (2, 6), "WI": (2, 7),
    "MI": (2, 8), "NY": (2, 9), "RI": (2, 10), "MA": (2, 11),
    "OR": (3, 1), "NV": (3, 2), "WY": (3, 3), "SD": (3, 4), "IA": (3, 5), "IN": (3, 6), "OH": (3, 7),
    "PA": (3, 8), "NJ": (3, 9), "CT": (3, 10),
    "CA": (4, 1), "UT": (4, 2), "CO": (4, 3), "NE": (4, 4), "MO": (4, 5), "KY": (4, 6), "WV": (4, 7),
    "VA": (4, 8), "MD": (4, 9), "DE": (4, 10),
    "AZ": (5, 2), "NM": (5, 3), "KS": (5, 4), "AR": (5, 5), "TN": (5, 6), "NC": (5, 7), "SC": (5, 8),
    "DC": (5, 9),
    "OK": (6, 4), "LA": (6, 5), "MS": (6, 6), "AL": (6, 7), "GA": (6, 8),
    "HI": (7, 0), "TX": (7, 4), "FL": (7, 9),
}  # fmt: skip


def _svg(width: int, height: int, title: str, body: list[str]) -> SafeString:
    head = (
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="11">'
        f"<title>{escape(title)}</title>"
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308 -- every value is escaped above


def _nice_max(value: int) -> int:
    """A round axis maximum at or above `value`."""
    if value <= 5:
        return 5
    step = 10 ** (len(str(value)) - 1)
    return ((value + step - 1) // step) * step


def rate_color(rate: float | None) -> str:
    if rate is None:
        return NO_DATA_COLOR
    return next(color for limit, color in RATE_SHADES if rate < limit)


def weekly_chart(rows: list[dict]) -> SafeString:
    """Bars: requests sent per week; line: first responses per week."""
    width, height, left, bottom, top = 720, 230, 40, 30, 24
    if not rows:
        return _svg(width, 60, "No requests sent yet", ['<text x="10" y="35">No requests sent yet.</text>'])
    top_value = _nice_max(max(max(r["sent"], r["responses"]) for r in rows))
    plot_w, plot_h = width - left - 10, height - bottom - top
    step = plot_w / len(rows)
    y = lambda v: top + plot_h - plot_h * v / top_value  # noqa: E731
    body = [
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - 10}" y2="{y(0):.1f}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{y(top_value) + 4:.1f}" text-anchor="end">{top_value}</text>',
        f'<text x="{left - 4}" y="{y(0) + 4:.1f}" text-anchor="end">0</text>',
        f'<line x1="{left}" y1="{y(top_value):.1f}" x2="{width - 10}" y2="{y(top_value):.1f}" '
        'stroke="#ddd" stroke-dasharray="3 3"/>',
    ]
    points = []
    label_every = max(1, len(rows) // 8)
    for i, row in enumerate(rows):
        x = left + i * step
        bar_h = y(0) - y(row["sent"])
        week = row["week"]
        bar_w = min(step * 0.7, 36)
        body.append(
            f'<rect x="{x + (step - bar_w) / 2:.1f}" y="{y(row["sent"]):.1f}" width="{bar_w:.1f}" '
            f'height="{bar_h:.1f}" fill="{SENT_COLOR}" opacity=".85"><title>Week of {week:%b %-d, %Y}: '
            f"{row['sent']} sent, {row['responses']} first responses</title></rect>"
        )
        points.append((x + step / 2, y(row["responses"])))
        if i % label_every == 0:
            body.append(
                f'<text x="{x + step / 2:.1f}" y="{height - 12}" text-anchor="middle">{week:%b %-d}</text>'
            )
    line = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    body.append(f'<polyline points="{line}" fill="none" stroke="{ANSWER_COLOR}" stroke-width="2.5"/>')
    if len(points) <= 26:  # few weeks: mark each point, so even a single week shows its answers
        body += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{ANSWER_COLOR}"/>' for px, py in points]
    body += [
        f'<rect x="{left}" y="4" width="10" height="10" fill="{SENT_COLOR}"/>',
        f'<text x="{left + 14}" y="13">Requests sent</text>',
        f'<line x1="{left + 120}" y1="9" x2="{left + 136}" y2="9" stroke="{ANSWER_COLOR}" '
        'stroke-width="2.5"/>',
        f'<text x="{left + 140}" y="13">First responses</text>',
    ]
    return _svg(width, height, "Requests sent and first responses per week", body)


def histogram(distribution: dict, title: str, color: str = BAR_COLOR) -> SafeString:
    """Vertical bars, one per day bucket, with counts on top."""
    buckets = distribution["buckets"]
    width, height, bottom, top = 360, 170, 28, 18
    top_value = max([b["count"] for b in buckets] + [1])
    step = width / len(buckets)
    plot_h = height - bottom - top
    body = []
    for i, bucket in enumerate(buckets):
        h = plot_h * bucket["count"] / top_value
        x = i * step
        body.append(
            f'<rect x="{x + 4:.1f}" y="{top + plot_h - h:.1f}" width="{step - 8:.1f}" height="{h:.1f}" '
            f'fill="{color}"><title>{escape(bucket["label"])} days: {bucket["count"]}</title></rect>'
            f'<text x="{x + step / 2:.1f}" y="{top + plot_h - h - 4:.1f}" text-anchor="middle">'
            f"{bucket['count']}</text>"
            f'<text x="{x + step / 2:.1f}" y="{height - 10}" text-anchor="middle">'
            f"{escape(bucket['label'])}</text>"
        )
    return _svg(width, height, title, body)


def tile_map(by_state: list[dict]) -> SafeString:
    """The US as a grid of tiles, each coloured by the share of sent requests that got an answer."""
    rates = {row["state"]: row for row in by_state}
    size, gap = 46, 4
    body = []
    for state, (row, col) in US_TILES.items():
        x, y = col * (size + gap), row * (size + gap)
        data = rates.get(state)
        rate = data["rate"] if data else None
        fill = rate_color(rate)
        ink = "#1d2327" if fill in (NO_DATA_COLOR, "#f0b44c", "#8cc084") else "#fff"
        tip = (
            f"{state}: no requests sent"
            if not data
            else (f"{state}: {data['answered']} of {data['sent']} answered ({rate:.0%})")
        )
        label = "–" if rate is None else f"{rate:.0%}"
        body.append(
            f'<g><title>{escape(tip)}</title><rect x="{x}" y="{y}" width="{size}" height="{size}" rx="4" '
            f'fill="{fill}"/><text x="{x + size / 2}" y="{y + 19}" text-anchor="middle" font-weight="700" '
            f'fill="{ink}">{state}</text><text x="{x + size / 2}" y="{y + 35}" text-anchor="middle" '
            f'fill="{ink}" font-size="10">{label}</text></g>'
        )
    width, height = 12 * (size + gap), 8 * (size + gap)
    return _svg(width, height, "Response rate by state", body)


def hbars(rows: list[dict], title: str, color: str = BAR_COLOR) -> SafeString:
    """Horizontal bars with a label and a count, for a handful of categories."""
    if not rows:
        return _svg(360, 40, title, ['<text x="0" y="24">Nothing yet.</text>'])
    width, row_h, label_w = 420, 24, 150
    top_value = max(r["count"] for r in rows) or 1
    body = []
    for i, row in enumerate(rows):
        y = i * row_h
        w = (width - label_w - 50) * row["count"] / top_value
        body.append(
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end">{escape(row["label"])}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" fill="{color}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 16}">{row["count"]}</text>'
        )
    return _svg(width, row_h * len(rows) + 4, title, body)
