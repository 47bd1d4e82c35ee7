"""Generated data for tests and benchmarks; not part of the installed bot."""
