"""Relay channels over the ``phidget22`` library: the only module that imports it.

Rules kept here so that nothing else needs to know them:
- every call into the library runs in the executor (it may block on USB or the network);
- the library calls our handlers on its own threads: they only read the channel and hand
  the result to the event loop with ``loop.call_soon_threadsafe``;
- channels are opened with ``open()`` (never ``openWaitForAttachment`` at set-up), so a
  board plugged in later still attaches;
- a missing native library (``OSError`` at the first native call) becomes
  :class:`LibraryMissingError`, library errors become :class:`RelayError` subclasses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import dataclass
from datetime import timedelta
import logging
from typing import Any, Protocol, cast

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from Phidget22.ChannelClass import ChannelClass
from Phidget22.DeviceClass import DeviceClass
from Phidget22.Devices.DigitalOutput import DigitalOutput
from Phidget22.Devices.Manager import Manager
from Phidget22.ErrorCode import ErrorCode
from Phidget22.ErrorEventCode import ErrorEventCode
from Phidget22.Net import Net
from Phidget22.Phidget import Phidget
from Phidget22.PhidgetException import PhidgetException

from .const import ANY_HUB_PORT

_LOGGER = logging.getLogger(__name__)

# The library's factories; the tests replace them with stand-ins at the hardware boundary.
DIGITAL_OUTPUT_FACTORY: Callable[[], DigitalOutput] = DigitalOutput
MANAGER_FACTORY: Callable[[], Manager] = Manager

FAILSAFE_EVENT: int = ErrorEventCode.EEPHIDGET_FAILSAFE
# resetFailsafe() runs this many times per failsafe period, never more often than every 50 ms.
FAILSAFE_RESETS_PER_PERIOD = 3
MIN_FAILSAFE_RESET_INTERVAL = timedelta(milliseconds=50)


class PhidgetError(Exception):
    """Base of the errors of this module."""


class LibraryMissingError(PhidgetError):
    """The native ``libphidget22`` cannot be loaded on this installation (musl, no libusb...)."""


class RelayError(PhidgetError):
    """A library call failed; ``code`` is the library's ``ErrorCode``."""

    def __init__(self, code: int, description: str) -> None:
        """Keep the library's code and description."""
        super().__init__(f"{description} (Phidget error {code})")
        self.code = code
        self.description = description


class NotAttachedError(RelayError):
    """The channel is not attached to a board (unplugged, server unreachable)."""


class AttachTimeoutError(RelayError):
    """No matching channel attached within the time allowed."""


class FailsafeTrippedError(RelayError):
    """The channel is in its failsafe state until it is reopened."""


_ERRORS: dict[int, type[RelayError]] = {
    ErrorCode.EPHIDGET_NOTATTACHED: NotAttachedError,
    ErrorCode.EPHIDGET_TIMEOUT: AttachTimeoutError,
    ErrorCode.EPHIDGET_FAILSAFE: FailsafeTrippedError,
}


def relay_error(err: PhidgetException) -> RelayError:
    """Map a library exception to our error type, by its code."""
    code = int(err.code)
    return _ERRORS.get(code, RelayError)(code, err.description or "Phidget error")


def load_library() -> str:
    """Load the native library (blocking: ``dlopen``) and return its version string."""
    try:
        return Phidget.getLibraryVersion()
    except OSError as err:
        raise LibraryMissingError(str(err)) from err


def _construct[T](factory: Callable[[], T]) -> T:
    """Create a library object, after checking that the native library loads.

    Without the check, a constructor fails half-way and the object's ``__del__`` fails
    again later ("Exception ignored in ... __del__").
    """
    load_library()
    return factory()


@dataclass(frozen=True, slots=True)
class ChannelAddress:
    """Where a relay is: board (or VINT hub) serial, hub port, port-as-device flag, channel."""

    serial_number: int
    hub_port: int
    is_hub_port_device: bool
    channel: int

    @property
    def key(self) -> str:
        """Stable id of the channel, unique within one connection."""
        port = "port" if self.is_hub_port_device else str(self.hub_port)
        return f"{self.serial_number}_{port}_{self.channel}"


