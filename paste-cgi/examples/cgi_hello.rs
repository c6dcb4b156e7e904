//! A Paste app as a CGI program: `main` is one call to `paste_cgi::run`.
//!
//! Build it and point a CGI host at the binary, e.g. for lighttpd:
//!
//! ```text
//! cargo build --release --example cgi_hello
//! cp target/release/examples/cgi_hello /srv/www/hello.cgi
//! # lighttpd.conf: server.modules += ("mod_cgi")  cgi.assign = (".cgi" => "")
//! curl 'http://localhost/hello.cgi/some/path?x=1' -H 'X-Greeting: hi' -d 'body'
//! ```
//!
//! Or play the host by hand:
//!
//! ```text
//! REQUEST_METHOD=GET SCRIPT_NAME=/hello.cgi PATH_INFO=/world QUERY_STRING=x=1 \
//!     cargo run --example cgi_hello
//! ```

use paste_core::{App, Request, RequestExt, Response, app_fn};

/// The app: it tells what it was asked — method, where the host split the
/// path, the query, one header and how long the body was.
pub(crate) fn app() -> impl App {
    app_fn(|req: Request| async move {
        let greeting = req
            .headers()
            .get("x-greeting")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("(none)")
            .to_owned();
        let summary = format!(
            "method: {}\nscript_name: {}\npath_info: {}\nquery: {}\nx-greeting: {}\n",
            req.method(),
            req.script_name(),
            req.path_info(),
            req.uri().query().unwrap_or(""),
            greeting,
        );
        // Read the body under a limit, as always.
        let body = req.into_body().to_bytes(1024 * 1024).await?;
        let text = format!("{summary}body: {} bytes\n", body.len());
        let mut response = Response::new(text.into());
        response.headers_mut().insert(
            "content-type",
            "text/plain; charset=utf-8".parse().expect("a valid header"),
        );
        Ok(response)
    })
}

fn main() -> std::io::Result<()> {
    // Reads the CGI environment and stdin, writes the response to stdout.
    paste_cgi::run(app())
}
