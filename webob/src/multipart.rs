//! `multipart/form-data` bodies and file uploads: [`Upload`] and the
//! [`FormLimits`] that bound every form parser.
//!
//! A multipart body is streamed, never read whole: text parts are kept as
//! strings, file parts (those with a filename) become [`Upload`]s, held in
//! memory up to [`FormLimits::spool_threshold`] and in a temporary file
//! past it.
//!
//! ```
//! use webob::Request;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), paste_core::Error> {
//! let mut req = Request::blank("/upload").with_multipart(
//!     &[("title", "Holiday")],
//!     &[("photo", "../../beach.jpg", "image/jpeg", b"\xff\xd8 not really a jpeg")],
//! );
//! assert_eq!(req.post().await?.get("title").map(String::as_str), Some("Holiday"));
//! let photo = req.files().await?.get_one("photo")?.clone();
//! assert_eq!(photo.filename(), "../../beach.jpg"); // as sent
//! assert_eq!(photo.safe_filename(), "beach.jpg"); // fit for a path
//! assert_eq!(photo.content_type(), Some("image/jpeg"));
//! assert_eq!(photo.bytes().await?.len(), photo.len() as usize);
//! # Ok(()) }
//! ```

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use http::{HeaderMap, StatusCode};
use http_body_util::BodyDataStream;
use paste_core::Error;
use tokio::io::AsyncWriteExt;

use crate::forms::{Form, bad_request, decode_bytes, shown};

/// Bounds on what a client may send in a query string or a form body.
///
/// Past a size limit the client gets a **413**; past the number of fields,
/// a **400**. Set them on a request with
/// [`Request::with_form_limits`](crate::Request::with_form_limits) (they
/// live in the request's extensions, so middleware may set them on the core
/// request too). A urlencoded body is also bounded by the request's
/// [body limit](crate::Request::with_body_limit); a multipart body, which is
/// streamed, by [`max_multipart_size`](FormLimits::max_multipart_size)
/// instead.
///
/// ```
/// use webob::Request;
/// use webob::multipart::FormLimits;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let limits = FormLimits::new().with_max_fields(2);
/// let mut req = Request::blank("/")
///     .with_form_limits(limits)
///     .with_form(&[("a", "1"), ("b", "2"), ("c", "3")]);
/// assert_eq!(req.post().await.unwrap_err().status(), 400);
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FormLimits {
    max_fields: usize,
    max_field_size: u64,
    max_file_size: u64,
    max_multipart_size: u64,
    spool_threshold: u64,
}

const MIB: u64 = 1024 * 1024;

impl FormLimits {
    /// The defaults: 1000 fields, 1 MiB per text field, 100 MiB per file,
    /// 128 MiB for a whole multipart body, uploads past 1 MiB spooled to
    /// disk.
    pub const DEFAULT: Self = Self {
        max_fields: 1000,
        max_field_size: MIB,
        max_file_size: 100 * MIB,
        max_multipart_size: 128 * MIB,
        spool_threshold: MIB,
    };

    /// The defaults ([`FormLimits::DEFAULT`]).
    pub const fn new() -> Self {
        Self::DEFAULT
    }

    /// Sets the most fields (pairs, or parts) one query string or one body
    /// may hold.
    #[must_use]
    pub const fn with_max_fields(mut self, max: usize) -> Self {
        self.max_fields = max;
        self
    }

    /// Sets the largest text field, in bytes (name and value as sent).
    #[must_use]
    pub const fn with_max_field_size(mut self, max: u64) -> Self {
        self.max_field_size = max;
        self
    }

    /// Sets the largest uploaded file, in bytes.
    #[must_use]
    pub const fn with_max_file_size(mut self, max: u64) -> Self {
        self.max_file_size = max;
        self
    }

    /// Sets the largest multipart body, in bytes, boundaries included.
    #[must_use]
    pub const fn with_max_multipart_size(mut self, max: u64) -> Self {
        self.max_multipart_size = max;
        self
    }

    /// Sets the size past which an upload goes to a temporary file rather
    /// than staying in memory.
    #[must_use]
    pub const fn with_spool_threshold(mut self, threshold: u64) -> Self {
        self.spool_threshold = threshold;
        self
    }

    /// The most fields one query string or body may hold.
    pub const fn max_fields(&self) -> usize {
        self.max_fields
    }

    /// The largest text field, in bytes.
    pub const fn max_field_size(&self) -> u64 {
        self.max_field_size
    }

    /// The largest uploaded file, in bytes.
    pub const fn max_file_size(&self) -> u64 {
        self.max_file_size
    }

