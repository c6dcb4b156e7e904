//! Forms: parsed from the page, filled in, submitted like a browser.

mod common;

use paste_middleware::urlmap::UrlMap;
use serde_json::Value;
use webob::{Request, Response, wsgify};
use webtest::{Form, TestApp, Upload};

const FORMS: &str = r#"<!DOCTYPE html>
<html><body>
<form id="everything" action="/save?ignored=1" method="post">
  <input type="hidden" name="__start__" value="person">
  <input name="name" value="Ann">
  <input type="password" name="secret">
  <input type="email" name="mail" value="ann@example.org">
  <input type="number" name="age" value="41">
  <textarea name="bio">
Line one
Line two</textarea>
  <select name="color">
    <option value="r">Red</option>
    <option value="g" selected>Green</option>
    <option>Blue</option>
  </select>
  <select name="tags" multiple>
    <option value="a" selected>A</option>
    <option value="b">B</option>
    <option value="c" selected>C</option>
  </select>
  <input type="radio" name="size" value="s">
  <input type="hidden" name="between" value="x">
  <input type="radio" name="size" value="m" checked>
  <input type="radio" name="size" value="l">
  <input type="checkbox" name="news" value="yes" checked>
  <input type="checkbox" name="terms">
  <input type="checkbox" name="pets" value="cat">
  <input type="checkbox" name="pets" value="dog" checked>
  <input type="checkbox" name="pets" value="fish">
  <input type="text" name="off" value="never sent" disabled>
  <input type="button" name="js" value="not a submit">
  <input type="reset" name="reset">
  <input type="submit" name="action" value="save">
  <input type="submit" name="action" value="publish">
  <button name="go">Go</button>
  <button type="button" name="nogo">No</button>
  <input type="hidden" name="__end__" value="person">
</form>
<input name="outside" value="linked" form="everything">
<form action="/find">
  <input name="q" value="rust">
  <input type="submit" name="search" value="Search">
</form>
<form id="files" action="/upload" method="post" enctype="multipart/form-data">
  <input name="title" value="Photos">
  <input type="file" name="photo">
  <input type="file" name="more" multiple>
</form>
<form id="rest" action="/items/7" method="delete">
  <input name="reason" value="old">
</form>
<form id="put" method="put">
  <input name="k" value="v">
</form>
<form id="override" action="/default" method="post">
  <input name="k" value="v">
  <button name="b" value="1">Default</button>
  <button name="b" value="2" formaction="/elsewhere" formmethod="get">Elsewhere</button>
  <button name="b" value="3" formenctype="multipart/form-data">Multi</button>
</form>
</body></html>"#;

fn app() -> TestApp {
    TestApp::new(
        UrlMap::new()
            .mount(
                "/forms",
                wsgify(|mut req: Request| async move {
                    if req.method() == "GET" {
                        return Ok(Response::html(FORMS));
                    }
                    let method = req.method().to_string();
                    Ok(Response::text(format!("{method} {}", req.text().await?)))
                }),
            )
            .mount("/", common::echo()),
    )
}

async fn everything(app: &TestApp) -> Form {
    app.get("/forms").await.form_by_id("everything")
}

#[tokio::test]
async fn forms_by_index_and_id() {
    let app = app();
    let res = app.get("/forms").await;
    assert_eq!(res.forms().len(), 6);
    assert_eq!(res.form(0).id(), Some("everything"));
    assert_eq!(res.form(1).action(), "/find");
    assert_eq!(res.form(1).method(), "GET");
    assert_eq!(res.form_by_id("files").enctype(), "multipart/form-data");
    assert_eq!(res.form_by_id("rest").method(), "DELETE");
}

#[tokio::test]
#[should_panic(expected = "no form with id \"nope\"")]
async fn a_missing_form_fails() {
    app().get("/forms").await.form_by_id("nope");
}

#[tokio::test]
async fn fields_are_parsed_with_their_values() {
    let form = everything(&app()).await;
    assert_eq!(
        form.field_names(),
        [
            "__start__",
            "name",
            "secret",
            "mail",
            "age",
            "bio",
            "color",
            "tags",
            "size",
            "between",
            "news",
            "terms",
            "pets",
            "off",
            "action",
            "go",
            "__end__",
            "outside"
        ]
    );
    assert_eq!(form.get("name").as_deref(), Some("Ann"));
    assert_eq!(form.get("secret").as_deref(), Some(""));
    assert_eq!(form.field_type("secret").as_deref(), Some("password"));
    assert_eq!(form.field_type("mail").as_deref(), Some("email"));
    assert_eq!(form.get("bio").as_deref(), Some("Line one\nLine two"));
    assert_eq!(form.get("color").as_deref(), Some("g"));
    assert_eq!(form.options("color"), ["r", "g", "Blue"]);
    assert_eq!(form.get_all("tags"), ["a", "c"]);
    assert_eq!(form.get("size").as_deref(), Some("m"));
    assert_eq!(form.get("news").as_deref(), Some("yes"));
    assert!(form.is_checked("news"));
    assert_eq!(form.get("terms"), None);
    assert_eq!(form.get_all("pets"), ["dog"]);
    assert_eq!(
        form.get("action"),
        None,
        "a submit button sends only when pressed"
    );
    assert_eq!(form.get("outside").as_deref(), Some("linked"));
}