@dataclass(frozen=True, slots=True)
class DiscoveredChannel:
    """A digital output channel reported by the library's Manager."""

    address: ChannelAddress
    device_name: str
    device_sku: str


@dataclass(frozen=True, slots=True)
class AttachInfo:
    """What the attach handler reads from a channel, on the library's thread."""

    state: bool | None
    device_name: str
    device_sku: str
    failsafe_ms: int | None
    failsafe_error: RelayError | None


class RelayListener(Protocol):
    """Receives a channel's events, always on the event loop."""

    def relay_attached(self, first: bool) -> None:
        """Handle an attach (``first`` after opening)."""

    def relay_detached(self) -> None:
        """Handle a detach."""

    def relay_state_changed(self) -> None:
        """Handle a state change made outside Home Assistant's commands."""

    def relay_error(self, code: int, description: str) -> None:
        """Handle an error event of the board (``ErrorEventCode``)."""


def _address_of(channel: Phidget) -> ChannelAddress:
    """Read the address of an attached channel (library thread or executor)."""
    is_port_device = channel.getIsHubPortDevice()
    is_vint = channel.getDeviceClass() == DeviceClass.PHIDCLASS_VINT or is_port_device
    return ChannelAddress(
        serial_number=channel.getDeviceSerialNumber(),
        hub_port=channel.getHubPort() if is_vint else ANY_HUB_PORT,
        is_hub_port_device=is_port_device,
        channel=channel.getChannel(),
    )


def _open(channel: DigitalOutput) -> None:
    channel.open()


def _configure(channel: Phidget, address: ChannelAddress, remote: bool) -> None:
    """Set the matching properties of a channel before it is opened.

    Remote channels match on any registered server (serial numbers are unique anyway): the
    name a channel reports for its server is not necessarily the one given to ``addServer``.
    """
    channel.setDeviceSerialNumber(address.serial_number)
    if address.hub_port != ANY_HUB_PORT:
        channel.setHubPort(address.hub_port)
    channel.setIsHubPortDevice(address.is_hub_port_device)
    channel.setChannel(address.channel)
    if remote:
        channel.setIsRemote(True)
    else:
        channel.setIsLocal(True)