    /// The largest multipart body, in bytes.
    pub const fn max_multipart_size(&self) -> u64 {
        self.max_multipart_size
    }

    /// The size past which an upload is spooled to a temporary file.
    pub const fn spool_threshold(&self) -> u64 {
        self.spool_threshold
    }
}

impl Default for FormLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A file uploaded in a multipart form: a part with a filename.
///
/// Its content is in memory, or — past the
/// [spool threshold](FormLimits::spool_threshold) — in a temporary file
/// that is deleted when the last clone of the `Upload` is dropped. Clones
/// are cheap and share the content.
///
/// The filename is kept exactly as sent: never use it as a path. Use
/// [`safe_filename`](Upload::safe_filename), or better a name of your own.
#[derive(Clone)]
pub struct Upload {
    filename: String,
    headers: HeaderMap,
    len: u64,
    content: Content,
}

#[derive(Clone)]
enum Content {
    Memory(Bytes),
    Spooled(Arc<tempfile::NamedTempFile>),
}

impl Upload {
    /// The filename as the client sent it (it may hold directories, `..`,
    /// anything).
    pub fn filename(&self) -> &str {
        &self.filename
    }

    /// The filename made safe to use as the last component of a path: the
    /// part after the last `/` or `\`, without control characters, without
    /// leading dots or spaces, without trailing dots or spaces, with
    /// characters Windows forbids (`<>:"|?*`) replaced by `_`, at most 255
    /// bytes; `"upload"` when nothing is left.
    ///
    /// ```
    /// # use webob::Request;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), paste_core::Error> {
    /// let mut req = Request::blank("/").with_upload("f", "..\\..\\win.ini", "text/plain", "x");
    /// assert_eq!(req.files().await?.get_one("f")?.safe_filename(), "win.ini");
    /// # Ok(()) }
    /// ```
    pub fn safe_filename(&self) -> String {
        sanitize_filename(&self.filename)
    }

    /// The part's `Content-Type` as sent, if any.
    pub fn content_type(&self) -> Option<&str> {
        self.headers.get(CONTENT_TYPE)?.to_str().ok()
    }

    /// All the headers of the part.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The size of the content, in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the content is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the content was spooled to a temporary file.
    pub fn is_spooled(&self) -> bool {
        matches!(self.content, Content::Spooled(_))
    }

    /// The temporary file holding the content, when it was spooled; it is
    /// deleted when the last clone of this `Upload` is dropped.
    pub fn path(&self) -> Option<&Path> {
        match &self.content {
            Content::Memory(_) => None,
            Content::Spooled(file) => Some(file.path()),
        }
    }

    /// The content, read from the temporary file if it was spooled (an I/O
    /// failure there is a 500).
    pub async fn bytes(&self) -> Result<Bytes, Error> {
        match &self.content {
            Content::Memory(bytes) => Ok(bytes.clone()),
            Content::Spooled(file) => Ok(Bytes::from(tokio::fs::read(file.path()).await?)),
        }
    }

    /// Copies the content to a file at `to` (created or truncated) and
    /// returns the number of bytes written.
    pub async fn copy_to(&self, to: &Path) -> Result<u64, Error> {
        match &self.content {
            Content::Memory(bytes) => {
                tokio::fs::write(to, bytes).await?;
                Ok(bytes.len() as u64)
            }
            Content::Spooled(file) => Ok(tokio::fs::copy(file.path(), to).await?),
        }
    }
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upload")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type())
            .field("len", &self.len)
            .field("spooled", &self.path())
            .finish()
    }
}

/// See [`Upload::safe_filename`].
pub(crate) fn sanitize_filename(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| {
            if matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' ']);
    let mut end = trimmed.len().min(255);
    while !trimmed.is_char_boundary(end) {
        end -= 1;
    }
    let result = &trimmed[..end];
    if result.is_empty() {
        "upload".to_owned()
    } else {
        result.to_owned()
    }
}

/// A multipart parse failure as the client's error: sizes are 413, the
/// body's own failures keep their status, everything else is a 400.
fn multer_error(err: multer::Error) -> Error {
    match err {
        multer::Error::StreamReadFailed(source) => Error::from_boxed(source),
        multer::Error::StreamSizeExceeded { limit } => Error::new(StatusCode::PAYLOAD_TOO_LARGE)
            .with_message(format!(
                "the multipart body is larger than the limit of {limit} bytes"
            )),
        multer::Error::FieldSizeExceeded { limit, field_name } => {
            Error::new(StatusCode::PAYLOAD_TOO_LARGE).with_message(format!(
                "the form field {} is larger than the limit of {limit} bytes",
                shown(field_name.as_deref().unwrap_or("").as_bytes())
            ))
        }
        other => bad_request(format!("malformed multipart body: {other}")),
    }
}

