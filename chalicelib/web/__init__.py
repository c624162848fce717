"""The HTTP edge shared by every capability's Blueprint: request parsing and validation,
authentication, problem responses, CORS and request logging. Only this package and the
``routes`` modules import chalice."""
