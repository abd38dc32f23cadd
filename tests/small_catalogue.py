"""A three-indicator catalogue for small hand-made tables (rates per 100 and per 1 000, and a
ready value), shared by the tests of smoothing and disclosure control."""

from __future__ import annotations

import pandas as pd

from indicators.catalogue import CATALOGUE_COLUMNS, Catalogue, validate_catalogue


def small_catalogue() -> Catalogue:
    """Two rates (per 100 and per 1 000) and one ready value."""
    rows = [
        {"id": "andel", "name": "Andel unga", "domain": "skyddsfaktorer", "direction": "1",
         "unit": "%", "per": "100", "numerator": "antal", "denominator": "unga",
         "source": "Test", "level": "område"},
        {"id": "brott", "name": "Brott", "domain": "kriminalitet", "direction": "1",
         "unit": "per 1 000", "per": "1000", "numerator": "brott_antal",
         "denominator": "invanare", "source": "Test", "level": "område"},
        {"id": "poang", "name": "Poäng", "domain": "skola", "direction": "1", "unit": "p",
         "per": "", "numerator": "", "denominator": "", "source": "Test", "level": "område"},
    ]
    return validate_catalogue(pd.DataFrame(rows, columns=list(CATALOGUE_COLUMNS)))
