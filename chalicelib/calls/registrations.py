"""What calls registers with facilities: released inmates' calls and balances are settled
(``service.refund_on_release``).  Imported only when the release listeners are read
(``core.lazy``), so their order is the faces' (calls before visits), whatever loaded first."""
from chalicelib import facilities
from chalicelib.calls.service import refund_on_release

facilities.on_release(refund_on_release)
