"""NumPy convolution backend mirroring ``torch.nn.functional``: actual values, not just shapes.

Input is ``(N, C, *spatial)`` (or unbatched ``(C, *spatial)``) with any number of spatial
axes. Shapes, padding and every refusal come from the shape engine, so an answer here always
agrees with ``convarith.Conv(...).output_shape``. The result dtype is NumPy's promotion of the
inputs (float32 stays float32; integer inputs give exact integer results).
"""

from .. import limits
from .conv import conv, conv_transpose
from .padding import pad
from .pool import avg_pool, max_pool

__all__ = ["avg_pool", "conv", "conv_transpose", "limits", "max_pool", "pad"]
