"""External validation of the default index against the police's data (issue 16).

    .venv/bin/python benchmarks/validate_external.py [--data ../shared/data]
                                                     [--out data/validation/extern_validering.md]

Runs what a user gets by default (SCB's embedded statistics, the default settings with
disclosure control on) for Huddinge's RegSO and for all of Sweden's RegSO, and computes the
metrics fixed in advance in :data:`geo.validation.PREREGISTERED`: the AUC for "touched by
an utsatt område" and Spearman's rho against police-recorded offences per 1 000
inhabitants, each with a seeded percentile bootstrap interval. Prints the table and writes
it, with the coverage, the data's vintage and the method page's text, to ``--out``.
tests/test_validation.py recomputes the figures and compares them with the file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.validation import (  # noqa: E402
    LOW_TYPE,
    OFFENCE_RATE,
    SCOPES,
    TOUCHED,
    PoliceFiles,
    Validation,
    result_rows,
    validate,
)
from indicators.columns import AREA_ID, AREA_NAME  # noqa: E402
from indicators.validation import (  # noqa: E402
    RESAMPLES,
    RESULT_COLUMNS,  # noqa: E402
    SEED,
    validation_section,
)

DEFAULT_DATA = ROOT.parent / "shared" / "data"
DEFAULT_OUT = ROOT / "data" / "validation" / "extern_validering.md"


def table_lines(validations: list[Validation]) -> list[str]:
    lines = ["| " + " | ".join(RESULT_COLUMNS) + " |",
             "|" + "---|" * len(RESULT_COLUMNS)]
    for v in validations:
        lines += ["| " + " | ".join(row.values()) + " |" for row in result_rows(v)]
    return lines


def area_lines(validation: Validation) -> list[str]:
    """Huddinge's areas: score, rank, outcomes (the data behind the metrics)."""
    frame = validation.outcomes.frame
    names = validation.analysis.inputs.areas.frame.set_index(AREA_ID)[AREA_NAME]
    rank = validation.analysis.result.rank
    lines = ["| area | name | score | rank | touched by utsatt område | offences per 1 000 "
             "(latest full year) | SCB områdestyp 1–2 |", "|---|---|---|---|---|---|---|"]
    for area, row in frame.sort_values("score", ascending=False).iterrows():
        lines.append(f"| {area} | {names[area]} | {row['score']:.3f} | {int(rank[area])} | "
                     f"{'yes' if row[TOUCHED] else 'no'} | {row[OFFENCE_RATE]:.2f} | "
                     f"{'yes' if row[LOW_TYPE] else 'no'} |")
    return lines


def markdown(validations: list[Validation]) -> str:
    first = validations[0]
    settings = first.analysis.settings
    section = validation_section([r for v in validations for r in v.results],
                                 vintage=first.outcomes.vintage)
    out = [
        "# External validation (issue 16)",
        "",
        "Written by `benchmarks/validate_external.py`; `tests/test_validation.py` recomputes "
        "every figure below through the default pipeline and compares. Do not edit by hand.",
        "",
        "**Pipeline:** the default a user gets: RegSO 2025, SCB's embedded statistics "
        f"(`geo.sources.real_inputs`), the default settings (profile '{settings.name}', "
        f"indicators {', '.join(settings.indicators)}; normalisation {settings.normalisation}, "
        f"aggregation {settings.aggregation}, disclosure control "
        f"{'on' if settings.small_numbers.disclosure else 'off'}, threshold "
        f"{settings.small_numbers.disclosure_threshold}), `geo.analysis.run_analysis`. The "
        "score is the composite score (higher = more need).",
        "",
        "**Metrics, fixed in advance** (`geo.validation.PREREGISTERED`, committed before "
        "any metric was computed: see the git history of `geo/validation.py`; the per-area "
        "score and comparison columns of Huddinge had been printed once, while checking that "
        "the pipeline runs): AUC (Mann–Whitney, ties one half) for 'touched by an utsatt "
        "område' and Spearman's rho against offences per 1 000 inhabitants; percentile "
        f"bootstrap 95 % intervals, {RESAMPLES} resamples of areas, seed {SEED} (stratified "
        "by class for the AUC). Expected direction: AUC > 0.5, rho > 0. `primary = no` is a "
        "sensitivity check; `external = no` (SCB's områdestyp) is not an independent "
        "outcome: it is built from the same socio-economic inputs.",
        "",
        f"**Vintage:** {first.outcomes.vintage}",
        "",
        "## Results",
        "",
        *table_lines(validations),
        "",
        "## Coverage",
        "",
    ]
    for v in validations:
        out += [f"**{SCOPES[v.scope]}** ({len(v.outcomes.frame)} areas ranked):", ""]
        out += [f"- {note}" for note in v.outcomes.notes]
        out += [f"- {r.spec.key}: {r.coverage}" for r in v.results[:2]]
        out.append("")
    huddinge = next((v for v in validations if v.scope == "0126"), None)
    if huddinge is not None:
        out += ["## Huddinge's areas (default analysis of Huddinge)", "",
                *area_lines(huddinge), ""]
    out += ["## The method page's section (Swedish)", "", f"### {section.heading}", ""]
    out += [p + "\n" for p in section.paragraphs]
    return "\n".join(out).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    files = PoliceFiles.shared(args.data)
    validations = [validate(scope, files) for scope in SCOPES]
    for line in table_lines(validations):
        print(line)
    print("\nREADME (section 'Extern validering'), the figures of its table:")
    for v in validations:
        for r in v.results:
            e = r.estimate
            figures = " ".join(f"{x:.2f}" for x in (e.value, e.low, e.high))
            print(f"  {r.spec.key}: {figures.replace('-', chr(0x2212))}"
                  + (f" ({r.n_positive} of {e.n})" if r.n_positive is not None else ""))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown(validations), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
