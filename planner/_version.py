"""The package version (one home; the package and its commands read it here)."""

__version__ = "0.1.0"