class RelayChannel:
    """One relay: a ``DigitalOutput`` channel kept open, its state and attachment mirrored.

    ``attached`` and ``state`` (the hardware output, True = energised) are only changed on
    the event loop. ``failsafe_ms`` (0 = off) arms the board's watchdog at each attach and
    keeps it fed while attached.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        address: ChannelAddress,
        *,
        remote: bool = False,
        failsafe_ms: int = 0,
    ) -> None:
        """Describe the channel; nothing is opened yet."""
        self.hass = hass
        self.address = address
        self.remote = remote
        self.failsafe_ms = failsafe_ms
        self.attached = False
        self.state: bool | None = None
        self.device_name: str | None = None
        self.device_sku: str | None = None
        self.failsafe_armed_ms: int | None = None
        # The output Home Assistant last set (True = energised), and whether a failsafe trip
        # released it: the next attach (after the reopen) sets it again.
        self.commanded: bool | None = None
        self._resume_after_failsafe = False
        self._listener: RelayListener | None = None
        self._channel: DigitalOutput | None = None
        self._closed = False
        self._attached_once = False
        self._cancel_failsafe_timer: CALLBACK_TYPE | None = None
        self._resetting = False
        self._reopen_task: asyncio.Task[None] | None = None

    @property
    def is_open(self) -> bool:
        """Whether the channel is open (attached or waiting for its board)."""
        return self._channel is not None and not self._closed

    def set_listener(self, listener: RelayListener | None) -> None:
        """Set who receives the channel's events."""
        self._listener = listener

    # --- Opening and closing (executor) ---

    async def async_open(self) -> None:
        """Open the channel without waiting for its board to attach."""
        self._closed = False
        self._attached_once = False
        await self._async_open()

    async def _async_open(self) -> None:
        # Known before open(): the attach event may reach the loop before open() returns.
        self._channel = channel = await self.hass.async_add_executor_job(self._create)
        try:
            await self.hass.async_add_executor_job(self._call, channel, _open)
        except RelayError:
            self._channel = None
            raise

    def _create(self) -> DigitalOutput:
        channel = _construct(DIGITAL_OUTPUT_FACTORY)
        try:
            _configure(channel, self.address, self.remote)
            channel.setOnAttachHandler(self._handle_attach)
            channel.setOnDetachHandler(self._handle_detach)
            channel.setOnErrorHandler(self._handle_error)
            channel.setOnPropertyChangeHandler(self._handle_property_change)
        except PhidgetException as err:
            raise relay_error(err) from err
        return channel

    async def async_close(self) -> None:
        """Close the channel (the board then returns the output to its default state)."""
        if self._closed:
            return
        self._closed = True
        self._stop_failsafe_timer()
        if self._reopen_task is not None:
            self._reopen_task.cancel()
        channel, self._channel = self._channel, None
        self._set_detached()
        if channel is not None:
            await self.hass.async_add_executor_job(self._close, channel)

    @staticmethod
    def _close(channel: DigitalOutput) -> None:
        try:
            channel.close()
        except PhidgetException as err:
            _LOGGER.debug("Closing a Phidget channel failed: %s", relay_error(err))

    async def _async_reopen(self) -> None:
        """Close and open again: the only way out of the failsafe state."""
        channel, self._channel = self._channel, None
        self._set_detached()
        if channel is not None:
            await self.hass.async_add_executor_job(self._close, channel)
        if self._closed:
            return
        try:
            await self._async_open()
        except PhidgetError as err:
            _LOGGER.error("Could not reopen Phidget channel %s: %s", self.address.key, err)

    # --- Commands (executor) ---

    async def async_set_state(self, state: bool) -> None:
        """Set the hardware output (True = energised) and remember it once done."""
        self.commanded = state
        await self._async_call(lambda channel: channel.setState(state))
        self.state = state

    async def _async_call(self, call: Callable[[DigitalOutput], Any]) -> Any:
        channel = self._channel
        if channel is None or self._closed:
            raise NotAttachedError(int(ErrorCode.EPHIDGET_NOTATTACHED), "Channel is not open")
        return await self.hass.async_add_executor_job(self._call, channel, call)

    @staticmethod
    def _call(channel: DigitalOutput, call: Callable[[DigitalOutput], Any]) -> Any:
        try:
            return call(channel)
        except PhidgetException as err:
            raise relay_error(err) from err

    # --- Library threads -> event loop ---

    def _to_loop(self, func: Callable[..., None], *args: Any) -> None:
        """Hand an event to the event loop; drop it once the loop is gone (shutdown)."""
        with contextlib.suppress(RuntimeError):  # the loop is closed at interpreter exit
            self.hass.loop.call_soon_threadsafe(func, *args)

    def _handle_attach(self, channel: Phidget) -> None:
        """Library thread: read the channel, arm the failsafe, hand over to the loop."""
        self._to_loop(self._async_attached, channel, self._read_attach_info(channel))

    def _read_attach_info(self, channel: Phidget) -> AttachInfo:
        output = cast(DigitalOutput, channel)
        state: bool | None
        try:
            state = output.getState()
            name, sku = output.getDeviceName(), output.getDeviceSKU()
        except PhidgetException:
            state, name, sku = None, "", ""
        armed: int | None = None
        failsafe_error: RelayError | None = None
        if self.failsafe_ms:
            try:
                armed = min(
                    max(self.failsafe_ms, output.getMinFailsafeTime()),
                    output.getMaxFailsafeTime(),
                )
                output.enableFailsafe(armed)
            except PhidgetException as err:
                armed, failsafe_error = None, relay_error(err)
        return AttachInfo(state, name, sku, armed, failsafe_error)

    def _handle_detach(self, channel: Phidget) -> None:
        """Library thread."""
        self._to_loop(self._async_detached, channel)

    def _handle_error(self, channel: Phidget, code: int, description: str) -> None:
        """Library thread."""
        self._to_loop(self._async_error, channel, int(code), description)

    def _handle_property_change(self, channel: Phidget, name: str) -> None:
        """Library thread: another client of a network server changed a property."""
        if name != "State":
            return
        try:
            state = cast(DigitalOutput, channel).getState()
        except PhidgetException:
            return
        self._to_loop(self._async_state_read, channel, bool(state))

    # --- Event loop ---

    def _is_current(self, channel: Phidget) -> bool:
        """Events of a channel closed since (reopen, unload) are stale."""
        return not self._closed and channel is self._channel

    @callback
    def _async_attached(self, channel: Phidget, info: AttachInfo) -> None:
        if not self._is_current(channel):
            return
        first = not self._attached_once
        self._attached_once = True
        self.attached = True
        self.state = info.state
        self.device_name = info.device_name or self.device_name
        self.device_sku = info.device_sku or self.device_sku
        self.failsafe_armed_ms = info.failsafe_ms
        if info.failsafe_error is not None:
            _LOGGER.warning(
                "Could not arm the failsafe of Phidget channel %s: %s",
                self.address.key,
                info.failsafe_error,
            )
        if info.failsafe_ms:
            self._start_failsafe_timer(info.failsafe_ms)
        if self._listener is not None:
            self._listener.relay_attached(first)
        resume, self._resume_after_failsafe = self._resume_after_failsafe, False
        if resume and self.commanded is not None and self.commanded != info.state:
            self.hass.async_create_background_task(
                self._async_resume(self.commanded),
                f"delestage resume Phidget channel {self.address.key}",
            )

    async def _async_resume(self, state: bool) -> None:
        """Reopened after a failsafe trip: set the output Home Assistant last commanded."""
        try:
            await self.async_set_state(state)
        except RelayError as err:
            _LOGGER.error(
                "Could not set Phidget channel %s back after its failsafe trip: %s",
                self.address.key,
                err,
            )
            return
        _LOGGER.info(
            "Phidget channel %s set back to %s after its failsafe trip", self.address.key, state
        )
        if self._listener is not None:
            self._listener.relay_state_changed()

    @callback
    def _async_detached(self, channel: Phidget) -> None:
        if not self._is_current(channel):
            return
        self._set_detached()

    @callback
    def _set_detached(self) -> None:
        self._stop_failsafe_timer()
        was_attached, self.attached = self.attached, False
        if was_attached and self._listener is not None:
            self._listener.relay_detached()

    @callback
    def _async_state_read(self, channel: Phidget, state: bool) -> None:
        if not self._is_current(channel) or state == self.state:
            return
        self.state = state
        if self._listener is not None:
            self._listener.relay_state_changed()

    @callback
    def _async_error(self, channel: Phidget, code: int, description: str) -> None:
        if not self._is_current(channel):
            return
        if code == FAILSAFE_EVENT:
            # The board has set the output to False and stays in failsafe until reopened.
            self._stop_failsafe_timer()
            self.state = False
            self._resume_after_failsafe = True
            self._reopen_task = self.hass.async_create_background_task(
                self._async_reopen(), f"delestage reopen Phidget channel {self.address.key}"
            )
        if self._listener is not None:
            self._listener.relay_error(code, description)

    # --- Failsafe keep-alive ---

    @callback
    def _start_failsafe_timer(self, failsafe_ms: int) -> None:
        self._stop_failsafe_timer()
        interval = max(
            timedelta(milliseconds=failsafe_ms / FAILSAFE_RESETS_PER_PERIOD),
            MIN_FAILSAFE_RESET_INTERVAL,
        )
        self._cancel_failsafe_timer = async_track_time_interval(
            self.hass,
            self._async_reset_failsafe,
            interval,
            name=f"delestage Phidget failsafe {self.address.key}",
            cancel_on_shutdown=True,
        )

    @callback
    def _stop_failsafe_timer(self) -> None:
        if self._cancel_failsafe_timer is not None:
            self._cancel_failsafe_timer()
            self._cancel_failsafe_timer = None

    async def _async_reset_failsafe(self, _now: Any) -> None:
        if self._resetting:  # the previous reset is still waiting for the executor
            return
        self._resetting = True
        try:
            await self._async_call(lambda channel: channel.resetFailsafe())
        except RelayError as err:
            _LOGGER.debug("Failsafe reset of Phidget channel %s failed: %s", self.address.key, err)
        finally:
            self._resetting = False


