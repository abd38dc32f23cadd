"""External validation of the index: the statistics and the method page's text.

The index is compared with an outcome that is *not* one of its inputs (the police's
utsatta områden, the police's recorded offences; :mod:`geo.validation` gathers them). The
metrics are fixed before they are computed (:class:`MetricSpec`), and each is given with
a percentile bootstrap interval over the areas.

* **AUC** (:func:`auc`): the probability that a randomly chosen area *with* the outcome
  (e.g. touched by an utsatt område) has a higher score than a randomly chosen area
  *without* it, ties counted as one half. Computed as the Mann–Whitney U of the scores of
  the positive areas divided by ``n_pos · n_neg``, with mid-ranks for ties
  (Hanley & McNeil 1982). 0.5 is chance, 1 perfect agreement.
* **Spearman's rho** (:func:`spearman`): Pearson's correlation of the mid-ranks (ties
  share their average rank), as :func:`scipy.stats.spearmanr`.
* **Bootstrap** (:func:`bootstrap`): the areas are resampled with replacement
  ``resamples`` times from a seeded :func:`numpy.random.default_rng`; the interval is the
  2.5th and 97.5th percentile of the statistic over the resamples (Efron & Tibshirani
  1993, ch. 13). For the AUC the resampling is *stratified*: positives and negatives are
  drawn separately, so that every resample has both (as pROC does). A resample where the
  statistic is undefined (Spearman of a constant) is left out and counted
  (:attr:`Estimate.dropped`).

Pure: numpy only, no files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from indicators.method import Section
from indicators.swedish import format_number

AUC = "auc"
SPEARMAN = "spearman"
METRICS = {
    AUC: "AUC (sannolikheten att ett område med utfallet har högre indexvärde än ett utan)",
    SPEARMAN: "Spearmans rangkorrelation (rho)",
}
RESAMPLES = 2000
SEED = 16
LEVEL = 0.95


def midranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``values``, ties sharing the mean of their ranks (1, 2.5, 2.5, 4)."""
    values = np.asarray(values, dtype=float)
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values), dtype=float)
    ranks[order] = np.arange(1, len(values) + 1, dtype=float)
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return (sums / counts)[inverse]


