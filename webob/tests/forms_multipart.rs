//! multipart/form-data bodies: text fields, uploads, spooling and limits.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::Method;
use paste_core::{Body, Error};
use webob::Request;
use webob::multipart::FormLimits;

/// A stream of chunks that is `Pending` once before each chunk.
struct Chunks {
    chunks: VecDeque<Result<Bytes, Error>>,
    ready: bool,
}

impl futures_core::Stream for Chunks {
    type Item = Result<Bytes, paste_core::BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if !self.ready {
            self.ready = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.ready = false;
        Poll::Ready(
            self.chunks
                .pop_front()
                .map(|c| c.map_err(Error::into_boxed)),
        )
    }
}

fn chunked(body: &[u8], size: usize, then: Option<Error>) -> Body {
    let mut chunks: VecDeque<_> = body
        .chunks(size)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    if let Some(err) = then {
        chunks.push_back(Err(err));
    }
    Body::from_stream(Chunks {
        chunks,
        ready: false,
    })
}

/// A request whose body streams `body` in small chunks (at least 64).
fn streamed(method: &str, content_type: &str, body: &[u8]) -> Request {
    let inner = http::Request::builder()
        .method(method)
        .uri("/upload")
        .header("content-type", content_type)
        .body(chunked(body, (body.len() / 64).max(7), None))
        .unwrap();
    Request::new(inner)
}

/// Re-sends a request built by `with_multipart` as a stream of chunks.
async fn restream(mut built: Request, method: &str) -> Request {
    let content_type = built.headers()["content-type"].to_str().unwrap().to_owned();
    let body = built.body().await.unwrap();
    streamed(method, &content_type, &body)
}

const CT: &str = "multipart/form-data; boundary=XyZ";

#[tokio::test]
async fn fields_and_files_stream_in_order() {
    let built = Request::blank("/").with_multipart(
        &[("a", "1"), ("name", "Zoë"), ("a", "2"), ("empty", "")],
        &[
            ("doc", "one.txt", "text/plain", b"first file"),
            (
                "doc",
                "two.bin",
                "application/octet-stream",
                b"\x00\xff\r\n--",
            ),
        ],
    );
    let mut req = restream(built, "POST").await;
    let form = req.form().await.unwrap().clone();
    let fields: Vec<_> = form.fields().iter().map(|(k, v)| (k, v.as_str())).collect();
    assert_eq!(
        fields,
        [("a", "1"), ("name", "Zoë"), ("a", "2"), ("empty", "")]
    );
    let docs: Vec<_> = form.files().get_all("doc").collect();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0].filename(), "one.txt");
    assert_eq!(docs[0].content_type(), Some("text/plain"));
    assert_eq!(docs[0].bytes().await.unwrap(), "first file");
    assert_eq!(docs[1].bytes().await.unwrap(), &b"\x00\xff\r\n--"[..]);
    assert_eq!(docs[1].len(), 6);
    assert!(!docs[1].is_spooled() && docs[1].path().is_none());
    assert!(docs[0].headers().contains_key("content-disposition"));
    // params holds the text fields only.
    let params = req.params().await.unwrap();
    assert_eq!(params.get_all("a").collect::<Vec<_>>(), ["1", "2"]);
    assert!(!params.contains_key("doc"));
}

#[tokio::test]
async fn the_boundary_inside_a_part_is_content() {
    let body = b"--XyZ\r\n\
Content-Disposition: form-data; name=\"t\"\r\n\r\n\
text with --XyZ inside and XyZ and \r\n-XyZ and \n--XyZ\r\n\
--XyZ\r\n\
Content-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\
Content-Type: text/plain\r\n\r\n\
--XyZ-- is not the end\r\n\
--XyZ--\r\n";
    let mut req = streamed("POST", CT, body);
    let form = req.form().await.unwrap();
    assert_eq!(
        form.fields().get("t").unwrap(),
        "text with --XyZ inside and XyZ and \r\n-XyZ and \n--XyZ"
    );
    let f = form.files().get_one("f").unwrap();
    assert_eq!(f.bytes().await.unwrap(), "--XyZ-- is not the end");
}

#[tokio::test]
async fn a_missing_final_boundary_is_400() {
    let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\nvalue\r\n";
    let mut req = streamed("POST", CT, body);
    assert_eq!(req.form().await.unwrap_err().status(), 400);
    let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\nvalue";
    let mut req = streamed("POST", CT, body);
    assert_eq!(req.form().await.unwrap_err().status(), 400);
}

#[tokio::test]
async fn a_missing_boundary_is_400() {
    for ct in [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; charset=utf-8",
    ] {
        let mut req = streamed("POST", ct, b"--XyZ--\r\n");
        let err = req.form().await.unwrap_err();
        assert_eq!(err.status(), 400, "{ct}");
    }
}

