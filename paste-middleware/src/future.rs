//! Futures that middleware return instead of `async` blocks, so that a
//! stack of middleware makes a small future.
//!
//! An `async move` block keeps each value it captured — the request, a
//! few hundred bytes — in a slot of its own for its whole life, beside the
//! future of the app it wraps, and every layer copies the whole of its
//! future when the layer above starts it. A middleware that does its work
//! on the request before calling the app, and its work on the answer
//! after, needs neither: it calls the app at once and returns [`map`] of
//! the app's future, which holds that future and the closure, nothing
//! more.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

pin_project_lite::pin_project! {
    /// The future [`map`] returns.
    pub(crate) struct Map<F, G> {
        #[pin]
        future: F,
        then: Option<G>,
    }
}

/// Runs `future`, then `then` on its output.
pub(crate) fn map<F, G, T>(future: F, then: G) -> Map<F, G>
where
    F: Future,
    G: FnOnce(F::Output) -> T,
{
    Map {
        future,
        then: Some(then),
    }
}

impl<F, G, T> Future for Map<F, G>
where
    F: Future,
    G: FnOnce(F::Output) -> T,
{
    type Output = T;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.project();
        let output = ready!(this.future.poll(cx));
        let then = this.then.take().expect("Map polled after it finished");
        Poll::Ready(then(output))
    }
}

pin_project_lite::pin_project! {
    /// One of two futures with the same output.
    #[project = EitherProj]
    pub(crate) enum Either<L, R> {
        Left { #[pin] future: L },
        Right { #[pin] future: R },
    }
}

impl<L, R> Either<L, R> {
    pub(crate) fn left(future: L) -> Self {
        Self::Left { future }
    }

    pub(crate) fn right(future: R) -> Self {
        Self::Right { future }
    }
}

impl<L, R> Future for Either<L, R>
where
    L: Future,
    R: Future<Output = L::Output>,
{
    type Output = L::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<L::Output> {
        match self.project() {
            EitherProj::Left { future } => future.poll(cx),
            EitherProj::Right { future } => future.poll(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn map_runs_the_closure_once_on_the_output() {
        let mut calls = 0;
        let doubled = map(async { 21 }, |n| {
            calls += 1;
            n * 2
        })
        .await;
        assert_eq!((doubled, calls), (42, 1));
    }

    #[tokio::test]
    async fn either_runs_the_side_it_holds() {
        let left: Either<_, std::future::Ready<&str>> = Either::left(async { "left" });
        let right: Either<std::future::Ready<&str>, _> = Either::right(async { "right" });
        assert_eq!(left.await, "left");
        assert_eq!(right.await, "right");
    }
}
