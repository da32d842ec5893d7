"""Shared test configuration."""

import os

# Keep test runs deterministic and quiet on shared 2-core machines.
os.environ.setdefault("MPLBACKEND", "Agg")