#[tokio::test]
async fn garbage_is_400() {
    for body in [
        &b"not multipart at all"[..],
        b"--XyZ\r\nno headers end",
        b"--XyZ\r\n\xff\xfe: bad\r\n\r\nx\r\n--XyZ--\r\n",
    ] {
        let mut req = streamed("POST", CT, body);
        assert_eq!(req.form().await.unwrap_err().status(), 400, "{body:?}");
    }
}

#[tokio::test]
async fn a_part_without_a_name_is_400() {
    let body = b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--\r\n";
    let mut req = streamed("POST", CT, body);
    assert_eq!(req.form().await.unwrap_err().status(), 400);
}

#[tokio::test]
async fn bad_utf8_in_a_text_part_is_400() {
    let body =
        b"--XyZ\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\n\xff\xfe\r\n--XyZ--\r\n";
    let mut req = streamed("POST", CT, body);
    let err = req.form().await.unwrap_err();
    assert_eq!(err.status(), 400);
    assert!(err.message().unwrap().contains("\"t\""), "{err}");
}

#[tokio::test]
async fn a_latin1_text_part_is_decoded() {
    let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"t\"\r\n\
Content-Type: text/plain; charset=iso-8859-1\r\n\r\n\xe9t\xe9\r\n--XyZ--\r\n";
    let mut req = streamed("POST", CT, body);
    assert_eq!(req.post().await.unwrap().get("t").unwrap(), "été");
}

#[tokio::test]
async fn an_empty_filename_is_a_text_field() {
    // What a browser sends for a file input left empty; WebOb keeps it as
    // a plain value.
    let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"\"\r\n\
Content-Type: application/octet-stream\r\n\r\n\r\n--XyZ--\r\n";
    let mut req = streamed("POST", CT, body);
    let form = req.form().await.unwrap();
    assert_eq!(form.fields().get("f").unwrap(), "");
    assert!(form.files().is_empty());
}

#[tokio::test]
async fn an_unreadable_filename_is_400_not_a_text_field() {
    let body =
        b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename*=UTF-8''a.txt\r\n\r\n\
x\r\n--XyZ--\r\n";
    let mut req = streamed("POST", CT, body);
    assert_eq!(req.form().await.unwrap_err().status(), 400);
}

#[tokio::test]
async fn a_file_past_the_threshold_is_spooled_to_disk() {
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let built = Request::blank("/").with_upload(
        "big",
        "big.bin",
        "application/octet-stream",
        content.clone(),
    );
    let mut req = restream(built, "POST")
        .await
        .with_form_limits(FormLimits::new().with_spool_threshold(64 * 1024));
    let upload = req.files().await.unwrap().get_one("big").unwrap().clone();
    assert!(upload.is_spooled());
    let path = upload.path().unwrap().to_owned();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 300_000);
    assert_eq!(std::fs::read(&path).unwrap(), content);
    assert_eq!(upload.len(), 300_000);
    assert_eq!(upload.bytes().await.unwrap(), content);
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.bin");
    assert_eq!(upload.copy_to(&copy).await.unwrap(), 300_000);
    assert_eq!(std::fs::read(&copy).unwrap(), content);
    // The temporary file goes with the last handle.
    drop(req);
    assert!(path.exists());
    drop(upload);
    assert!(!path.exists());
}

#[tokio::test]
async fn a_file_at_the_threshold_stays_in_memory() {
    let built = Request::blank("/").with_upload("f", "f.bin", "", vec![7u8; 1000]);
    let mut req = built.with_form_limits(FormLimits::new().with_spool_threshold(1000));
    let upload = req.files().await.unwrap().get_one("f").unwrap().clone();
    assert!(!upload.is_spooled());
    assert_eq!(upload.content_type(), Some("application/octet-stream"));
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("f.bin");
    assert_eq!(upload.copy_to(&copy).await.unwrap(), 1000);
}

#[tokio::test]
async fn a_file_over_its_limit_is_413() {
    let built = Request::blank("/").with_upload("f", "f.bin", "", vec![0u8; 5000]);
    let mut req = restream(built, "POST")
        .await
        .with_form_limits(FormLimits::new().with_max_file_size(4096));
    let err = req.form().await.unwrap_err();
    assert_eq!(err.status(), 413);
    assert!(err.message().unwrap().contains("\"f\""), "{err}");
}

#[tokio::test]
async fn a_text_field_over_its_limit_is_413() {
    let big = "x".repeat(5000);
    let built = Request::blank("/").with_multipart(&[("ok", "1"), ("t", &big)], &[]);
    let mut req = restream(built, "POST")
        .await
        .with_form_limits(FormLimits::new().with_max_field_size(4096));
    let err = req.form().await.unwrap_err();
    assert_eq!(err.status(), 413);
    assert!(err.message().unwrap().contains("\"t\""), "{err}");
}

