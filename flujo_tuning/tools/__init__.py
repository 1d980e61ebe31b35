"""Tooling the runtime never needs: the command line, benchmarks, calibration, charts, demo."""
