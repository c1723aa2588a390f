"""ISO 18626 interlibrary-loan messaging: typed messages and a hardened, tolerant XML codec.

Pure Python (lxml only, no Django) so it is reusable and quick to test. See ``codec`` for the
error-type mapping and ``messages`` for the data model.
"""

from .codec import MAX_MESSAGE_BYTES, build_confirmation, parse, serialize, validate
from .messages import Iso18626Error

__all__ = ["MAX_MESSAGE_BYTES", "Iso18626Error", "build_confirmation", "parse", "serialize", "validate"]
