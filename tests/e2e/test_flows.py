"""What a person does in the window: add connections through the wizard (with its validation),
log in (loopback, pasted out-of-band code, device code; cancel), refresh, copy the token and
the header, look at the details, remove a connection and leave nothing in the keychain."""

import base64
import json
import os
import subprocess

import headless_browser
import pytest
import screens
from harness import require, until
from screens import tid

LOGIN_WAITS = ("start_login", "paste_login")


def cc_connection(home, sandbox, name="api", label="Work API"):
    home.cli(
        "add", name, "--kind", "oauth2", "--label", label,
        "--issuer", sandbox.oauth, "--grant", "client_credentials", "--client-id", "demo-cc",
        env={"TOKENTRAY_CLIENT_SECRET": "demo-cc-secret"},
    )  # fmt: skip
    assert home.token(name)


def arcgis_user_login(home, sandbox, name, redirect):
    home.cli(
        "add", name, "--kind", "arcgis-oauth", "--label", f"Portal ({redirect})",
        "--portal-url", sandbox.portal, "--client-id", "tt-arcgis-app", "--redirect", redirect,
    )  # fmt: skip


def logged_in(app):
    until(
        "the login dialog to say the login is done",
        lambda: app.text(tid("login-status")).startswith("Logged in"),
    )
    status = app.text(tid("login-status"))
    screens.click(app, "login-close")
    app.gone(tid("login-dialog"), "the login dialog to close")
    return status


def test_the_wizard_adds_a_client_credentials_connection(sandbox, home, launch):
    app = launch(home)
    require(app, commands=["add_connection", "test_connection"], testids=["wizard", "preset-"])
    screens.click(app, "empty-add")
    app.visible(tid("wizard"), "the wizard")
    app.visible(tid("preset-oauth2"), "the presets")
    app.screenshot("wizard")
    screens.click(app, "preset-oauth2")
    app.visible(tid("connection-form"), "the connection form")

    screens.fill(app, "name", "wiz-cc")
    screens.fill(app, "issuer", sandbox.oauth)
    screens.fill(app, "grant", "client_credentials")
    screens.fill(app, "client_id", "demo-cc")
    screens.fill(app, "client_secret", "demo-cc-secret")
    screens.fill(app, "client_auth", "basic")
    screens.open_advanced(app)
    screens.fill(app, "label", "Wizard client")
    app.driver.execute_script("document.getElementById('wizard-title').scrollIntoView()")
    app.screenshot("wizard-form")

    screens.click(app, "test-connection")
    result = until(
        "the connection test to finish",
        lambda: next(
            (e for e in app.find(tid("test-result")) if e.get_attribute("data-outcome")), None
        ),
    )
    assert result.get_attribute("data-outcome") == "ok", result.text
    assert "service-account-demo-cc" in result.text, result.text

    screens.click(app, "save-connection")
    screens.row(app, "wiz-cc")
    assert "Wizard client" in screens.labels(app)
    # Client credentials need nobody: the app signs in right after saving, without a click.
    screens.wait_status(app, "wiz-cc", "Active")
    assert home.status("wiz-cc")["identity"]["subject"] == "service-account-demo-cc"
    # The secret went to the keychain, not to a file.
    assert home.has_keychain_item("wiz-cc"), home.keychain_users()
    assert "demo-cc-secret" not in (home.path / "config" / "connections.toml").read_text()
    assert home.token("wiz-cc")


# The kinds a person sets up without a browser, as typed into their preset's form.
NO_BROWSER_KINDS = {
    "arcgis-enterprise": {
        "name": "enterprise",
        "portal_url": "{portal}",
        "username": "gis-analyst",
        "password": "contours",
    },
    "basic": {"name": "legacy", "username": "ada", "password": "lovelace"},
    # The preset points at the real service; its address waits under Advanced.
    "itkpd": {
        "name": "itk",
        "auth_url": "{sandbox}itk/oidc/",
        "access_code1": "jane-code-1",
        "access_code2": "jane-code-2",
    },
    "static": {"name": "bot", "token": "tok-e2e-static-7f3a9c"},
}


@pytest.mark.parametrize("preset", sorted(NO_BROWSER_KINDS))
def test_the_wizard_adds_copies_from_and_removes_a_connection_of_each_kind_without_a_browser(
    preset, sandbox, home, launch, clipboard
):
    app = launch(home)
    require(app, commands=["add_connection", "copy_token", "remove_connection"])
    fields = {
        k: v.format(portal=sandbox.portal, sandbox=sandbox.url)
        for k, v in NO_BROWSER_KINDS[preset].items()
    }
    add_through_the_wizard(app, preset, fields)
    # Signed in with what was typed, without a further click.
    screens.wait_status(app, fields["name"], "Active")
    copy_then_remove(app, home, clipboard, fields["name"])


