"""Stage 1, load: read the files a county bureau has (vector layers, CSV/XLSX in UTF-8 or GBK,
OpenStreetMap roads and water).
"""