#[tokio::test]
async fn submitting_as_is_sends_what_a_browser_sends() {
    let app = app();
    let res = everything(&app).await.submit().await;
    let seen: Value = res.json();
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["path"], "/save");
    assert_eq!(
        common::pairs(&seen["query"]),
        common::owned(&[("ignored", "1")])
    );
    assert_eq!(seen["headers"]["referer"], "http://localhost/forms");
    assert_eq!(
        common::pairs(&seen["fields"]),
        common::owned(&[
            ("__start__", "person"),
            ("name", "Ann"),
            ("secret", ""),
            ("mail", "ann@example.org"),
            ("age", "41"),
            ("bio", "Line one\nLine two"),
            ("color", "g"),
            ("tags", "a"),
            ("tags", "c"),
            ("between", "x"),
            ("size", "m"),
            ("news", "yes"),
            ("pets", "dog"),
            ("__end__", "person"),
            ("outside", "linked"),
        ])
    );
}

#[tokio::test]
async fn setting_every_kind_of_field() {
    let app = app();
    let form = everything(&app).await;
    form.set("name", "Bob")
        .set("secret", "hunter2")
        .set("bio", "new bio")
        .select("color", "r")
        .select_multiple("tags", &["b"])
        .set("size", "s")
        .check("news", false)
        .set("terms", "on")
        .set_multiple("pets", &["cat", "fish"]);
    let seen: Value = form.submit_with("action").await.json();
    assert_eq!(
        common::pairs(&seen["fields"]),
        common::owned(&[
            ("__start__", "person"),
            ("name", "Bob"),
            ("secret", "hunter2"),
            ("mail", "ann@example.org"),
            ("age", "41"),
            ("bio", "new bio"),
            ("color", "r"),
            ("tags", "b"),
            ("size", "s"),
            ("between", "x"),
            ("terms", "on"),
            ("pets", "cat"),
            ("pets", "fish"),
            ("action", "save"),
            ("__end__", "person"),
            ("outside", "linked"),
        ])
    );
}

#[tokio::test]
async fn selects_by_text_and_index() {
    let form = everything(&app()).await;
    form.select_text("color", "Blue");
    assert_eq!(form.get("color").as_deref(), Some("Blue"));
    form.select_index("color", 0);
    assert_eq!(form.get("color").as_deref(), Some("r"));
    form.select_index("size", 2);
    assert_eq!(form.get("size").as_deref(), Some("l"));
    form.select_multiple("tags", &[]);
    assert!(form.get_all("tags").is_empty());
    form.set("tags", "c");
    assert_eq!(form.get_all("tags"), ["c"]);
}

#[tokio::test]
async fn force_value_takes_what_the_field_would_not() {
    let form = everything(&app()).await;
    form.force_value("color", "purple");
    assert_eq!(form.get("color").as_deref(), Some("purple"));
    form.set("color", "g"); // a normal set clears the forced value
    assert_eq!(form.get("color").as_deref(), Some("g"));
    form.force_value("size", "xl")
        .force_value("tags", "z")
        .force_value("terms", "agreed");
    assert_eq!(form.get("size").as_deref(), Some("xl"));
    assert_eq!(form.get_all("tags"), ["z"]);
    assert_eq!(form.get("terms").as_deref(), Some("agreed"));
}

#[tokio::test]
async fn several_submit_buttons() {
    let app = app();
    let form = everything(&app).await;
    let by_index: Value = form.submit_with_index("action", 1).await.json();
    let by_value: Value = form.submit_with_value("action", "publish").await.json();
    let button: Value = form.submit_with("go").await.json();
    for (seen, pair) in [
        (&by_index, ("action", "publish")),
        (&by_value, ("action", "publish")),
        (&button, ("go", "")),
    ] {
        let fields = common::pairs(&seen["fields"]);
        assert!(fields.contains(&common::owned(&[pair])[0]), "{fields:?}");
        assert_eq!(
            fields
                .iter()
                .filter(|(k, _)| k == "action" || k == "go")
                .count(),
            1,
            "only the pressed button is sent: {fields:?}"
        );
    }
    assert_eq!(
        form.submit_fields(Some("action"))
            .iter()
            .filter(|(k, _)| k == "action")
            .count(),
        1
    );
}

