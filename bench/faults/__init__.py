"""Helpers of the saga fault-injection run (`python -m bench.saga_faults`)."""
