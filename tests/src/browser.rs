//! A headless "browser" that signs in over plain HTTP: it follows redirects, fills the login
//! and consent forms of the test providers (oidc-provider's development interactions, the
//! sandbox's ArcGIS page) and finally requests the redirect URI, as a person's browser would.

use std::sync::{Arc, Mutex};

use reqwest::Url;
use tokentray_engine::Browser;

/// Credentials to type, and a record of where the browser ended.
#[derive(Clone)]
pub struct FakeBrowser {
    username: String,
    password: String,
    /// Stop before requesting a URL that starts with this (to paste it instead).
    stop_at: Option<String>,
    last: Arc<Mutex<Vec<String>>>,
}

impl FakeBrowser {
    pub fn new(username: &str, password: &str) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
            stop_at: None,
            last: Arc::default(),
        }
    }

    /// A browser that signs in but does not request URLs starting with `prefix`; the URL it
    /// would have opened is kept in `landed()`.
    #[must_use]
    pub fn stopping_at(mut self, prefix: &str) -> Self {
        self.stop_at = Some(prefix.into());
        self
    }

    /// Where sign-ins ended (the final redirect URLs), or errors, in order.
    pub fn landed(&self) -> Vec<String> {
        self.last.lock().expect("browser log lock").clone()
    }

    /// Signs in at `url` now and returns where it ended.
    pub async fn sign_in(&self, url: &str) -> Result<String, String> {
        self.walk(url).await.map(|(end, _)| end)
    }

    /// Signs in at `url` and reads the code an out-of-band page shows (`<code id="code">`).
    pub async fn oob_code(&self, url: &str) -> Result<String, String> {
        let (_, body) = self.walk(url).await?;
        let start = body
            .find("<code id=\"code\">")
            .ok_or("no code on the page")?
            + "<code id=\"code\">".len();
        let end = body[start..].find("</code>").ok_or("unterminated code")? + start;
        Ok(body[start..end].trim().to_owned())
    }

    async fn walk(&self, url: &str) -> Result<(String, String), String> {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        let mut next = Url::parse(url).map_err(|e| e.to_string())?;
        let mut form: Option<Vec<(String, String)>> = None;
        for _ in 0..30 {
            if form.is_none()
                && self
                    .stop_at
                    .as_deref()
                    .is_some_and(|p| next.as_str().starts_with(p))
            {
                return Ok((next.to_string(), String::new()));
            }
            let resp = match form.take() {
                Some(fields) => client.post(next.clone()).form(&fields).send().await,
                None => client.get(next.clone()).send().await,
            }
            .map_err(|e| format!("{next}: {e}"))?;
            let status = resp.status();
            if status.is_redirection() {
                let loc = resp
                    .headers()
                    .get("location")
                    .and_then(|l| l.to_str().ok())
                    .ok_or("redirect without Location")?;
                next = next.join(loc).map_err(|e| e.to_string())?;
                continue;
            }
            let here = resp.url().clone();
            let body = resp.text().await.map_err(|e| e.to_string())?;
            match self.fill(&body) {
                Some((action, fields)) => {
                    next = here.join(&action).map_err(|e| e.to_string())?;
                    form = Some(fields);
                }
                None => return Ok((here.to_string(), body)),
            }
        }
        Err("too many steps".into())
    }

    /// The first POST form on the page, filled in: hidden inputs kept, login and password typed.
    fn fill(&self, html: &str) -> Option<(String, Vec<(String, String)>)> {
        let start = html.find("<form")?;
        let form = &html[start
            ..html[start..]
                .find("</form>")
                .map_or(html.len(), |e| start + e)];
        let action = attr(form, "action").unwrap_or_default();
        let mut fields = Vec::new();
        let mut rest = form;
        while let Some(i) = rest.find("<input") {
            let tag = &rest[i..rest[i..].find('>').map_or(rest.len(), |e| i + e)];
            rest = &rest[i + 6..];
            let Some(name) = attr(tag, "name") else {
                continue;
            };
            let value = match name.as_str() {
                "login" | "username" => self.username.clone(),
                "password" => self.password.clone(),
                _ => attr(tag, "value").unwrap_or_default(),
            };
            fields.push((name, value));
        }
        Some((html_unescape(&action), fields))
    }
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!("{name}=\"");
    let i = tag.find(&key)? + key.len();
    let end = tag[i..].find('"')? + i;
    Some(tag[i..end].to_owned())
}

fn html_unescape(s: &str) -> String {
    s.replace("&#x2F;", "/")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Where a login page of the engine (`file://…`, an owner-only page in the runtime directory)
/// forwards the browser: the `url=` of its meta refresh. Other addresses are returned as they
/// are.
///
/// # Errors
/// When the page cannot be read or forwards nowhere.
pub fn follow_page(url: &str) -> Result<String, String> {
    let Some(path) = Url::parse(url)
        .ok()
        .filter(|u| u.scheme() == "file")
        .and_then(|u| u.to_file_path().ok())
    else {
        return Ok(url.to_owned());
    };
    let page = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let key = "http-equiv=\"refresh\" content=\"0;url=";
    let start = page.find(key).ok_or("the page forwards nowhere")? + key.len();
    let end = page[start..].find('"').ok_or("unterminated refresh")? + start;
    Ok(html_unescape(&page[start..end]))
}

impl Browser for FakeBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        let me = self.clone();
        let url = follow_page(url)?;
        tokio::spawn(async move {
            let end = me
                .sign_in(&url)
                .await
                .unwrap_or_else(|e| format!("error: {e}"));
            me.last.lock().expect("browser log lock").push(end);
        });
        Ok(())
    }
}
