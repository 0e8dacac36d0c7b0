"""planner: child-care site coverage and child water-safety planning for Chinese counties."""

__version__ = "0.1.0"
