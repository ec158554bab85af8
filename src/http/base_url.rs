//! Base URLs for providers: `https://` anywhere, plain `http://` only to this machine.

use std::net::IpAddr;

use reqwest::Url;

/// Why a base URL was refused. The URL is shown with any credentials in it blanked out.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BaseUrlError {
    /// Not a URL.
    #[error("{variable}=`{shown}` is not a URL: {reason}")]
    NotAUrl {
        /// The environment variable.
        variable: String,
        /// The URL as given, credentials blanked.
        shown: String,
        /// Why.
        reason: String,
    },
    /// A URL with a user name or password in it.
    #[error(
        "{variable}=`{shown}` carries credentials; keyrot takes them only from their own \
         variables (CLOUDFLARE_API_TOKEN, RIXL_API_TOKEN, ...), never in a URL"
    )]
    Credentials {
        /// The environment variable.
        variable: String,
        /// The URL as given, credentials blanked.
        shown: String,
    },
    /// Plain HTTP to a host that is not this machine.
    #[error(
        "{variable}=`{shown}`: plain http:// is accepted only for loopback hosts (127.0.0.1, \
         ::1, localhost); use https://"
    )]
    PlainHttp {
        /// The environment variable.
        variable: String,
        /// The URL.
        shown: String,
    },
    /// Neither https nor http.
    #[error("{variable}=`{shown}`: unsupported scheme `{scheme}`; use https://")]
    Scheme {
        /// The environment variable.
        variable: String,
        /// The URL.
        shown: String,
        /// Its scheme.
        scheme: String,
    },
}

/// Parses a base URL given in environment variable `variable`, refusing plain HTTP to any host
/// other than a loopback one.
pub fn parse_base_url(variable: &str, text: &str) -> Result<Url, BaseUrlError> {
    let variable = variable.to_owned();
    let url = Url::parse(text.trim()).map_err(|error| BaseUrlError::NotAUrl {
        variable: variable.clone(),
        shown: without_credentials(text),
        reason: error.to_string(),
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        let shown = without_credentials(text);
        return Err(BaseUrlError::Credentials { variable, shown });
    }
    let shown = without_credentials(url.as_str());
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(BaseUrlError::PlainHttp { variable, shown }),
        other => Err(BaseUrlError::Scheme {
            variable,
            shown,
            scheme: other.to_owned(),
        }),
    }
}

/// `text` with anything between `://` and an `@` of its authority blanked out.
fn without_credentials(text: &str) -> String {
    let (scheme, rest) = match text.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), text),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}[credentials]{}", &rest[at..]),
        None => text.to_owned(),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// `base` joined with `path` (which starts with `/`), keeping any path `base` already has.
pub fn endpoint(base: &Url, path: &str) -> String {
    format!("{}{path}", base.as_str().trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const VAR: &str = "CLOUDFLARE_BASE_URL";

    #[test]
    fn https_is_accepted_anywhere() {
        assert!(parse_base_url(VAR, "https://api.cloudflare.com/client/v4").is_ok());
    }

    #[test]
    fn plain_http_only_for_loopback() {
        for ok in [
            "http://127.0.0.1:8080/client/v4",
            "http://127.8.9.10/",
            "http://localhost:1/",
            "http://[::1]:9/",
        ] {
            assert!(parse_base_url(VAR, ok).is_ok(), "{ok}");
        }
        for refused in [
            "http://10.0.0.1/",
            "http://example.com/",
            "http://localhost.evil.com/",
        ] {
            let message = parse_base_url(VAR, refused).unwrap_err().to_string();
            assert!(message.contains("loopback"), "{refused}: {message}");
        }
    }

    #[test]
    fn other_schemes_and_garbage_are_refused() {
        assert!(parse_base_url(VAR, "ftp://127.0.0.1/").is_err());
        assert!(parse_base_url(VAR, "not a url").is_err());
    }

    #[test]
    fn endpoints_keep_the_base_path() {
        let base = Url::parse("http://127.0.0.1:1/client/v4/").unwrap();
        assert_eq!(
            endpoint(&base, "/accounts/x/access/keys"),
            "http://127.0.0.1:1/client/v4/accounts/x/access/keys"
        );
    }

    #[test]
    fn credentials_in_a_base_url_are_refused_and_never_echoed() {
        for url in [
            "http://user:hunter2@127.0.0.1:8080/",
            "https://user:hunter2@api.example.com/client/v4",
            "http://user:hunter2@[::1",
            "user:hunter2@127.0.0.1:8080/client/v4",
        ] {
            let error = parse_base_url(VAR, url).unwrap_err().to_string();
            assert!(!error.contains("hunter2"), "{error}");
            assert!(!error.contains("user:"), "{error}");
        }
    }
}
