//! End-to-end plumbing: the release binary on a free port over a fresh SQLite file, and
//! headless Chromium driven through ChromeDriver.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};

/// Kills its process when dropped, so a failing test leaves nothing running.
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The text of the first element matching `css`, or "" when there is none.
pub async fn text_of(c: &Client, css: &str) -> String {
    match c.find(fantoccini::Locator::Css(css)).await {
        Ok(e) => e.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// The value of the form field matching `css` (what is typed in it now).
pub async fn value_of(c: &Client, css: &str) -> String {
    c.find(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// Polls the text of `css` until `what` accepts it (15 s at most) and returns it; panics
/// with the last text seen otherwise.
pub async fn wait_until(c: &Client, css: &str, what: impl Fn(&str) -> bool) -> String {
    let mut last = String::new();
    for _ in 0..150 {
        last = text_of(c, css).await;
        if what(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never matched; last text: {last:?}");
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// `GET path` on 127.0.0.1:`port`; the status code, if the server answered.
pub fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).ok()?;
    std::str::from_utf8(&buf[..n])
        .ok()?
        .split(' ')
        .nth(1)?
        .parse()
        .ok()
}

fn wait_ready(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < timeout,
            "{what} did not become ready within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Where the release build is, from the test command's environment; `None` skips the test.
pub struct E2eConfig {
    pub bin: PathBuf,
    pub site: PathBuf,
}

impl E2eConfig {
    /// The build to test, or `None` (saying that the test is skipped) when it is not given.
    pub fn from_env() -> Option<Self> {
        match (
            std::env::var_os("HINDSIGHT_E2E_BIN"),
            std::env::var_os("HINDSIGHT_E2E_SITE"),
        ) {
            (Some(bin), Some(site)) => Some(Self {
                bin: bin.into(),
                site: site.into(),
            }),
            _ => {
                eprintln!(
                    "skipped: HINDSIGHT_E2E_BIN/HINDSIGHT_E2E_SITE not set (make test sets them)"
                );
                None
            }
        }
    }
}

/// A running `hindsight serve` over a database file of its own.
pub struct TestServer {
    pub port: u16,
    pub dir: PathBuf,
    _child: ChildGuard,
}

impl TestServer {
    /// The SQLite URL for a fresh database file in a new temporary folder.
    pub fn new_database_dir(tag: &str) -> (PathBuf, String) {
        let dir = std::env::temp_dir().join(format!("hindsight-e2e-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temporary folder");
        let url = format!("sqlite://{}?mode=rwc", dir.join("hindsight.db").display());
        (dir, url)
    }

    /// Starts `hindsight serve` on a free port over `database_url`, with `extra_env`, and
    /// waits until it answers `/healthz`.
    pub fn start(
        cfg: &E2eConfig,
        dir: PathBuf,
        database_url: &str,
        extra_env: &[(&str, &str)],
    ) -> Self {
        let port = free_port();
        let log = std::fs::File::create(dir.join("server.log")).expect("log file");
        let mut cmd = Command::new(&cfg.bin);
        cmd.arg("serve")
            .env("HINDSIGHT_ADDR", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", database_url)
            .env("LEPTOS_SITE_ROOT", &cfg.site)
            // The server's log (`server.log` in `dir`) at the level `E2E_SERVER_LOG` asks for,
            // e.g. `tower_http=debug,hindsight=debug,info` to see every request.
            .env(
                "RUST_LOG",
                std::env::var("E2E_SERVER_LOG").unwrap_or_default(),
            )
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(log);
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let child = ChildGuard(cmd.spawn().expect("the hindsight binary starts"));
        wait_ready("hindsight", Duration::from_secs(20), || {
            http_status(port, "/healthz") == Some(200)
        });
        Self {
            port,
            dir,
            _child: child,
        }
    }

    /// The address of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

/// Headless Chromium through a ChromeDriver of its own.
pub struct Browser {
    pub client: Client,
    _driver: ChildGuard,
    profile: PathBuf,
    port: u16,
}

impl Browser {
    /// Starts a ChromeDriver on a free port and a headless Chromium session through it.
    pub async fn start() -> Self {
        // Two TLS back ends are linked in; WebDriver speaks plain HTTP here, so either will do.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = free_port();
        let driver = ChildGuard(
            Command::new("chromedriver")
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver is installed (make test installs it)"),
        );
        wait_ready("chromedriver", Duration::from_secs(20), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        let profile =
            std::env::temp_dir().join(format!("hindsight-chrome-{}-{port}", std::process::id()));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:loggingPrefs".into(),
            serde_json::json!({"browser": "ALL"}),
        );
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,800",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }),
        );
        let client = ClientBuilder::rustls()
            .expect("TLS roots")
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        Self {
            client,
            _driver: driver,
            profile,
            port,
        }
    }

    /// Waits until the page is interactive (the WASM has hydrated it).
    pub async fn hydrated(&self) {
        let waited = self
            .client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(fantoccini::Locator::Css("body[data-hydrated='true']"))
            .await;
        if let Err(e) = waited {
            let url = self.client.current_url().await.map(|u| u.to_string());
            // Whether the document finished (the module script runs only then) and which of
            // its files arrived: a file that never does points at the connections running out.
            let state = self
                .client
                .execute(
                    "return document.readyState + ' | ' + performance.getEntriesByType('resource').map(e => e.name.replace(location.origin, '') + '@' + Math.round(e.startTime) + '/' + Math.round(e.duration)).join(' ');",
                    vec![],
                )
                .await
                .map(|v| v.to_string());
            panic!(
                "the page ({url:?}) did not hydrate (the WASM bundle loads and runs): {e}; the console says: {:?}; the document and the files it loaded: {state:?}",
                self.console().await,
            );
        }
    }

    /// Marks the page (`window.__noReload = 1`); a full page load wipes the mark.
    pub async fn mark_page(&self) {
        self.client
            .execute("window.__noReload = 1; return null;", vec![])
            .await
            .unwrap();
    }

    /// The page's mark (`window.__noReload`), `null` once a full page load has wiped it.
    pub async fn page_mark(&self) -> serde_json::Value {
        self.client
            .execute("return window.__noReload || null;", vec![])
            .await
            .unwrap()
    }

    /// Signs in on the sign-in page, then waits for `landmark` (CSS) on the page `next`
    /// leads to, and for that page to hydrate.
    pub async fn sign_in(
        &self,
        server: &TestServer,
        email: &str,
        password: &str,
        next: &str,
        landmark: &str,
    ) {
        use fantoccini::Locator;
        let c = &self.client;
        c.goto(&server.url(&format!("/login?next={next}")))
            .await
            .expect("the sign-in page");
        self.hydrated().await;
        c.find(Locator::Css("#login-email"))
            .await
            .expect("e-mail field")
            .send_keys(email)
            .await
            .expect("typing");
        c.find(Locator::Css("#login-password"))
            .await
            .expect("password field")
            .send_keys(password)
            .await
            .expect("typing");
        c.find(Locator::Css("#login-submit"))
            .await
            .expect("submit button")
            .click()
            .await
            .expect("click");
        c.wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(landmark))
            .await
            .expect("signed in, the target page shows");
        self.hydrated().await;
    }

    /// Saves a screenshot under `target/e2e-screenshots/NAME.png` for a person to look at.
    pub async fn screenshot(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots");
        let _ = std::fs::create_dir_all(&dir);
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(dir.join(format!("{name}.png")), png);
        }
    }

    /// The browser console's messages so far (errors of a failed hydration show here).
    /// Script errors in the console since the last look (a failed hydration shows here);
    /// HTTP error answers the page expects, like a refused save, are not counted.
    pub async fn script_errors(&self) -> Vec<String> {
        let raw = self.console().await;
        let body = raw.split_once("\r\n\r\n").map_or(raw.as_str(), |(_, b)| b);
        // A chunked answer wraps the JSON in size lines: take the outermost object.
        let json = match (body.find('{'), body.rfind('}')) {
            (Some(a), Some(b)) if a < b => &body[a..=b],
            _ => return Vec::new(),
        };
        let v: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
        v["value"]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| e["level"] == "SEVERE")
                    .filter_map(|e| e["message"].as_str())
                    .filter(|m| !m.contains("Failed to load resource"))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    pub async fn console(&self) -> String {
        let Ok(id) = self.client.session_id().await else {
            return String::new();
        };
        let Some(id) = id else { return String::new() };
        let body = r#"{"type":"browser"}"#;
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return String::new();
        };
        // Read until the announced length has arrived (the driver may keep the connection
        // open), never waiting long.
        let _ = s.set_read_timeout(Some(Duration::from_secs(3)));
        let _ = write!(
            s,
            "POST /session/{id}/se/log HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let mut out = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
            let text = String::from_utf8_lossy(&out);
            if let Some((head, rest)) = text.split_once("\r\n\r\n") {
                let len = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .and_then(|v| v.trim().parse::<usize>().ok())
                    })
                    .unwrap_or(usize::MAX);
                if rest.len() >= len {
                    break;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Clicks an element once it exists, scrolled to the middle of the window (clear of the
/// sticky top bar).
pub async fn click(c: &fantoccini::Client, css: &str) {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    // Into the middle of the window, clear of the sticky top bar.
    c.execute(
        "document.querySelector(arguments[0]).scrollIntoView({block: 'center'}); return null;",
        vec![serde_json::json!(css)],
    )
    .await
    .unwrap();
    // A reactive page may replace the element between finding and clicking it (a refetch
    // renders it anew): find it again then.
    for attempt in 0.. {
        let found = c.find(fantoccini::Locator::Css(css)).await;
        let result = match found {
            Ok(e) => e.click().await,
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => return,
            Err(e) if attempt < 20 && e.to_string().contains("stale element") => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("{css}: {e}"),
        }
    }
}

/// Waits up to `secs` seconds for an element matching `css`; panics with `what` otherwise.
pub async fn wait_for(
    c: &fantoccini::Client,
    css: &str,
    secs: u64,
    what: &str,
) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(secs))
        .for_element(fantoccini::Locator::Css(css))
        .await
        .expect(what)
}

/// Clicks the element matching `css` as it is now (no waiting, no scrolling).
pub async fn press(c: &fantoccini::Client, css: &str) {
    c.find(fantoccini::Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Starts the server over the database at `database_url` (seeded already), opens a browser
/// and signs `email` in with the test password ([`crate::http::PASSWORD`]), landing on
/// `next` once `landmark` shows and the page has hydrated.
pub async fn start_signed_in(
    cfg: &E2eConfig,
    dir: PathBuf,
    database_url: &str,
    email: &str,
    next: &str,
    landmark: &str,
) -> (TestServer, Browser) {
    let server = TestServer::start(cfg, dir, database_url, &[]);
    let browser = Browser::start().await;
    browser
        .sign_in(&server, email, crate::http::PASSWORD, next, landmark)
        .await;
    (server, browser)
}

/// Types into an element (WebDriver puts the caret at the end).
pub async fn type_into(c: &fantoccini::Client, css: &str, text: &str) {
    c.find(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .send_keys(text)
        .await
        .unwrap();
}
