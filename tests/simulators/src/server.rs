//! Running a simulator: bind an axum router to a loopback port, hand back its base URL,
//! stop it when the handle drops.

use std::net::SocketAddr;

use tokio::sync::oneshot;

/// A running simulator. Dropping it stops the server.
pub struct SimServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl SimServer {
    /// Serves `router` on 127.0.0.1 with an OS-chosen port.
    pub async fn start(router: axum::Router) -> std::io::Result<SimServer> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(SimServer {
            addr,
            stop: Some(stop),
        })
    }

    /// `http://127.0.0.1:<port>` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