def add_through_the_wizard(app, preset, fields):
    screens.click(app, "empty-add")
    screens.click(app, f"preset-{preset}")
    app.visible(tid("connection-form"), "the connection form")
    screens.open_advanced(app)
    for field, value in fields.items():
        screens.fill(app, field, value)
    screens.click(app, "save-connection")
    screens.row(app, fields["name"])


def copy_then_remove(app, home, clipboard, name):
    """Copies the token from the row and reads it back, then removes the connection: nothing of
    it stays in the keychain, and no secret went to the config file."""
    token = home.token(name)
    assert token
    assert home.has_keychain_item(name), home.keychain_users()
    config = (home.path / "config" / "connections.toml").read_text()
    for secret in ("contours", "lovelace", "tok-e2e-static-7f3a9c", "jane-code-1", "hopper"):
        assert secret not in config

    screens.click(app, f"copy-token-{name}")
    until("the clipboard to hold the token", lambda: clipboard().strip() == token)

    screens.dismiss_toasts(app)
    screens.row_action(app, name, "remove")
    app.visible(tid("remove-dialog"), "the confirmation")
    screens.click(app, "confirm-remove")
    app.visible(screens.EMPTY, "the empty state after the connection went")
    until("no keychain item of the connection", lambda: not home.has_keychain_item(name))


def test_the_wizard_adds_a_copernicus_connection_that_logs_in_with_a_one_time_code(
    sandbox, home, launch, clipboard
):
    app = launch(home)
    require(app, commands=["add_connection", "start_login"], testids=["login-totp"])
    add_through_the_wizard(
        app,
        "cdse",
        {
            "name": "cop",
            "token_url": f"{sandbox.url}keycloak/realms/demo/protocol/openid-connect/token",
            "username": "grace",
            "password": "hopper",
        },
    )
    # A password login may need a one-time code: it waits for the person.
    assert screens.status(app, "cop") != "Active"
    screens.click(app, "row-login-cop")
    app.visible(tid("login-totp"), "the one-time code prompt").send_keys("424242")
    screens.click(app, "login-start")
    assert "Grace" in logged_in(app)
    screens.wait_status(app, "cop", "Active")
    copy_then_remove(app, home, clipboard, "cop")


def test_the_wizard_shows_what_is_wrong_and_saves_nothing(sandbox, home, launch):
    app = launch(home)
    require(app, commands=["check_connection"], testids=["problem-", "form-problems"])
    screens.click(app, "empty-add")
    screens.click(app, "preset-oauth2")
    screens.fill(app, "name", "Not A Name")
    screens.fill(app, "issuer", sandbox.oauth)
    screens.click(app, "save-connection")
    name_problem = app.text(tid("problem-name"))
    client_problem = app.text(tid("problem-client_id"))
    assert name_problem and client_problem, (name_problem, client_problem)
    assert app.find(tid("connection-form")), "the form stays open"

    screens.fill(app, "name", "fixed-name")
    screens.click(app, "wizard-back")
    screens.click(app, "wizard-cancel")
    app.visible(screens.EMPTY, "the empty state again")
    assert home.cli("list", "--json").stdout.strip() in ("[]", ""), "nothing was saved"


def test_the_wizard_adds_an_authorization_code_connection_that_logs_in_over_loopback(
    oidc, home, launch
):
    app = launch(home, E2E_LOGIN_USER="alice", E2E_LOGIN_PASSWORD="wonderland")
    require(app, commands=["add_connection", *LOGIN_WAITS], testids=["wizard", "login-dialog"])
    screens.click(app, "empty-add")
    screens.click(app, "preset-oauth2")
    screens.fill(app, "name", "wiz-oidc")
    screens.fill(app, "issuer", oidc.issuer)
    screens.fill(app, "grant", "authorization_code")
    screens.fill(app, "client_id", "tt-public")
    screens.fill(app, "client_auth", "none")
    screens.fill(app, "scope", "openid offline_access profile email")
    screens.click(app, "save-connection")
    screens.row(app, "wiz-oidc")

    # Saving may go straight on to the login; otherwise the row offers it.
    if not app.find(tid("login-dialog")):
        screens.click(app, "row-login-wiz-oidc")
    app.visible(tid("login-dialog"), "the login dialog")
    status = logged_in(app)
    assert "Alice" in status or "alice" in status, status
    run = app.browser_runs()[-1]
    assert run["error"] is None and run["landed"].startswith("http://127.0.0.1:"), run

    screens.wait_status(app, "wiz-oidc", "Active")
    assert home.status("wiz-oidc")["identity"]["subject"] == "alice"
    assert home.token("wiz-oidc")


