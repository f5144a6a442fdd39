"""Integration events: the envelope, the catalogue (the contract) and version ordering."""
