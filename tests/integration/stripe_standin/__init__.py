"""Tests of the local Stripe stand-in, driven by the real stripe client."""
