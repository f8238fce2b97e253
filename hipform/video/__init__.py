"""Frame sources and sinks: the only place that opens OpenCV captures and writers."""

from hipform.video.sources import (
    CameraSource,
    Frame,
    FrameSource,
    ImageFolderSource,
    VideoFileSource,
    open_source,
    probe_video,
    read_frames_at,
)
from hipform.video.writer import VideoSink

__all__ = [
    "CameraSource",
    "Frame",
    "FrameSource",
    "ImageFolderSource",
    "VideoFileSource",
    "VideoSink",
    "open_source",
    "probe_video",
    "read_frames_at",
]
