"""Kinlink API: the Chalice app. It registers the Blueprints and the scheduled jobs, nothing else."""
from chalice import Chalice, Rate

from chalicelib.accounts import routes as accounts
from chalicelib.core import housekeeping
from chalicelib.messaging import routes as messaging
from chalicelib.web import http

app = Chalice(app_name="kinlink")
app.register_blueprint(accounts.bp)
app.register_blueprint(messaging.bp)
http.install(app)


@app.schedule(Rate(1, unit=Rate.HOURS))
def clean_up_expired_records(event):
    """Delete expired lockouts, codes and sessions (expiry itself is enforced on read)."""
    return housekeeping.delete_expired().deleted
