"""The paths of the pages account emails link to: the services write the links, the routes
serve the pages (and load without the services, for the cold start)."""
RESET_PAGE_PATH = "/reset-password"
ACCEPT_PAGE_PATH = "/accept-invitation"
UNLOCK_PAGE_PATH = "/unlock"
