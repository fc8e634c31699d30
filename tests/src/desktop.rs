//! Driving the real POS desktop app (`storelink-pos`, Tauri 2 on WebKitGTK)
//! for end-to-end tests: a virtual X server, `tauri-driver` in front of
//! WebKit's own WebDriver, and a WebDriver client (fantoccini).
//!
//! - [`desktop_tools`] finds Xvfb, WebKitWebDriver and tauri-driver, or fails
//!   with a message that says to run `cargo xtask setup` (never a silent skip).
//! - [`Xvfb`] starts a virtual display on a free display number.
//! - [`TauriDriver`] starts `tauri-driver --native-driver WebKitWebDriver` on
//!   free ports, with `DISPLAY` pointing at the virtual display.
//! - [`DesktopApp`] bundles the three for a test or a benchmark.
//! - [`PosWindow`] is a WebDriver session on a freshly launched app with its
//!   own data directory (`--data-dir`), with blocking helpers that wait for
//!   `data-testid` elements, type, click, read text, invoke the app's
//!   commands and take screenshots.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// What to do when a tool is missing.
pub const SETUP_HINT: &str =
    "run `cargo xtask setup` (installs Xvfb, xauth, WebKitWebDriver and tauri-driver)";

/// How long to wait for an element or a condition in the app by default.
pub const UI_TIMEOUT: Duration = Duration::from_secs(20);

/// The external programs the desktop test needs.
#[derive(Debug, Clone)]
pub struct DesktopTools {
    /// The virtual X server.
    pub xvfb: PathBuf,
    /// WebKitGTK's WebDriver (Debian package webkit2gtk-driver).
    pub webkit_driver: PathBuf,
    /// tauri-driver (cargo-installed by `cargo xtask setup`).
    pub tauri_driver: PathBuf,
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

/// Where `cargo xtask setup` puts tauri-driver: `<target dir>/tools/bin`
/// (this test's target directory, then the workspace's `target/`), else
/// `$TAURI_DRIVER`, else `PATH`.
fn find_tauri_driver() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TAURI_DRIVER").map(PathBuf::from) {
        return p.is_file().then_some(p);
    }
    let workspace_target = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(|root| root.join("target"));
    [Some(crate::target_dir()), workspace_target]
        .into_iter()
        .flatten()
        .map(|t| t.join("tools").join("bin").join("tauri-driver"))
        .find(|p| p.is_file())
        .or_else(|| on_path("tauri-driver"))
}

/// Find the tools, or fail naming every missing one and how to install them.
pub fn desktop_tools() -> Result<DesktopTools> {
    let xvfb = on_path("Xvfb").or_else(|| existing("/usr/bin/Xvfb"));
    let webkit_driver = std::env::var_os("WEBKIT_WEBDRIVER")
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .or_else(|| on_path("WebKitWebDriver"))
        .or_else(|| existing("/usr/bin/WebKitWebDriver"));
    check_tools(xvfb, webkit_driver, find_tauri_driver())
}

fn existing(path: &str) -> Option<PathBuf> {
    Some(PathBuf::from(path)).filter(|p| p.is_file())
}

/// All three found, or an error naming the missing ones and `cargo xtask setup`.
pub fn check_tools(
    xvfb: Option<PathBuf>,
    webkit_driver: Option<PathBuf>,
    tauri_driver: Option<PathBuf>,
) -> Result<DesktopTools> {
    let mut missing = Vec::new();
    if xvfb.is_none() {
        missing.push("Xvfb (Debian package xvfb)");
    }
    if webkit_driver.is_none() {
        missing.push("WebKitWebDriver (Debian package webkit2gtk-driver)");
    }
    if tauri_driver.is_none() {
        missing.push("tauri-driver (target/tools/bin/tauri-driver)");
    }
    match (xvfb, webkit_driver, tauri_driver) {
        (Some(xvfb), Some(webkit_driver), Some(tauri_driver)) => Ok(DesktopTools {
            xvfb,
            webkit_driver,
            tauri_driver,
        }),
        _ => bail!(
            "the POS desktop end-to-end test cannot run: missing {}. To install them, {SETUP_HINT}",
            missing.join(", ")
        ),
    }
}

