"""Real-browser check of the Home Assistant UI (script/e2e)."""
