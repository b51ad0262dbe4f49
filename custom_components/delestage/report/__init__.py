"""Load shedding report: what each red hour cost and what shedding saved (issue 16).

``model`` is the computation (no Home Assistant import); the other modules read the recorder,
write the statistics, and expose the sensors, the action and the calendar texts.
"""