def open_and_wait(address: ChannelAddress, remote: bool, timeout_ms: int) -> bool:
    """Check that a channel attaches within ``timeout_ms`` (blocking; config flow only).

    Returns its output state, then closes it again.
    """
    channel = _construct(DIGITAL_OUTPUT_FACTORY)
    try:
        _configure(channel, address, remote)
        channel.openWaitForAttachment(timeout_ms)
        try:
            return channel.getState()
        finally:
            channel.close()
    except PhidgetException as err:
        raise relay_error(err) from err


# --- Network servers (executor) ---


def server_name(host: str) -> str:
    """Return the name under which a network server is registered in the library."""
    return f"delestage-{host}"


def add_server(name: str, host: str, port: int, password: str) -> None:
    """Register a Phidget network server; the library keeps connecting to it in the background."""
    try:
        try:
            Net.addServer(name, host, port, password, 0)
        except PhidgetException as err:
            if err.code != ErrorCode.EPHIDGET_DUPLICATE:
                raise
            Net.removeServer(name)
            Net.addServer(name, host, port, password, 0)
    except OSError as err:
        raise LibraryMissingError(str(err)) from err
    except PhidgetException as err:
        raise relay_error(err) from err


def remove_server(name: str) -> None:
    """Forget a network server, closing its connection."""
    try:
        Net.removeServer(name)
    except PhidgetException as err:
        _LOGGER.debug("Removing Phidget server %s failed: %s", name, relay_error(err))


