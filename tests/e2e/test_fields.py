"""The second-round connection fields in the app: `allow_http` is warned about in the list, the
detail and the wizard; a referer-bound token shows its referer and its snippets send it; a
registered `redirect_uri` is under Advanced and a bad one is refused next to its field with
nothing saved."""

import screens
from harness import require, until
from screens import tid

REFERER = "https://maps.example.org/app"


def test_allow_http_is_warned_and_the_referer_is_shown_and_sent(sandbox, home, launch):
    home.cli(
        "add", "gis", "--kind", "arcgis-token", "--portal-url", sandbox.portal,
        "--username", "gis-analyst", "--referer", REFERER, "--allow-http",
        env={"TOKENTRAY_PASSWORD": "contours"},
    )  # fmt: skip
    assert home.token("gis")
    app = launch(home)
    require(app, testids=["allow-http-", "detail-allow-http", "detail-referer"])
    screens.row(app, "gis")
    flag = app.visible(tid("allow-http-gis"), "the plain-http warning in the list")
    assert "plain http" in flag.text, flag.text

    screens.click(app, "open-gis")
    app.visible(tid("detail"), "the detail view")
    warning = app.text(tid("detail-allow-http"))
    assert "Plain http is allowed" in warning, warning
    assert REFERER in app.text(tid("detail-referer"))
    curl = app.text(tid("snippet-curl"))
    assert f'-H "Referer: {REFERER}"' in curl, curl
    assert "TOKENTRAY_REFERER" in app.text(tid("snippet-env"))
    screens.click(app, "detail-back")
    screens.row(app, "gis")


def test_the_wizard_keeps_the_redirect_uri_under_advanced_and_refuses_a_bad_one(
    sandbox, home, launch
):
    app = launch(home)
    require(app, commands=["check_connection"], testids=["allow-http-warning"])
    screens.click(app, "empty-add")
    screens.click(app, "preset-oauth2")
    app.visible(tid("connection-form"), "the connection form")
    screens.fill(app, "name", "registered")
    screens.fill(app, "issuer", sandbox.oauth)
    screens.fill(app, "client_id", "tt-registered")
    screens.open_advanced(app)
    advanced = app.visible(tid("advanced"), "the advanced section")
    assert advanced.find_elements("css selector", tid("field-redirect_uri")), "under Advanced"

    assert not app.find(tid("allow-http-warning"))
    screens.click(app, "field-allow_http")
    warning = app.visible(tid("allow-http-warning"), "the plain-http warning in the wizard")
    assert "Plain http is allowed" in warning.text, warning.text
    app.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", warning)
    app.screenshot("wizard-advanced")
    screens.click(app, "field-allow_http")
    app.gone(tid("allow-http-warning"), "the warning once plain http is off again")

    screens.fill(app, "redirect_uri", "https://localhost:8080/cb")
    screens.click(app, "save-connection")
    problem = app.visible(tid("problem-redirect_uri"), "the redirect URI's problem")
    assert "plain http" in problem.text, problem.text
    until(
        "the refused field to have the focus (so it is in view)",
        lambda: app.driver.switch_to.active_element.get_attribute("id") == "field-redirect_uri",
    )
    app.screenshot("wizard-redirect-uri-refused")
    assert app.find(tid("connection-form")), "the form stays open"
    assert home.cli("list", "--json").stdout.strip() in ("[]", ""), "nothing was saved"

    screens.fill(app, "redirect_uri", "http://localhost:8123/oauth/cb")
    screens.click(app, "save-connection")
    until(
        "the connection to be saved",
        lambda: "registered" in home.cli("list", "--json").stdout,
    )
    shown = home.cli("show", "registered").stdout
    assert "redirect_uri = http://localhost:8123/oauth/cb" in shown, shown
