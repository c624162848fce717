"""Pieces every capability shares: domain errors, time, secrets, AWS clients, the store toolkit,
idempotency, the review log, notifications and logging. Nothing here imports chalice or a
capability."""
