//! The builder methods that [`HostProxy`](crate::HostProxy) and
//! [`TransparentProxy`](crate::TransparentProxy) share, written once.

/// Expands to the builder methods common to both proxies. The type needs
/// the fields `options: Arc<Options>`, `pool_config: PoolConfig` and
/// `pool: Pool`.
macro_rules! common_options {
    () => {
        /// Whether the backend's path is the path info alone (`true`, the
        /// default: the proxy's mount point, its script name, is stripped
        /// and sent as `X-Forwarded-Prefix`) or the whole path.
        ///
        /// With stripping on, `Location` and cookie paths of the backend
        /// get the script name put back in front.
        #[must_use]
        pub fn strip_script_name(mut self, strip: bool) -> Self {
            std::sync::Arc::make_mut(&mut self.options).strip_script_name = strip;
            self
        }

        /// Whether the client's address is appended to `X-Forwarded-For`
        /// (default on). Earlier entries are kept: the header is a chain.
        #[must_use]
        pub fn x_forwarded_for(mut self, on: bool) -> Self {
            std::sync::Arc::make_mut(&mut self.options)
                .forwarding
                .x_forwarded_for = on;
            self
        }

        /// Whether `X-Forwarded-Host` is set to the `Host` the client asked
        /// for (default on).
        #[must_use]
        pub fn x_forwarded_host(mut self, on: bool) -> Self {
            std::sync::Arc::make_mut(&mut self.options)
                .forwarding
                .x_forwarded_host = on;
            self
        }

        /// Whether `X-Forwarded-Proto` is set to the client's scheme,
        /// `http` or `https` (default on).
        #[must_use]
        pub fn x_forwarded_proto(mut self, on: bool) -> Self {
            std::sync::Arc::make_mut(&mut self.options)
                .forwarding
                .x_forwarded_proto = on;
            self
        }

        /// Whether `X-Forwarded-Prefix` is set to the stripped script name
        /// (default on; absent at the root).
        #[must_use]
        pub fn x_forwarded_prefix(mut self, on: bool) -> Self {
            std::sync::Arc::make_mut(&mut self.options)
                .forwarding
                .x_forwarded_prefix = on;
            self
        }

        /// Whether an RFC 7239 `Forwarded: for=…;host=…;proto=…` element is
        /// appended (default off).
        #[must_use]
        pub fn forwarded(mut self, on: bool) -> Self {
            std::sync::Arc::make_mut(&mut self.options)
                .forwarding
                .forwarded = on;
            self
        }

        /// Lets only these methods through; any other gets
        /// `405 Method Not Allowed` with an `Allow` header listing them. By
        /// default every method passes.
        #[must_use]
        pub fn allowed_methods(
            mut self,
            methods: impl IntoIterator<Item = paste_core::http::Method>,
        ) -> Self {
            std::sync::Arc::make_mut(&mut self.options)
                .set_allowed_methods(methods.into_iter().collect());
            self
        }

        /// Removes this request header before forwarding (paste.proxy's
        /// `suppress_http_headers`); may be called several times.
        #[must_use]
        pub fn suppress_header(mut self, name: paste_core::http::HeaderName) -> Self {
            std::sync::Arc::make_mut(&mut self.options)
                .suppress
                .push(name);
            self
        }

        /// How long connecting to the backend may take (default 10
        /// seconds; `None` for no limit). Past it the client gets
        /// `504 Gateway Timeout`.
        #[must_use]
        pub fn connect_timeout(mut self, limit: Option<std::time::Duration>) -> Self {
            self.pool_config.connect_timeout = limit;
            self.pool = self.pool_config.build();
            self
        }

        /// How long the backend may take to send its response's head,
        /// counted from the start of the request, connecting included
        /// (default 60 seconds; `None` for no limit). Past it the client
        /// gets `504 Gateway Timeout`. The body then streams for as long
        /// as it takes (see [`body_timeout`](Self::body_timeout)).
        #[must_use]
        pub fn timeout(mut self, limit: Option<std::time::Duration>) -> Self {
            std::sync::Arc::make_mut(&mut self.options).timeout = limit;
            self
        }

        /// How long the backend's response body may stall between two
        /// pieces of data before the response is cut off (default `None`:
        /// no limit, for event streams and long polls). The client sees an
        /// incomplete response, never a complete-looking one.
        #[must_use]
        pub fn body_timeout(mut self, limit: Option<std::time::Duration>) -> Self {
            std::sync::Arc::make_mut(&mut self.options).body_timeout = limit;
            self
        }

        /// Whether a `Location` pointing at the backend (its absolute URL,
        /// or a path under its base) is rewritten to the front end's path,
        /// script name included (default on).
        #[must_use]
        pub fn rewrite_location(mut self, on: bool) -> Self {
            std::sync::Arc::make_mut(&mut self.options).rewrite_location = on;
            self
        }

        /// Whether `Set-Cookie` paths under the backend's base are moved
        /// under the front end's script name, and a `Domain` naming the
        /// backend's host is dropped (default on).
        #[must_use]
        pub fn rewrite_cookies(mut self, on: bool) -> Self {
            std::sync::Arc::make_mut(&mut self.options).rewrite_cookies = on;
            self
        }

        /// The TLS configuration for `https` backends, instead of Mozilla's
        /// root certificates (from webpki-roots) with ring: a private CA,
        /// client certificates…
        #[cfg(feature = "tls")]
        #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
        #[must_use]
        pub fn tls_config(mut self, config: rustls::ClientConfig) -> Self {
            self.pool_config.tls = Some(std::sync::Arc::new(config));
            self.pool = self.pool_config.build();
            self
        }
    };
}

pub(crate) use common_options;
