"""Where things are on screen. Every selector of the suite lives here, so a change of markup is
one edit. The UI's data-testid hooks (listed in ui/README.md) come first; the markup they
replaced stays as a fallback in the same selector list."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from harness import App, until

# The list of connections
ROWS = '[data-testid="connection-row"], table.connections tbody tr'
EMPTY = '[data-testid="empty-state"], section.empty'
COUNTDOWN = '[data-testid="countdown"], time.countdown'
LABEL = '[data-testid="connection-label"], .cell-name__label'
SLUG = '[data-testid="connection-name"], .cell-name__slug'
STATUS = '[data-testid="status"], .cell-status .badge, .cell-status'


def _label(row) -> str:
    labels = row.find_elements(By.CSS_SELECTOR, LABEL)
    return labels[0].text.strip() if labels else ""


def _name(row) -> str:
    name = row.get_attribute("data-connection")
    if name:
        return name
    slugs = row.find_elements(By.CSS_SELECTOR, SLUG)
    return slugs[0].text.strip() if slugs else _label(row)


def rows(app: App) -> dict:
    """The connections on screen as {label: row element}."""
    return {label: row for row in app.find(ROWS) if (label := _label(row))}


def row(app: App, label: str, timeout: float | None = None):
    """Waits for the row of the connection labelled (or named) `label`."""

    def find():
        for element in app.find(ROWS):
            if label in (_label(element), _name(element)):
                return element
        return None

    if timeout is None:
        return until(f"the row of {label}", find)
    return until(f"the row of {label}", find, timeout)


def countdown(app: App, label: str) -> str:
    return row(app, label).find_element(By.CSS_SELECTOR, COUNTDOWN).text


def status(app: App, label: str) -> str:
    return row(app, label).find_element(By.CSS_SELECTOR, STATUS).text
