"""Geographic foundations below every stage: the metric-CRS policy and datum transforms."""
