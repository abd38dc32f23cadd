"""Operations on area geometry: joining, interpolation to other areas, grouping into
kommundelar, merging small areas, hotspots, comparison layers and display simplification."""
