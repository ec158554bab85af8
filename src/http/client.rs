//! Connection timeouts and transport errors in words.

use std::time::Duration;

/// How long to wait for a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A transport failure in words: "cannot connect to 127.0.0.1:9: Connection refused".
pub fn describe_transport_error(error: &reqwest::Error) -> String {
    let cause = root_cause(error);
    let host = error
        .url()
        .and_then(|url| {
            Some(format!(
                "{}:{}",
                url.host_str()?,
                url.port_or_known_default()?
            ))
        })
        .unwrap_or_else(|| "the API".to_owned());
    if error.is_timeout() {
        format!("no complete answer from {host} within the timeout")
    } else if error.is_connect() {
        format!("cannot connect to {host}: {cause}")
    } else {
        format!("the exchange with {host} broke off: {cause}")
    }
}

/// The innermost error of a chain: the one that says what actually happened.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}
