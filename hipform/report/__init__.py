"""Report sinks: HTML report (:mod:`hipform.report.html`) with its plots as inline SVG
(:mod:`hipform.report.svgplot`, numpy only), the trend PNG of ``hipform progress --plot``
(:mod:`hipform.report.plots`, matplotlib, imported lazily), re-test comparison
(:mod:`hipform.report.progress`) and the overlay drawing (:mod:`hipform.report.overlay`).

Nothing heavy is imported here: import the submodule you need.
"""
