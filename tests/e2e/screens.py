"""Where things are on screen. Every selector of the suite lives here, so a change of markup is
one edit. They are the UI's data-testid hooks, listed in ui/README.md."""

from __future__ import annotations

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from harness import App, until


def tid(name: str) -> str:
    """The CSS selector of the element with this data-testid."""
    return f'[data-testid="{name}"]'


ROWS = 'tr[data-testid^="row-"]'
EMPTY = tid("empty-state")
LABEL = ".cell-name__label"


def rows(app: App) -> dict:
    """The connections on screen as {name: row element}."""
    shown = {}
    for row in app.find(ROWS):
        try:
            shown[row.get_attribute("data-testid").removeprefix("row-")] = row
        except WebDriverException:
            continue
    return shown


def labels(app: App) -> set:
    return {e.text.strip() for e in app.find(f"{ROWS} {LABEL}")}


def row(app: App, name: str):
    return app.visible(tid(f"row-{name}"), f"the row of {name}")


def countdown(app: App, name: str) -> str:
    return app.visible(tid(f"countdown-{name}"), f"the countdown of {name}").text


def status(app: App, name: str) -> str:
    return app.visible(tid(f"status-{name}"), f"the status of {name}").text


def wait_status(app: App, name: str, text: str):
    until(f"{name} to show {text!r}", lambda: status(app, name) == text)


def click(app: App, testid: str, what: str | None = None):
    """Waits until the element is shown and enabled, then clicks it."""

    def ready():
        for element in app.find(tid(testid)):
            try:
                if element.is_displayed() and element.is_enabled():
                    return element
            except WebDriverException:
                continue
        return None

    element = until(what or f"{testid} to be clickable", ready)
    element.click()
    return element


def row_action(app: App, name: str, action: str):
    """Opens the row's menu and picks `action` (open, login, refresh, copy-token, copy-header,
    edit, logout, remove)."""
    open_menu(app, name)
    click(app, f"actions-{name}-{action}")


def open_menu(app: App, name: str):
    """Opens the row's menu and waits until it has settled."""
    click(app, f"actions-{name}")
    # The menu is painted once where its CSS puts it, then moved under its button: wait until
    # it stays put inside the window, as a person's eye would.
    seen = []

    def settled():
        seen.append(
            app.driver.execute_script(
                "const m = document.querySelector('[role=menu]');"
                "if (m === null) return null;"
                "const r = m.getBoundingClientRect();"
                "return r.left >= 0 && r.right <= innerWidth && r.bottom <= innerHeight"
                "  ? [r.left, r.top] : null;"
            )
        )
        return len(seen) >= 2 and seen[-1] is not None and seen[-1] == seen[-2]

    until(f"the menu of {name} to settle", settled)


def fill(app: App, field: str, value: str):
    """Types into the wizard's input `field-<field>` (a select is chosen by value)."""
    fill_testid(app, f"field-{field}", value)


def fill_testid(app: App, testid: str, value: str):
    """Types into the input (or chooses in the select) with this `data-testid`."""
    element = app.visible(tid(testid), f"the {testid} input")
    if element.tag_name == "select":
        # Options carry their value as text (Preact sets no value attribute).
        Select(element).select_by_visible_text(value)
        return
    # As a person would: select what is there and type over it (WebDriver's clear() sets the
    # value behind Preact's back, and the next render puts the old text back).
    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(Keys.BACKSPACE)
    element.send_keys(value)


def open_advanced(app: App):
    details = app.visible(tid("advanced"), "the advanced section")
    if details.get_attribute("open") is None:
        details.find_element(By.CSS_SELECTOR, "summary").click()
        until("the advanced section to open", lambda: details.get_attribute("open") is not None)


def dismiss_toasts(app: App):
    """Closes every toast, as a person does when one covers what they want to click."""
    for toast in app.find(tid("toast")):
        toast.find_element(By.CSS_SELECTOR, "button[aria-label=Dismiss]").click()
    until("the toasts to close", lambda: not app.find(tid("toast")))


def toasts(app: App) -> list:
    return [t.text for t in app.find(tid("toast"))]


def find_login_button(app: App, name: str):
    return [e for e in app.find(tid(f"row-login-{name}")) if e.is_displayed()]
