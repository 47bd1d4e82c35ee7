"""Benchmarks, run with `make bench`; each module is also runnable with `python -m benchmarks.<name>`."""
