"""Benchmarks: commands that measure speed and memory and write reports (never run by pytest)."""
