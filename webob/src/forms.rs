//! Query strings and form bodies: `GET`, `POST` and `params`.
//!
//! Both are parsed with the rules of `application/x-www-form-urlencoded`:
//! pairs split on `&` and `;`, `+` is a space, `%XX` is a byte, a key
//! without `=` has the value `""`, empty pairs are dropped, order and
//! duplicates are kept. Unlike WebOb, a bad escape or bytes that are not
//! valid UTF-8 are the client's error (a 400 naming the parameter), not
//! kept literally or raised as a 500.

use std::borrow::Cow;

use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderValue, Method, StatusCode};
use paste_core::Error;

use crate::multipart::{FormLimits, Upload};
use crate::{MultiDict, Request};

/// A parsed form body: its text fields and its file uploads.
///
/// [`Request::form`] gives it; [`Request::post`] and [`Request::files`]
/// give its halves.
///
/// ```
/// use webob::Request;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), paste_core::Error> {
/// let mut req = Request::blank("/").with_form(&[("tag", "a"), ("tag", "b"), ("q", "x y")]);
/// let form = req.form().await?;
/// assert_eq!(form.fields().get_all("tag").collect::<Vec<_>>(), ["a", "b"]);
/// assert_eq!(form.fields().get("q").map(String::as_str), Some("x y"));
/// assert!(form.files().is_empty());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct Form {
    pub(crate) fields: MultiDict<String>,
    pub(crate) files: MultiDict<Upload>,
}

impl Form {
    /// The text fields, in the order sent.
    pub fn fields(&self) -> &MultiDict<String> {
        &self.fields
    }

    /// The file uploads (multipart parts with a filename), in the order
    /// sent.
    pub fn files(&self) -> &MultiDict<Upload> {
        &self.files
    }

    /// Whether the form has neither fields nor files.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.files.is_empty()
    }
}

/// A 400 with `message`.
pub(crate) fn bad_request(message: impl Into<Cow<'static, str>>) -> Error {
    Error::new(StatusCode::BAD_REQUEST).with_message(message)
}

/// A name the client sent, fit for an error message: lossily decoded,
/// quoted and cut at 64 characters.
pub(crate) fn shown(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut cut: String = text.chars().take(64).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    format!("{cut:?}")
}

/// Decodes the value of a field in `charset` (UTF-8 when `None`; UTF-8 is
/// strict, Latin-1 maps each byte; any other charset is a 415).
pub(crate) fn decode_bytes(
    bytes: &[u8],
    charset: Option<&str>,
    what: &str,
    name: &str,
) -> Result<String, Error> {
    let charset = charset.unwrap_or("utf-8").to_ascii_lowercase();
    match charset.as_str() {
        "utf-8" | "utf8" | "us-ascii" | "ascii" => {
            String::from_utf8(bytes.to_vec()).map_err(|_| {
                bad_request(format!(
                    "the {what} {} is not valid UTF-8",
                    shown(name.as_bytes())
                ))
            })
        }
        "iso-8859-1" | "latin-1" | "latin1" | "l1" => {
            Ok(bytes.iter().map(|&b| char::from(b)).collect())
        }
        _ => Err(
            Error::new(StatusCode::UNSUPPORTED_MEDIA_TYPE).with_message(format!(
                "the {what} {} is in an unsupported charset {charset:?}",
                shown(name.as_bytes())
            )),
        ),
    }
}

