"""Everything that goes out: tables (CSV), map HTML, the report, Excel and GeoPackage, PDF/PNG
through chromium, and text made safe for markdown, terminals and spreadsheets."""
