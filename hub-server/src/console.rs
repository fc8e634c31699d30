//! The HQ web console (`ui/hq/`), served by the hub at `/`.
//!
//! `cargo xtask ui` builds the console into `ui/hq/dist`; this module embeds
//! that folder with `rust-embed` (in debug builds rust-embed reads the folder
//! from disk at run time, so a rebuilt console shows without recompiling the
//! hub; release builds carry the files inside the binary). The folder may be
//! missing: the hub then answers every console page with a short HTML page
//! that says how to build it.
//!
//! Rules of [`serve`], the router's fallback:
//! - `/api/…`, `/sync/…`, `/healthz`, `/readyz`, `/metrics` never fall back to
//!   the console: an unknown path there is the API's JSON 404.
//! - A file of the build is served with its content type; Vite's hashed files
//!   under `assets/` are cached for a year (`immutable`), everything else —
//!   above all `index.html` — is `no-cache` (revalidated with its ETag).
//! - Any other path without a file extension (`/inventory`, `/tills/…`) is
//!   the single-page app: `index.html`, whose router shows the page.
//! - A missing file with an extension (`/favicon.ico`, `/assets/x.js`) is a
//!   plain 404, so a stale page never receives HTML for a script.

use std::borrow::Cow;

use axum::extract::State;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::api::error::ApiError;

/// The built console (`ui/hq/dist`), possibly empty.
#[derive(rust_embed::Embed)]
#[folder = "../ui/hq/dist"]
#[allow_missing = true]
struct ConsoleDist;

/// Cache policy of Vite's content-hashed output.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache policy of everything else (always revalidate).
const NO_CACHE: &str = "no-cache";
/// What the console may load: only its own files, its own API and WebSocket.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; \
                   object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

/// Paths owned by the hub's own routes: never answered with the console.
const RESERVED_PREFIXES: [&str; 2] = ["/api/", "/sync/"];
const RESERVED_EXACT: [&str; 5] = ["/api", "/sync", "/healthz", "/readyz", "/metrics"];

/// Where the console's files come from (the embedded build, or a map in tests).
pub trait ConsoleFiles {
    /// The bytes of `path` (relative, no leading slash) and its ETag.
    fn file(&self, path: &str) -> Option<(Cow<'static, [u8]>, String)>;
}

/// The files embedded from `ui/hq/dist`.
pub struct Embedded;

impl ConsoleFiles for Embedded {
    fn file(&self, path: &str) -> Option<(Cow<'static, [u8]>, String)> {
        ConsoleDist::get(path).map(with_etag)
    }
}

/// An embedded file's bytes and its ETag (the start of its SHA-256).
pub(crate) fn with_etag(f: rust_embed::EmbeddedFile) -> (Cow<'static, [u8]>, String) {
    let hash = f.metadata.sha256_hash();
    let etag = format!(
        "\"{}\"",
        hash[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    (f.data, etag)
}

/// Is the console built into this hub?
pub fn is_built() -> bool {
    Embedded.file("index.html").is_some()
}

/// Is `path` one of the hub's own route families (never the console)?
pub fn is_reserved(path: &str) -> bool {
    RESERVED_EXACT.contains(&path) || RESERVED_PREFIXES.iter().any(|p| path.starts_with(p))
}

/// The router's fallback: the driver page under `/driver`, else the console,
/// its SPA routes, or the JSON 404.
pub async fn serve(
    State(state): State<std::sync::Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let mut response = match crate::driver_page::relative(uri.path()) {
        Some(rel) => {
            crate::driver_page::respond(&crate::driver_page::Embedded, &method, rel, &headers)
        }
        None => respond(&Embedded, &method, uri.path(), &headers),
    };
    allow_map_tiles(&mut response, state.settings.map_tile_url.as_deref());
    response
}

/// With a tile server configured, let the pages load its images: the page's policy gets the
/// tile server's origin in `img-src` (a `{s}` subdomain placeholder becomes `*`).
fn allow_map_tiles(response: &mut Response, tile_url: Option<&str>) {
    let Some(origin) = tile_url.and_then(tile_origin) else {
        return;
    };
    let headers = response.headers_mut();
    if headers.contains_key(CONTENT_SECURITY_POLICY) {
        let csp = CSP.replace("img-src 'self'", &format!("img-src 'self' {origin}"));
        if let Ok(v) = HeaderValue::from_str(&csp) {
            headers.insert(CONTENT_SECURITY_POLICY, v);
        }
    }
}

/// The origin of a tile URL template (`https://{s}.tile.example.org/{z}/{x}/{y}.png` →
/// `https://*.tile.example.org`); `None` for anything that is not a plain http(s) origin.
pub fn tile_origin(template: &str) -> Option<String> {
    let (scheme, rest) = template.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let host = rest.split('/').next()?.replace("{s}", "*");
    let plain = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'*'));
    plain.then(|| format!("{scheme}://{host}"))
}

/// [`serve`] over any file source (tested with an in-memory one).
pub fn respond(
    files: &impl ConsoleFiles,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Response {
    if is_reserved(path) {
        return ApiError::not_found("not_found", "no such endpoint").into_response();
    }
    respond_app(
        files,
        method,
        path.trim_start_matches('/'),
        headers,
        not_built,
    )
}

/// Serve a single-page app's file `rel` (its path inside the app, no leading
/// slash) from `files` by the rules of [`serve`]; `not_built` answers when the
/// app has no `index.html`. Shared by the console and the driver page.
pub(crate) fn respond_app(
    files: &impl ConsoleFiles,
    method: &Method,
    rel: &str,
    headers: &HeaderMap,
    not_built: fn() -> Response,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "these pages only answer GET",
        )
        .into_response();
    }
    if rel.split('/').any(|seg| seg == "..") {
        return ApiError::not_found("not_found", "no such file").into_response();
    }
    let rel = if rel.is_empty() { "index.html" } else { rel };
    if let Some((body, etag)) = files.file(rel) {
        let cache = if rel.starts_with("assets/") {
            IMMUTABLE
        } else {
            NO_CACHE
        };
        return file_response(rel, body, &etag, cache, headers);
    }
    let last = rel.rsplit('/').next().unwrap_or(rel);
    if last.contains('.') && rel != "index.html" {
        return (
            StatusCode::NOT_FOUND,
            [
                (CONTENT_TYPE, "text/plain; charset=utf-8"),
                (CACHE_CONTROL, NO_CACHE),
            ],
            "not found",
        )
            .into_response();
    }
    match files.file("index.html") {
        Some((body, etag)) => file_response("index.html", body, &etag, NO_CACHE, headers),
        None => not_built(),
    }
}

