"""JSON Lines with every digit of times kept: the backup's format (`manage.py backup`).

Django's JSON encoder cuts datetimes and times to milliseconds ("…38.123Z"), so a row written at
…38.123456 came back from a restore as …38.123 — and one written at …38.000500 was dumped as
"…38.000Z" and dumped again after the restore as "…38Z". This format writes the full ISO form
(microseconds included); it is read back by the standard `jsonl` deserializer (`loaddata`
infers the format from the file's .jsonl name), which parses microseconds, so archives made before
stay readable.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.serializers import jsonl
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.timezone import is_aware


class ExactEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        if isinstance(o, dt.time) and not is_aware(o):
            return o.isoformat()
        return super().default(o)


class Serializer(jsonl.Serializer):
    def _init_options(self) -> None:
        super()._init_options()
        self.json_kwargs["cls"] = ExactEncoder


Deserializer = jsonl.Deserializer
