"""Anticipation: pre-heat rooms and the hot-water tank before a red period, coast through it.

The modules here are pure Python (no Home Assistant): ``thermal`` (the room model),
``learning`` (the model fitted on a thermostat's history), ``planner`` (what each room does
around a period) and ``hot_water`` (when the tank heats). The Home Assistant side reads the
recorder, calls them in the executor and carries the plan out.
"""
