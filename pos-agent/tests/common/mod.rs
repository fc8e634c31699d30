//! What the CLI tests share: run the real `pos-agent` binary on a data directory and read
//! its answer (output, JSON, or the refusal on stderr with exit code 1).

#![allow(dead_code)] // each test file uses its own part of this

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// `pos-agent --data-dir DIR ARGS…`, whatever the exit code.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pos-agent"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run pos-agent")
}

/// A command that must succeed; its stdout.
pub fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A command that must succeed and print JSON.
pub fn json(dir: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(dir, args)).expect("JSON output")
}

/// A command refused as bad input (exit 1) with `needle` in its message.
pub fn fails(dir: &Path, args: &[&str], needle: &str) {
    let out = run(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(
        stderr.contains(needle),
        "{args:?}: {stderr:?} lacks {needle:?}"
    );
}