#[tokio::test]
async fn a_body_over_the_multipart_limit_is_413() {
    let built = Request::blank("/").with_upload("f", "f.bin", "", vec![0u8; 5000]);
    let mut req = restream(built, "POST")
        .await
        .with_form_limits(FormLimits::new().with_max_multipart_size(4096));
    assert_eq!(req.form().await.unwrap_err().status(), 413);
}

#[tokio::test]
async fn too_many_parts_is_400() {
    let fields: Vec<(&str, &str)> = vec![("k", "v"); 11];
    let built = Request::blank("/").with_multipart(&fields, &[]);
    let mut req = restream(built, "POST")
        .await
        .with_form_limits(FormLimits::new().with_max_fields(10));
    assert_eq!(req.form().await.unwrap_err().status(), 400);
    let built = Request::blank("/").with_multipart(&fields[..10], &[]);
    let mut req = built.with_form_limits(FormLimits::new().with_max_fields(10));
    assert_eq!(req.post().await.unwrap().len(), 10);
}

#[tokio::test]
async fn a_failing_body_keeps_its_status() {
    let inner = http::Request::post("/")
        .header("content-type", CT)
        .body(chunked(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\nabc",
            5,
            Some(Error::payload_too_large(10)),
        ))
        .unwrap();
    let mut req = Request::new(inner);
    assert_eq!(req.form().await.unwrap_err().status(), 413);
}

#[tokio::test]
async fn put_multipart_is_parsed_and_get_is_not() {
    let built = Request::blank("/").with_multipart(&[("a", "1")], &[]);
    let mut req = restream(built, "PUT").await;
    assert_eq!(req.method(), Method::PUT);
    assert_eq!(req.post().await.unwrap().get("a").unwrap(), "1");

    let built = Request::blank("/").with_multipart(&[("a", "1")], &[]);
    let mut req = restream(built, "GET").await;
    assert!(req.form().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_empty_multipart_body_is_an_empty_form() {
    let inner = http::Request::post("/")
        .header("content-type", CT)
        .header("content-length", "0")
        .body(Body::empty())
        .unwrap();
    let mut req = Request::new(inner);
    assert!(req.form().await.unwrap().is_empty());
    // Without a length saying so, no parts at all is malformed.
    let mut req = streamed("POST", CT, b"");
    assert_eq!(req.form().await.unwrap_err().status(), 400);
}

#[tokio::test]
async fn names_and_filenames_survive_the_builder() {
    let mut req = Request::blank("/").with_multipart(
        &[("naïve field", "value with \r\n lines")],
        &[("up", "../../etc/pa\"ss wd", "text/plain", b"x")],
    );
    let form = req.form().await.unwrap();
    assert_eq!(
        form.fields().get("naïve field").unwrap(),
        "value with \r\n lines"
    );
    let up = form.files().get_one("up").unwrap();
    // Quotes are escaped as browsers escape them.
    assert_eq!(up.filename(), "../../etc/pa%22ss wd");
    assert_eq!(up.safe_filename(), "pa%22ss wd");
}

#[tokio::test]
async fn the_form_is_parsed_once() {
    let built = Request::blank("/").with_upload("f", "a.txt", "text/plain", "abc");
    let mut req = restream(built, "POST").await;
    let first = req.files().await.unwrap().get_one("f").unwrap().clone();
    // The streamed body is gone, but the form is kept.
    let again = req.files().await.unwrap().get_one("f").unwrap().clone();
    assert_eq!(first.bytes().await.unwrap(), again.bytes().await.unwrap());
}

#[tokio::test]
async fn a_field_named_filename_is_a_text_field() {
    let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"filename\"\r\n\r\nx\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"a; filename=b\"\r\n\r\ny\r\n--XyZ--\r\n";
    let mut req = streamed("POST", CT, body);
    let form = req.form().await.unwrap();
    assert_eq!(form.fields().get("filename").unwrap(), "x");
    assert_eq!(form.fields().get("a; filename=b").unwrap(), "y");
}

#[tokio::test]
async fn quoted_names_are_unescaped_and_bad_bytes_refused() {
    let body =
        b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\\\"b;c.txt\"\r\n\r\n\
x\r\n--XyZ--\r\n";
    let mut req = streamed("POST", CT, body);
    let files = req.files().await.unwrap();
    assert_eq!(files.get_one("f").unwrap().filename(), "a\"b;c.txt");

    let body =
        b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"\xe9.txt\"\r\n\r\n\
x\r\n--XyZ--\r\n";
    let mut req = streamed("POST", CT, body);
    assert_eq!(req.form().await.unwrap_err().status(), 400);
}
