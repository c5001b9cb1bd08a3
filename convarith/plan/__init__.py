"""The architecture planner: ``plan(...)`` returns a Plan whose ``str()`` is the table."""

from .model import Plan, Row, plan
from .presets import PRESETS, preset
from .sources import from_code, from_spec_file, from_spec_text

__all__ = ["PRESETS", "Plan", "Row", "from_code", "from_spec_file", "from_spec_text", "plan", "preset"]
