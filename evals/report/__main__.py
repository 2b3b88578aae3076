"""``python -m evals.report RESULTS.json --out DIR``: the report of a saved run."""

from evals.report.page import main

raise SystemExit(main())
