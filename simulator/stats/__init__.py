"""Statistics of replications: paired comparisons with their intervals (`compare`) and selecting the best (`selection`).

Pure functions on arrays and tidy tables, so the experiment (which decides when to stop replicating), the
calibration, the terminal verdict and the report all read one set of intervals. It may import only the metric
catalogue (for each metric's direction and practical threshold), never a scenario, a world or the engine.
"""
