"""The folium maps: the ranking choropleth, the overview per kommun, the resource map and the
embedded (offline) map library."""
