"""Typed errors. Each also subclasses the matching built-in, so callers that catch
``OSError`` / ``ValueError`` / ``FileNotFoundError`` keep working.

The CLI turns any :class:`HipformError` into a one-line message and exit code 1.
Every message names the file or value at fault.
"""

from __future__ import annotations


class HipformError(Exception):
    """Base class of every error hipform raises on purpose."""


class VideoOpenError(HipformError, OSError):
    """A video (or camera, or image folder) cannot be opened or read at all."""


class VideoNotFoundError(VideoOpenError, FileNotFoundError):
    """The video path does not exist."""


class NotAVideoError(VideoOpenError):
    """The file exists but is not a video that can be decoded."""


class EmptyVideoError(VideoOpenError):
    """The video opened but holds no decodable frame."""


class TruncatedVideoError(VideoOpenError):
    """Decoding stopped early: some frames were lost.

    ``frames_read`` frames decoded before the failure; ``frames_lost`` is how many
    the container announced but could not be decoded.
    """

    def __init__(self, message: str, frames_read: int = 0, frames_lost: int = 0) -> None:
        super().__init__(message)
        self.frames_read = frames_read
        self.frames_lost = frames_lost


class CameraError(VideoOpenError):
    """A webcam cannot be opened, or stopped delivering frames."""


class ModelError(HipformError, FileNotFoundError):
    """The pose model bundle is missing, corrupt or cannot be loaded."""


class ModelDownloadError(ModelError):
    """A model bundle could not be downloaded (for example: no internet)."""


class LandmarksError(HipformError, ValueError):
    """An array or file of landmarks does not match the data contract."""


class ConfigError(HipformError, ValueError):
    """A profile, threshold or option value is invalid."""


class OutputError(HipformError, OSError):
    """An output file or folder cannot be written."""


class StoreError(HipformError, OSError):
    """The history database cannot be opened, migrated or written."""
