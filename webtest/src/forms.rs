//! [`Form`]: an HTML form parsed from a page, filled in and submitted the
//! way a browser does.

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use scraper::{ElementRef, Html, Selector};

use crate::TestApp;
use crate::request::{TestRequest, Upload};
use crate::response::same_site;

/// One `<option>`.
#[derive(Clone, Debug)]
struct Opt {
    value: String,
    text: String,
}

#[derive(Clone, Debug)]
enum Kind {
    /// text, password, hidden, textarea, email, number, date, …
    Text {
        value: String,
        input_type: String,
    },
    Checkbox {
        value: String,
        checked: bool,
    },
    /// All the radio buttons of one name; `positions` are theirs in the
    /// document.
    Radio {
        options: Vec<String>,
        positions: Vec<usize>,
        checked: Option<usize>,
        forced: Option<String>,
    },
    Select {
        options: Vec<Opt>,
        selected: Option<usize>,
        forced: Option<String>,
    },
    MultiSelect {
        options: Vec<Opt>,
        selected: Vec<bool>,
        forced: Option<Vec<String>>,
    },
    File {
        uploads: Vec<Upload>,
        multiple: bool,
    },
    Submit {
        value: String,
        /// HTML5 `formaction`, `formmethod`, `formenctype` of the button.
        overrides: Overrides,
    },
}

/// What a pressed button changes in its form's submission.
#[derive(Clone, Debug, Default)]
struct Overrides {
    action: Option<String>,
    method: Option<String>,
    enctype: Option<String>,
}

impl Overrides {
    fn of(el: &scraper::node::Element) -> Self {
        Self {
            action: el.attr("formaction").map(str::to_owned),
            method: el.attr("formmethod").map(|m| m.trim().to_ascii_uppercase()),
            enctype: el.attr("formenctype").map(str::to_ascii_lowercase),
        }
    }
}

#[derive(Clone, Debug)]
struct Field {
    name: String,
    pos: usize,
    disabled: bool,
    kind: Kind,
}

impl Field {
    fn type_name(&self) -> &str {
        match &self.kind {
            Kind::Text { input_type, .. } => input_type,
            Kind::Checkbox { .. } => "checkbox",
            Kind::Radio { .. } => "radio",
            Kind::Select { .. } => "select",
            Kind::MultiSelect { .. } => "select multiple",
            Kind::File { .. } => "file",
            Kind::Submit { .. } => "submit",
        }
    }

    /// What the field sends, as `(position, value)` pairs (a submit
    /// button only when chosen; see `Form::pairs`).
    fn values(&self) -> Vec<(usize, Value)> {
        let text = |s: &str| vec![(self.pos, Value::Text(s.to_owned()))];
        match &self.kind {
            Kind::Text { value, .. } => text(value),
            Kind::Checkbox { value, checked } => {
                if *checked {
                    text(value)
                } else {
                    Vec::new()
                }
            }
            Kind::Radio {
                options,
                positions,
                checked,
                forced,
            } => match (forced, checked) {
                (Some(v), _) => text(v),
                (None, Some(i)) => vec![(positions[*i], Value::Text(options[*i].clone()))],
                (None, None) => Vec::new(),
            },
            Kind::Select {
                options,
                selected,
                forced,
            } => match (forced, selected) {
                (Some(v), _) => text(v),
                (None, Some(i)) => text(&options[*i].value),
                (None, None) => options.first().map_or_else(Vec::new, |o| text(&o.value)),
            },
            Kind::MultiSelect {
                options,
                selected,
                forced,
            } => match forced {
                Some(values) => values
                    .iter()
                    .map(|v| (self.pos, Value::Text(v.clone())))
                    .collect(),
                None => options
                    .iter()
                    .zip(selected)
                    .filter(|(_, s)| **s)
                    .map(|(o, _)| (self.pos, Value::Text(o.value.clone())))
                    .collect(),
            },
            Kind::File { uploads, .. } => {
                if uploads.is_empty() {
                    vec![(self.pos, Value::NoFile)]
                } else {
                    uploads
                        .iter()
                        .map(|u| (self.pos, Value::File(u.clone())))
                        .collect()
                }
            }
            Kind::Submit { .. } => Vec::new(),
        }
    }
}

