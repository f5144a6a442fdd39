"""Operators' read APIs shared by the services: dead letters and backlogs (operator role only)."""