# --- Discovery ---


async def async_discover(
    hass: HomeAssistant, seconds: float, *, remote: bool = False
) -> list[DiscoveredChannel]:
    """List the digital output channels that attach within ``seconds``.

    Local channels only, or only those of network servers. The Manager reports every
    channel on its own threads; each one found is handed to the event loop.
    """
    found: dict[ChannelAddress, DiscoveredChannel] = {}

    @callback
    def _async_found(channel: DiscoveredChannel) -> None:
        found.setdefault(channel.address, channel)

    def _on_attach(_manager: Manager, channel: Phidget) -> None:  # library thread
        try:
            if channel.getChannelClass() != ChannelClass.PHIDCHCLASS_DIGITALOUTPUT:
                return
            if channel.getIsRemote() != remote:
                return
            discovered = DiscoveredChannel(
                address=_address_of(channel),
                device_name=channel.getDeviceName(),
                device_sku=channel.getDeviceSKU(),
            )
        except PhidgetException as err:
            _LOGGER.debug("Skipping a channel the Manager reported: %s", relay_error(err))
            return
        hass.loop.call_soon_threadsafe(_async_found, discovered)

    def _open_manager() -> Manager:
        manager = _construct(MANAGER_FACTORY)
        try:
            manager.setOnAttachHandler(_on_attach)
            manager.open()
        except PhidgetException as err:
            raise relay_error(err) from err
        return manager

    def _close_manager(manager: Manager) -> None:
        try:
            manager.close()
        except PhidgetException as err:
            _LOGGER.debug("Closing the Phidget Manager failed: %s", relay_error(err))

    manager = await hass.async_add_executor_job(_open_manager)
    try:
        await asyncio.sleep(seconds)
    finally:
        await hass.async_add_executor_job(_close_manager, manager)
    await asyncio.sleep(0)  # let the last hand-overs run
    return sorted(
        found.values(),
        key=lambda c: (c.address.serial_number, c.address.hub_port, c.address.channel),
    )
