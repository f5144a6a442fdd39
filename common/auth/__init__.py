"""Token verification shared by every service; only auth signs."""
