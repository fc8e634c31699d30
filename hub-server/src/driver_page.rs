//! The driver page (`ui/driver/`), served by the hub at `/driver`.
//!
//! A phone-sized single-page app for delivery drivers: log in, today's
//! shipments, Start, live GPS (buffered in the phone's IndexedDB while
//! offline) and the next stop's ETA. It talks only to this hub's
//! `/api/v1/auth/*` and `/api/v1/driver/*` endpoints.
//!
//! `cargo xtask ui` builds it into `ui/driver/dist` (Vite base `/driver/`, so
//! every asset URL starts with `/driver/`); this module embeds that folder
//! with `rust-embed` exactly like the console (`crate::console`), and serves
//! it by the console's rules: hashed `assets/` cached for a year, everything
//! else revalidated, a path without a file extension is the app's
//! `index.html`, a missing file with an extension is a plain 404. The folder
//! may be missing (a fresh clone before `cargo xtask ui`): the page then says
//! how to build it.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::console::{ConsoleFiles, respond_app, with_etag};

/// Where the driver page lives on the hub.
pub const PREFIX: &str = "/driver";

/// The built driver page (`ui/driver/dist`), possibly empty.
#[derive(rust_embed::Embed)]
#[folder = "../ui/driver/dist"]
#[allow_missing = true]
struct DriverDist;

/// The files embedded from `ui/driver/dist`.
pub struct Embedded;

impl ConsoleFiles for Embedded {
    fn file(&self, path: &str) -> Option<(std::borrow::Cow<'static, [u8]>, String)> {
        DriverDist::get(path).map(with_etag)
    }
}

/// Is the driver page built into this hub?
pub fn is_built() -> bool {
    Embedded.file("index.html").is_some()
}

/// The path inside the driver page of a request path under [`PREFIX`]
/// (`/driver` and `/driver/` → `""`, `/driver/assets/a.js` → `assets/a.js`);
/// `None` for every other path (`/drivers` is not the driver page).
pub fn relative(path: &str) -> Option<&str> {
    let rest = path.strip_prefix(PREFIX)?;
    if rest.is_empty() {
        return Some("");
    }
    rest.strip_prefix('/')
}

/// Answer a request for `rel` inside the driver page from `files`.
pub fn respond(
    files: &impl ConsoleFiles,
    method: &Method,
    rel: &str,
    headers: &HeaderMap,
) -> Response {
    respond_app(files, method, rel, headers, not_built)
}

/// The page shown when `ui/driver/dist` was empty when the hub was built.
fn not_built() -> Response {
    const PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Storelink hub — driver page not built</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1f2937;line-height:1.5}
code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><h1>The driver page is not built</h1>
<p>This hub is running, but its driver page was not built into it. From the repository, run</p>
<pre><code>cargo xtask ui</code></pre>
<p>(it installs the npm packages and builds <code>ui/driver/dist</code>), then restart the hub
(a release build must be rebuilt: <code>cargo build --release -p hub-server</code>).</p>
</body></html>
"#;
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, "no-cache"),
        ],
        PAGE,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::collections::HashMap;

    use axum::http::header::{CONTENT_SECURITY_POLICY, HeaderName};

    use super::*;

    struct Mem(HashMap<&'static str, &'static str>);

    impl ConsoleFiles for Mem {
        fn file(&self, path: &str) -> Option<(Cow<'static, [u8]>, String)> {
            self.0
                .get(path)
                .map(|s| (Cow::Borrowed(s.as_bytes()), format!("\"{}\"", s.len())))
        }
    }

    fn built() -> Mem {
        Mem(HashMap::from([
            (
                "index.html",
                "<!doctype html><script src=\"/driver/assets/index-1.js\"></script>",
            ),
            ("assets/index-1.js", "console.log(1)"),
        ]))
    }

    fn header(r: &Response, name: HeaderName) -> &str {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn get(files: &Mem, path: &str) -> Response {
        let rel = relative(path).expect("a driver page path");
        respond(files, &Method::GET, rel, &HeaderMap::new())
    }

    #[test]
    fn only_paths_under_driver_are_the_driver_page() {
        assert_eq!(relative("/driver"), Some(""));
        assert_eq!(relative("/driver/"), Some(""));
        assert_eq!(
            relative("/driver/assets/index-1.js"),
            Some("assets/index-1.js")
        );
        assert_eq!(relative("/drivers"), None);
        assert_eq!(relative("/drivers/live"), None);
        assert_eq!(relative("/api/v1/driver/today"), None);
        assert_eq!(relative("/"), None);
    }

    #[test]
    fn the_page_its_assets_and_its_404s() {
        let files = built();
        for path in ["/driver", "/driver/", "/driver/today"] {
            let r = get(&files, path);
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert_eq!(header(&r, CONTENT_TYPE), "text/html; charset=utf-8");
            assert_eq!(header(&r, CACHE_CONTROL), "no-cache");
            assert!(!header(&r, CONTENT_SECURITY_POLICY).is_empty());
        }
        let js = get(&files, "/driver/assets/index-1.js");
        assert_eq!(js.status(), StatusCode::OK);
        assert!(header(&js, CACHE_CONTROL).contains("immutable"));
        let gone = get(&files, "/driver/assets/gone.js");
        assert_eq!(gone.status(), StatusCode::NOT_FOUND);
        let up = get(&files, "/driver/../secret");
        assert_eq!(up.status(), StatusCode::NOT_FOUND);
        let post = respond(&files, &Method::POST, "", &HeaderMap::new());
        assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    }

    #[test]
    fn an_unbuilt_page_says_how_to_build_it() {
        let r = get(&Mem(HashMap::new()), "/driver");
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(header(&r, CONTENT_TYPE), "text/html; charset=utf-8");
    }
}
