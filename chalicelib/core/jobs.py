"""Where each scheduled job keeps its place between runs (a watermark, a saved cursor), so a
run that stops early (time, a failure) resumes where it stopped instead of starting over."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.core.store import BaseMeta, StoredModel, TableName, register


@register
class JobState(StoredModel):
    class Meta(BaseMeta):
        table_name = TableName("job-state")

    job = UnicodeAttribute(hash_key=True)
    watermark = NumberAttribute()
    # The position inside the watermark's unit (a due day's shard and Query cursor), JSON.
    cursor = UnicodeAttribute(null=True)
