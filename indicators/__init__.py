"""The pure core of prevmap: indicator tables in, ranked areas out.

No geopandas, folium or streamlit here (tests/test_architecture.py checks it).
"""
