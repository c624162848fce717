"""Kinlink API: the Chalice app. It registers the Blueprints and the scheduled jobs and hands the
web edge its authenticator, nothing else."""
import os

from chalice import Chalice, Rate

from chalicelib import (accounts, calls as telephony, config, messaging as message_capability,
                        payments as money, visits)
from chalicelib.accounts import routes as account_routes
from chalicelib.accounts import routes_invitations as invitations
from chalicelib.accounts import routes_password as password
from chalicelib.accounts import routes_security as account_security
from chalicelib.calls import routes as calls
from chalicelib.contacts import routes as contacts
from chalicelib.contacts import routes_call_numbers as call_numbers
from chalicelib.core import delivery
from chalicelib.education import routes as education
from chalicelib.web import endpoint, http, routes as platform
from chalicelib.facilities import routes as facilities
from chalicelib.facilities import routes_admin as facility_admin
from chalicelib.facilities import routes_onboarding as onboarding
from chalicelib.payments import routes as payments
from chalicelib.payments import routes_calling as calling
from chalicelib.media import routes as media
from chalicelib.messaging import routes as messaging
from chalicelib.support import routes as support
from chalicelib.visits import routes as visit_routes
from chalicelib.privacy import routes as privacy

# On Lambda a misconfigured stage (no card processor, no key) fails its init here, with the
# sentence saying what to set in the function's log: no request is ever half served.  Settings
# are environment variables only, so this makes no AWS call; `chalice package` imports this
# file without the template's ARNs, hence the Lambda-only check (devserver checks too).
if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
    config.check_start_up()

app = Chalice(app_name="kinlink")
endpoint.use_authenticator(accounts.authenticate)
app.register_blueprint(platform.bp)
app.register_blueprint(account_routes.bp)
app.register_blueprint(password.bp)
app.register_blueprint(invitations.bp)
app.register_blueprint(account_security.bp)
app.register_blueprint(facilities.bp)
app.register_blueprint(facility_admin.bp)
app.register_blueprint(onboarding.bp)
app.register_blueprint(contacts.bp)
app.register_blueprint(payments.bp)
app.register_blueprint(media.bp)
app.register_blueprint(messaging.bp)
app.register_blueprint(call_numbers.bp)
app.register_blueprint(calling.bp)
app.register_blueprint(calls.bp)
app.register_blueprint(education.bp)
app.register_blueprint(support.bp)
app.register_blueprint(visit_routes.bp)
app.register_blueprint(privacy.bp)
http.install(app)


@app.schedule(Rate(15, unit=Rate.MINUTES))
def send_password_reminders(event):
    """Email opted-in accounts whose password has reached the reminder age (each run resumes
    where the last one stopped)."""
    return accounts.send_due_reminders().sent


@app.schedule(Rate(10, unit=Rate.MINUTES))
def send_message_digests(event):
    """Email each family that chose it one digest of the day's message decisions."""
    return message_capability.send_due_digests().sent


@app.schedule(Rate(1, unit=Rate.HOURS))
def roll_up_house_accounts(event):
    """Sum each day's house accounts (every facility's) into the operator's house totals."""
    return [record.day for record in money.roll_up_house_accounts()]


@app.schedule(Rate(5, unit=Rate.MINUTES))
def settle_card_payments(event):
    """Retry the card captures and refunds still pending at the processor."""
    return money.settle_card_payments()


@app.schedule(Rate(5, unit=Rate.MINUTES))
def run_visit_jobs(event):
    """Visit reminders, undecided requests declined at their cut-off, the end of visits with
    their refunds (one Query of what is due), then card refunds still owed."""
    return visits.run_visit_jobs()


@app.on_cw_event({"source": ["aws.chime"], "detail-type": ["Chime Meeting State Change"]},
                 name="record_video_events")
def record_video_events(event):
    """Chime's meeting events for video visits: both sides joined (in progress), the meeting
    ended (the visit with it, undelivered minutes refunded)."""
    return visits.record_meeting_event(event.detail)


@app.schedule(Rate(10, unit=Rate.MINUTES))
def release_lapsed_calls(event):
    """Give back the holds of calls authorised and never ended (max_seconds + 10 minutes)."""
    return telephony.release_lapsed()


@app.schedule(Rate(1, unit=Rate.DAYS))
def refund_idle_calling_balances(event):
    """Warn at 150 and 173 idle days, refund at 180 (only the wallets due that day are read)."""
    return money.work_idle_calling_wallets(accounts.last_sign_in)


@app.schedule(Rate(1, unit=Rate.DAYS))
def email_monthly_statements(event):
    """On the 1st, last month's statement to the families whose calling balance was active."""
    return telephony.email_monthly_statements()


# Chalice wants a queue name here; the template (scripts/cfn_resources.py) points this event
# source at the stage's own queue resource, NOTIFICATION_QUEUE of the prod stage.
@app.on_sqs_message(queue="kinlink-prod-notifications", batch_size=10,
                    name="deliver_notifications")
def deliver_notifications(event):
    """Render and send the emails and SMS the API queued; failed ones go back to the queue."""
    failed = delivery.deliver_records(
        (record.to_dict()["messageId"], record.body) for record in event)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
