"""The payments service: charges orders through Stripe, and refunds what must not be kept."""
