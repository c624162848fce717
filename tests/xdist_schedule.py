"""`make test`'s scheduling: xdist's ``--dist loadfile``, except that the tests of the files in
``SPREAD`` go to the workers one by one, after every whole file.

A file kept on one worker builds its module fixtures once; but the schemathesis run (136
operations, the longest file by far) then sat on a single worker while the others finished and
waited.  Spread and handed out last, its operations fill the workers' gaps: each worker that
takes one builds the file's stack once (its fixtures are module-scoped) and keeps it for the
operations that follow.
"""
from __future__ import annotations

from xdist.scheduler import LoadFileScheduling

SPREAD = ("tests/test_fuzz_api.py",)


class FilesThenSpreadTests(LoadFileScheduling):
    _ordered = False

    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        return nodeid if path in SPREAD else path

    def _assign_work_unit(self, node) -> None:
        if not self._ordered:  # the queue is complete before the first unit is handed out
            self._ordered = True
            for scope in [scope for scope in self.workqueue if "::" in scope]:
                self.workqueue.move_to_end(scope)
        super()._assign_work_unit(node)