/// A submitted value.
#[derive(Clone, Debug)]
enum Value {
    Text(String),
    File(Upload),
    /// A file field with no file chosen.
    NoFile,
}

/// A form of a page: its fields with their current values, ready to be
/// changed and submitted.
///
/// Fields are `input`s (text, password, hidden, email, number…, checkbox,
/// radio, file, submit, image), `select`s (single and multiple),
/// `textarea`s and submit `button`s, in document order — including those
/// outside the form that name it with `form="id"`. Disabled fields are
/// kept but not sent. A pressed button's `formaction`, `formmethod` and
/// `formenctype` win over the form's, as in browsers.
///
/// Setters take `&self` and return it, to chain: the form keeps its
/// values behind a lock, so `let form = res.form(0); form.set(…)` needs no
/// `mut`.
///
/// Every setter fails the test (panics) with a clear message when the
/// field does not exist, is ambiguous, or does not take the value (an
/// option that the select does not have, a value for a submit button).
///
/// ```
/// use paste_core::{Request, Response, app_fn};
/// use webtest::TestApp;
///
/// const PAGE: &str = r#"<form action="/save" method="post">
///   <input name="title" value="Draft">
///   <select name="color"><option>red</option><option value="b">blue</option></select>
///   <input type="checkbox" name="public">
///   <button name="action" value="save">Save</button>
///   <button name="action" value="publish">Publish</button>
/// </form>"#;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = TestApp::new(app_fn(|mut req: Request| async move {
///     let body = if req.method() == "POST" {
///         webob::Request::new(req).text().await?
///     } else {
///         PAGE.to_owned()
///     };
///     let mut res = Response::new(body.into());
///     res.headers_mut().insert("content-type", "text/html".parse().unwrap());
///     Ok(res)
/// }));
/// let form = app.get("/edit").await.form(0);
/// assert_eq!(form.get("color").as_deref(), Some("red"));
/// form.set("title", "Final").select("color", "b").check("public", true);
/// let res = form.submit_with_value("action", "publish").await;
/// assert_eq!(res.text(), "title=Final&color=b&public=on&action=publish");
/// # }
/// ```
pub struct Form {
    id: Option<String>,
    action: String,
    method: String,
    enctype: String,
    data: Mutex<FormData>,
}

impl Form {
    /// Every form of `html`, in document order.
    pub(crate) fn parse_all(html: &Html, app: &TestApp, page_url: &str) -> Vec<Self> {
        FormData::parse_all(html, app, page_url)
            .into_iter()
            .map(|data| Self {
                id: data.id.clone(),
                action: data.action.clone(),
                method: data.method.clone(),
                enctype: data.enctype.clone(),
                data: Mutex::new(data),
            })
            .collect()
    }

    fn data(&self) -> MutexGuard<'_, FormData> {
        self.data.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The form's `id`.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The `action` attribute, as written (`""` when absent: the page's
    /// URL).
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The method, upper-case (`GET` when absent).
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The `enctype` (`application/x-www-form-urlencoded` when absent).
    pub fn enctype(&self) -> &str {
        &self.enctype
    }