def test_loopback_login_then_refresh_and_copy_the_token(sandbox, home, launch, clipboard):
    arcgis_user_login(home, sandbox, "portal", "loopback")
    app = launch(home)
    require(app, commands=[*LOGIN_WAITS, "refresh_connection", "copy_token"])

    screens.click(app, "row-login-portal")
    status = logged_in(app)
    assert "Gerda Mercator" in status, status
    screens.wait_status(app, "portal", "Active")
    first = home.token("portal")

    # Copy from the row: the clipboard holds exactly what `tokentray token` hands out.
    screens.click(app, "copy-token-portal")
    until("the clipboard to hold the token", lambda: clipboard().strip() == first)

    # Refresh from the detail view: a new token from the refresh token.
    screens.click(app, "open-portal")
    app.visible(tid("detail"), "the detail view")
    screens.click(app, "detail-refresh")
    until("a new token", lambda: home.token("portal") != first)
    screens.click(app, "detail-copy-header")
    until(
        "the clipboard to hold the header with the new token",
        lambda: clipboard().strip() == f"X-Esri-Authorization: Bearer {home.token('portal')}",
    )
    screens.click(app, "detail-back")
    screens.wait_status(app, "portal", "Active")


def cancel(app):
    """Cancels the waiting login in the dialog and closes the dialog."""
    screens.click(app, "login-cancel")
    until(
        "the login to be cancelled",
        lambda: not app.find(tid("login-dialog"))
        or "cancelled" in app.text(tid("login-status")),
    )
    if app.find(tid("login-dialog")):
        screens.click(app, "login-close")
    app.gone(tid("login-dialog"), "the login dialog to close")


def test_a_login_can_be_cancelled_while_it_waits(sandbox, home, launch):
    arcgis_user_login(home, sandbox, "portal", "loopback")
    # The headless browser types a wrong password: the service never redirects back.
    app = launch(home, E2E_LOGIN_PASSWORD="not-the-password")
    require(app, commands=["start_login", "cancel_login"], testids=["login-cancel"])
    screens.click(app, "row-login-portal")
    run = until("the headless browser to give up", lambda: app.browser_runs() and app.browser_runs()[-1])
    assert "refused" in (run["error"] or ""), run
    assert "Waiting" in app.text(tid("login-status"))
    cancel(app)
    screens.wait_status(app, "portal", "Signed out")
    assert home.status("portal")["status"] != "active"
    # The cancelled login is over: a new one starts (one waiting login per connection).
    screens.click(app, "row-login-portal")
    until("a second sign-in", lambda: len(app.browser_runs()) == 2)
    assert "Waiting" in app.text(tid("login-status"))
    cancel(app)


def test_an_out_of_band_code_is_pasted_into_the_login_dialog(sandbox, home, launch):
    arcgis_user_login(home, sandbox, "oob-portal", "oob")
    app = launch(home)
    require(app, commands=list(LOGIN_WAITS), testids=["login-paste"])

    screens.click(app, "row-login-oob-portal")
    app.visible(tid("login-dialog"), "the login dialog")
    run = until("the headless browser to get the code", lambda: app.browser_runs() and app.browser_runs()[-1])
    assert run["error"] is None and run["code"], run
    field = app.visible(tid("login-paste"), "the paste field")
    app.screenshot("login")

    # A wrong code ends this login with advice; "Try again" starts a new one.
    field.send_keys("not-the-code")
    screens.click(app, "login-paste-submit")
    until(
        "the wrong code to be refused",
        lambda: app.text(tid("login-status")).startswith("The login failed"),
    )
    assert screens.status(app, "oob-portal") != "Active"
    screens.click(app, "login-retry")
    run = until(
        "the headless browser to get a second code",
        lambda: len(app.browser_runs()) == 2 and app.browser_runs()[-1],
    )
    assert run["error"] is None and run["code"], run

    field = app.visible(tid("login-paste"), "the paste field")
    field.send_keys(run["code"])
    screens.click(app, "login-paste-submit")
    assert "Gerda Mercator" in logged_in(app)
    screens.wait_status(app, "oob-portal", "Active")
    assert home.token("oob-portal")


