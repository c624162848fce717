"""``make onboard-demo``: bring a second facility into service through the HTTP API only.

Against the running local stack (``make run``), as the demo admin (password, then a TOTP code
from the demo secret): create a facility, put its rules, import its roster as CSV, invite a
staff member and accept the invitation through the emailed link's token, the staff member's
first sign-in with TOTP enrolment, a kiosk issued by that staff member (an inmate signs in at
it); then a new family signs up, asks for a contact with an inmate of the new facility, staff
approve it, and the family deposits there.  Each step prints its outcome and time; the script
exits 1 at the first step that fails and 2, naming it, at a step the server does not offer.
``--facility ID --inmate NUMBER`` onboards staff, a kiosk and a family at an existing facility
instead (the first three steps are skipped).
"""
from __future__ import annotations

import argparse
import sys
import time
import uuid

import walkthrough as client  # scripts/ is on sys.path when run as a script

RUN = uuid.uuid4().hex[:6]
ROSTER = ("inmate_number,first_name,last_name,status,housing_unit\n"
          "H2001,Ana,Torres,in_custody,A-1\n"
          "H2002,James,Okafor,in_custody,A-2\n"
          "H2003,Lucia,Mendez,in_custody,B-1\n")
# Per api.md "FacilityRules": fees within the processor's cost, none on phone accounts, a call
# rate well under the cap of every tier, reasons in both languages.
RULES = {
    "deposit_min_cents": 100, "deposit_max_cents": 30000, "daily_cap_cents_per_sender": 100000,
    "fee_tiers": [{"up_to_cents": 30000, "fee_cents": 30}], "phone_fee_tiers": [],
    "processor_cost": {"percent": 2.9, "fixed_cents": 30},
    "stamp_price_cents": 35,
    "watch_words": {"en": ["escape", "contraband"], "es": ["fuga", "contrabando"]},
    "rejection_reasons": [
        {"code": "safety", "en": "Threatens safety or security",
         "es": "Amenaza la seguridad"},
        {"code": "other", "en": "Other", "es": "Otro motivo"}],
    "calls_paid_by": "family", "call_rate_cents_per_minute": 5, "call_max_minutes": 15,
}
PASSWORD = "harbor lantern quarry 2031"


