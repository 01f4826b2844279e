"""Concentration measures over the validator set, and the server-drawn SVG charts that show them.

- Herfindahl-Hirschman index (HHI): sum of squared shares in percent, 0 (spread) to 10,000 (one holder).
- Nakamoto coefficient: the fewest holders whose validators together exceed one third of the set, the share
  that can stop finality on Ethereum; higher is better.
- Client warning: any execution or consensus client at one third of the validators or more.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.utils.html import escape

ONE_THIRD = Fraction(1, 3)
DIMENSIONS = ("consensus_client", "execution_client", "country", "hosting", "category")
CLIENT_DIMENSIONS = ("consensus_client", "execution_client")


def hhi(counts: Mapping[str, int]) -> Decimal:
    total = sum(counts.values())
    if total == 0:
        return Decimal(0)
    value = sum(Fraction(c * 100, total) ** 2 for c in counts.values())
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def hhi_exact(counts: Mapping[str, int]) -> Fraction:
    total = sum(counts.values())
    if total == 0:
        return Fraction(0)
    return sum((Fraction(c * 100, total) ** 2 for c in counts.values()), Fraction(0))


def nakamoto(counts: Mapping[str, int], threshold: Fraction = ONE_THIRD) -> int:
    total = sum(counts.values())
    if total == 0:
        return 0
    running = 0
    for n, count in enumerate(sorted(counts.values(), reverse=True), start=1):
        running += count
        if Fraction(running, total) > threshold:
            return n
    return len(counts)


@dataclass(frozen=True)
class Distribution:
    dimension: str
    counts: dict[str, int]
    hhi: Decimal
    nakamoto: int
    warnings: list[str]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def rows(self) -> list[tuple[str, int, Decimal]]:
        total = self.total or 1
        return [
            (label, count, (Decimal(count * 100) / total).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
            for label, count in sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ]

    def as_json(self) -> dict[str, object]:
        return {
            "dimension": self.dimension,
            "total": self.total,
            "counts": [
                {"value": label, "validators": count, "share_percent": str(pct)} for label, count, pct in self.rows()
            ],
            "hhi": str(self.hhi),
            "nakamoto_coefficient": self.nakamoto,
            "warnings": self.warnings,
        }


def distribution(dimension: str, counts: Mapping[str, int]) -> Distribution:
    clean = {k: v for k, v in counts.items() if v > 0}
    warnings: list[str] = []
    total = sum(clean.values())
    if dimension in CLIENT_DIMENSIONS and total:
        for label, count in sorted(clean.items()):
            if Fraction(count, total) >= ONE_THIRD:
                pct = (Decimal(count * 100) / total).quantize(Decimal("0.1"))
                warnings.append(
                    f"{label} runs {pct}% of validators: at one third or more, a bug in this client could stop "
                    "finality."
                )
    return Distribution(dimension, clean, hhi(clean), nakamoto(clean), warnings)


# SVG -------------------------------------------------------------------------------------------------------
_PALETTE = ["#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#475569"]


def bar_chart_svg(dist: Distribution, *, title: str, width: int = 440) -> str:
    """Horizontal bars, one per value, labelled with count and share; a line marks one third for clients."""
    rows = dist.rows()
    bar_h, gap, label_w, top = 24, 6, 150, 32
    height = top + max(1, len(rows)) * (bar_h + gap) + 10
    plot_w = width - label_w - 100
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<text x="0" y="18" font-size="16" font-weight="600">{escape(title)}</text>',
    ]
    if not rows:
        parts.append(f'<text x="0" y="{top + 16}" font-size="12" fill="#64748b">No validators yet.</text>')
    for i, (label, count, pct) in enumerate(rows):
        y = top + i * (bar_h + gap)
        w = max(1, int(plot_w * float(pct) / 100))
        colour = _PALETTE[i % len(_PALETTE)]
        parts.append(f'<text x="0" y="{y + 17}" font-size="14">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="{colour}" rx="3"/>')
        parts.append(f'<text x="{label_w + w + 6}" y="{y + 17}" font-size="14">{count} ({pct}%)</text>')
    if dist.dimension in CLIENT_DIMENSIONS and rows:
        x = label_w + int(plot_w / 3)
        parts.append(
            f'<line x1="{x}" y1="{top - 4}" x2="{x}" y2="{height - 6}" stroke="#dc2626" stroke-dasharray="4 3"/>'
            f'<text x="{x + 3}" y="{top - 8}" font-size="10" fill="#dc2626">1/3</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart_svg(points: list[tuple[str, Decimal]], *, title: str, width: int = 400, height: int = 160) -> str:
    """A score (0-100) over time; `points` are (label, value) oldest first."""
    left, right, top, bottom = 34, 10, 24, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<text x="0" y="15" font-size="15" font-weight="600">{escape(title)}</text>',
    ]
    for v in (0, 50, 100):
        y = top + plot_h - plot_h * v / 100
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e2e8f0"/>')
        parts.append(f'<text x="0" y="{y + 4:.1f}" font-size="12" fill="#64748b">{v}</text>')
    if not points:
        parts.append(f'<text x="{left}" y="{top + plot_h / 2:.0f}" font-size="12" fill="#64748b">No scores yet.</text>')
    else:
        step = plot_w / max(1, len(points) - 1)
        coords = [
            (left + i * step if len(points) > 1 else left + plot_w / 2, top + plot_h - plot_h * float(value) / 100)
            for i, (_, value) in enumerate(points)
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#2563eb" stroke-width="2"/>')
        for (x, y), (label, value) in zip(coords, points, strict=True):
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#2563eb">'
                f"<title>{escape(label)}: {value}</title></circle>"
            )
        parts.append(f'<text x="{left}" y="{height - 6}" font-size="12" fill="#64748b">{escape(points[0][0])}</text>')
        parts.append(
            f'<text x="{width - right}" y="{height - 6}" font-size="12" fill="#64748b" text-anchor="end">'
            f"{escape(points[-1][0])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
