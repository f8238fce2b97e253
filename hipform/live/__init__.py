"""The live session (``hipform live``): capture thread, pose, One Euro smoothing,
calibration, exercise engine, window/voice/headless output, recording.

Nothing heavy is imported here; see :mod:`hipform.live.session`.
"""

__all__: list[str] = []
