"""Benchmarks: ``python -m bench [NAME ...]`` (``make bench``). Each prints its own figures
and the ratio against a baseline measured in the same run, never a timed assertion."""
