"""Area-weighted interpolation between boundaries that do not nest, on boxes checkable by hand."""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from geo.interpolate import interpolate_counts
from indicators.errors import AreaFileError
from indicators.levels import Rate


def sources() -> gpd.GeoDataFrame:
    """Two 1 km boxes side by side: 100 children (10 % poor) and 300 children (20 % poor)."""
    return gpd.GeoDataFrame({"barn": [100, 300], "lag_pct": [10.0, 20.0]},
                            geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)],
                            crs=3006)


def targets() -> gpd.GeoDataFrame:
    """One box over the left half of the left source and one straddling both, half outside."""
    return gpd.GeoDataFrame({"area_id": ["T1", "T2"], "area_name": ["Väst", "Mitt"]},
                            geometry=[box(0, 0, 500, 1000), box(500, 0, 1500, 2000)], crs=3006)


def test_counts_follow_the_shares_of_area_and_rates_follow_the_counts():
    result = interpolate_counts(sources(), targets(), counts=["barn"],
                                rates=[Rate("lag_pct", "barn")])
    frame = result.frame.set_index("area_id")
    # T1: half of source 1 -> 50 children, 5 poor. T2: half of 1 and half of 2 -> 50 + 150.
    assert frame["barn"].tolist() == pytest.approx([50.0, 200.0])
    assert frame["lag_pct"].tolist() == pytest.approx([10.0, (5 + 30) / 200 * 100])
    assert frame["coverage"].tolist() == pytest.approx([1.0, 0.5])


def test_partial_coverage_is_reported():
    messages = interpolate_counts(sources(), targets(), counts=["barn"]).messages()
    assert messages[0].startswith("Ytviktad interpolation (tobler)")
    assert messages[1:] == ["T2 (Mitt): bara 50% av ytan täcks av källområdena; antalen gäller "
                            "den delen."]


def test_targets_in_another_crs_are_reprojected():
    wgs = targets().to_crs(4326)
    frame = interpolate_counts(sources(), wgs, counts=["barn"]).frame
    assert frame["barn"].tolist() == pytest.approx([50.0, 200.0], rel=1e-6)


def test_missing_crs_and_columns_are_one_error():
    src = sources().set_crs(None, allow_override=True)
    with pytest.raises(AreaFileError) as info:
        interpolate_counts(src, targets(), counts=["finns_inte"], source_name="deso.gpkg")
    text = str(info.value)
    assert "fil 'deso.gpkg': källområdena saknar koordinatsystem (CRS)." in text
    assert "kolumner saknas i källområdena. Värden: 'finns_inte'." in text


def test_degrees_are_refused():
    with pytest.raises(AreaFileError, match=re.escape(
            "ytor kan inte mätas i grader. Värden: 'EPSG:4326'.")):
        interpolate_counts(sources().to_crs(4326), targets(), counts=["barn"])


def test_nested_boundaries_give_the_same_sums_as_aggregation():
    """Interpolating onto unions of whole source areas equals summing them."""
    whole = gpd.GeoDataFrame({"area_id": ["A"], "area_name": ["Allt"]},
                             geometry=[box(0, 0, 2000, 1000)], crs=3006)
    frame = interpolate_counts(sources(), whole, counts=["barn"]).frame
    assert frame["barn"].tolist() == pytest.approx([400.0])
    assert isinstance(frame, pd.DataFrame)
