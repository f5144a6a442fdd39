"""The orders service: reserving tickets, the order state machine, the tickets replica."""
