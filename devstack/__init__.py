"""The local stack behind `make up`: infrastructure, secrets, migrations and honcho."""
