"""Benchmarks: figures, not tests. Run with `make bench` (python -m bench)."""
