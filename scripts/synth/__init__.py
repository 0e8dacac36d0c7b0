"""Generators of the synthetic demo workspace (not shipped in the wheel)."""
