//! The URLs a live session talks to, and the rules for plain `http://` (PRODUCT.md, "Live
//! endpoints"): `--graph-url`/`--arm-url` default to the cloud's hosts; `http://` is accepted
//! only for loopback hosts (127.0.0.0/8, ::1, localhost) and only with `--auth none`, which
//! sends no token; and `--auth none` is accepted only with loopback hosts. Anything else is
//! refused up front with a message that says which rule and what to do, so a token can never
//! travel in the clear and a local emulator is one flag away.
//!
//! Imports the cloud table and azure_core's `Url`.

use azure_core::http::Url;

use super::auth::AuthMode;
use super::cloud::CloudEndpoints;
use crate::backend::Error;

/// Resolved base URLs, without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// Graph v1.0, e.g. `https://graph.microsoft.com/v1.0`.
    pub graph_v1: String,
    /// Graph beta (flexible federated credentials), e.g. `https://graph.microsoft.com/beta`.
    pub graph_beta: String,
    /// The ARM root, e.g. `https://management.azure.com`.
    pub arm: String,
}

impl Endpoints {
    /// Applies the defaults of `cloud` and checks the rules above.
    pub fn resolve(
        cloud: &CloudEndpoints,
        graph_url: Option<&str>,
        arm_url: Option<&str>,
        auth: AuthMode,
    ) -> Result<Self, Error> {
        let graph = check("--graph-url", graph_url, cloud.graph, auth)?;
        let arm = check("--arm-url", arm_url, cloud.arm, auth)?;
        // The version segment is optional on the command line: `…/v1.0`, `…/beta` and the
        // bare host all name the same service.
        let root = graph
            .strip_suffix("/v1.0")
            .or_else(|| graph.strip_suffix("/beta"))
            .unwrap_or(&graph);
        Ok(Self {
            graph_v1: format!("{root}/v1.0"),
            graph_beta: format!("{root}/beta"),
            arm,
        })
    }
}

/// Whether `url`'s host is a loopback address or `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
    }
}

/// Whether `candidate` is on the same scheme, host and port as `base`: an `@odata.nextLink`
/// or ARM `nextLink` must not take the bearer token anywhere else.
pub fn same_origin(base: &Url, candidate: &Url) -> bool {
    base.scheme() == candidate.scheme()
        && base.host_str().map(str::to_ascii_lowercase)
            == candidate.host_str().map(str::to_ascii_lowercase)
        && base.port_or_known_default() == candidate.port_or_known_default()
}

fn check(flag: &str, given: Option<&str>, default: &str, auth: AuthMode) -> Result<String, Error> {
    let raw = given.unwrap_or(default);
    let what = match given {
        Some(_) => format!("{flag} {raw}"),
        None => format!("the default {flag} {raw}"),
    };
    let refuse = |why: String| Err(Error::Endpoint(format!("{what}: {why}")));
    let url = match Url::parse(raw.trim()) {
        Ok(u) => u,
        Err(e) => return refuse(format!("not a URL ({e})")),
    };
    if url.host().is_none() {
        return refuse("the URL has no host".into());
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return refuse("give the base URL only, without a query, fragment or user name".into());
    }
    let loopback = is_loopback(&url);
    match url.scheme() {
        "https" => {}
        "http" if !loopback => {
            return refuse(
                "plain http:// is accepted only for loopback hosts (127.0.0.0/8, ::1, \
                 localhost); use https://"
                    .into(),
            );
        }
        "http" if auth != AuthMode::None => {
            return refuse(format!(
                "plain http:// would send the token unencrypted, so it needs --auth none \
                 (a local emulator needs no token); --auth is {}",
                auth.as_str()
            ));
        }
        "http" => {}
        other => return refuse(format!("unsupported scheme {other}:// (use https://)")),
    }
    if auth == AuthMode::None && !loopback {
        return refuse(
            "--auth none sends no token, so it works only with a loopback endpoint \
             (e.g. --graph-url http://127.0.0.1:PORT/v1.0 --arm-url http://127.0.0.1:PORT); \
             leave out --auth none to sign in"
                .into(),
        );
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Cloud;

    fn resolve(graph: Option<&str>, arm: Option<&str>, auth: AuthMode) -> Result<Endpoints, Error> {
        Endpoints::resolve(&CloudEndpoints::of(Cloud::Public), graph, arm, auth)
    }

    #[test]
    fn defaults_are_the_cloud_hosts() {
        let e = resolve(None, None, AuthMode::Auto).unwrap();
        assert_eq!(e.graph_v1, "https://graph.microsoft.com/v1.0");
        assert_eq!(e.graph_beta, "https://graph.microsoft.com/beta");
        assert_eq!(e.arm, "https://management.azure.com");
        let e = Endpoints::resolve(&CloudEndpoints::of(Cloud::China), None, None, AuthMode::Cli)
            .unwrap();
        assert_eq!(e.graph_v1, "https://microsoftgraph.chinacloudapi.cn/v1.0");
    }

    #[test]
    fn loopback_http_with_auth_none() {
        for (graph, arm) in [
            ("http://127.0.0.1:8080/v1.0", "http://127.0.0.1:8080"),
            ("http://127.1.2.3:8080/", "http://localhost:9"),
            ("http://[::1]:8080/beta", "http://LOCALHOST:9/"),
        ] {
            let e = resolve(Some(graph), Some(arm), AuthMode::None).unwrap();
            assert!(e.graph_v1.ends_with(":8080/v1.0"), "{e:?}");
            assert!(e.graph_beta.ends_with(":8080/beta"), "{e:?}");
            assert!(!e.arm.ends_with('/'), "{e:?}");
        }
    }

    #[test]
    fn refused_combinations_say_why() {
        let cases = [
            (
                Some("http://graph.example.com/v1.0"),
                None,
                AuthMode::None,
                "only for loopback hosts",
            ),
            (
                Some("http://127.0.0.1:1/v1.0"),
                Some("https://management.azure.com"),
                AuthMode::Auto,
                "needs --auth none",
            ),
            (
                None,
                None,
                AuthMode::None,
                "works only with a loopback endpoint",
            ),
            (
                Some("https://127.0.0.1:1/v1.0"),
                Some("https://10.0.0.1"),
                AuthMode::None,
                "--arm-url https://10.0.0.1: --auth none",
            ),
            (
                Some("ftp://127.0.0.1/"),
                None,
                AuthMode::None,
                "unsupported scheme",
            ),
            (Some("not a url"), None, AuthMode::Auto, "not a URL"),
            (
                Some("https://graph.microsoft.com/v1.0?x=1"),
                None,
                AuthMode::Auto,
                "base URL only",
            ),
        ];
        for (graph, arm, auth, want) in cases {
            let err = resolve(graph, arm, auth).unwrap_err();
            assert_eq!(err.cause(), crate::backend::Cause::Refused, "{err}");
            assert!(err.to_string().contains(want), "{err}");
        }
    }

    #[test]
    fn origins() {
        let base = Url::parse("https://graph.microsoft.com/v1.0/applications").unwrap();
        let same = Url::parse("https://GRAPH.microsoft.com:443/v1.0/x?$skiptoken=a").unwrap();
        let other = Url::parse("https://evil.example/v1.0/x").unwrap();
        let downgrade = Url::parse("http://graph.microsoft.com/v1.0/x").unwrap();
        assert!(same_origin(&base, &same));
        assert!(!same_origin(&base, &other));
        assert!(!same_origin(&base, &downgrade));
    }
}
