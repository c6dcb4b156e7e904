//! `Content-Encoding` of a response body: gzip on, gzip or deflate off.

use std::io::{Read, Write};

use http::header::{CONTENT_ENCODING, CONTENT_LENGTH, ETAG};
use http::{HeaderValue, StatusCode};
use paste_core::Error;

use crate::Response;

impl Response {
    /// Compresses the body with gzip and sets `Content-Encoding: gzip`
    /// (WebOb's `encode_content`). Reads the body whole, up to `limit`
    /// bytes (a 413 [`Error`] past it); does nothing when the body is
    /// already encoded. A strong ETag becomes weak: the bytes changed.
    pub async fn encode_content(&mut self, limit: u64) -> Result<(), Error> {
        if self.headers().contains_key(CONTENT_ENCODING) {
            return Ok(());
        }
        let body = self.body_bytes(limit).await?;
        let mut encoder = flate2::write::GzEncoder::new(
            Vec::with_capacity(body.len() / 2 + 32),
            flate2::Compression::default(),
        );
        encoder.write_all(&body)?;
        let gzipped = encoder.finish()?;
        self.set_body(gzipped);
        self.headers_mut()
            .insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        weaken_etag(self);
        Ok(())
    }

    /// Undoes `gzip` or `deflate` (zlib, or raw deflate as some servers
    /// send it) and removes `Content-Encoding`. The decoded body may be at
    /// most `limit` bytes (a zip bomb is a 413, not an exhausted memory);
    /// corrupt data is a 502 (the content came from elsewhere); an unknown
    /// encoding is a 415.
    pub async fn decode_content(&mut self, limit: u64) -> Result<(), Error> {
        let Some(encoding) = self
            .headers()
            .get(CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_ascii_lowercase())
        else {
            return Ok(());
        };
        let body = self.body_bytes(limit).await?;
        let decoded = match encoding.as_str() {
            "identity" => body.to_vec(),
            "gzip" | "x-gzip" => inflate(flate2::read::GzDecoder::new(&body[..]), limit)?,
            "deflate" => match inflate(flate2::read::ZlibDecoder::new(&body[..]), limit) {
                Ok(decoded) => decoded,
                Err(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(err),
                Err(_) => inflate(flate2::read::DeflateDecoder::new(&body[..]), limit)?,
            },
            other => {
                return Err(Error::new(StatusCode::UNSUPPORTED_MEDIA_TYPE)
                    .with_message(format!("unknown content encoding {other:?}")));
            }
        };
        self.headers_mut().remove(CONTENT_ENCODING);
        self.headers_mut().remove(CONTENT_LENGTH);
        self.set_body(decoded);
        weaken_etag(self);
        Ok(())
    }
}

/// Reads a decoder to the end, refusing more than `limit` bytes.
fn inflate(reader: impl Read, limit: u64) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    let read = reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|err| {
            Error::new(StatusCode::BAD_GATEWAY)
                .with_message("the encoded body is corrupt")
                .with_source(err)
        })?;
    if read as u64 > limit {
        return Err(Error::payload_too_large(limit));
    }
    Ok(out)
}

fn weaken_etag(response: &mut Response) {
    let Some(etag) = response.headers().get(ETAG).and_then(|v| v.to_str().ok()) else {
        return;
    };
    if etag.starts_with("W/") {
        return;
    }
    if let Ok(weak) = HeaderValue::from_str(&format!("W/{etag}")) {
        response.headers_mut().insert(ETAG, weak);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn gzip_round_trips_and_weakens_the_etag() {
        let text = "hello hello hello hello hello hello".repeat(20);
        let mut response = Response::text(text.clone());
        response.set_header("etag", "\"abc\"").unwrap();
        response.encode_content(1 << 20).await.unwrap();
        assert_eq!(response.headers()["content-encoding"], "gzip");
        assert_eq!(response.headers()["etag"], "W/\"abc\"");
        let gz_len: usize = response.headers()["content-length"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(gz_len < text.len());
        response.decode_content(1 << 20).await.unwrap();
        assert!(!response.headers().contains_key("content-encoding"));
        assert_eq!(response.text_body(1 << 20).await.unwrap(), text);
    }

    #[tokio::test]
    async fn a_zip_bomb_is_refused() {
        let mut response = Response::text("0".repeat(1 << 20));
        response.encode_content(1 << 21).await.unwrap();
        let err = response.decode_content(1024).await.unwrap_err();
        assert_eq!(err.status(), 413);
    }

    #[tokio::test]
    async fn raw_deflate_and_corrupt_data() {
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        raw.write_all(b"raw deflate").unwrap();
        let mut response = Response::new();
        response.set_body(raw.finish().unwrap());
        response.set_header("content-encoding", "deflate").unwrap();
        response.decode_content(1024).await.unwrap();
        assert_eq!(response.text_body(1024).await.unwrap(), "raw deflate");

        let mut response = Response::new();
        response.set_body(&b"not gzip at all"[..]);
        response.set_header("content-encoding", "gzip").unwrap();
        assert_eq!(
            response.decode_content(1024).await.unwrap_err().status(),
            502
        );
    }
}
