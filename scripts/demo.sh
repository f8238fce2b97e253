#!/usr/bin/env bash
# Fresh machine -> analysed sample: set up, then analyse a bundled clip into runs/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
clip=${1:-sample_videos/sls_faulty.mp4}
.venv/bin/hipform analyze "$clip" --out runs/demo --no-save
echo "demo: outputs in runs/demo (analysis.json, metrics.csv, annotated.mp4, report.html, landmarks.npz)"
