//! Kills `tokentray add` and `edit` at random points, many times: `connections.toml` must
//! always parse, and no temporary file may pile up.

use std::time::{Duration, Instant};

use rand::Rng;

use crate::{Home, stderr};

const ITERATIONS: usize = 150;

#[test]
fn killing_add_or_edit_never_leaves_an_unparseable_config() {
    let home = Home::new();
    // The explicit file store keeps this test about the config file, not the keychain's speed.
    let o = home.run(&["doctor", "--use-file-store"]);
    assert!(o.status.code().is_some(), "{}", stderr(&o));
    let mut rng = rand::rng();
    let mut killed = 0;
    for i in 0..ITERATIONS {
        let name = format!("c{}", i % 10);
        let args: Vec<String> = if i % 3 == 0 {
            vec!["edit".into(), name, "--label".into(), format!("label {i}")]
        } else {
            vec![
                "add".into(),
                name,
                "--kind".into(),
                "basic".into(),
                "--username".into(),
                format!("u{i}"),
            ]
        };
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("tokentray"))
            .env("TOKENTRAY_HOME", home.path())
            .env("TOKENTRAY_PASSWORD", "pw")
            .args(&args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Pick a random kill point within the command's run time (a few milliseconds).
        let deadline = Instant::now() + Duration::from_micros(rng.random_range(0..15_000));
        while Instant::now() < deadline {
            std::hint::spin_loop();
        }
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
        let config = home.path().join("config/connections.toml");
        if let Ok(text) = std::fs::read_to_string(&config)
            && let Err(e) = tokentray_engine::ConfigFile::parse(&text)
        {
            panic!("iteration {i}: connections.toml does not parse: {e}\n{text}");
        }
    }
    assert!(
        killed > ITERATIONS / 10,
        "the loop must really kill commands mid-way ({killed} killed)"
    );
    let o = home.run(&["list", "--json"]);
    assert!(o.status.success(), "the CLI still works: {}", stderr(&o));
    // A write removes the stale temporary files of its target under the lock before it makes
    // its own, so a kill can leave at most one behind per target file (the config, the state,
    // the file store), whatever the number of kills.
    let temps: Vec<_> = home
        .files()
        .into_iter()
        .filter(|f| f.to_string_lossy().ends_with(".tmp"))
        .collect();
    let mut targets: Vec<String> = temps.iter().map(|f| temp_target(f)).collect();
    targets.sort();
    let before = targets.len();
    targets.dedup();
    assert_eq!(before, targets.len(), "temporary files pile up: {temps:?}");
}

/// The file a temporary file was to replace: `.connections.toml.<pid>.<n>.tmp` →
/// `connections.toml`.
fn temp_target(temp: &std::path::Path) -> String {
    let name = temp
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut parts: Vec<&str> = name.trim_start_matches('.').split('.').collect();
    parts.truncate(parts.len().saturating_sub(3));
    format!(
        "{}/{}",
        temp.parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        parts.join(".")
    )
}

#[test]
fn temporary_files_are_counted_by_the_file_they_replace() {
    let t = temp_target(std::path::Path::new(
        "/h/config/.connections.toml.1234.0.tmp",
    ));
    assert_eq!(t, "/h/config/connections.toml");
    assert_ne!(
        temp_target(std::path::Path::new("/h/data/.state.json.1.0.tmp")),
        temp_target(std::path::Path::new("/h/data/.secrets.json.1.0.tmp"))
    );
}
