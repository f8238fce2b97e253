#!/usr/bin/env python3
"""Assemble README.md from the section files in docs/ (the single source of each section).

Usage: python scripts/build_readme.py [--check]
--check exits 1 if README.md differs from what would be built (a test runs this).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = [
    "README_intro.md",
    "README_analyze.md",
    "README_core.md",
    "README_exercises.md",
    "README_live.md",
    "README_batch.md",
    "README_history.md",
    "README_synth.md",
    "README_perf.md",
    "README_dev.md",
]
NOTE = ("<!-- Built by scripts/build_readme.py from docs/README_*.md: edit those, "
        "then rebuild. -->\n\n")


def build() -> str:
    parts = []
    for name in SECTIONS:
        p = ROOT / "docs" / name
        if p.exists():
            parts.append(p.read_text().strip() + "\n")
    return NOTE + "\n".join(parts)


def main() -> None:
    text = build()
    readme = ROOT / "README.md"
    if "--check" in sys.argv:
        if not readme.exists() or readme.read_text() != text:
            print("README.md is out of date: run python scripts/build_readme.py",
                  file=sys.stderr)
            sys.exit(1)
        return
    readme.write_text(text)
    print(f"README.md: {len(text.splitlines())} lines")


if __name__ == "__main__":
    main()
