"""Numeric core: numpy/scipy kernels with no geometry (road graphs and shortest paths, MILP
placement, covering points along lines). Tested without GeoDataFrames.
"""
