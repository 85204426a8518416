//! A headless Chromium driven over WebDriver (fantoccini): chromedriver started on a free
//! loopback port for the test run (killed when dropped), one browser session, and the few
//! page operations the console tests need (fill a field, click, read the page, screenshot).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// Desktop and phone widths the screenshots are taken at.
pub const LAPTOP: (u32, u32) = (1280, 900);
pub const PHONE: (u32, u32) = (390, 844);

/// chromedriver and one browser session.
pub struct Browser {
    pub client: Client,
    driver: Child,
    shots: PathBuf,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium at laptop width; screenshots go to
    /// `target/console-screenshots/`.
    pub async fn start() -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver not found: scripts/test.sh installs Debian's chromium-driver");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                            "--disable-dev-shm-usage", "--hide-scrollbars",
                            format!("--window-size={},{}", LAPTOP.0, LAPTOP.1)]}),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if Instant::now() > deadline => panic!("no WebDriver session: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        let shots =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/console-screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        Browser {
            client,
            driver,
            shots,
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub async fn find(&self, css: &str) -> Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(found) => found,
            Err(e) => panic!("no element {css}: {e}\npage:\n{}", self.text_now().await),
        }
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .unwrap()
            .is_empty()
    }

    /// Types `text` into the field `css` (cleared first).
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Chooses the local file `path` in the file input `css`.
    pub async fn attach(&self, css: &str, path: &std::path::Path) {
        let input = self.find(css).await;
        input.send_keys(path.to_str().unwrap()).await.unwrap();
    }

    pub async fn select(&self, css: &str, value: &str) {
        self.find(css).await.select_by_value(value).await.unwrap();
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    /// The identity of the page now shown (its root element).
    async fn page_id(&self) -> String {
        let root = self.client.find(Locator::Css("html")).await.unwrap();
        root.element_id().to_string()
    }

    /// Runs `act`, then waits until another page has replaced this one and finished loading.
    async fn navigating<F: std::future::Future<Output = ()>>(&self, act: F) {
        let before = self.page_id().await;
        act.await;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(root) = self.client.find(Locator::Css("html")).await {
                let ready: serde_json::Value = self
                    .client
                    .execute("return document.readyState", vec![])
                    .await
                    .unwrap_or_default();
                if root.element_id().to_string() != before && ready == "complete" {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "no new page after 30 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks the button whose text is `label` and waits for the page it leads to.
    pub async fn press(&self, label: &str) {
        let xpath = format!("//button[normalize-space(.)='{label}']");
        let button = self
            .client
            .find(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no button {label:?}: {e}"));
        self.navigating(async { button.click().await.unwrap() })
            .await;
    }

    /// Follows the link `css` and waits for the page it leads to.
    pub async fn follow(&self, css: &str) {
        let link = self.find(css).await;
        self.navigating(async { link.click().await.unwrap() }).await;
    }

    /// Runs `script` (which submits a form) and waits for the page it leads to.
    pub async fn submit_script(&self, script: &str) {
        self.navigating(async {
            self.client.execute(script, vec![]).await.unwrap();
        })
        .await;
    }

    /// Labels of every button on the page.
    pub async fn buttons(&self) -> Vec<String> {
        let mut out = Vec::new();
        for b in self.client.find_all(Locator::Css("button")).await.unwrap() {
            out.push(b.text().await.unwrap_or_default());
        }
        out
    }

    async fn text_now(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(b) => b.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// The visible text of the page.
    pub async fn text(&self) -> String {
        self.text_now().await
    }

    /// Saves a screenshot of the page as `target/console-screenshots/<name>.png`.
    pub async fn shot(&self, name: &str) {
        let top =
            "if (document.activeElement) document.activeElement.blur(); window.scrollTo(0, 0);";
        self.client.execute(top, vec![]).await.unwrap();
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }

    pub async fn resize(&self, (w, h): (u32, u32)) {
        self.client.set_window_size(w, h).await.unwrap();
    }

    /// Ends the browser session and chromedriver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