#[tokio::test]
#[should_panic(expected = "no submit button \"action\" with the value \"delete\"")]
async fn pressing_a_missing_button_fails() {
    let _ = everything(&app())
        .await
        .submit_with_value("action", "delete");
}

#[tokio::test]
#[should_panic(expected = "option \"zz\" not found in the select \"color\"")]
async fn an_unknown_option_fails() {
    everything(&app()).await.set("color", "zz");
}

#[tokio::test]
#[should_panic(expected = "you cannot set the value of the submit button \"action\"")]
async fn setting_a_submit_button_fails() {
    everything(&app()).await.set_at("action", 0, "x");
}

#[tokio::test]
#[should_panic(expected = "the form has 3 fields named \"pets\"")]
async fn an_ambiguous_name_fails() {
    everything(&app()).await.set("pets", "cat");
}

#[tokio::test]
#[should_panic(expected = "the form has no field \"nickname\"")]
async fn a_missing_field_fails() {
    everything(&app()).await.set("nickname", "x");
}

#[tokio::test]
async fn a_get_form_sends_its_fields_in_the_query() {
    let app = app();
    let form = app.get("/forms").await.form(1);
    form.set("q", "web test");
    let res = form.submit_with("search").await;
    assert_eq!(res.url(), "http://localhost/find?q=web+test&search=Search");
    assert_eq!(res.json::<Value>()["method"], "GET");
}

#[tokio::test]
async fn file_fields_upload_as_multipart() {
    let app = app();
    let form = app.get("/forms").await.form_by_id("files");
    form.set_file("photo", Upload::new("ignored", "cat.jpg", &b"JPEG"[..]))
        .add_file("more", Upload::new("", "a.txt", "aaa"))
        .add_file(
            "more",
            Upload::new("", "b.txt", "bbb").with_content_type("text/x-b"),
        );
    assert_eq!(form.get("photo").as_deref(), Some("cat.jpg"));
    let seen: Value = form.submit().await.json();
    assert!(
        seen["headers"]["content-type"]
            .as_str()
            .unwrap()
            .starts_with("multipart/form-data")
    );
    assert_eq!(
        common::pairs(&seen["fields"]),
        common::owned(&[("title", "Photos")])
    );
    let files = seen["files"].as_array().unwrap();
    let got: Vec<(&str, &str, &str, &str)> = files
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap(),
                f["filename"].as_str().unwrap(),
                f["content_type"].as_str().unwrap(),
                f["content"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("photo", "cat.jpg", "image/jpeg", "JPEG"),
            ("more", "a.txt", "text/plain", "aaa"),
            ("more", "b.txt", "text/x-b", "bbb"),
        ]
    );

    // Without files chosen, a multipart form still sends empty parts.
    let form = app.get("/forms").await.form_by_id("files");
    let seen: Value = form.submit().await.json();
    assert_eq!(
        common::pairs(&seen["fields"]),
        common::owned(&[("title", "Photos"), ("photo", ""), ("more", "")])
    );
}

#[tokio::test]
async fn put_and_delete_forms_use_their_method() {
    let app = app();
    let res = app.get("/forms").await;
    let seen: Value = res.form_by_id("rest").submit().await.json();
    assert_eq!(seen["method"], "DELETE");
    assert_eq!(seen["path"], "/items/7");
    // webob reads form bodies of POST, PUT and PATCH only; the body is sent.
    assert_eq!(
        seen["headers"]["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        seen["headers"]["content-length"],
        "reason=old".len().to_string()
    );
    // No action: the page's own URL.
    let put = res.form_by_id("put").submit().await;
    assert_eq!(put.url(), "http://localhost/forms");
    assert_eq!(put.text(), "PUT k=v");
}

#[tokio::test]
async fn a_pressed_button_may_override_action_method_and_enctype() {
    let app = app();
    let form = app.get("/forms").await.form_by_id("override");
    let seen: Value = form.submit_with_value("b", "1").await.json();
    assert_eq!(
        (seen["method"].as_str(), seen["path"].as_str()),
        (Some("POST"), Some("/default"))
    );
    assert_eq!(
        seen["headers"]["content-type"],
        "application/x-www-form-urlencoded"
    );
    let res = form.submit_with_value("b", "2").await;
    assert_eq!(res.url(), "http://localhost/elsewhere?k=v&b=2");
    let seen: Value = form.submit_with_value("b", "3").await.json();
    assert!(
        seen["headers"]["content-type"]
            .as_str()
            .unwrap()
            .starts_with("multipart/form-data")
    );
    assert_eq!(
        common::pairs(&seen["fields"]),
        common::owned(&[("k", "v"), ("b", "3")])
    );
}