    /// The names of the fields, in document order, each once.
    pub fn field_names(&self) -> Vec<String> {
        self.data()
            .field_names()
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    /// The type of the field `name` (`text`, `password`, `hidden`,
    /// `textarea`, `checkbox`, `radio`, `select`, `select multiple`,
    /// `file`, `submit`, …); for several fields, the first one's.
    pub fn field_type(&self, name: &str) -> Option<String> {
        self.data().field_type(name).map(str::to_owned)
    }

    /// The options of the select or radio group `name`: their values.
    pub fn options(&self, name: &str) -> Vec<String> {
        self.data().options(name)
    }

    /// The value the field `name` would send: text, the selected option,
    /// the checked radio button, a checked checkbox's value. `None` when
    /// it sends nothing (an unchecked box, a radio group with none checked,
    /// a submit button, no such field). For several fields of that name,
    /// the first that sends something.
    pub fn get(&self, name: &str) -> Option<String> {
        self.data().get(name)
    }

    /// Every value sent under `name` (a multiple select, several
    /// checkboxes of one name), in order; file fields give file names.
    pub fn get_all(&self, name: &str) -> Vec<String> {
        self.data().get_all(name)
    }

    /// Whether the checkbox `name` (the first of that name) is checked.
    pub fn is_checked(&self, name: &str) -> bool {
        self.data().is_checked(name)
    }

    /// Sets the value of the field `name`: the text of a text field, the
    /// option (by value) of a select or radio group, a checkbox checked
    /// when `value` is its value, `"on"` or `"true"` (unchecked for `""`
    /// and `"false"`).
    ///
    /// # Panics
    ///
    /// No such field, several of them (use [`set_at`](Form::set_at)), a
    /// value the field can't take (no such option; a submit button; a
    /// file field: use [`set_file`](Form::set_file)).
    #[track_caller]
    pub fn set(&self, name: &str, value: &str) -> &Self {
        self.data().set(name, value);
        self
    }

    /// Sets the `index`-th (from 0) field named `name`; see
    /// [`set`](Form::set).
    ///
    /// # Panics
    ///
    /// As [`set`](Form::set).
    #[track_caller]
    pub fn set_at(&self, name: &str, index: usize, value: &str) -> &Self {
        self.data().set_at(name, index, value);
        self
    }

    /// Selects the option with this value of the select or radio group
    /// `name` (the same as [`set`](Form::set) for those).
    ///
    /// # Panics
    ///
    /// As [`set`](Form::set).
    #[track_caller]
    pub fn select(&self, name: &str, value: &str) -> &Self {
        self.data().select(name, value);
        self
    }

    /// Selects the option of the select `name` whose visible text is
    /// `text` (trimmed).
    ///
    /// # Panics
    ///
    /// When the select has no such option, or `name` is not a select.
    #[track_caller]
    pub fn select_text(&self, name: &str, text: &str) -> &Self {
        self.data().select_text(name, text);
        self
    }

    /// Selects the `index`-th (from 0) option of the select or radio group
    /// `name`.
    ///
    /// # Panics
    ///
    /// When there is no such option, or `name` is not a select or radio.
    #[track_caller]
    pub fn select_index(&self, name: &str, index: usize) -> &Self {
        self.data().select_index(name, index);
        self
    }

    /// Selects exactly these options (by value) of the multiple select
    /// `name`; `&[]` selects none.
    ///
    /// # Panics
    ///
    /// An unknown value, or `name` is not a multiple select.
    #[track_caller]
    pub fn select_multiple(&self, name: &str, values: &[&str]) -> &Self {
        self.data().select_multiple(name, values);
        self
    }

    /// Checks exactly the checkboxes named `name` whose value is in
    /// `values` (several checkboxes of one name), or selects exactly those
    /// options of a multiple select.
    ///
    /// # Panics
    ///
    /// When `name` is neither, or a value matches no box.
    #[track_caller]
    pub fn set_multiple(&self, name: &str, values: &[&str]) -> &Self {
        self.data().set_multiple(name, values);
        self
    }

    /// Checks or unchecks the checkbox `name`.
    ///
    /// # Panics
    ///
    /// When it is not one checkbox.
    #[track_caller]
    pub fn check(&self, name: &str, on: bool) -> &Self {
        self.data().check(name, on);
        self
    }

    /// Gives the file field `name` this file (replacing any). The form is
    /// then sent as `multipart/form-data`, as WebTest does.
    ///
    /// # Panics
    ///
    /// When `name` is not one file field.
    #[track_caller]
    pub fn set_file(&self, name: &str, upload: Upload) -> &Self {
        self.data().set_file(name, upload);
        self
    }

    /// Adds a file to the `<input type=file multiple>` field `name`.
    ///
    /// # Panics
    ///
    /// When `name` is not one file field with `multiple`.
    #[track_caller]
    pub fn add_file(&self, name: &str, upload: Upload) -> &Self {
        self.data().add_file(name, upload);
        self
    }

    /// Sets a value the field would not take: an option a select or radio
    /// group lacks, a value for a checkbox (then checked), one option for a
    /// multiple select. A later [`set`](Form::set) clears it.
    ///
    /// # Panics
    ///
    /// When there is no such field (or several), or it is a submit button
    /// or a file field.
    #[track_caller]
    pub fn force_value(&self, name: &str, value: &str) -> &Self {
        self.data().force_value(name, value);
        self
    }

    /// The pairs a submission sends, in document order; the submit button
    /// `button` (its `index`-th, or the one with value `value`) is included
    /// when given. Files give their file name.
    pub fn submit_fields(&self, button: Option<&str>) -> Vec<(String, String)> {
        self.data().submit_fields(button)
    }

    /// Submits the form without pressing a button (no button's name and
    /// value is sent); await the returned request.
    pub fn submit(&self) -> TestRequest {
        self.data().submit()
    }

    /// Submits the form by pressing the (first) submit button named
    /// `button`, whose name and value are sent.
    ///
    /// # Panics
    ///
    /// When the form has no such button.
    #[track_caller]
    pub fn submit_with(&self, button: &str) -> TestRequest {
        self.data().submit_with(button)
    }

    /// Submits the form with the `index`-th (from 0) submit button named
    /// `button`.
    ///
    /// # Panics
    ///
    /// When the form has no such button.
    #[track_caller]
    pub fn submit_with_index(&self, button: &str, index: usize) -> TestRequest {
        self.data().submit_with_index(button, index)
    }

    /// Submits the form with the submit button named `button` whose value
    /// is `value`.
    ///
    /// # Panics
    ///
    /// When the form has no such button.
    #[track_caller]
    pub fn submit_with_value(&self, button: &str, value: &str) -> TestRequest {
        self.data().submit_with_value(button, value)
    }
}

impl Clone for Form {
    fn clone(&self) -> Self {
        Self {
            id: self.id.clone(),
            action: self.action.clone(),
            method: self.method.clone(),
            enctype: self.enctype.clone(),
            data: Mutex::new(self.data().clone()),
        }
    }
}

impl fmt::Debug for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.data(), f)
    }
}

