"""Benchmarks of issue 2 (``make bench`` / ``python -m bench``).

Each benchmark module exposes ``run() -> list[tuple[str, float, str]]``: rows of
(name, value, goal text).  ``__main__`` runs them all in one process and prints one table.
"""
