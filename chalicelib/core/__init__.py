"""Pieces every capability shares: domain errors, time, secrets, AWS clients, storage helpers,
notifications and logging. Nothing here imports chalice."""
