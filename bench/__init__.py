"""illdesk benchmarks: `make bench` (python -m bench). See bench/RESULTS.md for the latest figures and
bench/__main__.py for what runs and how it is configured."""
