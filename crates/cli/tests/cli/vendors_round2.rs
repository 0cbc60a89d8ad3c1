//! The vendor kinds from the command line, second round (issue 10): itkdb's own environment
//! variables, a stand-alone ArcGIS Server's whoami, and importing an ArcGIS refresh token.
//! These use the explicit file store: they are about fields and flows, not the keychain.

use tokentray_sandbox::{Provider, Sandbox};

use crate::{Home, stderr, stdout};

fn file_store_home() -> Home {
    let home = Home::new();
    assert!(
        home.run(&["doctor", "--use-file-store"])
            .status
            .code()
            .is_some()
    );
    home
}

fn portal(sb: &Sandbox) -> String {
    sb.issuer(Provider::Arcgis)
        .as_str()
        .trim_end_matches('/')
        .to_owned()
}

fn itk_args(sb: &Sandbox) -> Vec<String> {
    vec![
        "--kind".into(),
        "itkpd".into(),
        "--auth-url".into(),
        sb.issuer(Provider::Itk).to_string(),
        "--api-url".into(),
        sb.itk_api_url().to_string(),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn itkdb_access_code_variables_are_read() {
    let sb = Sandbox::start().await.unwrap();
    let home = file_store_home();
    let o = home
        .cmd()
        .env_remove("TOKENTRAY_ACCESS_CODE1")
        .env_remove("TOKENTRAY_ACCESS_CODE2")
        .env("ITKDB_ACCESS_CODE1", "jane-code-1")
        .env("ITKDB_ACCESS_CODE2", "jane-code-2")
        .arg("add")
        .arg("itk")
        .args(itk_args(&sb))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = home.run(&["token", "itk", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = home.run(&["whoami", "itk"]);
    assert!(
        stdout(&o).starts_with("1-2345-1"),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tokentray_variables_win_over_itkdb_ones() {
    let sb = Sandbox::start().await.unwrap();
    let home = file_store_home();
    let o = home
        .cmd()
        .env("TOKENTRAY_ACCESS_CODE1", "jane-code-1")
        .env("ITKDB_ACCESS_CODE1", "wrong-1")
        .env_remove("TOKENTRAY_ACCESS_CODE2")
        .env("ITKDB_ACCESS_CODE2", "jane-code-2")
        .arg("add")
        .arg("itk")
        .args(itk_args(&sb))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = home.run(&["token", "itk", "--format", "json"]);
    assert!(
        o.status.success(),
        "TOKENTRAY_ACCESS_CODE1 wins, ITKDB_ACCESS_CODE2 fills in: {}",
        stderr(&o)
    );
}

#[test]
fn the_help_names_the_itkdb_variables() {
    let home = Home::new();
    let o = home.run(&["add", "--help"]);
    let help = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        help.contains("$ITKDB_ACCESS_CODE1") && help.contains("$ITKDB_ACCESS_CODE2"),
        "{help}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn whoami_of_a_standalone_server_names_the_user_without_leaving_the_server() {
    let sb = Sandbox::start().await.unwrap();
    let home = file_store_home();
    let url = format!("{}/tokens/generateToken", portal(&sb));
    let o = home
        .cmd()
        .env("TOKENTRAY_PASSWORD", "basemap")
        .args([
            "add",
            "server",
            "--kind",
            "arcgis-token",
            "--token-url",
            &url,
            "--username",
            "gis-viewer",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = home.run(&["whoami", "server"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("gis-viewer"), "{}", stdout(&o));
    assert_eq!(sb.count(tokentray_sandbox::Endpoint::ArcgisSelf), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn arcgis_oauth_imports_a_refresh_token() {
    let sb = Sandbox::start().await.unwrap();
    let rt = sb
        .mint_refresh_token(Provider::Arcgis, "tt-arcgis-app", "gis-analyst")
        .unwrap();
    let home = file_store_home();
    let o = home
        .cmd()
        .env("TOKENTRAY_REFRESH_TOKEN", &rt)
        .args([
            "add",
            "portal",
            "--kind",
            "arcgis-oauth",
            "--portal-url",
            &portal(&sb),
            "--client-id",
            "tt-arcgis-app",
            "--grant",
            "refresh_token",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = home.run(&["token", "portal", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = home.run(&["whoami", "portal"]);
    assert!(stdout(&o).starts_with("gis-analyst"), "{}", stdout(&o));
    assert!(
        home.files()
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .all(|p| !std::fs::read_to_string(p).unwrap().contains(&rt)),
        "the refresh token never reaches the config file"
    );
}

#[test]
fn importing_an_arcgis_refresh_token_needs_one() {
    let home = file_store_home();
    let o = home
        .cmd()
        .env_remove("TOKENTRAY_REFRESH_TOKEN")
        .args([
            "add",
            "portal",
            "--kind",
            "arcgis-oauth",
            "--portal-url",
            "https://gis.example.org/portal",
            "--client-id",
            "tt-arcgis-app",
            "--grant",
            "refresh_token",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("refresh_token") && stderr(&o).contains("required"),
        "{}",
        stderr(&o)
    );
    let list = home.run(&["list"]);
    assert!(!stdout(&list).contains("portal"), "nothing saved");
}
