"""The exceptions convarith raises. All derive from ``ConvarithError`` (a ``ValueError``).

Each keeps ``parameter`` (the offending argument: ``"stride"``, ``"input"``, ``"spec"``...)
and ``rule`` (what was broken), so callers can show it as one line. They pickle, so an
error raised in a worker process reaches the parent intact.
"""

from __future__ import annotations

from typing import Any


class ConvarithError(ValueError):
    """Any input convarith refuses: ``parameter`` names it, ``rule`` says why."""

    def __init__(self, parameter: str, rule: str):
        self.parameter = parameter
        self.rule = rule
        super().__init__(f"{parameter}: {rule}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.parameter, self.rule))


class ShapeError(ConvarithError):
    """A layer configuration or input shape that the framework would reject."""


class SpecError(ConvarithError):
    """A network description convarith cannot plan: a spec file, a preset's options, pasted
    model code or ``print(model)`` text. ``parameter`` names the field or line."""


class InputFileError(ConvarithError):
    """A file convarith cannot read or write: missing, unreadable, not an image, too large
    to decode, or a folder that is not convarith's to write into."""


class OptionError(ConvarithError):
    """A command-line option the ``convarith`` command cannot use: text that does not parse,
    a missing option or two that exclude each other. ``parameter`` names the option."""


class LimitError(ShapeError):
    """A request whose size, computed before any work, is past one of ``convarith.limits``.

    ``lift`` says which option (command line) or attribute (Python) allows it.
    """

    def __init__(self, parameter: str, rule: str, lift: str = ""):
        self.lift = lift
        super().__init__(parameter, f"{rule}; {lift}" if lift else rule)
        self.rule = rule

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.parameter, self.rule, self.lift))
