"""Geometry, area files, joins and maps for prevmap. Never imports streamlit."""
