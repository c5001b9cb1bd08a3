"""A framework's arguments -> explicit per-axis padding, plus that framework's refusals.

Each dialect module offers ``conv``, ``conv_transpose`` and ``pool`` functions taking a layer
and a spatial input and returning one :class:`~convarith.arithmetic.AxisArithmetic` per axis,
and ``check_*`` functions run when a layer is constructed.
"""