def test_the_detail_view_decodes_the_token_and_offers_snippets(sandbox, home, launch):
    cc_connection(home, sandbox)
    app = launch(home)
    require(app, commands=["connection_detail"], testids=["detail"])

    screens.click(app, "open-api")
    app.visible(tid("detail"), "the detail view")
    claims = json.loads(app.text(tid("jwt-claims")))
    assert claims["client_id"] == "demo-cc", claims
    assert claims["iss"].startswith(sandbox.oauth), claims
    header = json.loads(app.text(tid("jwt-header")))
    assert header["alg"] == "HS256", header
    token = home.token("api")
    assert token.rsplit(".", 1)[-1] not in app.driver.page_source, "never the signature"
    assert token not in app.driver.page_source, "no token in the page unless revealed"
    curl = app.text(tid("snippet-curl"))
    assert "curl" in curl and "Authorization" in curl, curl
    app.screenshot("detail")
    screens.click(app, "detail-back")
    screens.row(app, "api")


def test_removing_a_connection_leaves_no_keychain_item(sandbox, home, launch):
    cc_connection(home, sandbox)
    assert home.has_keychain_item("api"), "the CLI stored the client secret in the keychain"
    app = launch(home)
    require(app, commands=["remove_connection"], testids=["remove-dialog"])

    screens.row_action(app, "api", "remove")
    dialog = app.visible(tid("remove-dialog"), "the confirmation")
    assert "api" in dialog.text or "Work API" in dialog.text
    screens.click(app, "confirm-remove")
    app.visible(screens.EMPTY, "the empty state after the last connection went")
    assert home.cli("list", "--json").stdout.strip() in ("[]", "")
    until("no keychain item of the connection", lambda: not home.has_keychain_item("api"))
    assert "api" not in home.keychain_users()


def test_every_row_menu_item_can_be_reached_with_a_single_connection(sandbox, home, launch):
    # The menu once opened inside the table's scrolling card, which cut off its lower items.
    cc_connection(home, sandbox)
    app = launch(home)
    screens.open_menu(app, "api")
    hidden = app.driver.execute_script(
        "return [...document.querySelectorAll('[data-testid^=\"actions-api-\"]')]"
        "  .filter((item) => {"
        "    const r = item.getBoundingClientRect();"
        "    return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) !== item;"
        "  }).map((item) => item.dataset.testid);"
    )
    assert hidden == [], f"menu items covered or cut off: {hidden}"
    first = home.token("api")
    screens.click(app, "actions-api-refresh")
    until("a new token from the menu's refresh", lambda: home.token("api") != first)


def test_a_device_code_login_shows_the_code_and_completes_when_approved(oidc, home, launch):
    home.cli(
        "add", "device", "--kind", "oauth2", "--label", "Device login",
        "--issuer", oidc.issuer, "--grant", "device_code", "--client-id", "tt-public",
        "--client-auth", "none", "--scope", "openid offline_access profile email",
    )  # fmt: skip
    app = launch(home)
    require(app, commands=["start_login"], testids=["login-user-code", "login-qr"])
    screens.click(app, "row-login-device")
    code = app.text(tid("login-user-code"))
    page = app.text(tid("login-url"))
    assert code and page.startswith(oidc.issuer), (code, page)
    qr = app.visible(tid("login-qr"), "the QR code").get_attribute("src")
    assert qr.startswith("data:image/svg+xml"), qr[:40]
    assert "Waiting" in app.text(tid("login-status"))

    # The person types the code on the verification page on another device.
    landed = headless_browser.walk(page, "alice", "wonderland", user_code=code)
    assert "127.0.0.1" in landed["landed"], landed
    status = logged_in(app)
    assert "Alice" in status or "alice" in status, status
    screens.wait_status(app, "device", "Active")
    assert home.token("device")


def edit_label(app, name, label):
    screens.row_action(app, name, "edit")
    app.visible(tid("connection-form"), "the edit form")
    screens.open_advanced(app)
    screens.fill(app, "label", label)
    screens.click(app, "save-connection")
    # Saving takes well under a second; a short wait keeps a failing run short too.
    until("the new label in the list", lambda: label in screens.labels(app), timeout=8)


def test_editing_a_connection_changes_it_in_place(sandbox, home, launch):
    arcgis_user_login(home, sandbox, "portal", "loopback")
    app = launch(home)
    require(app, commands=["connection_form", "edit_connection"], testids=["wizard"])
    edit_label(app, "portal", "Renamed portal")
    assert home.status("portal")["label"] == "Renamed portal"


