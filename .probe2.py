import asyncio, aiohttp
from tools.hass_client import Hass
from tools import demo_rooms
from tools.demo_content import PREHEAT_DASHBOARD
async def main():
    async with aiohttp.ClientSession() as s:
        h = Hass(s, "http://127.0.0.1:8231")
        await h.log_in("demo", "delestage", "Demo")
        climates = await demo_rooms.climate_entities(h)
        sensors = await demo_rooms.preheat_sensors(h)
        print(sensors)
        await h.ws({"type": "lovelace/config/save", "url_path": PREHEAT_DASHBOARD, "config": demo_rooms.dashboard("en", climates, sensors)})
        print(await h.ws({"type": "repairs/list_issues"}))
        await h.close()
asyncio.run(main())