class Stop(Exception):
    """A step cannot go on: ``code`` 1 (it failed) or 2 (the server lacks its endpoint)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class Onboarding:
    def __init__(self, facility_id: str | None = None, inmate_number: str = "H2001") -> None:
        self.existing = facility_id is not None
        self.facility_id = facility_id or f"harbor-{RUN}"
        self.inmate_number = inmate_number
        self.steps = 0
        self.offered: set[tuple[str, str]] | None = None

    # --- plumbing -----------------------------------------------------------------------

    def step(self, what: str, action) -> object:
        """Run one step, print ``[n] what: outcome (time)``; stop the script on a failure."""
        self.steps += 1
        started = time.monotonic()
        try:
            outcome, result = action()
        except Stop as stop:
            print(f"[{self.steps:2}] {what}: STOPPED\n     {stop}")
            raise
        print(f"[{self.steps:2}] {what}: {outcome} ({time.monotonic() - started:.1f} s)")
        return result

    def needs(self, method: str, template: str) -> None:
        """Stop with a clear sentence when the server's OpenAPI document lacks the operation."""
        if self.offered is None:
            document = client.call("GET", "/v1/openapi.json").json or {}
            self.offered = {(verb.upper(), path) for path, item in document.get("paths", {}).items()
                            for verb in item}
        if (method, template) not in self.offered:
            raise Stop(f"This server does not offer {method} {template} yet (api.md \"Operating "
                       "a facility\"): run a build that has it, then run this script again.", 2)

    @staticmethod
    def expect(response, status: int, what: str):
        if response.status != status:
            raise Stop(f"{what}: expected {status}, got {response.status}: "
                       f"{response.json or response.raw[:300]!r}")
        return response.json

    def totp_sign_in(self, email: str, password: str, secret: str) -> str:
        challenge, done = client.totp_sign_in(email, password, secret)
        if done is None or done.status != 200:
            raise Stop(f"{email} could not sign in: {(done or challenge).json}")
        return done.json["access_token"]

    # --- the steps ------------------------------------------------------------------------

    def run(self) -> None:
        admin = self.step("The demo admin signs in (password, TOTP from the demo secret)",
                          lambda: ("signed in", self.totp_sign_in(*client.ADMIN)))
        if not self.existing:
            self.step("Create the facility", lambda: self.create_facility(admin))
            self.step("Put its rules", lambda: self.put_rules(admin))
            self.step("Import its roster (CSV)", lambda: self.import_roster(admin))
        email = f"officer.{RUN}@{self.facility_id}.example"
        self.step("Invite a staff member", lambda: self.invite(admin, email))
        token = self.step("Read the invitation email from the outbox",
                          lambda: self.read_invitation(email))
        self.step("Accept it through the link's token (set a password)",
                  lambda: self.accept(token))
        staff = self.step("The staff member signs in and enrols TOTP",
                          lambda: self.first_sign_in(email))
        kiosk = self.step("Staff issue a kiosk key", lambda: self.issue_kiosk(staff))
        inmate_id = self.step("An inmate signs in at the kiosk (one-time PIN from staff)",
                              lambda: self.inmate_at_kiosk(staff, kiosk))
        family = self.step("A new family signs up and verifies its email",
                           lambda: self.family_signs_up())
        contact = self.step("The family asks for a contact with the inmate",
                            lambda: self.request_contact(family, inmate_id))
        self.step("Staff approve the contact", lambda: self.approve(staff, contact))
        self.step("The family deposits to the inmate's trust account",
                  lambda: self.deposit(family, inmate_id))

    def create_facility(self, admin: str):
        self.needs("POST", "/v1/admin/facilities")
        body = self.expect(client.call("POST", "/v1/admin/facilities", {
            "facility_id": self.facility_id, "name": f"Harbor County Detention Center {RUN}",
            "state": "OR", "timezone": "America/Los_Angeles", "kind": "jail",
            "average_daily_population": 180}, token=admin), 201, "POST /v1/admin/facilities")
        return f"{self.facility_id} (size tier {body.get('size_tier')})", None

    def put_rules(self, admin: str):
        self.needs("PUT", "/v1/admin/facilities/{facility_id}/rules")
        self.expect(client.call("PUT", f"/v1/admin/facilities/{self.facility_id}/rules", RULES,
                                token=admin), 200, "PUT rules")
        return "accepted (trust fee 30 ¢, 5 ¢/min calls, 2 rejection reasons)", None

    def import_roster(self, admin: str):
        self.needs("PUT", "/v1/admin/facilities/{facility_id}/roster")
        path = f"/v1/admin/facilities/{self.facility_id}/roster"
        started = self.expect(client.call("PUT", path, raw=ROSTER.encode(), token=admin,
                                          headers={"Content-Type": "text/csv"}), 202, "PUT roster")
        status: dict = {}
        for _ in range(100):
            status = client.call("GET", f"{path}/imports/{started['import_id']}", token=admin).json
            if status.get("status") not in ("applying", "pending", "running"):
                break
            time.sleep(0.2)
        if status.get("status") in ("failed", "rejected"):
            raise Stop(f"the roster import ended {status}")
        return f"import {status.get('status')}: {status.get('counts')}", None

    def invite(self, admin: str, email: str):
        self.needs("POST", "/v1/admin/staff")
        body = self.expect(client.call("POST", "/v1/admin/staff", {
            "email": email, "full_name": "Nia Officer", "facility_id": self.facility_id},
            token=admin), 201, "POST /v1/admin/staff")
        return f"{email} invited, link valid until {body['invitation_expires_at']}", None

    def read_invitation(self, email: str):
        token = client.invitation_token(email)
        if not token:
            raise Stop(f"no invitation link reached {email}: see `make outbox`")
        return "link found (/accept-invitation#token=…)", token

    def accept(self, token: str):
        self.expect(client.call("POST", "/v1/auth/invitations/accept",
                                {"token": token, "new_password": PASSWORD}), 200, "accept")
        return "password set; the link is used up", None

    def first_sign_in(self, email: str):
        first = self.expect(client.call("POST", "/v1/auth/login",
                                        {"email": email, "password": PASSWORD}), 200, "sign-in")
        if not first.get("mfa_enrollment_required"):
            raise Stop(f"the first sign-in did not ask for TOTP enrolment: {first}")
        secret = client.enrol_totp(first["access_token"], PASSWORD)
        if not secret:
            raise Stop("TOTP enrolment failed")
        return "enrolment asked for, done, signed in with a code", \
            self.totp_sign_in(email, PASSWORD, secret)

    def issue_kiosk(self, staff: str):
        body = self.expect(client.call("POST", "/v1/staff/kiosks", {"label": "Housing A tablet"},
                                       token=staff), 201, "POST /v1/staff/kiosks")
        return f"kiosk {body['kiosk_id']} (key shown once)", body["key"]

    def inmate_at_kiosk(self, staff: str, kiosk_key: str):
        family_view = client.call("GET", f"/v1/facilities/{self.facility_id}/inmates"
                                         f"?q={self.inmate_number}", token=staff).json or {}
        found = [i for i in family_view.get("items", [])
                 if i["inmate_number"] == self.inmate_number]
        if not found:
            raise Stop(f"inmate {self.inmate_number} is not on the roll of {self.facility_id}")
        inmate_id = found[0]["inmate_id"]
        pin = self.expect(client.call("POST", f"/v1/staff/inmates/{inmate_id}/pin",
                                      token=staff), 200, "one-time PIN")["pin"]
        signed = self.expect(client.call("POST", "/v1/inmate/login", {
            "facility_id": self.facility_id, "inmate_number": self.inmate_number, "pin": pin},
            headers={"X-Kiosk-Key": kiosk_key}), 200, "kiosk sign-in")
        if not signed.get("pin_change_required"):
            raise Stop("a one-time PIN should ask for a new PIN")
        # The inmate chooses the demo PIN, so the demo kiosk steps keep working afterwards.
        self.expect(client.call("POST", "/v1/inmate/pin", {"new_pin": client.INMATE_PIN},
                                token=signed["access_token"], headers={"X-Kiosk-Key": kiosk_key}),
                    200, "POST /v1/inmate/pin")
        return f"{self.inmate_number} signed in at the kiosk and chose a PIN", inmate_id

    def family_signs_up(self):
        email = f"family.{RUN}@example.com"
        self.expect(client.call("POST", "/v1/auth/signup", {
            "email": email, "password": PASSWORD, "full_name": "Rosa Torres"}), 202, "sign-up")
        self.expect(client.call("POST", "/v1/auth/verify-email", {
            "email": email, "code": client.last_code(email)}), 200, "verify-email")
        tokens = self.expect(client.call("POST", "/v1/auth/login",
                                         {"email": email, "password": PASSWORD}), 200, "sign-in")
        return f"{email} signed in", tokens["access_token"]

    def request_contact(self, family: str, inmate_id: str):
        body = self.expect(client.call("POST", "/v1/contacts", {"inmate_id": inmate_id},
                                       token=family), 201, "POST /v1/contacts")
        return f"contact {body['contact_id']} {body['status']}", body["contact_id"]

    def approve(self, staff: str, contact_id: str):
        self.expect(client.call("POST", f"/v1/staff/contacts/{contact_id}/decision",
                                {"decision": "approve"}, token=staff), 200, "decision")
        return "approved", None

    def deposit(self, family: str, inmate_id: str):
        body = self.expect(client.call("POST", "/v1/deposits", {
            "inmate_id": inmate_id, "account": "trust", "amount_cents": 2500,
            "payment_method_token": "tok_visa"}, token=family,
            headers={"Idempotency-Key": f"onboard-{RUN}"}), 201, "POST /v1/deposits")
        return (f"{body['status']}: ${body['amount_cents'] / 100:.2f} + fee "
                f"${body['fee_cents'] / 100:.2f}"), None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--facility", help="onboard at this existing facility instead")
    parser.add_argument("--inmate", default=None, help="an inmate number there (with --facility)")
    args = parser.parse_args(argv)
    client.outbox_reader.require_stack({"API_URL": client.API,
                                        "AWS_ENDPOINT_URL": client.EMULATOR})
    onboarding = Onboarding(args.facility, args.inmate or ("A1001" if args.facility else "H2001"))
    where = args.facility or onboarding.facility_id
    print(f"Onboarding {where} at {client.API} through the API only\n")
    started = time.monotonic()
    try:
        onboarding.run()
    except Stop as stop:
        print(f"\nStopped at step {onboarding.steps} after {time.monotonic() - started:.1f} s.")
        return stop.code
    made = "" if args.facility else "rules, a roster, "
    print(f"\n{onboarding.steps} steps done in {time.monotonic() - started:.1f} s: {where} "
          f"has {made}a staff member with TOTP, a kiosk, and a family's deposit.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