def test_editing_a_connection_keeps_its_stored_secret(sandbox, home, launch):
    # The draft check once reported the connection's own name as taken and its stored
    # secret as missing, and the form then saved nothing without saying why.
    cc_connection(home, sandbox)
    app = launch(home)
    require(app, commands=["connection_form", "edit_connection"], testids=["wizard"])
    edit_label(app, "api", "Renamed API")
    assert home.status("api")["label"] == "Renamed API"
    screens.wait_status(app, "api", "Active")
    assert home.has_keychain_item("api"), "the stored secret was kept"


def test_logging_out_forgets_the_tokens(sandbox, home, launch):
    arcgis_user_login(home, sandbox, "portal", "loopback")
    app = launch(home)
    require(app, commands=["start_login", "logout"])
    screens.click(app, "row-login-portal")
    logged_in(app)
    screens.wait_status(app, "portal", "Active")
    screens.row_action(app, "portal", "logout")
    until("the connection to be signed out", lambda: screens.status(app, "portal") != "Active")
    assert home.status("portal")["status"] in ("signed_out", "needs_login")
    assert home.cli("token", "portal", check=False).returncode == 4, "needs a login again"
    assert screens.find_login_button(app, "portal"), "the row offers the login again"


def test_without_a_keychain_a_banner_offers_the_file_store(home, launch):
    # No session bus for this app: no Secret Service is reachable.
    app = launch(home, DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent/bus")
    require(app, commands=["app_status", "use_file_store"], testids=["store-banner"])
    banner = app.visible(tid("store-banner"), "the secret store banner")
    assert "No keychain" in banner.text, banner.text
    screens.click(app, "use-file-store")
    dialog = app.visible(tid("file-store-dialog"), "the file store warning")
    assert "file" in dialog.text.lower()
    screens.click(app, "confirm-file-store")
    app.gone(tid("file-store-dialog"), "the warning to close")
    config = home.path / "config" / "connections.toml"
    until("the choice in the config file", lambda: config.exists() and 'secret_store = "file"' in config.read_text())
    until(
        "the banner to go or ask for a restart",
        lambda: not app.find(tid("store-banner")) or "Restart" in app.text(tid("store-banner")),
    )
    app.stop()

    # From the next start on, secrets live in the owner-only file and no banner shows.
    app = launch(home, DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent/bus")
    app.visible(screens.EMPTY, "the empty state")
    assert not app.find(tid("store-banner"))
    home.cli("add", "key", "--kind", "static", env={"TOKENTRAY_TOKEN": "file-store-token"})
    screens.row(app, "key")
    assert home.token("key") == "file-store-token"
    assert "secrets in a file" in screens.row(app, "key").text


def test_no_secret_reaches_the_webview_or_the_log(sandbox, home, launch):
    """Canary secrets stored by the CLI never appear in the page, on any screen, nor in the
    app's log: not in the list, the detail view, the edit form, or an error message."""
    canaries = {name: f"canary-{name}-{os.urandom(12).hex()}" for name in ("key", "basic", "gis", "cc")}
    home.cli("add", "key", "--kind", "static", env={"TOKENTRAY_TOKEN": canaries["key"]})
    home.cli(
        "add", "basic", "--kind", "basic", "--username", "ada",
        env={"TOKENTRAY_PASSWORD": canaries["basic"]},
    )  # fmt: skip
    # Wrong password and client secret: their logins fail, and the failures are shown.
    home.cli(
        "add", "gis", "--kind", "arcgis-token", "--portal-url", sandbox.portal,
        "--username", "gis-analyst", env={"TOKENTRAY_PASSWORD": canaries["gis"]},
    )  # fmt: skip
    home.cli(
        "add", "cc", "--kind", "oauth2", "--issuer", sandbox.oauth, "--grant",
        "client_credentials", "--client-id", "demo-cc",
        env={"TOKENTRAY_CLIENT_SECRET": canaries["cc"]},
    )  # fmt: skip
    forms = set()
    for value in canaries.values():
        forms |= {value, base64.b64encode(value.encode()).decode()}
    forms.add(base64.b64encode(f"ada:{canaries['basic']}".encode()).decode())

    app = launch(home)

    def page_is_clean(where):
        page = app.driver.page_source
        leaked = [f for f in forms if f in page]
        assert not leaked, f"a secret is in the page ({where})"

    for name in ("gis", "cc"):
        screens.click(app, f"row-login-{name}")
        until(
            f"the login of {name} to fail",
            lambda: app.find(tid("login-retry")) or app.text(tid("login-status")).startswith("Logged in"),
        )
        assert app.find(tid("login-retry")), app.text(tid("login-status"))
        page_is_clean(f"the failed login of {name}")
        screens.click(app, "login-close")
    page_is_clean("the list with two failures")
    for name in canaries:
        screens.click(app, f"open-{name}")
        app.visible(tid("detail"), f"the detail of {name}")
        page_is_clean(f"the detail of {name}")
        screens.click(app, "detail-back")
        screens.row_action(app, name, "edit")
        app.visible(tid("connection-form"), f"the edit form of {name}")
        if app.find(tid("advanced")):
            screens.open_advanced(app)
        page_is_clean(f"the edit form of {name}")
        screens.click(app, "wizard-back")
        screens.row(app, name)
    log = app.log_text()
    assert not [f for f in forms if f in log], "a secret is in the app's log"


def test_a_copied_token_is_cleared_after_the_chosen_delay(sandbox, home, launch, clipboard):
    home.cli("add", "key", "--kind", "static", env={"TOKENTRAY_TOKEN": "tok-clear-me-41d2"})
    assert home.token("key") == "tok-clear-me-41d2"
    app = launch(home)
    require(app, commands=["save_settings", "copy_token"], testids=["settings-dialog"])

    screens.click(app, "open-settings")
    app.visible(tid("settings-dialog"), "the settings")
    screens.fill_testid(app, "setting-clear-secs", "5")
    screens.click(app, "settings-save")
    app.gone(tid("settings-dialog"), "the settings to close")
    saved = json.loads((home.path / "config" / "desktop.json").read_text())
    assert saved["clipboard_clear_secs"] == 5, saved

    screens.wait_status(app, "key", "Active")
    screens.click(app, "copy-token-key")
    until("the clipboard to hold the token", lambda: clipboard().strip() == "tok-clear-me-41d2")
    # Cleared by the app five seconds later, and it says so.
    until("the clipboard to be cleared", lambda: clipboard().strip() == "", timeout=15)
    until(
        "the notice that it was cleared",
        lambda: any("Cleared the copied token" in t for t in screens.toasts(app)),
    )


def test_the_wizard_adds_an_arcgis_online_connection_that_logs_in_in_the_browser(
    sandbox, home, launch, clipboard
):
    app = launch(home)
    require(app, commands=["add_connection", *LOGIN_WAITS])
    # ArcGIS Online's address waits under Advanced; the sandbox portal stands in for it.
    add_through_the_wizard(
        app,
        "arcgis-online",
        {"name": "agol", "portal_url": sandbox.portal, "client_id": "tt-arcgis-app"},
    )
    assert screens.status(app, "agol") != "Active", "a user login needs the person"
    screens.click(app, "row-login-agol")
    assert "Gerda Mercator" in logged_in(app)
    screens.wait_status(app, "agol", "Active")
    copy_then_remove(app, home, clipboard, "agol")


def test_a_connection_that_starts_needing_a_login_raises_a_desktop_notification(
    sandbox, home, launch, tmp_path
):
    """The notification goes out over the session bus as any desktop's notification daemon
    would receive it; the test watches the bus with dbus-monitor."""
    home.cli(
        "add", "cc", "--kind", "oauth2", "--label", "Nightly export", "--issuer", sandbox.oauth,
        "--grant", "client_credentials", "--client-id", "demo-cc",
        env={"TOKENTRAY_CLIENT_SECRET": "not-the-secret"},
    )  # fmt: skip
    seen = tmp_path / "notifications.txt"
    with open(seen, "wb") as out:
        monitor = subprocess.Popen(
            ["dbus-monitor", "--session", "interface='org.freedesktop.Notifications'"],
            stdout=out,
            stderr=subprocess.DEVNULL,
        )
    try:
        until("dbus-monitor to listen", lambda: seen.stat().st_size > 0)
        app = launch(home)
        screens.click(app, "row-login-cc")
        until("the login to fail", lambda: app.find(tid("login-retry")))
        screens.click(app, "login-close")
        screens.wait_status(app, "cc", "Needs login")
        until(
            "a notification that Nightly export needs a login",
            lambda: "Nightly export needs you to log in" in seen.read_text(errors="replace"),
        )
        assert "not-the-secret" not in seen.read_text(errors="replace")
    finally:
        monitor.terminate()
        monitor.wait()
