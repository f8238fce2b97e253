"""The Landmarks container (DESIGN.md §2) and the BlazePose landmark index.

Arrays:
    xyzv:  float32 (T, 33, 4) -- x, y in **pixels**, z relative depth (BlazePose, same
           scale as x), visibility in [0, 1]. A frame with no person is a row of NaN.
    world: float32 (T, 33, 3) metres (hip-centred), or None.
    t_ms:  int64 (T,) timestamp of each frame in milliseconds, from the container.
    width, height: frame size in pixels.

Row index equals frame index; frames are never dropped. Live use is the same
container with T = 1.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib import format as npformat

from hipform.errors import LandmarksError

N_LANDMARKS = 33
NPZ_FORMAT = "hipform.landmarks/1"


class LM(IntEnum):
    """BlazePose landmark indices. LEFT_* are the subject's left (not the image's)."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


#: Skeleton edges for drawing (pairs of LM indices).
POSE_EDGES: tuple[tuple[int, int], ...] = (
    (11, 12), (11, 13), (13, 15), (12, 14), (14, 16),
    (11, 23), (12, 24), (23, 24),
    (23, 25), (25, 27), (27, 29), (29, 31), (27, 31),
    (24, 26), (26, 28), (28, 30), (30, 32), (28, 32),
    (0, 7), (0, 8),
)


@dataclass(frozen=True)
class Landmarks:
    """Pose landmarks of one person over T frames (see module docstring for the contract)."""

    xyzv: np.ndarray
    t_ms: np.ndarray
    width: int
    height: int
    world: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        xyzv = np.asarray(self.xyzv, dtype=np.float32)
        if xyzv.ndim != 3 or xyzv.shape[1:] != (N_LANDMARKS, 4):
            raise LandmarksError(
                f"xyzv must have shape (T, {N_LANDMARKS}, 4), got {tuple(xyzv.shape)}"
            )
        t = np.asarray(self.t_ms, dtype=np.int64)
        if t.shape != (xyzv.shape[0],):
            raise LandmarksError(f"t_ms must have shape ({xyzv.shape[0]},), got {tuple(t.shape)}")
        if self.world is not None:
            w = np.asarray(self.world, dtype=np.float32)
            if w.shape != (xyzv.shape[0], N_LANDMARKS, 3):
                raise LandmarksError(
                    f"world must have shape ({xyzv.shape[0]}, {N_LANDMARKS}, 3), "
                    f"got {tuple(w.shape)}"
                )
            object.__setattr__(self, "world", w)
        if int(self.width) <= 0 or int(self.height) <= 0:
            raise LandmarksError(f"frame size must be positive, got {self.width}x{self.height}")
        object.__setattr__(self, "xyzv", xyzv)
        object.__setattr__(self, "t_ms", t)
        object.__setattr__(self, "width", int(self.width))
        object.__setattr__(self, "height", int(self.height))

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return int(self.xyzv.shape[0])

    @property
    def xy(self) -> np.ndarray:
        """float32 (T, 33, 2) pixel coordinates (a view, do not mutate)."""
        return self.xyzv[..., :2]

    @property
    def visibility(self) -> np.ndarray:
        """float32 (T, 33) visibility in [0, 1], NaN where no person."""
        return self.xyzv[..., 3]

    @property
    def detected(self) -> np.ndarray:
        """bool (T,) whether a person was found in each frame."""
        return ~np.isnan(self.xyzv[:, 0, 0])

    @classmethod
    def empty(cls, width: int = 1, height: int = 1) -> Landmarks:
        """An empty container (T = 0)."""
        return cls(
            np.zeros((0, N_LANDMARKS, 4), np.float32), np.zeros((0,), np.int64), width, height
        )

    def slice(self, start: int, stop: int) -> Landmarks:
        """Frames [start, stop) as a new container."""
        return Landmarks(
            self.xyzv[start:stop],
            self.t_ms[start:stop],
            self.width,
            self.height,
            None if self.world is None else self.world[start:stop],
            dict(self.meta),
        )

    @classmethod
    def concatenate(cls, parts: list[Landmarks]) -> Landmarks:
        """Join containers of the same frame size in time order."""
        if not parts:
            return cls.empty()
        w, h = parts[0].width, parts[0].height
        worlds = [p.world for p in parts]
        world = None if any(x is None for x in worlds) else np.concatenate(worlds)  # type: ignore[arg-type]
        return cls(
            np.concatenate([p.xyzv for p in parts]),
            np.concatenate([p.t_ms for p in parts]),
            w,
            h,
            world,
            dict(parts[0].meta),
        )

    # ------------------------------------------------------------------ I/O
    def save(self, path: str | Path) -> None:
        """Write to ``.npz`` (deflate-compressed, what ``np.load`` reads) atomically (temp
        file + rename). Arrays are written in slices of about 1 MB, so saving a long clip
        needs no copy of its landmarks (``np.savez_compressed`` makes 16 MB ones)."""
        path = Path(path)
        tmp = path.with_name(path.name + ".part")
        arrays = {
            "format": np.array(NPZ_FORMAT),
            "xyzv": self.xyzv,
            "t_ms": self.t_ms,
            "size": np.array([self.width, self.height], np.int64),
            "world": self.world if self.world is not None else np.zeros((0,), np.float32),
            "meta": np.array(json.dumps(self.meta, default=str)),
        }
        with open(tmp, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
            for key, a in arrays.items():
                a = np.asarray(a) if a.flags.c_contiguous else np.array(a, order="C")
                with z.open(key + ".npy", "w", force_zip64=True) as fid:
                    npformat.write_array_header_1_0(fid, npformat.header_data_from_array_1_0(a))
                    flat = a.reshape(-1)  # C order, a view
                    step = max(1, (1 << 20) // a.itemsize)
                    for i in range(0, flat.size, step):
                        fid.write(flat[i:i + step].tobytes())
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path) -> Landmarks:
        """Read a ``.npz`` written by :meth:`save`; LandmarksError naming the file if not."""
        path = Path(path)
        if not path.exists():
            raise LandmarksError(f"{path}: landmarks file not found")
        try:
            with np.load(path, allow_pickle=False) as z:
                fmt = str(z["format"]) if "format" in z else ""
                if fmt != NPZ_FORMAT:
                    raise LandmarksError(f"{path}: not a hipform landmarks file (format {fmt!r})")
                world = z["world"]
                return cls(
                    z["xyzv"],
                    z["t_ms"],
                    int(z["size"][0]),
                    int(z["size"][1]),
                    None if world.size == 0 else world,
                    json.loads(str(z["meta"])) if "meta" in z else {},
                )
        except LandmarksError:
            raise
        except Exception as e:  # noqa: BLE001 - any decode failure is a bad file
            raise LandmarksError(f"{path}: cannot read landmarks ({e})") from e
