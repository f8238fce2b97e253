"""hipform: webcam pose-analysis form checker for hip and knee control."""

from hipform.errors import HipformError
from hipform.landmarks import LM, Landmarks

__version__ = "0.1.0"

__all__ = ["HipformError", "LM", "Landmarks", "__version__"]
