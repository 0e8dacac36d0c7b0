"""Stage 6, report: Excel in the official form, CSV, GeoPackage, the web map, static maps, the
HTML report.
"""