fn too_large(what: &str, name: &str, limit: u64) -> Error {
    Error::new(StatusCode::PAYLOAD_TOO_LARGE).with_message(format!(
        "the {what} {} is larger than the limit of {limit} bytes",
        shown(name.as_bytes())
    ))
}

/// Parses the request's `multipart/form-data` body, streaming it.
pub(crate) async fn parse(req: &mut crate::Request, limits: &FormLimits) -> Result<Form, Error> {
    let content_type = req.header_str(CONTENT_TYPE).unwrap_or("");
    let boundary = multer::parse_boundary(content_type).map_err(|err| {
        bad_request(format!(
            "the multipart content type has no usable boundary: {err}"
        ))
    })?;
    let charset = crate::headers::charset_param(content_type);
    let stream = BodyDataStream::new(req.take_body());
    let per_field = limits.max_file_size.max(limits.max_field_size);
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .whole_stream(limits.max_multipart_size)
            .per_field(per_field),
    );
    let mut multipart = multer::Multipart::with_constraints(stream, boundary, constraints);
    let mut form = Form::default();
    let mut count = 0usize;
    while let Some(mut field) = multipart.next_field().await.map_err(multer_error)? {
        count += 1;
        if count > limits.max_fields {
            return Err(bad_request(format!(
                "the form has more than {} fields",
                limits.max_fields
            )));
        }
        let (name, filename) = disposition(field.headers(), count)?;
        let headers = field.headers().clone();
        match filename.filter(|f| !f.is_empty()) {
            Some(filename) => {
                let (len, content) = read_file(&mut field, &name, limits).await?;
                form.files.add(
                    name,
                    Upload {
                        filename,
                        headers,
                        len,
                        content,
                    },
                );
            }
            None => {
                let mut value = BytesMut::new();
                while let Some(chunk) = field.chunk().await.map_err(multer_error)? {
                    if (value.len() + chunk.len()) as u64 > limits.max_field_size {
                        return Err(too_large("form field", &name, limits.max_field_size));
                    }
                    value.extend_from_slice(&chunk);
                }
                let part_charset = headers
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(crate::headers::charset_param)
                    .or_else(|| charset.clone());
                let value = decode_bytes(&value, part_charset.as_deref(), "form field", &name)?;
                form.fields.add(name, value);
            }
        }
    }
    Ok(form)
}

/// The `name` and `filename` of a part's `Content-Disposition`, parsed
/// minding quotes (so `name="a; filename=b"` is a name, not a filename) —
/// multer's own reading does not. A `filename*` (RFC 5987) with no plain
/// `filename`, or a name or filename that is not UTF-8, is a 400: the part
/// would otherwise be taken for a text field.
fn disposition(headers: &HeaderMap, index: usize) -> Result<(String, Option<String>), Error> {
    let raw = headers
        .get(CONTENT_DISPOSITION)
        .map_or(&b""[..], http::HeaderValue::as_bytes);
    // Split on `;` outside quotes; each param is (name, unquoted value).
    let mut params: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let (mut key, mut value) = (Vec::new(), Vec::new());
    let (mut in_value, mut quoted, mut escaped) = (false, false, false);
    for &b in raw {
        if quoted {
            if escaped {
                value.push(b);
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                quoted = false;
            } else {
                value.push(b);
            }
            continue;
        }
        match b {
            b';' => {
                params.push((std::mem::take(&mut key), std::mem::take(&mut value)));
                in_value = false;
            }
            b'=' if !in_value => in_value = true,
            b'"' if in_value => quoted = true,
            _ if in_value => value.push(b),
            _ => key.push(b),
        }
    }
    params.push((key, value));
    let find = |wanted: &[u8]| {
        params
            .iter()
            .find(|(k, _)| k.trim_ascii().eq_ignore_ascii_case(wanted))
            .map(|(_, v)| v.trim_ascii())
    };
    let utf8 = |bytes: &[u8], what: &str| {
        String::from_utf8(bytes.to_vec()).map_err(|_| {
            bad_request(format!(
                "the {what} of part {index} of the multipart body is not valid UTF-8"
            ))
        })
    };
    let Some(name) = find(b"name") else {
        return Err(bad_request(format!(
            "part {index} of the multipart body has no field name"
        )));
    };
    let name = utf8(name, "field name")?;
    let filename = match (find(b"filename"), find(b"filename*")) {
        (Some(filename), _) => Some(utf8(filename, "filename")?),
        (None, Some(_)) => {
            return Err(bad_request(format!(
                "the form field {} has only an RFC 5987 filename*, which is not supported",
                shown(name.as_bytes())
            )));
        }
        (None, None) => None,
    };
    Ok((name, filename))
}

