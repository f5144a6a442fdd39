"""The expiration service: orders.created schedules a delayed expire_order, which reports back."""
