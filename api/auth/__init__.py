"""The auth service: users, passwords, and the tokens every other service verifies."""
