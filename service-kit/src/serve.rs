use std::net::SocketAddr;
use std::path::PathBuf;

use axum::Router;
use serde::{Deserialize, Serialize};

/// A certificate chain and private key, both PEM, for serving HTTPS directly.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TlsFiles {
    pub certificate: PathBuf,
    pub private_key: PathBuf,
}

/// A bound socket, ready to serve: bind first so that a caller asking for port 0 learns
/// the real port before the service starts.
pub struct Listener {
    listener: std::net::TcpListener,
    tls: Option<TlsFiles>,
}

impl Listener {
    pub fn bind(address: SocketAddr, tls: Option<TlsFiles>) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind(address)?;
        listener.set_nonblocking(true)?;
        Ok(Self { listener, tls })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }

    /// Serves until the process ends or the shutdown future resolves.
    pub async fn serve(
        self,
        router: Router,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let service = router.into_make_service();
        let handle = axum_server::Handle::new();
        let stopper = handle.clone();
        tokio::spawn(async move {
            shutdown.await;
            stopper.graceful_shutdown(Some(std::time::Duration::from_secs(5)));
        });
        match self.tls {
            Some(files) => {
                let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(
                    &files.certificate,
                    &files.private_key,
                )
                .await?;
                axum_server::from_tcp_rustls(self.listener, config)
                    .handle(handle)
                    .serve(service)
                    .await
            }
            None => {
                axum_server::from_tcp(self.listener)
                    .handle(handle)
                    .serve(service)
                    .await
            }
        }
    }
}
