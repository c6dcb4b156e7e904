//! Apps the tests drive, built from webob and paste-middleware.
#![allow(dead_code, unreachable_pub)]

use paste_core::RequestExt as _;
use serde_json::{Map, Value, json};
use webob::{Request, Response, wsgify};

/// An app that answers with a JSON description of the request it got:
/// method, URL pieces, headers, environ facts, form fields and files.
pub fn echo() -> impl paste_core::App {
    wsgify(|mut req: Request| async move {
        let mut headers = Map::new();
        for (name, value) in req.headers() {
            headers.insert(
                name.as_str().to_owned(),
                Value::String(value.to_str().unwrap_or("?").to_owned()),
            );
        }
        let query: Vec<Value> = req
            .get_params()?
            .iter()
            .map(|(k, v)| json!([k, v]))
            .collect();
        let method = req.method().to_string();
        let path = req.path().to_owned();
        let url = req.url();
        let scheme = req.scheme().to_owned();
        let remote_addr = req.remote_addr().map(|a| a.to_string());
        let remote_user = req.remote_user().map(str::to_owned);
        let content_type = req.content_type().to_owned();
        let is_form = content_type.starts_with("application/x-www-form-urlencoded")
            || content_type.starts_with("multipart/form-data");
        let mut fields = Vec::new();
        let mut files = Vec::new();
        let mut body = Value::Null;
        if is_form {
            let form = req.form().await?.clone();
            fields = form.fields().iter().map(|(k, v)| json!([k, v])).collect();
            for (name, upload) in form.files().iter() {
                let content = upload.bytes().await?;
                files.push(json!({
                    "field": name,
                    "filename": upload.filename(),
                    "content_type": upload.content_type(),
                    "content": String::from_utf8_lossy(&content),
                }));
            }
        } else {
            body = Value::String(req.text().await?);
        }
        Response::json(&json!({
            "method": method,
            "path": path,
            "url": url,
            "scheme": scheme,
            "query": query,
            "headers": headers,
            "remote_addr": remote_addr,
            "remote_user": remote_user,
            "content_type": content_type,
            "fields": fields,
            "files": files,
            "body": body,
        }))
    })
}

/// An HTML page.
pub fn html(body: &str) -> Response {
    Response::html(body.to_owned())
}

/// The `[name, value]` pairs of the echo app's JSON, as owned pairs.
pub fn pairs(value: &Value) -> Vec<(String, String)> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_owned(),
                p[1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Owned copies of `(name, value)` pairs, to compare with [`pairs`].
pub fn owned(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}
