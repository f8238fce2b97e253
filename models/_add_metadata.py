"""Run under mediapipe==0.10.14: add image-normalisation metadata to a TFLite model.

Usage: python _add_metadata.py IN.tflite OUT.tflite MEAN STD NAME
(Called by build_model.py; 1.x's metadata writer is broken, 0.10.14's works.)
"""

import sys

from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer


def main() -> None:
    src, dst, mean, std, name = sys.argv[1:6]
    with open(src, "rb") as f:
        buf = bytearray(f.read())
    writer = metadata_writer.MetadataWriter.create(buf)
    writer.add_general_info(name, "BlazePose GHUM 3D (Apache-2.0), from mediapipe==0.10.14")
    writer.add_image_input(norm_mean=[float(mean)], norm_std=[float(std)])
    model, _ = writer.populate()
    with open(dst, "wb") as f:
        f.write(model)


if __name__ == "__main__":
    main()
