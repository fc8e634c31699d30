//! First start of a hub without `--admin-password`: a generated password is
//! printed once, and it logs in; a restart prints none and keeps it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use storelink_tests::binaries;

/// Start the hub with no password option or variable; return the stdout
/// lines it printed before it was ready, and kill it.
fn start_and_read_banner(data_dir: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let mut child = Command::new(&binaries().hub)
        .args(["serve", "--data-dir"])
        .arg(data_dir)
        .args(["--listen", "127.0.0.1:0"])
        .env_remove("STORELINK_ADMIN_PASSWORD")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("stdout"))?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    // The banner comes at once; collect what arrives within a short while.
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(1_500)) {
        lines.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    Ok(lines)
}

fn login(url: &str, password: &str) -> anyhow::Result<u16> {
    Ok(reqwest::blocking::Client::new()
        .post(format!("{url}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "admin", "password": password}))
        .send()?
        .status()
        .as_u16())
}

#[test]
fn generated_admin_password_is_printed_once_and_works() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let first = start_and_read_banner(dir.path())?;
    let password = first
        .iter()
        .find_map(|l| l.strip_prefix("admin password: "))
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("first start prints the password: {first:?}"))?;
    assert!(password.len() >= 16, "a strong generated password");

    // Second start on the same data: no password printed, the old one still logs in.
    let mut hub = Command::new(&binaries().hub)
        .args(["serve", "--data-dir"])
        .arg(dir.path())
        .args(["--listen", "127.0.0.1:0"])
        .env_remove("STORELINK_ADMIN_PASSWORD")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = hub.stdout.take().ok_or_else(|| anyhow::anyhow!("stdout"))?;
    let mut lines = BufReader::new(stdout).lines();
    let first_line = lines.next().transpose()?.unwrap_or_default();
    let url = first_line
        .split("listening on ")
        .nth(1)
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no listening line: {first_line}"))?;
    std::thread::sleep(Duration::from_millis(300));
    let result = (|| -> anyhow::Result<()> {
        assert_eq!(
            login(&url, &password)?,
            200,
            "the generated password logs in"
        );
        assert_eq!(login(&url, "wrong-password")?, 401, "a wrong one does not");
        Ok(())
    })();
    let _ = hub.kill();
    let second_banner: Vec<String> = lines.map_while(Result::ok).collect();
    let _ = hub.wait();
    result?;
    assert!(
        !second_banner
            .iter()
            .any(|l| l.starts_with("admin password")),
        "the password is printed only on first start: {second_banner:?}"
    );
    Ok(())
}
