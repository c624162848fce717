"""Facilities and the people held there: each facility carries its own rules (deposit limits,
fee schedule, stamp price, message review rules)."""
