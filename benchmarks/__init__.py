"""Benchmarks of nhsgraph: ``python -m benchmarks.run`` (see benchmarks/README.md)."""
