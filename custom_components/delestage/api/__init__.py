"""Clients of the remote APIs: plain asyncio + aiohttp, no Home Assistant import."""