/// Stop a child: SIGTERM first (so it can stop its own children), SIGKILL
/// after `grace`.
fn terminate(child: &mut Child, grace: Duration) {
    if child.try_wait().ok().flatten().is_some() {
        return;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A virtual X display.
pub struct Xvfb {
    child: Child,
    /// `:N`.
    pub display: String,
}

impl Xvfb {
    /// Start Xvfb (1280×800, 24 bit) on the first free display number from
    /// an offset chosen by process id (parallel test processes rarely collide;
    /// a collision just moves on to the next number).
    pub fn start(tools: &DesktopTools) -> Result<Xvfb> {
        let first = 100 + std::process::id() % 300;
        for n in (first..first + 100).chain(100..first) {
            if Path::new(&format!("/tmp/.X{n}-lock")).exists()
                || Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
            {
                continue;
            }
            let mut child = Command::new(&tools.xvfb)
                .arg(format!(":{n}"))
                .args([
                    "-screen",
                    "0",
                    "1280x800x24",
                    "-nolisten",
                    "tcp",
                    "-noreset",
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .with_context(|| format!("starting {}", tools.xvfb.display()))?;
            let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if child.try_wait().ok().flatten().is_some() {
                    break; // display taken meanwhile: try the next one
                }
                if socket.exists() {
                    return Ok(Xvfb {
                        child,
                        display: format!(":{n}"),
                    });
                }
                if Instant::now() > deadline {
                    terminate(&mut child, Duration::from_secs(1));
                    bail!("Xvfb :{n} did not come up within 10 s");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        bail!("no free X display number for Xvfb")
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        terminate(&mut self.child, Duration::from_secs(2));
    }
}

/// A free TCP port on 127.0.0.1 (closed again: a tiny race, retried by callers).
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// `tauri-driver` with WebKitWebDriver behind it.
pub struct TauriDriver {
    child: Child,
    /// Port tauri-driver listens on (WebDriver).
    pub port: u16,
    /// Its log file (stdout + stderr of tauri-driver and WebKitWebDriver).
    pub log: PathBuf,
}

impl TauriDriver {
    /// Start it on free ports with `DISPLAY` set to `display`; log into `log_dir`.
    pub fn start(tools: &DesktopTools, display: &str, log_dir: &Path) -> Result<TauriDriver> {
        std::fs::create_dir_all(log_dir)?;
        let log = log_dir.join("tauri-driver.log");
        let mut last_err = anyhow!("not started");
        for _ in 0..5 {
            let port = free_port()?;
            let native = free_port()?;
            let out = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log)?;
            let mut child = Command::new(&tools.tauri_driver)
                .args(["--port", &port.to_string()])
                .args(["--native-port", &native.to_string()])
                .arg("--native-driver")
                .arg(&tools.webkit_driver)
                .env("DISPLAY", display)
                // No accessibility bus under Xvfb: keep GTK from waiting for it.
                .env("NO_AT_BRIDGE", "1")
                .stdin(Stdio::null())
                .stdout(Stdio::from(out.try_clone()?))
                .stderr(Stdio::from(out))
                .spawn()
                .with_context(|| format!("starting {}", tools.tauri_driver.display()))?;
            let deadline = Instant::now() + Duration::from_secs(15);
            let up = loop {
                if child.try_wait().ok().flatten().is_some() {
                    break false;
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok()
                    && TcpStream::connect(("127.0.0.1", native)).is_ok()
                {
                    break true;
                }
                if Instant::now() > deadline {
                    break false;
                }
                std::thread::sleep(Duration::from_millis(50));
            };
            if up {
                return Ok(TauriDriver { child, port, log });
            }
            terminate(&mut child, Duration::from_secs(2));
            last_err = anyhow!(
                "tauri-driver did not listen on {port}; see {}",
                log.display()
            );
        }
        Err(last_err)
    }
}

impl Drop for TauriDriver {
    fn drop(&mut self) {
        // SIGTERM lets tauri-driver stop WebKitWebDriver too.
        terminate(&mut self.child, Duration::from_secs(3));
    }
}

/// Everything one desktop test or benchmark needs in one value: a virtual
/// display, tauri-driver, and the app launched on `data_dir`. Dropping it
/// closes the app and stops the driver and the display (in that order).
pub struct DesktopApp {
    window: PosWindow,
    _driver: TauriDriver,
    _xvfb: Xvfb,
}

impl DesktopApp {
    /// Launch the built `storelink-pos` ([`crate::binaries`]) on `data_dir`
    /// with extra command-line `args`; driver logs go next to `data_dir`.
    pub fn launch(data_dir: &Path, args: &[String]) -> Result<DesktopApp> {
        let tools = desktop_tools()?;
        let xvfb = Xvfb::start(&tools)?;
        let logs = data_dir
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(std::env::temp_dir);
        let driver = TauriDriver::start(&tools, &xvfb.display, &logs)?;
        let mut all = vec!["--data-dir".to_owned(), data_dir.display().to_string()];
        all.extend_from_slice(args);
        let window = PosWindow::launch(&driver, &crate::binaries().pos, &all)?;
        Ok(DesktopApp {
            window,
            _driver: driver,
            _xvfb: xvfb,
        })
    }

    /// The window's helpers (find, click, type, invoke, screenshot…).
    pub fn window(&self) -> &PosWindow {
        &self.window
    }

    /// The fantoccini client, for what the helpers do not cover (run it with
    /// [`PosWindow::block_on`]).
    pub fn client(&self) -> Result<&Client> {
        self.window.client()
    }
}

/// A WebDriver session on a running `storelink-pos` window.
pub struct PosWindow {
    rt: tokio::runtime::Runtime,
    client: Option<Client>,
}

/// A CSS selector for a `data-testid`.
pub fn testid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

impl PosWindow {
    /// Launch `app` (the built `storelink-pos`) with `args` through the
    /// driver and wait until its page has loaded.
    pub fn launch(driver: &TauriDriver, app: &Path, args: &[String]) -> Result<PosWindow> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            json!({ "application": app, "args": args }),
        );
        caps.insert("browserName".into(), json!("wry"));
        let url = format!("http://127.0.0.1:{}", driver.port);
        let client = rt
            .block_on(async {
                let connector = hyper_util::client::legacy::connect::HttpConnector::new();
                ClientBuilder::new(connector)
                    .capabilities(caps)
                    .connect(&url)
                    .await
            })
            .with_context(|| {
                format!(
                    "WebDriver session for {} (see {})",
                    app.display(),
                    driver.log.display()
                )
            })?;
        let w = PosWindow {
            rt,
            client: Some(client),
        };
        w.wait_for(UI_TIMEOUT, "the page to load", |w| {
            Ok(w.script("return document.readyState", json!([]))? == json!("complete"))
        })?;
        Ok(w)
    }

    fn client(&self) -> Result<&Client> {
        self.client
            .as_ref()
            .context("the WebDriver session is closed")
    }

    /// Run JavaScript (`arguments` = `args`) and return its value.
    pub fn script(&self, js: &str, args: Value) -> Result<Value> {
        let args = match args {
            Value::Array(a) => a,
            other => vec![other],
        };
        let c = self.client()?;
        Ok(self.rt.block_on(c.execute(js, args))?)
    }

    /// Invoke an app command the way the screens do; `Err` carries the
    /// `{code, message}` refusal as JSON text.
    pub fn invoke(&self, cmd: &str, args: Value) -> Result<Value> {
        let c = self.client()?;
        let js = "const [cmd, args, done] = arguments; \
                  window.__TAURI_INTERNALS__.invoke(cmd, args) \
                    .then(v => done({ ok: v === undefined ? null : v }), e => done({ err: e }));";
        let out = self
            .rt
            .block_on(c.execute_async(js, vec![json!(cmd), args]))?;
        match out.get("err") {
            Some(e) => bail!("{cmd} refused: {e}"),
            None => Ok(out.get("ok").cloned().unwrap_or(Value::Null)),
        }
    }

    /// Run asynchronous JavaScript: the last of `arguments` is the callback
    /// that ends it with a value.
    pub fn invoke_js(&self, js: &str, args: Value) -> Result<Value> {
        let args = match args {
            Value::Array(a) => a,
            other => vec![other],
        };
        let c = self.client()?;
        Ok(self.rt.block_on(c.execute_async(js, args))?)
    }

    /// Wait until the element with this `data-testid` exists, and return it.
    pub fn find(&self, id: &str) -> Result<Element> {
        self.find_within(id, UI_TIMEOUT)
    }

    /// [`find`](Self::find) with a timeout.
    pub fn find_within(&self, id: &str, timeout: Duration) -> Result<Element> {
        let c = self.client()?;
        let sel = testid(id);
        self.rt
            .block_on(c.wait().at_most(timeout).for_element(Locator::Css(&sel)))
            .with_context(|| format!("no element {sel} within {timeout:?}{}", self.page_hint()))
    }

    /// Every element with this `data-testid` right now.
    pub fn find_all(&self, id: &str) -> Result<Vec<Element>> {
        let c = self.client()?;
        Ok(self.rt.block_on(c.find_all(Locator::Css(&testid(id))))?)
    }

    /// Whether an element with this `data-testid` is there now.
    pub fn exists(&self, id: &str) -> Result<bool> {
        Ok(!self.find_all(id)?.is_empty())
    }

    /// Click the element.
    pub fn click(&self, id: &str) -> Result<()> {
        let el = self.find(id)?;
        self.rt
            .block_on(el.click())
            .with_context(|| format!("clicking {id}"))
    }

    /// Clear the input and type `text` (`\u{E007}` is Enter).
    pub fn type_into(&self, id: &str, text: &str) -> Result<()> {
        let el = self.find(id)?;
        self.rt.block_on(async {
            el.clear().await?;
            el.send_keys(text).await
        })?;
        Ok(())
    }

    /// Type `text` without clearing first.
    pub fn send_keys(&self, id: &str, text: &str) -> Result<()> {
        let el = self.find(id)?;
        Ok(self.rt.block_on(el.send_keys(text))?)
    }

    /// The element's visible text.
    pub fn text(&self, id: &str) -> Result<String> {
        let el = self.find(id)?;
        Ok(self.rt.block_on(el.text())?)
    }

    /// An attribute of the element (`None` when absent).
    pub fn attr(&self, id: &str, name: &str) -> Result<Option<String>> {
        let el = self.find(id)?;
        Ok(self.rt.block_on(el.attr(name))?)
    }

    /// Wait until the element's attribute `name` equals `want`.
    pub fn wait_attr(&self, id: &str, name: &str, want: &str) -> Result<()> {
        let mut seen = None;
        self.wait_for(UI_TIMEOUT, &format!("{id} [{name}={want:?}]"), |w| {
            seen = w.attr(id, name)?;
            Ok(seen.as_deref() == Some(want))
        })
        .with_context(|| format!("{id} has {name}={seen:?}"))
    }

    /// Poll `f` every 100 ms until it returns true, up to `timeout`.
    pub fn wait_for(
        &self,
        timeout: Duration,
        what: &str,
        mut f: impl FnMut(&PosWindow) -> Result<bool>,
    ) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let mut last = None;
        loop {
            match f(self) {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) => last = Some(e),
            }
            if Instant::now() > deadline {
                let why = last
                    .map(|e| format!(" (last error: {e:#})"))
                    .unwrap_or_default();
                bail!(
                    "timed out after {timeout:?} waiting for {what}{why}{}",
                    self.page_hint()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Wait until the element's text contains `needle`.
    pub fn wait_text(&self, id: &str, needle: &str) -> Result<String> {
        let mut seen = String::new();
        self.wait_for(UI_TIMEOUT, &format!("{id} to show {needle:?}"), |w| {
            seen = w.text(id)?;
            Ok(seen.contains(needle))
        })
        .with_context(|| format!("{id} shows {seen:?}"))?;
        Ok(seen)
    }

    /// A short excerpt of the page's text, for failure messages.
    fn page_hint(&self) -> String {
        match self.script(
            "return document.body ? document.body.innerText : ''",
            json!([]),
        ) {
            Ok(Value::String(s)) => {
                let s: String = s.chars().take(600).collect();
                format!("\n--- page text ---\n{s}\n---")
            }
            _ => String::new(),
        }
    }

    /// Wait for two animation frames and a short pause, so that what the
    /// DOM shows has been painted (WebKit's screenshots show the last paint).
    pub fn settle(&self) -> Result<()> {
        self.invoke_js(
            "const [done] = arguments; \
             requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 300)));",
            json!([]),
        )?;
        Ok(())
    }

    /// Save a PNG screenshot of the window.
    pub fn screenshot(&self, path: &Path) -> Result<()> {
        let c = self.client()?;
        let png = self.rt.block_on(c.screenshot())?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))
    }

    /// End the session (the driver closes the app).
    pub fn close(mut self) -> Result<()> {
        if let Some(c) = self.client.take() {
            self.rt.block_on(c.close())?;
        }
        Ok(())
    }
}

impl Drop for PosWindow {
    fn drop(&mut self) {
        if let Some(c) = self.client.take() {
            let _ = self.rt.block_on(c.close());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_tools_fail_with_the_setup_hint() {
        let err = check_tools(Some(PathBuf::from("/usr/bin/Xvfb")), None, None)
            .expect_err("missing tools are an error");
        let msg = err.to_string();
        assert!(msg.contains("cargo xtask setup"), "{msg}");
        assert!(
            msg.contains("WebKitWebDriver") && msg.contains("tauri-driver"),
            "{msg}"
        );
        assert!(!msg.contains("xvfb)"), "Xvfb was found: {msg}");
    }
}