/// Reads a file part, in memory up to the spool threshold, then into a
/// temporary file.
async fn read_file(
    field: &mut multer::Field<'_>,
    name: &str,
    limits: &FormLimits,
) -> Result<(u64, Content), Error> {
    let mut memory = BytesMut::new();
    let mut spool: Option<(tempfile::NamedTempFile, tokio::fs::File)> = None;
    let mut len = 0u64;
    while let Some(chunk) = field.chunk().await.map_err(multer_error)? {
        len += chunk.len() as u64;
        if len > limits.max_file_size {
            return Err(too_large("uploaded file", name, limits.max_file_size));
        }
        if spool.is_none() && len > limits.spool_threshold {
            let temp = tempfile::NamedTempFile::new()?;
            let mut file = tokio::fs::File::from_std(temp.as_file().try_clone()?);
            file.write_all(&memory).await?;
            memory = BytesMut::new();
            spool = Some((temp, file));
        }
        match &mut spool {
            Some((_, file)) => file.write_all(&chunk).await?,
            None => memory.extend_from_slice(&chunk),
        }
    }
    let content = match spool {
        Some((temp, mut file)) => {
            file.flush().await?;
            Content::Spooled(Arc::new(temp))
        }
        None => Content::Memory(memory.freeze()),
    };
    Ok((len, content))
}

// ----- building bodies (for tests and test clients) -----

/// A boundary that occurs in none of `parts`.
fn boundary_for(parts: &[&[u8]]) -> String {
    use std::hash::{BuildHasher, Hasher};
    let state = std::collections::hash_map::RandomState::new();
    let mut round = 0u64;
    loop {
        let mut text = String::from("----webob");
        for salt in 0..2u64 {
            let mut hasher = state.build_hasher();
            hasher.write_u64(round);
            hasher.write_u64(salt);
            text.push_str(&format!("{:016x}", hasher.finish()));
        }
        let needle = text.as_bytes();
        if !parts
            .iter()
            .any(|part| part.windows(needle.len()).any(|w| w == needle))
        {
            return text;
        }
        round += 1;
    }
}

/// A name fit for a quoted `Content-Disposition` parameter, escaped the
/// way browsers do (`"` → `%22`, CR → `%0D`, LF → `%0A`).
fn quoted(name: &str) -> String {
    name.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Encodes a `multipart/form-data` body: `(content type, body)`.
pub(crate) fn encode(
    fields: &[(&str, &str)],
    files: &[(&str, &str, &str, &[u8])],
) -> (String, Bytes) {
    let mut contents: Vec<&[u8]> = Vec::new();
    for (name, value) in fields {
        contents.push(name.as_bytes());
        contents.push(value.as_bytes());
    }
    for (name, filename, content_type, content) in files {
        contents.extend([
            name.as_bytes(),
            filename.as_bytes(),
            content_type.as_bytes(),
            content,
        ]);
    }
    let boundary = boundary_for(&contents);
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n",
                quoted(name)
            )
            .as_bytes(),
        );
        body.extend_from_slice(value.as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    for (name, filename, content_type, content) in files {
        let content_type = if content_type.is_empty() {
            "application/octet-stream"
        } else {
            content_type
        };
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
                quoted(name),
                quoted(filename),
                content_type.replace(['\r', '\n'], "")
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (
        format!("multipart/form-data; boundary={boundary}"),
        Bytes::from(body),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_are_sanitised() {
        for (sent, safe) in [
            ("report.pdf", "report.pdf"),
            ("../../etc/passwd", "passwd"),
            ("C:\\Users\\me\\cv.doc", "cv.doc"),
            ("..", "upload"),
            ("", "upload"),
            ("a/", "upload"),
            (".hidden", "hidden"),
            ("ev\0il\r\n.txt", "evil.txt"),
            ("what?.txt", "what_.txt"),
            ("name. ", "name"),
            ("日本語.txt", "日本語.txt"),
        ] {
            assert_eq!(sanitize_filename(sent), safe, "{sent:?}");
        }
        let long = "é".repeat(200);
        let safe = sanitize_filename(&long);
        assert!(safe.len() <= 255 && safe.chars().all(|c| c == 'é'));
    }

    #[test]
    fn the_boundary_avoids_the_content() {
        let (ct, body) = encode(&[("a", "b")], &[("f", "x.txt", "text/plain", b"data")]);
        let boundary = ct.rsplit('=').next().unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert_eq!(text.matches(boundary).count(), 3);
    }
}
