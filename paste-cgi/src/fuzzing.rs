//! Entry points into private parsers, for the fuzz targets of the
//! workspace's `fuzz/` crate only: not a stable API, hidden from the docs,
//! and free to change with any release.

use bytes::{Bytes, BytesMut};
use paste_core::App;
use paste_server::listen::Stream;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::fastcgi::proto;
use crate::head::{Head, HeadParser, HeadStyle};

/// What [`cgi_head`] made of a head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgiHead {
    /// The status to answer with (200 for a local redirect).
    pub status: u16,
    /// The header fields passed on, in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The announced `Content-Length`.
    pub content_length: Option<u64>,
    /// The path of a local redirect.
    pub local_redirect: Option<String>,
    /// Every byte after the head.
    pub body: Vec<u8>,
}

/// Parses a CGI (or, with `nph`, a non-parsed-header) response head
/// pushed in `chunks`, as `CgiApp` and the FastCGI client do; the error's
/// text when it is malformed, too large or never ends.
///
/// # Errors
/// The parser's error, as text.
pub fn cgi_head(chunks: &[&[u8]], nph: bool, max_size: usize) -> Result<CgiHead, String> {
    let style = if nph { HeadStyle::Nph } else { HeadStyle::Cgi };
    let mut parser = HeadParser::new(style).max_size(max_size);
    for (i, chunk) in chunks.iter().enumerate() {
        let Some(parsed) = parser.push(chunk).map_err(|e| e.to_string())? else {
            continue;
        };
        let mut body = parsed.body_start.to_vec();
        for rest in &chunks[i + 1..] {
            body.extend_from_slice(rest);
        }
        return Ok(match parsed.head {
            Head::Respond {
                status,
                headers,
                content_length,
            } => CgiHead {
                status: status.as_u16(),
                headers: headers
                    .iter()
                    .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
                    .collect(),
                content_length,
                local_redirect: None,
                body,
            },
            Head::LocalRedirect { location } => CgiHead {
                status: 200,
                headers: Vec::new(),
                content_length: None,
                local_redirect: Some(location),
                body,
            },
        });
    }
    Err(parser.ended().to_string())
}

/// One FastCGI record: type, request id, content.
pub type FastCgiRecord = (u8, u16, Vec<u8>);

/// Decodes whole records from `bytes`, fed to the decoder in `chunks` as
/// a socket would; what is left over (a record cut short) is returned
/// with them.
///
/// # Errors
/// The decoder's error, as text.
pub fn fastcgi_records(chunks: &[&[u8]]) -> Result<(Vec<FastCgiRecord>, usize), String> {
    let mut buf = BytesMut::new();
    let mut records = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        while let Some(record) = proto::decode_record(&mut buf).map_err(|e| e.to_string())? {
            records.push((
                record.kind.as_u8(),
                record.request_id,
                record.content.to_vec(),
            ));
        }
    }
    Ok((records, buf.len()))
}

/// One name-value pair.
pub type Pair = (Vec<u8>, Vec<u8>);

/// The name-value pairs of a PARAMS or GET_VALUES stream.
///
/// # Errors
/// When a pair is cut short.
pub fn fastcgi_pairs(content: &[u8]) -> Result<Vec<Pair>, String> {
    proto::pairs(content)
        .map(|pair| {
            pair.map(|(n, v)| (n.to_vec(), v.to_vec()))
                .map_err(|e| e.to_string())
        })
        .collect()
}

/// Encodes name-value pairs as a PARAMS stream's content.
pub fn fastcgi_encode_pairs(pairs: &[Pair]) -> Vec<u8> {
    let mut out = BytesMut::new();
    for (name, value) in pairs {
        proto::encode_pair(&mut out, name, value);
    }
    out.to_vec()
}

/// Serves one FastCGI connection with `app`, as `FastCgiServer` does,
/// over a Unix socket pair whose client side writes `chunks` then shuts
/// its write side; returns every byte the server wrote back.
///
/// # Errors
/// When the socket pair can't be made.
pub async fn fastcgi_serve<A: App>(
    app: A,
    chunks: &[&[u8]],
    max_params_size: usize,
    max_body_size: u64,
) -> std::io::Result<Vec<u8>> {
    let (server_side, mut client) = tokio::net::UnixStream::pair()?;
    let serving = crate::fastcgi::server::serve_one(
        Stream::Unix(server_side),
        app,
        max_params_size,
        max_body_size,
    );
    let chunks: Vec<Bytes> = chunks.iter().map(|c| Bytes::copy_from_slice(c)).collect();
    let talk = async move {
        let (mut read, mut write) = client.split();
        let writing = async {
            for chunk in &chunks {
                if write.write_all(chunk).await.is_err() {
                    break;
                }
            }
            let _ = write.shutdown().await;
        };
        let mut out = Vec::new();
        let reading = read.read_to_end(&mut out);
        let ((), _) = tokio::join!(writing, reading);
        out
    };
    let ((), out) = tokio::join!(serving, talk);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use paste_core::{Response, app_fn};

    use super::*;

    #[test]
    fn a_head_reads_the_same_however_it_is_cut() {
        let output = b"Status: 404 Not Found\r\nX-A: b\r\n\r\nbody";
        let whole = cgi_head(&[output], false, 1024).unwrap();
        assert_eq!(whole.status, 404);
        assert_eq!(whole.body, b"body");
        let (a, b) = output.split_at(20);
        assert_eq!(cgi_head(&[a, b], false, 1024), Ok(whole));
        assert!(cgi_head(&[b"X: 1\n"], false, 1024).is_err());
    }

    #[tokio::test]
    async fn one_connection_is_served_over_the_socket_pair() {
        let mut input = BytesMut::new();
        let mut record = |kind: u8, content: &[u8]| {
            let len = u16::try_from(content.len()).unwrap().to_be_bytes();
            input.extend_from_slice(&[1, kind, 0, 1, len[0], len[1], 0, 0]);
            input.extend_from_slice(content);
        };
        record(1, &[0, 1, 0, 0, 0, 0, 0, 0]);
        let params = fastcgi_encode_pairs(&[
            (b"REQUEST_METHOD".to_vec(), b"GET".to_vec()),
            (b"SERVER_PROTOCOL".to_vec(), b"HTTP/1.1".to_vec()),
        ]);
        record(4, &params);
        record(4, b"");
        record(5, b"");
        let app = app_fn(|_req| async { Ok(Response::new("hi there".into())) });
        let out = fastcgi_serve(app, &[&input[..5], &input[5..]], 1024, 1024)
            .await
            .unwrap();
        let (records, rest) = fastcgi_records(&[&out]).unwrap();
        assert_eq!(rest, 0);
        let stdout: Vec<u8> = records
            .iter()
            .filter(|r| r.0 == 6)
            .flat_map(|r| r.2.clone())
            .collect();
        assert!(
            String::from_utf8_lossy(&stdout).ends_with("\r\n\r\nhi there"),
            "{records:?}"
        );
        assert_eq!(records.last().map(|r| r.0), Some(3), "an END_REQUEST last");
    }
}