def auc(scores: Sequence[float] | np.ndarray, labels: Sequence[bool] | np.ndarray) -> float:
    """Area under the ROC curve of ``scores`` for the binary ``labels`` (True = has the
    outcome), by Mann–Whitney U with mid-ranks: ``(R_pos − n_pos(n_pos+1)/2) / (n_pos·n_neg)``.
    NaN when one class is empty. Raises ValueError on unequal lengths or missing scores."""
    x = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=bool)
    _check_pair(x, y)
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    rank_sum = float(midranks(x)[y].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def spearman(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Spearman's rho: Pearson's r of the mid-ranks. NaN when either side is constant."""
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    _check_pair(a, b)
    ra, rb = midranks(a) - (len(a) + 1) / 2, midranks(b) - (len(b) + 1) / 2
    denominator = np.sqrt((ra * ra).sum() * (rb * rb).sum())
    if len(a) < 2 or denominator == 0:
        return float("nan")
    return float((ra * rb).sum() / denominator)


def _check_pair(a: np.ndarray, b: np.ndarray) -> None:
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"the two sides must be 1-d and of equal length, got shapes {a.shape} "
                         f"and {b.shape}")
    if np.isnan(a).any():
        raise ValueError(f"{int(np.isnan(a).sum())} missing value(s): drop the areas without "
                         "a value before computing the metric")


@dataclass(frozen=True)
class Estimate:
    """A statistic with its percentile bootstrap interval: ``value`` on all ``n`` areas,
    ``low``–``high`` at ``level``, from ``resamples`` resamples of which ``dropped`` gave
    an undefined statistic and were left out; ``seed`` makes it repeatable."""

    value: float
    low: float
    high: float
    n: int
    resamples: int
    dropped: int
    seed: int
    level: float = LEVEL


def bootstrap(statistic: Callable[[np.ndarray, np.ndarray], float], x: np.ndarray,
              y: np.ndarray, *, resamples: int = RESAMPLES, seed: int = SEED,
              level: float = LEVEL, strata: np.ndarray | None = None) -> Estimate:
    """``statistic(x, y)`` on all pairs and its percentile bootstrap interval: pairs resampled
    with replacement (within each stratum when ``strata`` is given), ``resamples`` times
    from ``default_rng(seed)``."""
    x = np.asarray(x)
    y = np.asarray(y)
    if resamples < 1 or not 0 < level < 1:
        raise ValueError(f"resamples must be ≥ 1 and level in (0, 1), got {resamples} and "
                         f"{level}")
    value = float(statistic(x, y))
    rng = np.random.default_rng(seed)
    n = len(x)
    groups = ([np.flatnonzero(strata == s) for s in np.unique(strata)] if strata is not None
              else [np.arange(n)])
    draws = np.empty(resamples, dtype=float)
    for b in range(resamples):
        index = np.concatenate([g[rng.integers(0, len(g), len(g))] for g in groups])
        draws[b] = statistic(x[index], y[index])
    kept = draws[~np.isnan(draws)]
    tail = (1 - level) / 2 * 100
    low, high = (np.percentile(kept, [tail, 100 - tail]) if len(kept)
                 else (float("nan"), float("nan")))
    return Estimate(value, float(low), float(high), n, resamples, resamples - len(kept), seed,
                    level)


def auc_estimate(scores: np.ndarray, labels: np.ndarray, **options: object) -> Estimate:
    """:func:`auc` with a stratified bootstrap interval (see the module docstring)."""
    labels = np.asarray(labels, dtype=bool)
    return bootstrap(auc, np.asarray(scores, dtype=float), labels, strata=labels,
                     **options)  # type: ignore[arg-type]


def spearman_estimate(x: np.ndarray, y: np.ndarray, **options: object) -> Estimate:
    """:func:`spearman` with a bootstrap interval over the pairs."""
    return bootstrap(spearman, np.asarray(x, dtype=float), np.asarray(y, dtype=float),
                     **options)  # type: ignore[arg-type]


@dataclass(frozen=True)
class MetricSpec:
    """One metric fixed before it was computed: ``key`` names it in the results file,
    ``metric`` is :data:`AUC` or :data:`SPEARMAN`, ``outcome`` and ``scope`` say in
    Swedish what the score is compared with and where; ``primary`` False marks a
    sensitivity check, ``external`` False a comparison that is not an independent outcome
    (SCB's områdestyp, built from the same inputs)."""

    key: str
    metric: str
    outcome: str
    scope: str
    primary: bool = True
    external: bool = True

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ValueError(f"unknown metric '{self.metric}'; expected one of "
                             f"{', '.join(METRICS)}")


@dataclass(frozen=True)
class MetricResult:
    """A pre-registered metric and its estimate; ``coverage`` says in Swedish which areas
    it was computed on and why those."""

    spec: MetricSpec
    estimate: Estimate
    n_positive: int | None
    coverage: str


def format_estimate(estimate: Estimate, digits: int = 2) -> str:
    """'0,71 (95 % KI 0,52–0,88)' in the one Swedish number format."""
    def f(v: float) -> str:
        return format_number(v, digits)
    return (f"{f(estimate.value)} ({round(estimate.level * 100)} % KI "
            f"{f(estimate.low)}–{f(estimate.high)})")


def _chance(metric: str) -> float:
    """The value of a metric under no association: AUC 0.5, rho 0."""
    return 0.5 if metric == AUC else 0.0


def _result_lines(results: Sequence[MetricResult]) -> list[str]:
    """One sentence per outcome and metric; scopes with the very same estimate (the same
    order of the same areas) share one sentence."""
    groups: dict[tuple[str, str, Estimate, int | None], list[MetricResult]] = {}
    for r in results:
        groups.setdefault((r.spec.outcome, r.spec.metric, r.estimate, r.n_positive),
                          []).append(r)
    lines = []
    for (outcome, metric, estimate, positives), same in groups.items():
        spec = same[0].spec
        scopes = " och ".join(r.spec.scope for r in same)
        extra = (f", {positives} av {estimate.n} med utfallet" if positives is not None
                 else "")
        kind = "" if spec.external else " (inte oberoende, se nedan)"
        check = "" if spec.primary else " [känslighetskontroll]"
        lines.append(f"{outcome}, {scopes}{kind}{check}: "
                     f"{'AUC' if metric == AUC else 'rho'} {format_estimate(estimate)}, "
                     f"{estimate.n} områden{extra}.")
    return lines


def _verdict(results: Sequence[MetricResult]) -> str:
    """What the primary external metrics show, each named: above chance or not."""
    above, unclear = [], []
    for r in results:
        if not (r.spec.primary and r.spec.external):
            continue
        name = f"{'AUC' if r.spec.metric == AUC else 'rho'} för {r.spec.outcome.lower()}"
        (above if r.estimate.low > _chance(r.spec.metric) else unclear).append(name)
    above, unclear = list(dict.fromkeys(above)), list(dict.fromkeys(unclear))
    out = []
    if above:
        out.append("Intervallet ligger över slumpens nivå för " + "; ".join(above) + ".")
    if unclear:
        out.append("Intervallet rymmer slumpens nivå (AUC 0,5 eller rho 0) för "
                   + "; ".join(unclear) + ": med så få områden och brott kan underlaget "
                   "inte visa ett samband där.")
    return " ".join(out)


def validation_section(results: Sequence[MetricResult], *, vintage: str) -> Section:
    """The method page's section on external validation: what was compared, the metrics,
    the results with their intervals, and why agreement with SCB's områdestyp proves
    little. ``vintage`` says in Swedish which years the police's data are from."""
    return Section("Extern validering", (
        "Indexet har jämförts med utfall som inte ingår i det: polisens utsatta områden "
        "(om ett område berörs av ett utsatt område) och polisens anmälda brott per 1 000 "
        f"invånare. {vintage} Jämförelsen gjordes med standardinställningarna och SCB:s "
        "inbyggda statistik, med röjandekontrollen påslagen, för Huddinges RegSO och för "
        "Sveriges alla RegSO rangordnade tillsammans; polisens uppgifter finns bara för "
        "Huddinge, så båda prövas på Huddinges områden.",
        f"Måtten bestämdes innan resultaten räknades: AUC för utsatta områden och Spearmans "
        f"rho mot brotten, var och en med ett 95-procentigt bootstrapintervall "
        f"({format_number(RESAMPLES, 0)} omdragningar av områdena, fast frö {SEED}).",
        *_result_lines(results),
        _verdict(results),
        "Överensstämmelse med SCB:s områdestyp är delvis inbyggd: SCB:s områdestyp bygger "
        "på samma socioekonomiska uppgifter (inkomst, utbildning, sysselsättning) som "
        "indexets standardindikatorer, så att de pekar ut samma områden bevisar lite. "
        "Polisens bedömningar och brott är oberoende av indexets indata, men de mäter "
        "något annat (brottslighet och polisens lägesbild, inte barns och ungas behov) och "
        "är få: ett svagt samband betyder inte att indexet är fel, och ett starkt inte att "
        "det är rätt.",
    ))


# -- the results file ----------------------------------------------------------------------

RESULT_COLUMNS = ("key", "metric", "outcome", "scope", "external", "primary", "n",
                  "positives", "value", "low", "high", "dropped")
VINTAGE = "**Vintage:** "


def read_result_rows(text: str) -> list[dict[str, str]]:
    """The rows of the results table in a markdown file written from
    :func:`geo.validation.result_rows` (the table whose header is :data:`RESULT_COLUMNS`)."""
    lines = text.splitlines()
    header = "| " + " | ".join(RESULT_COLUMNS) + " |"
    if header not in lines:
        raise ValueError(f"no results table with the header {header!r}")
    start = lines.index(header) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows.append(dict(zip(RESULT_COLUMNS, cells, strict=True)))
    return rows


def stored_section(text: str) -> Section:
    """The method page's section from a results file (its table and its vintage line), as
    :func:`validation_section` writes it from the computed results."""
    vintage = next((line[len(VINTAGE):] for line in text.splitlines()
                    if line.startswith(VINTAGE)), "")
    results = []
    for row in read_result_rows(text):
        spec = MetricSpec(row["key"], row["metric"], row["outcome"], row["scope"],
                          primary=row["primary"] == "yes", external=row["external"] == "yes")
        estimate = Estimate(float(row["value"]), float(row["low"]), float(row["high"]),
                            int(row["n"]), RESAMPLES, int(row["dropped"]), SEED)
        positives = int(row["positives"]) if row["positives"] else None
        results.append(MetricResult(spec, estimate, positives, ""))
    return validation_section(results, vintage=vintage)
