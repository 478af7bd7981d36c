"""Benchmarks of linkedapi-mcp against the sandbox (issue 5). Run: ``python -m tools.bench``."""