/// The state of a [`Form`], behind its lock.
#[derive(Clone)]
struct FormData {
    app: TestApp,
    page_url: String,
    id: Option<String>,
    action: String,
    method: String,
    enctype: String,
    fields: Vec<Field>,
}

impl FormData {
    /// Every form of `html`, in document order.
    pub(crate) fn parse_all(html: &Html, app: &TestApp, page_url: &str) -> Vec<Self> {
        let (Ok(form_sel), Ok(field_sel)) = (
            Selector::parse("form"),
            Selector::parse("input, select, textarea, button"),
        ) else {
            return Vec::new();
        };
        let elements: Vec<ElementRef<'_>> = html.select(&field_sel).collect();
        html.select(&form_sel)
            .map(|form| {
                let attr = |name| form.value().attr(name);
                let id = attr("id").map(str::to_owned);
                let mut parsed = Self {
                    app: app.clone(),
                    page_url: page_url.to_owned(),
                    action: attr("action").unwrap_or("").to_owned(),
                    method: attr("method").unwrap_or("GET").trim().to_ascii_uppercase(),
                    enctype: attr("enctype")
                        .unwrap_or("application/x-www-form-urlencoded")
                        .to_ascii_lowercase(),
                    id,
                    fields: Vec::new(),
                };
                for (pos, element) in elements.iter().enumerate() {
                    let belongs = match element.value().attr("form") {
                        Some(owner) => parsed.id.as_deref() == Some(owner),
                        None => element.ancestors().any(|a| a.id() == form.id()),
                    };
                    if belongs {
                        parsed.add_field(element, pos);
                    }
                }
                parsed
            })
            .collect()
    }

