"""Creating and changing facilities (docs/api.md "Operating a facility"): an admin names the
facility, its state, IANA time zone, kind and average daily population (ADP); the legal size
tier follows from kind and ADP (``caps.size_tier``).  A new facility is not listed in the public
directory until its rules are put.
"""
from __future__ import annotations

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.core.errors import Conflict, InvalidRequest, NotFound
from chalicelib.core.i18n import _
from chalicelib.core.logs import log_event
from chalicelib.core.store import condition_failed
from chalicelib.facilities import caps, store

FACILITY_ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"


def valid_timezone(name: str) -> str:
    """``name`` if it is an IANA time zone (``America/Chicago``), else 400 naming the field."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # imported when used: cold start

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest(_("timezone must be an IANA time zone such as America/Chicago."),
                             errors=[{"field": "timezone",
                                      "problem": _("must be an IANA time zone")}]) from None
    return name


def create(body: dict, by: str) -> dict:
    facility = store.Facility(body["facility_id"], name=body["name"].strip(),
                              state=body["state"], timezone=valid_timezone(body["timezone"]),
                              kind=body["kind"],
                              average_daily_population=body["average_daily_population"],
                              directory=store.UNLISTED, rules={})
    try:
        facility.save(condition=store.Facility.facility_id.does_not_exist())
    except PutError as error:
        if condition_failed(error):
            raise Conflict(_("A facility with this id already exists."),
                           code="facility_exists") from None
        raise
    log_event("facility_created", facility_id=facility.facility_id, by=by)
    return render(facility)


def update(facility_id: str, body: dict, by: str) -> dict:
    actions = []
    if "name" in body:
        actions.append(store.Facility.name.set(body["name"].strip()))
    if "timezone" in body:
        actions.append(store.Facility.timezone.set(valid_timezone(body["timezone"])))
    if "average_daily_population" in body:
        actions.append(store.Facility.average_daily_population.set(
            body["average_daily_population"]))
    facility = store.Facility(facility_id)
    try:
        if actions:
            facility.update(actions=actions, condition=store.Facility.facility_id.exists())
        else:
            facility.refresh(consistent_read=True)
    except (UpdateError, store.Facility.DoesNotExist) as error:
        if isinstance(error, store.Facility.DoesNotExist) or condition_failed(error):
            raise NotFound(_("No such facility.")) from None
        raise
    log_event("facility_updated", facility_id=facility_id, by=by, fields=sorted(body))
    return render(facility)


def render(facility: store.Facility) -> dict:
    population = facility.average_daily_population
    return {"facility_id": facility.facility_id, "name": facility.name, "state": facility.state,
            "timezone": facility.timezone, "kind": facility.kind,
            "average_daily_population": None if population is None else int(population),
            "size_tier": (caps.size_tier(facility.kind, int(population))
                          if facility.kind and population is not None else None),
            "listed": facility.directory == store.LISTED,
            "rules_version": int(facility.rules_version or 0),
            "roster_generation": int(facility.roster_generation or 0)}
