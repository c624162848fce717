"""Accounts: sign-up, e-mail verification, sign-in with lockout, sessions and tokens, admin
actions. ``routes`` is the HTTP edge, ``service``/``sessions``/``passwords``/``lockout`` the
domain, ``store`` the DynamoDB tables."""
