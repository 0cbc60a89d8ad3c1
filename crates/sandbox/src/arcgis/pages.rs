//! The HTML the portal answers with: the REST directory pages a request without `f=json` gets
//! (quirk 3), the OAuth sign-in form, the out-of-band code page and the authorize error page.
//! The sign-in form is deliberately plain so that tests can drive it over HTTP: POST
//! `username` and `password` back to the same URL (query included).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A token `generateToken` minted for an HTML answer, shown the way the real page shows it.
pub(crate) struct Shown<'a> {
    pub(crate) token: &'a str,
    pub(crate) expires: u64,
    pub(crate) ssl: bool,
}

/// "ArcGIS REST Services Directory: Generate Token": the form, and the token when the
/// credentials were good (restgdf's `generate_token_default_html_response.html` fixture).
pub(crate) fn generate_token(shown: Option<&Shown<'_>>) -> Response {
    let result = shown.map_or_else(String::new, |shown| {
        format!(
            "<div id=\"token-response\">\n<textarea name=\"token\">{}</textarea>\n\
             <input type=\"hidden\" name=\"expires\" value=\"{}\" />\n\
             <input type=\"hidden\" name=\"ssl\" value=\"{}\" />\n</div>\n",
            escape(shown.token),
            shown.expires,
            shown.ssl
        )
    });
    let body = format!(
        "<h1>Generate Token</h1>\n{result}<form method=\"post\">\n\
         <input name=\"username\" /><input name=\"password\" type=\"password\" />\n\
         <select name=\"client\"><option>requestip</option><option>referer</option><option>ip</option></select>\n\
         <input name=\"referer\" /><input name=\"ip\" /><input name=\"expiration\" />\n\
         <select name=\"f\"><option>html</option><option>json</option><option>pjson</option></select>\n\
         <button>Generate Token</button>\n</form>\n"
    );
    html(
        StatusCode::OK,
        "ArcGIS REST Services Directory: Generate Token",
        &body,
    )
}

/// What a `sharing/rest` operation answers without `f=json`: the portal directory page.
pub(crate) fn directory(operation: &str) -> Response {
    let body = format!(
        "<h1>ArcGIS Portal Directory</h1>\n<p>{}: use <code>f=json</code> for a JSON response.</p>\n",
        escape(operation)
    );
    html(StatusCode::OK, "ArcGIS Portal Directory", &body)
}

/// The sign-in form of `oauth2/authorize`; it posts back to `action` (the authorize URL with
/// its query).
pub(crate) fn sign_in(app_title: &str, action: &str, error: Option<&str>) -> Response {
    let error = error.map_or_else(String::new, |message| {
        format!("<p class=\"error\" id=\"error\">{}</p>\n", escape(message))
    });
    let body = format!(
        "<h1>Sign in to {}</h1>\n{error}<form method=\"post\" action=\"{}\">\n\
         <input name=\"username\" autocomplete=\"username\" />\n\
         <input name=\"password\" type=\"password\" autocomplete=\"current-password\" />\n\
         <button name=\"sign_in\" value=\"1\">Sign In</button>\n\
         <button name=\"cancel\" value=\"1\">Cancel</button>\n</form>\n",
        escape(app_title),
        escape(action)
    );
    html(StatusCode::OK, "ArcGIS Sign In", &body)
}

/// The out-of-band redirect's page: the code in the title and in `<code id="code">`.
pub(crate) fn out_of_band(code: &str) -> Response {
    let code = escape(code);
    let body = format!(
        "<h1>Authorization code</h1>\n<p>Copy this code and paste it into the application:</p>\n\
         <code id=\"code\">{code}</code>\n"
    );
    html(StatusCode::OK, &format!("Success code={code}"), &body)
}

/// An authorize request the portal cannot redirect back for (unknown app or redirect URI).
pub(crate) fn authorize_error(message: &str) -> Response {
    let body = format!("<h1>Error</h1>\n<p id=\"error\">{}</p>\n", escape(message));
    html(StatusCode::BAD_REQUEST, "ArcGIS Sign In: Error", &body)
}

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n\
         <title>{title}</title>\n</head>\n<body>\n{body}</body>\n</html>\n"
    );
    let mut response = (status, page).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// Escapes text for an HTML element or a double-quoted attribute.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
