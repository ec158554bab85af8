//! Serving connections one by one, so that a fault can close a connection without an answer,
//! as a reset or a lost response would.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Extension;
use axum::Router;
use axum::response::Response;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};

/// Closes the connection it belongs to; handed to handlers as a request extension.
#[derive(Clone)]
pub struct ConnectionKill(Arc<Notify>);

impl ConnectionKill {
    /// Closes the connection; the request is never answered.
    pub async fn drop_connection(&self) -> Response {
        self.0.notify_one();
        match std::future::pending::<Infallible>().await {}
    }
}

/// Accepts connections until `stop` fires.
pub(crate) async fn serve(listener: TcpListener, app: Router, mut stop: oneshot::Receiver<()>) {
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    tokio::spawn(serve_connection(stream, app.clone()));
                }
            }
        }
    }
}

async fn serve_connection(stream: TcpStream, app: Router) {
    let kill = ConnectionKill(Arc::new(Notify::new()));
    let service = TowerToHyperService::new(app.layer(Extension(kill.clone())));
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = connection => {}
        () = kill.0.notified() => {}
    }
}