    fn add_field(&mut self, element: &ElementRef<'_>, pos: usize) {
        let el = element.value();
        let Some(name) = el.attr("name").filter(|n| !n.is_empty()) else {
            return;
        };
        let value = el.attr("value").unwrap_or("").to_owned();
        let kind = match el.name() {
            "select" => {
                let Ok(option_sel) = Selector::parse("option") else {
                    return;
                };
                let mut options = Vec::new();
                let mut selected = Vec::new();
                for option in element.select(&option_sel) {
                    let text = option.text().collect::<String>().trim().to_owned();
                    let value = option
                        .value()
                        .attr("value")
                        .map_or_else(|| text.clone(), str::to_owned);
                    selected.push(option.value().attr("selected").is_some());
                    options.push(Opt { value, text });
                }
                if el.attr("multiple").is_some() {
                    Kind::MultiSelect {
                        options,
                        selected,
                        forced: None,
                    }
                } else {
                    Kind::Select {
                        selected: selected.iter().position(|s| *s),
                        options,
                        forced: None,
                    }
                }
            }
            "textarea" => {
                let text: String = element.text().collect();
                let text = text
                    .strip_prefix("\r\n")
                    .or_else(|| text.strip_prefix('\n'))
                    .unwrap_or(&text)
                    .to_owned();
                Kind::Text {
                    value: text,
                    input_type: "textarea".to_owned(),
                }
            }
            "button" => match el.attr("type").map(str::to_ascii_lowercase).as_deref() {
                None | Some("submit") => Kind::Submit {
                    value,
                    overrides: Overrides::of(el),
                },
                _ => return,
            },
            _ => {
                let input_type = el.attr("type").unwrap_or("text").to_ascii_lowercase();
                match input_type.as_str() {
                    "checkbox" => Kind::Checkbox {
                        value: el.attr("value").unwrap_or("on").to_owned(),
                        checked: el.attr("checked").is_some(),
                    },
                    "radio" => {
                        let checked = el.attr("checked").is_some();
                        if let Some(Field {
                            kind:
                                Kind::Radio {
                                    options,
                                    positions,
                                    checked: current,
                                    ..
                                },
                            ..
                        }) = self
                            .fields
                            .iter_mut()
                            .find(|f| f.name == name && matches!(f.kind, Kind::Radio { .. }))
                        {
                            if checked {
                                *current = Some(options.len());
                            }
                            options.push(value);
                            positions.push(pos);
                            return;
                        }
                        Kind::Radio {
                            options: vec![value],
                            positions: vec![pos],
                            checked: checked.then_some(0),
                            forced: None,
                        }
                    }
                    "submit" | "image" => Kind::Submit {
                        value,
                        overrides: Overrides::of(el),
                    },
                    "button" | "reset" => return,
                    "file" => Kind::File {
                        uploads: Vec::new(),
                        multiple: el.attr("multiple").is_some(),
                    },
                    _ => Kind::Text { value, input_type },
                }
            }
        };
        self.fields.push(Field {
            name: name.to_owned(),
            pos,
            disabled: el.attr("disabled").is_some(),
            kind,
        });
    }

