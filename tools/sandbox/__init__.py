"""Local simulator of the RTE, Enedis and Météo-France APIs (development and end-to-end tests).

``python -m tools.sandbox --port 8765`` serves, under one origin:
- ``/rte``          = ``https://digital.iservices.rte-france.com``
- ``/enedis``       = ``https://gw.ext.prod.api.enedis.fr`` (+ the consent page's paths)
- ``/meteofrance``  = ``https://public-api.meteofrance.fr`` (+ the portal's ``/token``)
- ``/conso_api``    = ``https://conso.boris.sh`` (Conso API gateway)
- ``/myelectricaldata`` = ``https://www.v2.myelectricaldata.fr`` (MyElectricalData v2)
- ``/_control``     = faults, counters and scenario switches.
No Home Assistant import: it runs anywhere aiohttp does.
"""

from .app import create_app
from .state import SandboxConfig, SandboxState

__all__ = ["SandboxConfig", "SandboxState", "create_app"]
