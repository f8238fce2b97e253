"""Report sinks: HTML report (:mod:`hipform.report.html`), plots
(:mod:`hipform.report.plots`, matplotlib, imported lazily), re-test comparison
(:mod:`hipform.report.progress`) and the overlay drawing (:mod:`hipform.report.overlay`).

Nothing heavy is imported here: import the submodule you need.
"""
