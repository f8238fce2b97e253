"""The ``hipform`` command line (Typer).

Each command lives in ``hipform/commands/<name>.py`` and exposes ``register(app)``;
those modules import only typer at module level, heavy packages inside the command.
A :class:`~hipform.errors.HipformError` becomes one line on stderr and exit code 1.
SIGTERM unwinds like Ctrl-C (clean-up runs: no ``.partial-*`` output folder is left)
and exits with 143.
"""

from __future__ import annotations

import os
import signal
import sys

import typer

from hipform.errors import HipformError

app = typer.Typer(
    name="hipform",
    help=(
        "Webcam pose-analysis form checker for hip and knee control: knee valgus, "
        "lateral hip drop and lumbar arching during bridges, step-downs and "
        "single-leg squats."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_COMMANDS = ("analyze", "live", "batch", "samples", "history", "progress", "models")


def _register_all() -> None:
    import importlib

    for name in _COMMANDS:
        mod = importlib.import_module(f"hipform.commands.{name}")
        mod.register(app)


_register_all()


class Terminated(SystemExit):
    """Raised in the main thread on SIGTERM, so ``finally``/``except BaseException``
    clean-up runs (partial output folders, writer processes) before the exit."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated(128 + signum)


def main() -> None:
    """Console entry point."""
    # Quieten MediaPipe/TFLite C++ logging unless the user asked for it.
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        app()
    except Terminated:
        typer.echo("hipform: terminated", err=True)
        _silence_stderr()
        sys.exit(128 + signal.SIGTERM)
    except HipformError as e:
        typer.echo(f"hipform: error: {e}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("hipform: interrupted", err=True)
        _silence_stderr()
        sys.exit(130)


def _silence_stderr() -> None:
    """After the last line of an interrupted run: native libraries can still write to fd 2
    while the interpreter shuts down (MediaPipe's log lines, buffered or from a model cut
    off while loading; seen once in CI after "hipform: terminated"), which would bury the
    one-line message. Point fd 2 at /dev/null for the rest of the exit."""
    try:
        sys.stderr.flush()
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 2)
        os.close(fd)
    except OSError:
        pass


if __name__ == "__main__":
    main()
