"""The demo facility's course (api.md "Local demo"), put through the staff service."""
from __future__ import annotations

from chalicelib.core.identity import Principal
from chalicelib.education import service

DEMO_COURSE_ID = "ged-math-basics"
DEMO_COURSE = {
    "title": "GED Math: the basics", "provider": "Demo County Adult Education", "language": "en",
    "lessons": [{"title": "Whole numbers"}, {"title": "Fractions and decimals"},
                {"title": "Percentages"}, {"title": "Practice test"}],
}


def seed_demo_course(facility_id: str) -> str:
    """Put (or put again, unchanged) the demo course in ``facility_id``'s catalog."""
    admin = Principal("seed", "admin", "seed")
    service.put_course(admin, facility_id, DEMO_COURSE_ID, DEMO_COURSE)
    return DEMO_COURSE_ID
