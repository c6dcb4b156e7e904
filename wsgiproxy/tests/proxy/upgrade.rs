//! WebSocket (any `Upgrade`) through the proxy: both sides switch, and
//! the bytes flow both ways.

use futures_util::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use paste_core::{App, Request, Response, app_fn};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use wsgiproxy::HostProxy;

use crate::common::*;

/// A WebSocket echo server as a paste-server app: it answers 101 and
/// takes the connection over once hyper hands it out.
fn websocket_echo() -> impl App {
    app_fn(|mut req: Request| async move {
        let key = req.headers()["sec-websocket-key"].as_bytes().to_vec();
        let path = req.uri().path().to_owned();
        let upgrade = hyper::upgrade::on(&mut req);
        tokio::spawn(async move {
            let upgraded = upgrade.await.unwrap();
            let mut ws =
                WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
            ws.send(Message::text(format!("hello from {path}")))
                .await
                .unwrap();
            while let Some(Ok(message)) = ws.next().await {
                if message.is_close() {
                    break;
                }
                if message.is_text() || message.is_binary() {
                    ws.send(message).await.unwrap();
                }
            }
        });
        Ok(Response::builder()
            .status(101)
            .header("connection", "upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-accept", derive_accept_key(&key))
            .body(().into())
            .unwrap())
    })
}

#[tokio::test]
async fn a_websocket_echoes_through_the_proxy() {
    let backend = start(websocket_echo());
    let front = start(mounted("/app", HostProxy::new(&backend.url("")).unwrap()));
    let stream = tokio::net::TcpStream::connect(front.addr).await.unwrap();
    let (mut ws, response) = tokio::time::timeout(
        PATIENCE,
        tokio_tungstenite::client_async(format!("ws://{}/app/chat", front.addr), stream),
    )
    .await
    .expect("the handshake completes")
    .unwrap();
    assert_eq!(response.status(), 101);

    let next = async |ws: &mut WebSocketStream<tokio::net::TcpStream>| {
        tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("a message arrives")
            .unwrap()
            .unwrap()
    };
    assert_eq!(next(&mut ws).await, Message::text("hello from /chat"));
    ws.send(Message::text("ping")).await.unwrap();
    assert_eq!(next(&mut ws).await, Message::text("ping"));
    let big = vec![7u8; 300_000];
    ws.send(Message::binary(big.clone())).await.unwrap();
    assert_eq!(next(&mut ws).await.into_data(), big);
    ws.close(None).await.unwrap();
}

#[tokio::test]
async fn a_refused_upgrade_is_an_ordinary_response() {
    let backend = start(echo());
    let front = start(HostProxy::new(&backend.url("")).unwrap());
    let response = raw_exchange(
        front.addr,
        b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    )
    .await;
    assert_eq!(response.status(), 200);
    let headers = echoed_headers(&response.text());
    // The backend was asked to upgrade, as the client asked.
    assert_eq!(echoed(&headers, "upgrade"), Some("websocket"));
    assert_eq!(echoed(&headers, "connection"), Some("upgrade"));
}
