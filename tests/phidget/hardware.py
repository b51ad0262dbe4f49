"""Stand-ins for the Phidget hardware, in place of the library's ``DigitalOutput`` and ``Manager``.

They behave like the library (phidget22 1.26), as described in the project's reference:
- handlers run on a dispatch thread of their own (one event queue per channel), never the caller's;
- state, device info and failsafe calls raise ``PhidgetException`` with
  ``EPHIDGET_NOTATTACHED`` (52) until the channel is attached; ``openWaitForAttachment``
  times out with ``EPHIDGET_TIMEOUT`` (3);
- the failsafe sets the output to False, fires ``EEPHIDGET_FAILSAFE`` (4108) and then refuses
  commands with ``EPHIDGET_FAILSAFE`` (59) until the channel is closed and opened again;
- closing a channel returns its output to the default state (False).
The exceptions are the library's own ``PhidgetException`` (the native library is loaded).

Every call checks that it does not run on the event loop's thread: the library blocks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import queue
import threading
import time
from typing import Any

from Phidget22.ChannelClass import ChannelClass
from Phidget22.DeviceClass import DeviceClass
from Phidget22.ErrorCode import ErrorCode
from Phidget22.ErrorEventCode import ErrorEventCode
from Phidget22.PhidgetException import PhidgetException

from custom_components.delestage.phidget.relays import ChannelAddress


@dataclass
class BoardChannel:
    """One physical output of a plugged board."""

    address: ChannelAddress
    sku: str = "REL1000"
    name: str = "4x Relay Phidget"
    server: str | None = None  # exported by this network server, or local (USB)
    state: bool = False
    plugged: bool = True
    vint: bool = True


class Dispatcher:
    """A library dispatch thread: runs handlers in order, off the caller's thread."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="phidget-dispatch", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            job()

    def post(self, job: Callable[[], None]) -> None:
        self._queue.put(job)

    def stop(self) -> None:
        self._queue.put(None)
        self.thread.join(timeout=1)


@dataclass
class Hardware:
    """The boards, the channels opened on them, and what the tests observe."""

    loop_thread: int
    channels: dict[ChannelAddress, BoardChannel] = field(default_factory=dict)
    opened: list[FakeDigitalOutput] = field(default_factory=list)
    loop_calls: list[str] = field(default_factory=list)
    calls: list[tuple[ChannelAddress | None, str, tuple[Any, ...]]] = field(default_factory=list)
    servers: dict[str, tuple[str, int, str]] = field(default_factory=dict)
    managers: list[FakeManager] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    # Every failsafe timer started, joined at the end so that no thread outlives its test.
    watchdogs: list[threading.Timer] = field(default_factory=list)

    def plug(self, address: ChannelAddress, **kwargs: Any) -> BoardChannel:
        """Plug a board channel in (again); open channels that match attach."""
        with self.lock:
            board = self.channels.get(address)
            if board is None:
                board = self.channels[address] = BoardChannel(address, **kwargs)
            board.plugged = True
            board.state = kwargs.get("state", False)  # a board powers up released
            for channel in self.opened:
                if channel.is_open and channel.matches(board):
                    channel.attach(board)
        return board

    def unplug(self, address: ChannelAddress) -> None:
        """Unplug a board channel; its open channels detach."""
        with self.lock:
            board = self.channels[address]
            board.plugged = False
            for channel in self.opened:
                if channel.board is board:
                    channel.detach()

    def find(self, channel: FakeDigitalOutput) -> BoardChannel | None:
        with self.lock:
            for board in self.channels.values():
                if board.plugged and channel.matches(board):
                    return board
        return None

    def check_thread(self, name: str) -> None:
        if threading.get_ident() == self.loop_thread:
            self.loop_calls.append(name)

    def stop(self) -> None:
        for channel in self.opened:
            channel.dispatcher.stop()
            channel.stop_watchdog()
        for manager in self.managers:
            manager.dispatcher.stop()
        for watchdog in self.watchdogs:
            watchdog.cancel()
            watchdog.join(2)