fn file_response(
    rel: &str,
    body: Cow<'static, [u8]>,
    etag: &str,
    cache: &'static str,
    headers: &HeaderMap,
) -> Response {
    let mime = mime_guess::from_path(rel).first_or_octet_stream();
    let needs_charset = mime.get_param("charset").is_none()
        && (mime.type_() == mime_guess::mime::TEXT
            || matches!(mime.subtype().as_str(), "javascript" | "json"));
    let content_type = if needs_charset {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    };
    let mut out_headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        out_headers.insert(CONTENT_TYPE, v);
    }
    out_headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    out_headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(v) = HeaderValue::from_str(etag) {
        out_headers.insert(ETAG, v);
    }
    if rel == "index.html" {
        out_headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    }
    let fresh = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    if fresh {
        return (StatusCode::NOT_MODIFIED, out_headers).into_response();
    }
    (StatusCode::OK, out_headers, body.into_owned()).into_response()
}

/// The page shown when `ui/hq/dist` was empty when the hub was built.
fn not_built() -> Response {
    const PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Storelink hub — console not built</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1f2937;line-height:1.5}
code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><h1>The HQ console is not built</h1>
<p>This hub is running, but its web console was not built into it. From the repository, run</p>
<pre><code>cargo xtask ui</code></pre>
<p>(it installs the console's npm packages and builds <code>ui/hq/dist</code>), then restart the hub
(a release build must be rebuilt: <code>cargo build --release -p hub-server</code>).</p>
<p>The REST API is available meanwhile under <a href="/api/v1/openapi.json"><code>/api/v1</code></a>.</p>
</body></html>
"#;
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, NO_CACHE),
        ],
        PAGE,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    struct Mem(HashMap<&'static str, &'static str>);

    impl ConsoleFiles for Mem {
        fn file(&self, path: &str) -> Option<(Cow<'static, [u8]>, String)> {
            self.0
                .get(path)
                .map(|s| (Cow::Borrowed(s.as_bytes()), format!("\"{}\"", s.len())))
        }
    }

    #[test]
    fn tile_servers_are_allowed_by_origin_only() {
        assert_eq!(
            tile_origin("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png").as_deref(),
            Some("https://*.tile.openstreetmap.org")
        );
        assert_eq!(
            tile_origin("http://tiles.internal:8080/osm/{z}/{x}/{y}.png").as_deref(),
            Some("http://tiles.internal:8080")
        );
        assert_eq!(tile_origin("javascript:alert(1)"), None);
        assert_eq!(tile_origin("https://evil.example; script-src *"), None);

        let files = built();
        let mut page = respond(&files, &Method::GET, "/", &HeaderMap::new());
        allow_map_tiles(&mut page, Some("https://tiles.example.org/{z}/{x}/{y}.png"));
        let csp = page.headers()[CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("ascii");
        assert!(
            csp.contains("img-src 'self' https://tiles.example.org data: blob:"),
            "{csp}"
        );
        assert!(csp.contains("script-src 'self';"), "{csp}");
        let mut plain = respond(&files, &Method::GET, "/", &HeaderMap::new());
        allow_map_tiles(&mut plain, None);
        assert_eq!(plain.headers()[CONTENT_SECURITY_POLICY], CSP);
    }

    fn built() -> Mem {
        Mem(HashMap::from([
            ("index.html", "<!doctype html><div id=\"app\"></div>"),
            ("assets/index-abc123.js", "console.log(1)"),
            ("assets/index-abc123.css", "body{}"),
            ("favicon.svg", "<svg/>"),
        ]))
    }

    fn get(files: &impl ConsoleFiles, path: &str) -> Response {
        respond(files, &Method::GET, path, &HeaderMap::new())
    }

    fn header(r: &Response, name: axum::http::HeaderName) -> &str {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    #[test]
    fn root_and_spa_routes_serve_index_without_cache() {
        let files = built();
        for path in ["/", "/inventory", "/tills/abc", "/catalog"] {
            let r = get(&files, path);
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert_eq!(header(&r, CONTENT_TYPE), "text/html; charset=utf-8");
            assert_eq!(header(&r, CACHE_CONTROL), NO_CACHE);
            assert!(!header(&r, CONTENT_SECURITY_POLICY).is_empty());
        }
    }

    #[test]
    fn hashed_assets_are_immutable_with_their_types() {
        let files = built();
        let js = get(&files, "/assets/index-abc123.js");
        assert_eq!(js.status(), StatusCode::OK);
        assert_eq!(header(&js, CACHE_CONTROL), IMMUTABLE);
        assert_eq!(header(&js, CONTENT_TYPE), "text/javascript; charset=utf-8");
        let css = get(&files, "/assets/index-abc123.css");
        assert_eq!(header(&css, CONTENT_TYPE), "text/css; charset=utf-8");
        let svg = get(&files, "/favicon.svg");
        assert_eq!(header(&svg, CONTENT_TYPE), "image/svg+xml");
        assert_eq!(header(&svg, CACHE_CONTROL), NO_CACHE);
    }

    #[test]
    fn reserved_paths_and_missing_files_never_fall_back() {
        let files = built();
        for path in [
            "/api/v1/nope",
            "/api/v2/x",
            "/sync/v2",
            "/healthz",
            "/metrics",
        ] {
            let r = get(&files, path);
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
            assert_eq!(header(&r, CONTENT_TYPE), "application/json", "{path}");
        }
        let r = get(&files, "/assets/gone-123.js");
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert!(header(&r, CONTENT_TYPE).starts_with("text/plain"));
        let r = get(&files, "/../secret");
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn etag_revalidation_and_methods() {
        let files = built();
        let first = get(&files, "/");
        let etag = header(&first, ETAG).to_owned();
        let mut h = HeaderMap::new();
        h.insert(IF_NONE_MATCH, HeaderValue::from_str(&etag).expect("etag"));
        let again = respond(&files, &Method::GET, "/", &h);
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        let post = respond(&files, &Method::POST, "/inventory", &HeaderMap::new());
        assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    }

    #[test]
    fn an_unbuilt_console_says_how_to_build_it() {
        let empty = Mem(HashMap::new());
        for path in ["/", "/dashboard"] {
            let r = get(&empty, path);
            assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(header(&r, CONTENT_TYPE), "text/html; charset=utf-8");
        }
    }
}
