"""Benchmarks: `python -m bench.webhook` measures the webhook's full path against a bare baseline."""