class FakeDigitalOutput:
    """Stand-in for ``Phidget22.Devices.DigitalOutput.DigitalOutput``."""

    hardware: Hardware
    MIN_FAILSAFE = 500
    MAX_FAILSAFE = 30000

    def __init__(self) -> None:
        self.hardware.check_thread("DigitalOutput()")
        self.serial = -1
        self.hub_port = -1
        self.is_hub_port_device = False
        self.channel = -1
        self.is_local = False
        self.is_remote = False
        self.server_name: str | None = None
        self.handlers: dict[str, Callable[..., None] | None] = {}
        self.is_open = False
        self.board: BoardChannel | None = None
        self.failsafe_ms: int | None = None
        self.failsafe_deadline: float | None = None
        self.failsafe_tripped = False
        self.dispatcher = Dispatcher()
        self._watchdog: threading.Timer | None = None
        self.hardware.opened.append(self)

    # Matching properties, set before open().
    def _record(self, name: str, *args: Any) -> None:
        self.hardware.check_thread(name)
        address = self.board.address if self.board is not None else None
        self.hardware.calls.append((address, name, args))

    def setDeviceSerialNumber(self, serial: int) -> None:
        self._record("setDeviceSerialNumber", serial)
        self.serial = serial

    def setHubPort(self, port: int) -> None:
        self._record("setHubPort", port)
        self.hub_port = port

    def setIsHubPortDevice(self, value: bool) -> None:
        self._record("setIsHubPortDevice", value)
        self.is_hub_port_device = value

    def setChannel(self, channel: int) -> None:
        self._record("setChannel", channel)
        self.channel = channel

    def setIsLocal(self, value: bool) -> None:
        self._record("setIsLocal", value)
        self.is_local = value

    def setIsRemote(self, value: bool) -> None:
        self._record("setIsRemote", value)
        self.is_remote = value

    def setServerName(self, name: str) -> None:
        self._record("setServerName", name)
        self.server_name = name

    def setOnAttachHandler(self, handler: Callable[..., None] | None) -> None:
        self._record("setOnAttachHandler")
        self.handlers["attach"] = handler

    def setOnDetachHandler(self, handler: Callable[..., None] | None) -> None:
        self._record("setOnDetachHandler")
        self.handlers["detach"] = handler

    def setOnErrorHandler(self, handler: Callable[..., None] | None) -> None:
        self._record("setOnErrorHandler")
        self.handlers["error"] = handler

    def setOnPropertyChangeHandler(self, handler: Callable[..., None] | None) -> None:
        self._record("setOnPropertyChangeHandler")
        self.handlers["property"] = handler

    def matches(self, board: BoardChannel) -> bool:
        address = board.address
        if self.serial not in (-1, address.serial_number):
            return False
        if self.hub_port not in (-1, address.hub_port):
            return False
        if self.is_hub_port_device != address.is_hub_port_device:
            return False
        if self.channel not in (-1, address.channel):
            return False
        if self.is_local and board.server is not None:
            return False
        if self.is_remote and board.server is None:
            return False
        return self.server_name in (None, board.server)

    # Opening and closing.
    def open(self) -> None:
        self._record("open")
        self.is_open = True
        if (board := self.hardware.find(self)) is not None:
            self.attach(board)

    def openWaitForAttachment(self, timeout: int) -> None:
        self._record("openWaitForAttachment", timeout)
        if (board := self.hardware.find(self)) is None:
            time.sleep(timeout / 1000)
            raise PhidgetException(ErrorCode.EPHIDGET_TIMEOUT)
        self.is_open = True
        self.board = board
        self.failsafe_tripped = False

    def close(self) -> None:
        self._record("close")
        if not self.is_open:
            return
        self.is_open = False
        self.stop_watchdog()
        if self.board is not None:
            self.board.state = False  # closing returns the output to its default state
            self.detach()

    # Events, fired on the dispatch thread.
    def attach(self, board: BoardChannel) -> None:
        self.board = board
        self.failsafe_tripped = False
        self.failsafe_ms = None
        if (handler := self.handlers.get("attach")) is not None:
            self.dispatcher.post(lambda: handler(self))

    def detach(self) -> None:
        self.board = None
        self.stop_watchdog()
        if (handler := self.handlers.get("detach")) is not None:
            self.dispatcher.post(lambda: handler(self))

    def fire_error(self, code: int, description: str) -> None:
        if (handler := self.handlers.get("error")) is not None:
            self.dispatcher.post(lambda: handler(self, ErrorEventCode(code), description))

    def change_state_remotely(self, state: bool) -> None:
        """Another client of the network server sets the output."""
        assert self.board is not None
        self.board.state = state
        if (handler := self.handlers.get("property")) is not None:
            self.dispatcher.post(lambda: handler(self, "State"))

    # Channel API, attached only.
    def _attached_board(self) -> BoardChannel:
        if self.board is None or not self.is_open:
            raise PhidgetException(ErrorCode.EPHIDGET_NOTATTACHED)
        return self.board

    def getAttached(self) -> bool:
        self._record("getAttached")
        return self.board is not None and self.is_open

    def getState(self) -> bool:
        self._record("getState")
        return self._attached_board().state

    def setState(self, state: bool) -> None:
        self._record("setState", state)
        board = self._attached_board()
        if self.failsafe_tripped:
            raise PhidgetException(ErrorCode.EPHIDGET_FAILSAFE)
        board.state = bool(state)
        self._feed_watchdog()

    def getDeviceName(self) -> str:
        self._record("getDeviceName")
        return self._attached_board().name

    def getDeviceSKU(self) -> str:
        self._record("getDeviceSKU")
        return self._attached_board().sku

    def getMinFailsafeTime(self) -> int:
        self._record("getMinFailsafeTime")
        self._attached_board()
        return self.MIN_FAILSAFE

    def getMaxFailsafeTime(self) -> int:
        self._record("getMaxFailsafeTime")
        self._attached_board()
        return self.MAX_FAILSAFE

    def enableFailsafe(self, ms: int) -> None:
        self._record("enableFailsafe", ms)
        self._attached_board()
        if not self.MIN_FAILSAFE <= ms <= self.MAX_FAILSAFE:
            raise PhidgetException(ErrorCode.EPHIDGET_INVALIDARG)
        self.failsafe_ms = ms
        self._feed_watchdog()

    def resetFailsafe(self) -> None:
        self._record("resetFailsafe")
        self._attached_board()
        if self.failsafe_tripped:
            raise PhidgetException(ErrorCode.EPHIDGET_FAILSAFE)
        self._feed_watchdog()

    # The board's failsafe timer.
    def _feed_watchdog(self) -> None:
        if self.failsafe_ms is None:
            return
        self.stop_watchdog()
        self._watchdog = threading.Timer(self.failsafe_ms / 1000, self._trip)
        self._watchdog.daemon = True
        self._watchdog.start()
        self.hardware.watchdogs.append(self._watchdog)

    def stop_watchdog(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    def _trip(self) -> None:
        with self.hardware.lock:
            if self.board is None or not self.is_open:
                return
            self.board.state = False
            self.failsafe_tripped = True
        self.fire_error(ErrorEventCode.EEPHIDGET_FAILSAFE, "Failsafe procedure initiated.")


class FakeChannelInfo:
    """A channel as the Manager reports it: informational only."""

    def __init__(self, board: BoardChannel, channel_class: int) -> None:
        self.board = board
        self.channel_class = channel_class

    def getChannelClass(self) -> int:
        return self.channel_class

    def getIsRemote(self) -> bool:
        return self.board.server is not None

    def getDeviceName(self) -> str:
        return self.board.name

    def getDeviceSKU(self) -> str:
        return self.board.sku

    def getIsHubPortDevice(self) -> bool:
        return self.board.address.is_hub_port_device

    def getDeviceClass(self) -> int:
        return DeviceClass.PHIDCLASS_VINT if self.board.vint else DeviceClass.PHIDCLASS_INTERFACEKIT

    def getDeviceSerialNumber(self) -> int:
        return self.board.address.serial_number

    def getHubPort(self) -> int:
        return self.board.address.hub_port if self.board.vint else 0

    def getChannel(self) -> int:
        return self.board.address.channel


class FakeManager:
    """Stand-in for ``Phidget22.Devices.Manager.Manager``: reports every plugged channel."""

    hardware: Hardware
    # Other channel classes the boards also expose (a hub's own channel, digital inputs).
    extra_classes: tuple[int, ...] = (ChannelClass.PHIDCHCLASS_HUB,)

    def __init__(self) -> None:
        self.hardware.check_thread("Manager()")
        self.handler: Callable[..., None] | None = None
        self.dispatcher = Dispatcher()
        self.closed = False
        self.hardware.managers.append(self)

    def setOnAttachHandler(self, handler: Callable[..., None]) -> None:
        self.hardware.check_thread("Manager.setOnAttachHandler")
        self.handler = handler

    def open(self) -> None:
        self.hardware.check_thread("Manager.open")
        handler = self.handler
        assert handler is not None
        for board in list(self.hardware.channels.values()):
            if not board.plugged:
                continue
            for channel_class in (ChannelClass.PHIDCHCLASS_DIGITALOUTPUT, *self.extra_classes):
                info = FakeChannelInfo(board, channel_class)
                self.dispatcher.post(lambda info=info: handler(self, info))

    def close(self) -> None:
        self.hardware.check_thread("Manager.close")
        self.closed = True
        self.dispatcher.stop()


class FakeNet:
    """Stand-in for ``Phidget22.Net.Net`` (static methods)."""

    hardware: Hardware

    @classmethod
    def addServer(cls, name: str, host: str, port: int, password: str, flags: int) -> None:
        cls.hardware.check_thread("Net.addServer")
        if name in cls.hardware.servers:
            raise PhidgetException(ErrorCode.EPHIDGET_DUPLICATE)
        cls.hardware.servers[name] = (host, port, password)

    @classmethod
    def removeServer(cls, name: str) -> None:
        cls.hardware.check_thread("Net.removeServer")
        cls.hardware.servers.pop(name, None)