/// `%XX`-decodes `raw`, `+` being a space; `None` on a bad escape.
fn unquote(raw: &[u8]) -> Option<Vec<u8>> {
    fn hex(b: u8) -> Option<u8> {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let high = hex(*raw.get(i + 1)?)?;
                let low = hex(*raw.get(i + 2)?)?;
                out.push(high * 16 + low);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Some(out)
}

/// The charsets form text is decoded from.
#[derive(Clone, Copy)]
enum TextCharset {
    Utf8,
    Latin1,
}

fn text_charset(charset: Option<&str>) -> Option<TextCharset> {
    let Some(charset) = charset else {
        return Some(TextCharset::Utf8);
    };
    if ["utf-8", "utf8", "us-ascii", "ascii"]
        .iter()
        .any(|c| charset.eq_ignore_ascii_case(c))
    {
        Some(TextCharset::Utf8)
    } else if ["iso-8859-1", "latin-1", "latin1", "l1"]
        .iter()
        .any(|c| charset.eq_ignore_ascii_case(c))
    {
        Some(TextCharset::Latin1)
    } else {
        None
    }
}

/// Bytes into text without copying them when they are UTF-8 already;
/// `None` when they are not valid in the charset.
fn into_text(bytes: Vec<u8>, charset: TextCharset) -> Option<String> {
    match charset {
        TextCharset::Utf8 => String::from_utf8(bytes).ok(),
        TextCharset::Latin1 => Some(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

/// Parses `application/x-www-form-urlencoded` text (a query string or a
/// body). `what` names a pair in error messages (`"query parameter"`).
pub(crate) fn parse_urlencoded(
    input: &[u8],
    charset: Option<&str>,
    limits: &FormLimits,
    what: &str,
) -> Result<MultiDict<String>, Error> {
    let mut pairs = MultiDict::new();
    if input.is_empty() {
        return Ok(pairs);
    }
    // The charset is looked at once, not per pair: this loop is hot.
    let Some(text) = text_charset(charset) else {
        return Err(
            Error::new(StatusCode::UNSUPPORTED_MEDIA_TYPE).with_message(format!(
                "the {what}s are in an unsupported charset {:?}",
                charset.unwrap_or_default()
            )),
        );
    };
    for pair in input.split(|&b| b == b'&' || b == b';') {
        if pair.is_empty() {
            continue;
        }
        if pairs.len() >= limits.max_fields() {
            return Err(bad_request(format!(
                "more than {} {what}s were sent",
                limits.max_fields()
            )));
        }
        let (raw_key, raw_value) = match pair.iter().position(|&b| b == b'=') {
            Some(eq) => (&pair[..eq], &pair[eq + 1..]),
            None => (pair, &b""[..]),
        };
        if pair.len() as u64 > limits.max_field_size() {
            return Err(
                Error::new(StatusCode::PAYLOAD_TOO_LARGE).with_message(format!(
                    "the {what} {} is larger than the limit of {} bytes",
                    shown(raw_key),
                    limits.max_field_size()
                )),
            );
        }
        let bad_escape = || {
            bad_request(format!(
                "the {what} {} has a bad percent-escape",
                shown(raw_key)
            ))
        };
        let key = unquote(raw_key).ok_or_else(bad_escape)?;
        let key = into_text(key, text).ok_or_else(|| {
            bad_request(format!(
                "the name of the {what} {} is not valid UTF-8",
                shown(raw_key)
            ))
        })?;
        let value = unquote(raw_value).ok_or_else(bad_escape)?;
        let value = into_text(value, text).ok_or_else(|| {
            bad_request(format!(
                "the {what} {} is not valid UTF-8",
                shown(key.as_bytes())
            ))
        })?;
        pairs.add(key, value);
    }
    Ok(pairs)
}

/// Which parser a request's body calls for.
enum FormKind {
    Urlencoded,
    Multipart,
}

fn form_kind(method: &Method, content_type: &str) -> Option<FormKind> {
    let ct = content_type.to_ascii_lowercase();
    let kind = match ct.as_str() {
        "application/x-www-form-urlencoded" => FormKind::Urlencoded,
        "multipart/form-data" => FormKind::Multipart,
        "" if method == Method::POST => FormKind::Urlencoded,
        _ => return None,
    };
    (method == Method::POST || method == Method::PUT || method == Method::PATCH).then_some(kind)
}

/// `application/x-www-form-urlencoded` encoding of one name or value.
fn urlencode(text: &str, out: &mut String) {
    for &b in text.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
}

/// # Parameters: the query string and form bodies
///
/// ```
/// use webob::Request;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), paste_core::Error> {
/// let mut req = Request::blank("/search?q=rust;page=2&flag")
///     .with_form(&[("q", "web"), ("note", "a+b c")]);
/// let get = req.get_params()?;
/// assert_eq!(get.get("page").map(String::as_str), Some("2"));
/// assert_eq!(get.get("flag").map(String::as_str), Some(""));
/// assert_eq!(req.post().await?.get("note").map(String::as_str), Some("a+b c"));
/// let params = req.params().await?;
/// assert_eq!(params.get_all("q").collect::<Vec<_>>(), ["rust", "web"]);
///
/// // Bad escapes are the client's mistake.
/// let err = Request::blank("/?name=%zz").get_params().unwrap_err();
/// assert_eq!(err.status(), 400);
/// # Ok(()) }
/// ```
impl Request {
    /// The query string's parameters (WebOb's `GET`), in order, duplicates
    /// kept. A bad percent-escape or bytes that are not UTF-8 are a 400
    /// naming the parameter; more than
    /// [`max_fields`](FormLimits::max_fields) pairs are a 400, a pair over
    /// [`max_field_size`](FormLimits::max_field_size) a 413.
    pub fn get_params(&self) -> Result<MultiDict<String>, Error> {
        parse_urlencoded(
            self.query_string().as_bytes(),
            None,
            &self.form_limits(),
            "query parameter",
        )
    }

    /// The limits the form parsers apply: those set with
    /// [`with_form_limits`](Request::with_form_limits), else the defaults.
    pub fn form_limits(&self) -> FormLimits {
        self.extensions()
            .get::<FormLimits>()
            .copied()
            .unwrap_or_default()
    }

    /// Sets the limits the form parsers apply (builder style), keeping them
    /// in the request's extensions. Set them before the form is read: this
    /// forgets a form already parsed.
    #[must_use]
    pub fn with_form_limits(mut self, limits: FormLimits) -> Self {
        self.extensions_mut().insert(limits);
        self
    }

    /// The form body, parsed once and kept.
    ///
    /// It is parsed for a `POST` whose content type is
    /// `application/x-www-form-urlencoded`, `multipart/form-data` or
    /// absent (then read as urlencoded), and for a `PUT` or `PATCH` with
    /// one of the two form types. Any other request has an empty form.
    ///
    /// A urlencoded body is read whole under the
    /// [body limit](Request::with_body_limit) and parsed like a query
    /// string, in the charset of the content type (UTF-8 or Latin-1). A
    /// multipart body is streamed under the [`FormLimits`]: the body is
    /// consumed unless it had been read whole before. Errors: 400 for a
    /// malformed body (no boundary, a missing final boundary, a part
    /// without a name, bad escapes or bytes), 400 for too many fields, 413
    /// for a field, a file or a body too large, 415 for a charset other
    /// than UTF-8 and Latin-1.
    pub async fn form(&mut self) -> Result<&Form, Error> {
        if self.form.is_none() {
            let parsed = self.parse_form().await?;
            self.form = Some(parsed);
        }
        Ok(self.form.get_or_insert_with(Form::default))
    }

    /// The form body's text fields (WebOb's `POST`, without the files):
    /// see [`form`](Request::form).
    pub async fn post(&mut self) -> Result<&MultiDict<String>, Error> {
        Ok(&self.form().await?.fields)
    }

    /// The form body's file uploads: see [`form`](Request::form).
    pub async fn files(&mut self) -> Result<&MultiDict<Upload>, Error> {
        Ok(&self.form().await?.files)
    }

    /// The query parameters followed by the form's text fields, in one
    /// dictionary. [`get`](MultiDict::get) gives the last value, so a key
    /// in both gives the form's value (WebOb's `params` gives the query's);
    /// [`get_all`](MultiDict::get_all) gives the query's values then the
    /// form's.
    pub async fn params(&mut self) -> Result<MultiDict<String>, Error> {
        let mut params = self.get_params()?;
        let post = self.post().await?;
        params.extend(post.iter().map(|(k, v)| (k.to_owned(), v.clone())));
        Ok(params)
    }

    async fn parse_form(&mut self) -> Result<Form, Error> {
        let Some(kind) = form_kind(self.method(), self.content_type()) else {
            return Ok(Form::default());
        };
        let limits = self.form_limits();
        match kind {
            FormKind::Urlencoded => {
                let charset = self
                    .header_str(CONTENT_TYPE)
                    .and_then(crate::headers::charset_param);
                let body = self.body().await?;
                let fields = parse_urlencoded(&body, charset.as_deref(), &limits, "form field")?;
                Ok(Form {
                    fields,
                    files: MultiDict::new(),
                })
            }
            FormKind::Multipart => {
                if self.content_length() == Some(0) {
                    return Ok(Form::default());
                }
                crate::multipart::parse(self, &limits).await
            }
        }
    }

    /// The method a form builder sets: `PUT` and `PATCH` are kept, anything
    /// else becomes `POST`.
    fn form_method(&self) -> Method {
        let method = self.method();
        if method == Method::PUT || method == Method::PATCH {
            method.clone()
        } else {
            Method::POST
        }
    }

    fn with_form_body(mut self, content_type: &str, body: bytes::Bytes) -> Self {
        let method = self.form_method();
        if let Ok(value) = HeaderValue::from_str(content_type) {
            self.headers_mut().insert(CONTENT_TYPE, value);
        }
        self.headers_mut().remove(CONTENT_LENGTH);
        self.with_method(method).with_body(body)
    }

    /// Makes this a form submission (builder style, for tests): a `POST`
    /// (a `PUT` or `PATCH` stays so) with `pairs` as an
    /// `application/x-www-form-urlencoded` body, replacing any body and
    /// content type.
    ///
    /// ```
    /// # use webob::Request;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), paste_core::Error> {
    /// let mut req = Request::blank("/").with_form(&[("name", "Zoë & co")]);
    /// assert_eq!(req.body().await?, "name=Zo%C3%AB+%26+co");
    /// assert_eq!(req.post().await?.get_one("name")?, "Zoë & co");
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn with_form(self, pairs: &[(&str, &str)]) -> Self {
        let mut body = String::new();
        for (i, (key, value)) in pairs.iter().enumerate() {
            if i > 0 {
                body.push('&');
            }
            urlencode(key, &mut body);
            body.push('=');
            urlencode(value, &mut body);
        }
        self.with_form_body("application/x-www-form-urlencoded", body.into())
    }

    /// Makes this a `multipart/form-data` submission (builder style, for
    /// tests) of text `fields` then `files`, each file given as
    /// `(field, filename, content type, content)`; like
    /// [`with_form`](Request::with_form) it replaces the body. The boundary
    /// is random and occurs in none of the content. Quotes and line breaks
    /// in names are escaped as browsers do (`%22`, `%0D`, `%0A`).
    #[must_use]
    pub fn with_multipart(
        self,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &str, &[u8])],
    ) -> Self {
        let (content_type, body) = crate::multipart::encode(fields, files);
        self.with_form_body(&content_type, body)
    }

    /// Makes this a multipart submission of one file (builder style, for
    /// tests); see [`with_multipart`](Request::with_multipart) for more
    /// parts. It replaces the body.
    #[must_use]
    pub fn with_upload(
        self,
        field: &str,
        filename: &str,
        content_type: &str,
        content: impl Into<bytes::Bytes>,
    ) -> Self {
        let content = content.into();
        self.with_multipart(&[], &[(field, filename, content_type, &content)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &str) -> Result<Vec<(String, String)>, Error> {
        parse_urlencoded(
            input.as_bytes(),
            None,
            &FormLimits::new(),
            "query parameter",
        )
        .map(|d| d.into_iter().collect())
    }

    #[test]
    fn unquote_rejects_bad_escapes() {
        assert_eq!(unquote(b"a%20b+c").unwrap(), b"a b c");
        assert_eq!(unquote(b"%e9%C3").unwrap(), [0xe9, 0xc3]);
        assert!(unquote(b"%zz").is_none());
        assert!(unquote(b"%4").is_none());
        assert!(unquote(b"%").is_none());
        assert!(unquote(b"%+1").is_none());
    }

    #[test]
    fn pairs_follow_the_form_rules() {
        let pairs = parse("a=1&&b=;c&a=2;d=x=y").unwrap();
        let expected = [("a", "1"), ("b", ""), ("c", ""), ("a", "2"), ("d", "x=y")];
        assert_eq!(pairs, expected.map(|(k, v)| (k.to_owned(), v.to_owned())));
    }

    #[test]
    fn error_messages_name_the_parameter() {
        let err = parse("good=1&bad%zz=2").unwrap_err();
        assert_eq!(err.status(), 400);
        assert!(err.message().unwrap().contains("\"bad%zz\""), "{err}");
        let err = parse("name=%FF").unwrap_err();
        assert!(err.message().unwrap().contains("\"name\""), "{err}");
        assert!(err.message().unwrap().contains("UTF-8"), "{err}");
    }

    #[test]
    fn latin1_bodies_decode_each_byte() {
        let d = parse_urlencoded(
            b"n=%E9t%E9",
            Some("ISO-8859-1"),
            &FormLimits::new(),
            "form field",
        )
        .unwrap();
        assert_eq!(d.get("n").unwrap(), "été");
        let err = parse_urlencoded(b"n=x", Some("shift_jis"), &FormLimits::new(), "form field")
            .unwrap_err();
        assert_eq!(err.status(), 415);
    }

    #[test]
    fn only_form_requests_are_parsed() {
        assert!(form_kind(&Method::POST, "").is_some());
        assert!(form_kind(&Method::POST, "Application/X-WWW-Form-Urlencoded").is_some());
        assert!(form_kind(&Method::PUT, "multipart/form-data").is_some());
        assert!(form_kind(&Method::PUT, "").is_none());
        assert!(form_kind(&Method::GET, "application/x-www-form-urlencoded").is_none());
        assert!(form_kind(&Method::POST, "application/json").is_none());
    }
}
