"""Stage 2, validate: datums to WGS-84, one metric CRS per workspace, geometry and table
checks, the ledger of every record read.
"""
