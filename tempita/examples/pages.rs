//! A folder of HTML pages sharing a layout through `{{inherit}}`, rendered
//! with data from a Rust struct and a registered function — the shape of a
//! "Tempita pages" web app.
//!
//! `cargo run -p tempita --example pages`

use tempita::{Context, DirLoader, Value};

#[derive(serde::Serialize)]
struct Request {
    path: String,
    user: Option<String>,
    query: Vec<(String, String)>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    std::fs::write(
        dir.path().join("layout.html"),
        "<html><title>{{self.title()}}</title>\n<body>\n{{self.body}}</body></html>\n",
    )?;
    std::fs::write(
        dir.path().join("index.html"),
        "{{inherit 'layout.html'}}\n\
         {{def title}}Home of {{site}}{{enddef}}\n\
         <p>Hello {{request.user or 'stranger'}}, you asked for {{request.path}}</p>\n\
         {{for key, value in request.query}}\n\
         <p>{{key}} = {{shout(value)}}</p>\n\
         {{endfor}}\n",
    )?;

    // The loader serves the folder; names cannot escape it (`../x` is refused).
    // Its namespace reaches every template it loads, parents included.
    let shout = Value::from_function("shout", |args, _| {
        Ok(args[0].to_string().to_uppercase().into())
    });
    let loader = DirLoader::new(dir.path())
        .namespace(&Context::new().with("shout", shout).with("site", "demo"));

    // Per request: the page (parsed once, cached) and a context built from Rust data.
    let page = loader.get("index.html")?;
    let request = Request {
        path: "/index.html".into(),
        user: None,
        query: vec![("q".into(), "<script>".into())],
    };
    let ctx = Context::new().with("request", Value::from_serialize(&request)?);
    print!("{}", page.substitute(&ctx)?);

    // A broken page reports where: `{:#}` adds the line and a caret.
    std::fs::write(dir.path().join("broken.html"), "<p>\n  {{for x in}}\n")?;
    if let Err(e) = loader.get("broken.html") {
        eprintln!("{e:#}");
    }
    Ok(())
}
