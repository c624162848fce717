"""What visits registers below it: a release cancels the inmate's coming visits, and the
monthly statement of calls lists the month's visits.  Imported only when those registries are
read (``core.lazy``), so their order is the faces', whatever loaded first."""
from chalicelib import calls, facilities
from chalicelib.visits.lifecycle import on_inmate_released, statement_visits

facilities.on_release(on_inmate_released)
calls.add_statement_section("visits", statement_visits)
