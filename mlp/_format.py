"""How numbers are written in figures, explorers and exercise feedback: one style for the course."""
from __future__ import annotations


def number(value: float) -> str:
    """Up to 4 significant digits and a real minus sign, e.g. −0.25; never "−0"."""
    return f"{value + 0.0:.4g}".replace("-", "−")  # + 0.0 turns −0.0 into 0.0
