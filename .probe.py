import asyncio, aiohttp, json
from tools.hass_client import Hass
async def main():
    async with aiohttp.ClientSession() as s:
        h = Hass(s, "http://127.0.0.1:8231")
        await h.log_in("demo", "delestage", "Demo")
        for e in ["climate.living_room","climate.bedroom","sensor.temperature_sejour","sensor.temperature_chambre","input_boolean.chauffage_sejour","input_boolean.chauffage_chambre","sensor.rte_ecowatt_next_alert_start"]:
            st = await h.state(e)
            print(e, st and st["state"], st and {k:v for k,v in st["attributes"].items() if k in ("temperature","current_temperature","hvac_action","preset_mode")})
        states = await h.ws({"type":"get_states"})
        for st in states:
            if "preheat" in st["entity_id"] or "coast" in st["entity_id"] or "autonomie" in st["entity_id"]:
                print(st["entity_id"], st["state"], json.dumps(st["attributes"])[:600])
        await h.close()
asyncio.run(main())
