"""JSON text as every convarith command and ``Plan.to_json`` write it (pure Python).

Indented by two, with short lists of numbers kept on one line, and strict: NaN and infinity
have no JSON spelling, so a result holding one is refused rather than written.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import ShapeError

_SHORT_LIST = re.compile(r"\[\s*((?:-?\d+|null|true|false)(?:,\s*(?:-?\d+|null|true|false))*)\s*\]")


def dumps(data: Any) -> str:
    try:
        text = json.dumps(data, indent=2, allow_nan=False)
    except ValueError:
        raise ShapeError(
            "--json", "the result holds a number that is not finite (NaN or infinity), which JSON cannot carry"
        ) from None
    return _SHORT_LIST.sub(lambda m: "[" + ", ".join(m.group(1).split()).replace(",,", ",") + "]", text)
