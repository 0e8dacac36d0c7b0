"""Repository scripts (demo builder); importable so tests and benchmarks can use the generators."""
