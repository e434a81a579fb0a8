# SPDX-License-Identifier: MIT
"""The checker's report: one row per group element, a status per row, one verdict.

Row status: ``"exact"`` (every module that ran declares itself exact for this element on its
grid: the error must be float rounding), ``"inexact"`` (some module declares why not: the
error is a measurement), ``"unknown"`` (some module declares nothing: never counted as exact).

Verdict: ``"equivariant"`` if at least one non-identity element is exact and every exact row
is within tolerance; ``"not equivariant"`` if an exact row fails; otherwise ``"nothing
checkable exactly"``. CLI exit status 0 / 1 / 3.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from .._util import ShapeError, check_tensor

__all__ = ["ElementResult", "EquivarianceReport", "TOLERANCES", "VERDICTS", "relative_error"]

#: relative error below which an exact element passes, per dtype: float rounding accumulated
#: over a few layers (measured float64 errors are ~1e-16–1e-15; float32 ~1e-7–1e-6)
TOLERANCES: dict[torch.dtype, float] = {
    torch.float64: 1e-10,
    torch.float32: 1e-4,
    torch.float16: 1e-2,
    torch.bfloat16: 5e-2,
}
#: verdict → CLI exit status
VERDICTS: dict[str, int] = {
    "equivariant": 0,
    "not equivariant": 1,
    "nothing checkable exactly": 3,
}
STATUSES = ("exact", "inexact", "unknown")


@dataclass
class ElementResult:
    """One group element's measurement and why it is (not) expected to be exact."""

    name: str
    error: float
    status: str  # "exact" | "inexact" | "unknown"
    reason: str = ""
    identity: bool = False

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    @property
    def exact(self) -> bool:
        return self.status == "exact"


@dataclass
class EquivarianceReport:
    """Per-element table of relative errors ‖f(g·x) − g·f(x)‖ / ‖f(x)‖ with statuses."""

    module: str
    group: str
    input_kind: str
    output_kind: str
    dtype: torch.dtype
    tolerance: float
    rows: list[ElementResult] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.dtype, torch.dtype):
            raise TypeError(f"dtype must be a torch.dtype, got {type(self.dtype).__name__}")
        t = self.tolerance
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not t >= 0:
            raise ValueError(f"tolerance must be a number >= 0, got {t!r}")

    @property
    def max_error(self) -> float:
        """Largest error over the exact elements."""
        return max((r.error for r in self.rows if r.exact), default=0.0)

    @property
    def failures(self) -> list[ElementResult]:
        """Exact rows whose error exceeds the tolerance."""
        return [r for r in self.rows if r.exact and not r.error <= self.tolerance]

    @property
    def passed(self) -> bool:
        """No exact element fails (true also when nothing could be checked exactly)."""
        return not self.failures

    @property
    def verdict(self) -> str:
        if self.failures:
            return "not equivariant"
        if any(r.exact and not r.identity for r in self.rows):
            return "equivariant"
        return "nothing checkable exactly"

    @property
    def exit_code(self) -> int:
        """0 equivariant, 1 not equivariant, 3 nothing checkable exactly."""
        return VERDICTS[self.verdict]

    def __str__(self) -> str:
        head = (
            f"{self.module} on {self.group}: {self.input_kind} → {self.output_kind}, "
            f"{str(self.dtype).replace('torch.', '')}"
        )
        width = max([len(r.name) for r in self.rows] + [7])
        lines = [head, f"  {'element':<{width}}  rel. error  status", "  " + "-" * (width + 22)]
        reasons: list[str] = []
        for r in self.rows:
            flag = "  FAIL" if r in self.failures else ""
            lines.append(f"  {r.name:<{width}}  {r.error:10.2e}  {r.status}{flag}")
            for why in r.reason.split("; ") if r.reason else ():
                if why not in reasons:
                    reasons.append(why)
        lines += [f"  note: {why}" for why in reasons]
        n_exact = sum(r.exact and not r.identity for r in self.rows)
        verdict = self.verdict.upper() if self.verdict == "not equivariant" else self.verdict
        lines.append(
            f"  verdict: {verdict} ({n_exact} non-identity element(s) exact on the grid; max "
            f"error on them {self.max_error:.1e}, tolerance {self.tolerance:.0e})"
        )
        return "\n".join(lines)


def element_error(a: torch.Tensor, b: torch.Tensor, ref: torch.Tensor) -> float:
    """:func:`relative_error` of f(g·x) and g·f(x), or infinity where their shapes differ (an
    output whose shape changes under g cannot transform by g: e.g. a non-square map under a
    quarter turn)."""
    return relative_error(a, b, ref) if a.shape == b.shape else float("inf")


def relative_error(a: torch.Tensor, b: torch.Tensor, ref: torch.Tensor) -> float:
    """‖a − b‖ / ‖ref‖ in float64 (complex128 for complex tensors; the absolute error where
    ‖ref‖ = 0). ``a`` and ``b`` must have the same shape: no broadcasting."""
    for name, t in (("a", a), ("b", b), ("ref", ref)):
        check_tensor(f"relative_error: {name}", t, floating=False)
    if a.shape != b.shape:
        raise ShapeError(
            f"relative_error: a and b must have the same shape, got {tuple(a.shape)} and "
            f"{tuple(b.shape)}"
        )

    def wide(t: torch.Tensor) -> torch.Tensor:
        return t.detach().to(torch.complex128 if t.is_complex() else torch.float64)

    denom = wide(ref).norm().item()
    diff = (wide(a) - wide(b)).norm().item()
    return diff / denom if denom > 0 else diff