    fn field_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for field in &self.fields {
            if !names.contains(&field.name.as_str()) {
                names.push(&field.name);
            }
        }
        names
    }

    fn field_type(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.name == name)
            .map(Field::type_name)
    }

    fn options(&self, name: &str) -> Vec<String> {
        match self.fields.iter().find(|f| f.name == name).map(|f| &f.kind) {
            Some(Kind::Select { options, .. } | Kind::MultiSelect { options, .. }) => {
                options.iter().map(|o| o.value.clone()).collect()
            }
            Some(Kind::Radio { options, .. }) => options.clone(),
            _ => Vec::new(),
        }
    }

    fn get(&self, name: &str) -> Option<String> {
        self.get_all(name).into_iter().next()
    }

    fn get_all(&self, name: &str) -> Vec<String> {
        self.fields
            .iter()
            .filter(|f| f.name == name)
            .flat_map(Field::values)
            .filter_map(|(_, v)| match v {
                Value::Text(t) => Some(t),
                Value::File(u) => Some(u.filename().to_owned()),
                Value::NoFile => None,
            })
            .collect()
    }

    fn is_checked(&self, name: &str) -> bool {
        self.fields
            .iter()
            .any(|f| f.name == name && matches!(f.kind, Kind::Checkbox { checked: true, .. }))
    }

    #[track_caller]
    fn the_field(&mut self, name: &str, index: Option<usize>) -> &mut Field {
        let count = self.fields.iter().filter(|f| f.name == name).count();
        let names = self.field_names().join(", ");
        match (count, index) {
            (0, _) => panic!("the form has no field {name:?}; its fields are: {names}"),
            (_, Some(i)) if i >= count => {
                panic!("the form has {count} field(s) named {name:?}, not #{i}")
            }
            (n, None) if n > 1 => {
                panic!("the form has {n} fields named {name:?}: say which with an index (set_at)")
            }
            _ => {}
        }
        let i = index.unwrap_or(0);
        self.fields
            .iter_mut()
            .filter(|f| f.name == name)
            .nth(i)
            .expect("counted above")
    }

    #[track_caller]
    fn set(&mut self, name: &str, value: &str) -> &mut Self {
        self.set_field(name, None, value)
    }

    #[track_caller]
    fn set_at(&mut self, name: &str, index: usize, value: &str) -> &mut Self {
        self.set_field(name, Some(index), value)
    }

    #[track_caller]
    fn set_field(&mut self, name: &str, index: Option<usize>, value: &str) -> &mut Self {
        let field = self.the_field(name, index);
        match &mut field.kind {
            Kind::Text { value: v, .. } => value.clone_into(v),
            Kind::Checkbox { value: v, checked } => {
                *checked = match value {
                    "" | "false" => false,
                    "on" | "true" => true,
                    other if other == v => true,
                    other => panic!(
                        "the checkbox {name:?} has the value {v:?}, it can't be set to {other:?}"
                    ),
                };
            }
            Kind::Radio {
                options,
                checked,
                forced,
                ..
            } => {
                let Some(i) = options.iter().position(|o| o == value) else {
                    panic!(
                        "option {value:?} not found in the radio group {name:?} (from {options:?})"
                    );
                };
                *checked = Some(i);
                *forced = None;
            }
            Kind::Select {
                options,
                selected,
                forced,
            } => {
                let Some(i) = options.iter().position(|o| o.value == value) else {
                    let values: Vec<&str> = options.iter().map(|o| o.value.as_str()).collect();
                    panic!("option {value:?} not found in the select {name:?} (from {values:?})");
                };
                *selected = Some(i);
                *forced = None;
            }
            Kind::MultiSelect { .. } => {
                return self.select_multiple_at(name, index, &[value]);
            }
            Kind::File { .. } => {
                panic!("{name:?} is a file field: give it a file with set_file")
            }
            Kind::Submit { .. } => panic!(
                "you cannot set the value of the submit button {name:?}: choose it with submit_with"
            ),
        }
        self
    }

    #[track_caller]
    fn select(&mut self, name: &str, value: &str) -> &mut Self {
        self.set(name, value)
    }

    #[track_caller]
    fn select_text(&mut self, name: &str, text: &str) -> &mut Self {
        let field = self.the_field(name, None);
        let value = match &field.kind {
            Kind::Select { options, .. } | Kind::MultiSelect { options, .. } => options
                .iter()
                .find(|o| o.text == text)
                .map(|o| o.value.clone())
                .unwrap_or_else(|| {
                    let texts: Vec<&str> = options.iter().map(|o| o.text.as_str()).collect();
                    panic!(
                        "no option with the text {text:?} in the select {name:?} (from {texts:?})"
                    )
                }),
            _ => panic!("{name:?} is a {}, not a select", field.type_name()),
        };
        self.set(name, &value)
    }

    #[track_caller]
    fn select_index(&mut self, name: &str, index: usize) -> &mut Self {
        let options = self.options(name);
        let Some(value) = options.get(index) else {
            panic!("{name:?} has {} option(s), not #{index}", options.len());
        };
        let value = value.clone();
        self.set(name, &value)
    }

    #[track_caller]
    fn select_multiple(&mut self, name: &str, values: &[&str]) -> &mut Self {
        self.select_multiple_at(name, None, values)
    }

    #[track_caller]
    fn select_multiple_at(
        &mut self,
        name: &str,
        index: Option<usize>,
        values: &[&str],
    ) -> &mut Self {
        let field = self.the_field(name, index);
        let type_name = field.type_name().to_owned();
        let Kind::MultiSelect {
            options,
            selected,
            forced,
        } = &mut field.kind
        else {
            panic!("{name:?} is a {type_name}, not a multiple select");
        };
        for value in values {
            if !options.iter().any(|o| o.value == *value) {
                let all: Vec<&str> = options.iter().map(|o| o.value.as_str()).collect();
                panic!("option {value:?} not found in the select {name:?} (from {all:?})");
            }
        }
        for (option, chosen) in options.iter().zip(selected.iter_mut()) {
            *chosen = values.contains(&option.value.as_str());
        }
        *forced = None;
        self
    }

    #[track_caller]
    fn set_multiple(&mut self, name: &str, values: &[&str]) -> &mut Self {
        let boxes: Vec<&mut Field> = self.fields.iter_mut().filter(|f| f.name == name).collect();
        if !boxes.is_empty()
            && boxes
                .iter()
                .all(|f| matches!(f.kind, Kind::Checkbox { .. }))
        {
            let mut seen = vec![false; values.len()];
            for field in boxes {
                if let Kind::Checkbox { value, checked } = &mut field.kind {
                    *checked = false;
                    if let Some(i) = values.iter().position(|v| v == value) {
                        *checked = true;
                        seen[i] = true;
                    }
                }
            }
            if let Some(i) = seen.iter().position(|s| !s) {
                panic!("no checkbox {name:?} has the value {:?}", values[i]);
            }
            return self;
        }
        self.select_multiple(name, values)
    }

    #[track_caller]
    fn check(&mut self, name: &str, on: bool) -> &mut Self {
        let field = self.the_field(name, None);
        match &mut field.kind {
            Kind::Checkbox { checked, .. } => *checked = on,
            _ => panic!("{name:?} is a {}, not a checkbox", field.type_name()),
        }
        self
    }

    #[track_caller]
    fn set_file(&mut self, name: &str, mut upload: Upload) -> &mut Self {
        upload.set_field(name);
        let field = self.the_field(name, None);
        match &mut field.kind {
            Kind::File { uploads, .. } => *uploads = vec![upload],
            _ => panic!("{name:?} is a {}, not a file field", field.type_name()),
        }
        self
    }

    #[track_caller]
    fn add_file(&mut self, name: &str, mut upload: Upload) -> &mut Self {
        upload.set_field(name);
        let field = self.the_field(name, None);
        match &mut field.kind {
            Kind::File {
                uploads,
                multiple: true,
            } => uploads.push(upload),
            _ => panic!("{name:?} is not a file field with `multiple`"),
        }
        self
    }

    #[track_caller]
    fn force_value(&mut self, name: &str, value: &str) -> &mut Self {
        let field = self.the_field(name, None);
        match &mut field.kind {
            Kind::Text { value: v, .. } => value.clone_into(v),
            Kind::Checkbox { value: v, checked } => {
                value.clone_into(v);
                *checked = true;
            }
            Kind::Radio { forced, .. } | Kind::Select { forced, .. } => {
                *forced = Some(value.to_owned());
            }
            Kind::MultiSelect { forced, .. } => *forced = Some(vec![value.to_owned()]),
            Kind::File { .. } | Kind::Submit { .. } => {
                panic!("a {} can't have a forced value", field.type_name())
            }
        }
        self
    }

    fn submit_fields(&self, button: Option<&str>) -> Vec<(String, String)> {
        self.pairs(button.map(|b| (b, Choice::Index(0))))
            .into_iter()
            .map(|(name, value)| match value {
                Value::Text(t) => (name, t),
                Value::File(u) => (name, u.filename().to_owned()),
                Value::NoFile => (name, String::new()),
            })
            .collect()
    }

    fn pairs(&self, button: Option<(&str, Choice<'_>)>) -> Vec<(String, Value)> {
        self.pairs_and_button(button).0
    }

    /// The pairs sent, and what the pressed button overrides.
    fn pairs_and_button(
        &self,
        button: Option<(&str, Choice<'_>)>,
    ) -> (Vec<(String, Value)>, Overrides) {
        let mut pressed = None;
        let mut pairs: Vec<(usize, String, Value)> = Vec::new();
        let mut seen_buttons = 0;
        for field in self.fields.iter().filter(|f| !f.disabled) {
            if let Kind::Submit { value, overrides } = &field.kind {
                if let Some((name, choice)) = &button
                    && field.name == *name
                {
                    let chosen = match choice {
                        Choice::Index(i) => seen_buttons == *i,
                        Choice::Value(v) => value == v,
                    };
                    seen_buttons += 1;
                    if chosen {
                        pairs.push((field.pos, field.name.clone(), Value::Text(value.clone())));
                        pressed = Some(overrides.clone());
                    }
                }
                continue;
            }
            for (pos, value) in field.values() {
                pairs.push((pos, field.name.clone(), value));
            }
        }
        pairs.sort_by_key(|(pos, _, _)| *pos);
        let pairs = pairs.into_iter().map(|(_, n, v)| (n, v)).collect();
        (pairs, pressed.unwrap_or_default())
    }

    fn submit(&self) -> TestRequest {
        self.submit_choice(None)
    }

    #[track_caller]
    fn submit_with(&self, button: &str) -> TestRequest {
        self.submit_with_index(button, 0)
    }

    #[track_caller]
    fn submit_with_index(&self, button: &str, index: usize) -> TestRequest {
        let count = self.buttons(button).count();
        assert!(
            index < count,
            "the form has {count} submit button(s) named {button:?}, not #{index}"
        );
        self.submit_choice(Some((button, Choice::Index(index))))
    }

    #[track_caller]
    fn submit_with_value(&self, button: &str, value: &str) -> TestRequest {
        let values: Vec<&str> = self
            .buttons(button)
            .filter_map(|f| match &f.kind {
                Kind::Submit { value, .. } => Some(value.as_str()),
                _ => None,
            })
            .collect();
        assert!(
            values.contains(&value),
            "the form has no submit button {button:?} with the value {value:?} (values: {values:?})"
        );
        self.submit_choice(Some((button, Choice::Value(value))))
    }

    fn buttons<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Field> + 'a {
        self.fields
            .iter()
            .filter(move |f| f.name == name && matches!(f.kind, Kind::Submit { .. }))
    }

    /// The request a browser sends: a `GET` puts the fields in the
    /// action's query string (replacing its query); any other method sends
    /// them as the body, urlencoded or multipart (by `enctype`, or
    /// multipart whenever a file is attached).
    fn submit_choice(&self, button: Option<(&str, Choice<'_>)>) -> TestRequest {
        let (pairs, pressed) = self.pairs_and_button(button);
        let action = same_site(
            &self.page_url,
            pressed.action.as_deref().unwrap_or(&self.action),
        );
        let form_method = pressed.method.as_deref().unwrap_or(&self.method);
        let enctype = pressed.enctype.as_deref().unwrap_or(&self.enctype);
        let mut texts: Vec<(String, String)> = Vec::new();
        let mut uploads = Vec::new();
        for (name, value) in pairs {
            match value {
                Value::Text(t) => texts.push((name, t)),
                Value::File(u) => uploads.push(u),
                Value::NoFile => uploads.push(Upload::new(&name, "", Vec::new())),
            }
        }
        let method = http::Method::from_bytes(form_method.as_bytes()).unwrap_or(http::Method::GET);
        let request = if method == http::Method::GET {
            let base = action.split('?').next().unwrap_or(&action).to_owned();
            let mut names: Vec<(String, String)> = texts;
            // A GET can't carry a file: browsers send its name.
            names.extend(
                uploads
                    .iter()
                    .map(|u| (u.field().to_owned(), u.filename().to_owned())),
            );
            self.app.get(&base).query(&names)
        } else {
            let multipart = enctype == "multipart/form-data"
                || uploads.iter().any(|u| !u.filename().is_empty());
            let mut request = self.app.request(method, &action).form(&texts);
            if multipart {
                request = request.multipart();
                for upload in uploads {
                    request = request.upload(upload);
                }
            } else {
                let names: Vec<(String, String)> = uploads
                    .iter()
                    .map(|u| (u.field().to_owned(), u.filename().to_owned()))
                    .collect();
                request = request.form(&names);
            }
            request
        };
        request.header("referer", &self.page_url)
    }
}

#[derive(Clone, Copy)]
enum Choice<'a> {
    Index(usize),
    Value(&'a str),
}

impl fmt::Debug for FormData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Form")
            .field("id", &self.id)
            .field("action", &self.action)
            .field("method", &self.method)
            .field("enctype", &self.enctype)
            .field("fields", &self.submit_fields(None))
            .finish_non_exhaustive()
    }
}
