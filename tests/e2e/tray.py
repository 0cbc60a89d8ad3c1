"""The app's tray as a panel sees it: the StatusNotifierItem (status, icon, tooltip) and its menu
(`com.canonical.dbusmenu`) on the private session bus, read and clicked over D-Bus.

The item is found without a StatusNotifierWatcher: among the bus connections of the app's
process, the one exporting an object with the `org.kde.StatusNotifierItem` interface; its
`Menu` property names the menu's object. Every call opens its own short-lived connection and
is bounded by a timeout.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from dbus_fast import Message, MessageType, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.introspection import Node

SNI = "org.kde.StatusNotifierItem"
MENU = "com.canonical.dbusmenu"
CALL_TIMEOUT = 5.0


@dataclass
class Entry:
    """One menu entry: its id (for `Event`), label (mnemonic underscores removed), whether it
    is enabled, and its children."""

    id: int
    label: str
    enabled: bool
    kind: str
    children: list["Entry"] = field(default_factory=list)

    def find(self, label: str) -> "Entry | None":
        """The first entry below this one whose label starts with `label`."""
        for child in self.children:
            if child.label.startswith(label):
                return child
            found = child.find(label)
            if found is not None:
                return found
        return None

    def labels(self) -> list[str]:
        return [c.label for c in self.children if c.kind != "separator"]


def _entry(layout) -> Entry:
    item_id, props, children = layout
    value = {k: v.value for k, v in props.items()}
    return Entry(
        id=item_id,
        label=str(value.get("label", "")).replace("_", ""),
        enabled=bool(value.get("enabled", True)),
        kind=str(value.get("type", "standard")),
        children=[_entry(c.value) for c in children],
    )


async def _call(bus, dest, path, interface, member, signature="", body=()):
    reply = await asyncio.wait_for(
        bus.call(
            Message(
                destination=dest,
                path=path,
                interface=interface,
                member=member,
                signature=signature,
                body=list(body),
            )
        ),
        CALL_TIMEOUT,
    )
    if reply.message_type == MessageType.ERROR:
        raise RuntimeError(f"{interface}.{member} on {dest}{path}: {reply.error_name} {reply.body}")
    return reply.body


async def _paths(bus, dest, path="/"):
    """Every object path under `path` that `dest` exports, with its interfaces."""
    (xml,) = await _call(bus, dest, path, "org.freedesktop.DBus.Introspectable", "Introspect")
    node = Node.parse(xml)
    found = [(path, [i.name for i in node.interfaces])]
    for child in node.nodes:
        below = f"{path.rstrip('/')}/{child.name}"
        found += await _paths(bus, dest, below)
    return found


class Tray:
    """The tray of the app process `pid`, on the session bus of this test run."""

    def __init__(self, pid: int):
        self.pid = pid
        self.dest: str | None = None
        self.path: str | None = None

    def _run(self, work):
        async def go():
            bus = await asyncio.wait_for(MessageBus().connect(), CALL_TIMEOUT)
            try:
                return await work(bus)
            finally:
                bus.disconnect()

        return asyncio.run(go())

    def find(self) -> bool:
        """Looks for the item; True once found."""

        async def work(bus):
            (names,) = await _call(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                   "org.freedesktop.DBus", "ListNames")  # fmt: skip
            for name in (n for n in names if n.startswith(":")):
                try:
                    (pid,) = await _call(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                         "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                         "s", [name])  # fmt: skip
                    if pid != self.pid:
                        continue
                    for path, interfaces in await _paths(bus, name):
                        if SNI in interfaces:
                            return name, path
                except (RuntimeError, asyncio.TimeoutError):
                    continue
            return None

        found = self._run(work)
        if found:
            self.dest, self.path = found
        return bool(found)

    def prop(self, name: str):
        async def work(bus):
            (value,) = await _call(bus, self.dest, self.path, "org.freedesktop.DBus.Properties",
                                   "Get", "ss", [SNI, name])  # fmt: skip
            return value.value

        return self._run(work)

    def menu(self) -> Entry:
        """The whole menu, as `GetLayout(0, -1, [])` gives it."""
        menu_path = self.prop("Menu")

        async def work(bus):
            _revision, layout = await _call(bus, self.dest, menu_path, MENU, "GetLayout",
                                            "iias", [0, -1, []])  # fmt: skip
            return _entry(layout)

        return self._run(work)

    def click(self, entry: Entry):
        """Clicks `entry` as a panel does: `Event(id, "clicked", <int32 0>, now)`."""
        menu_path = self.prop("Menu")

        async def work(bus):
            await _call(bus, self.dest, menu_path, MENU, "Event", "isvu",
                        [entry.id, "clicked", Variant("i", 0), int(time.time()) & 0xFFFFFFFF])  # fmt: skip

        self._run(work)

    def icon(self) -> bytes:
        """The pixels of the icon the item shows now (`IconPixmap`: ARGB32 images), joined."""
        return b"".join(bytes(data) for _w, _h, data in self.prop("IconPixmap"))

    def tooltip(self) -> str:
        """The tooltip's title and text (`ToolTip` is `(icon name, pixmaps, title, text)`)."""
        _icon, _pixmaps, title, text = self.prop("ToolTip")
        return f"{title} {text}".strip()


class Watcher:
    """A StatusNotifierWatcher with a host registered, as a desktop panel provides: while it
    runs (`with Watcher() as watcher:`), the session has a tray. Items that register with it
    are in `watcher.items`."""

    def __init__(self):
        self.items: list[str] = []
        self._loop = None
        self._thread = None
        self._ready = None

    def __enter__(self):
        import threading

        from dbus_fast.service import PropertyAccess, ServiceInterface, dbus_property, method

        watcher = self

        class Interface(ServiceInterface):
            def __init__(self):
                super().__init__("org.kde.StatusNotifierWatcher")

            @method()
            def RegisterStatusNotifierItem(self, service: "s"):  # noqa: F821, N802
                watcher.items.append(service)

            @method()
            def RegisterStatusNotifierHost(self, service: "s"):  # noqa: F821, N802
                pass

            @dbus_property(access=PropertyAccess.READ)
            def RegisteredStatusNotifierItems(self) -> "as":  # noqa: F821, N802
                return list(watcher.items)

            @dbus_property(access=PropertyAccess.READ)
            def IsStatusNotifierHostRegistered(self) -> "b":  # noqa: F821, N802
                return True

            @dbus_property(access=PropertyAccess.READ)
            def ProtocolVersion(self) -> "i":  # noqa: F821, N802
                return 0

        self._ready = threading.Event()
        self._error = None

        async def serve():
            try:
                self._bus = await MessageBus().connect()
                self._bus.export("/StatusNotifierWatcher", Interface())
                await self._bus.request_name("org.kde.StatusNotifierWatcher")
            except Exception as error:  # noqa: BLE001 - reported by __enter__
                self._error = error
            finally:
                self._ready.set()
            self._stop = asyncio.Event()
            await self._stop.wait()
            self._bus.disconnect()

        def run():
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(serve())

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        if not self._ready.wait(CALL_TIMEOUT) or self._error:
            raise RuntimeError(f"the StatusNotifierWatcher did not start: {self._error}")
        return self

    def __exit__(self, *_):
        self._loop.call_soon_threadsafe(lambda: self._stop.set())
        self._thread.join(CALL_TIMEOUT)
