//! The cost model of `App`, counted: a static stack of middleware makes no
//! allocation per layer, and a `BoxApp` makes exactly one per call.
#![allow(missing_docs)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use paste_core::http::HeaderValue;
use paste_core::{App, Body, BoxApp, Request, Response, Result};

/// A middleware like most: owns the app it wraps, touches the response.
struct Layer<A>(A);

impl<A: App> App for Layer<A> {
    async fn call(&self, req: Request) -> Result {
        let mut response = self.0.call(req).await?;
        *response.status_mut() = response.status();
        Ok(response)
    }
}

struct Leaf;

impl App for Leaf {
    async fn call(&self, _req: Request) -> Result {
        Ok(Response::new(Body::from("static")))
    }
}

/// Runs a future that is ready at once, without a runtime.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the test apps never wait"),
    }
}

fn count<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let mut out = None;
    let info = allocation_counter::measure(|| out = Some(f()));
    (out.unwrap(), info.count_total)
}

#[test]
fn a_static_stack_of_five_layers_makes_no_allocation() {
    let stack = Layer(Layer(Layer(Layer(Layer(Leaf)))));
    let req = Request::new(Body::empty());
    let (response, allocations) = count(|| ready(stack.call(req)));
    assert_eq!(response.unwrap().status(), 200);
    assert_eq!(allocations, 0);
}

#[test]
fn a_box_app_makes_one_allocation_per_call() {
    let boxed = BoxApp::new(Layer(Layer(Leaf)));
    let req = Request::new(Body::empty());
    let (response, allocations) = count(|| ready(boxed.call(req)));
    assert_eq!(response.unwrap().status(), 200);
    assert_eq!(allocations, 1);
}

#[test]
fn bodies_from_static_and_owned_bytes_do_not_copy() {
    let owned = vec![7u8; 4096];
    let (body, allocations) = count(|| Body::from(owned));
    assert_eq!(allocations, 0, "Vec<u8> -> Body reuses the buffer");
    let ((), allocations) = count(|| {
        let header = HeaderValue::from_static("x");
        drop((Body::from("static text"), header));
    });
    assert_eq!(allocations, 0);
    drop(body);
}

#[test]
fn catching_the_panics_of_bytes_known_in_full_costs_nothing() {
    let on_panic = |_| paste_core::Error::new(paste_core::http::StatusCode::INTERNAL_SERVER_ERROR);
    let (body, allocations) = count(|| Body::from("static text").catch_panic(on_panic));
    assert_eq!(allocations, 0, "a full body is not wrapped");
    assert_eq!(http_body::Body::size_hint(&body).exact(), Some(11));
    let (body, allocations) = count(|| Body::empty().catch_panic(on_panic));
    assert_eq!(allocations, 0, "nor is an empty one");
    assert!(http_body::Body::is_end_stream(&body));
}
