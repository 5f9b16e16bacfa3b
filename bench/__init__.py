"""Benchmarks: scripts that generate data at scale and time the pages and reports over it."""
