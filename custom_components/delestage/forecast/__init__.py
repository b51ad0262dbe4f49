"""Tempo forecast: the colours of the next seven days, with probabilities (feature).

``rules``, ``model`` and ``calibration`` are pure Python (standard library, Python 3.11
syntax, no Home Assistant import): ``tools/tempo_backtest.py`` loads them from their files.
Keep this ``__init__`` free of imports so that stays true. ``schedule`` and ``inputs`` are pure
too; the Home Assistant side (``feature`` sets it up on each RTE entry through ``hub.py``) is
``coordinator``, ``store``, ``sensor``, ``services`` and ``repairs``.
"""
