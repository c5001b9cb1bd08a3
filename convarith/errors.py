"""The one exception convarith raises for bad shapes and parameters."""


class ShapeError(ValueError):
    """A layer configuration or input shape that the framework would reject.

    ``parameter`` names the offending argument (``"stride"``, ``"input"``, ...) and the
    message states the rule that was broken, so callers can show it as one line.
    """

    def __init__(self, parameter: str, rule: str):
        self.parameter = parameter
        self.rule = rule
        super().__init__(f"{parameter}: {rule}")
