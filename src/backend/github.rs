//! GitHub's REST API, for the ids an immutable subject needs (`github-immutable-subject`):
//! `GET /repos/{owner}/{repo}` answers the repository's numeric `id` and its owner's
//! (`owner.id`) — GitHub REST API "Get a repository" (OpenAPI: github/rest-api-description,
//! operation `repos/get`, schema `full-repository`). Requests carry `Accept:
//! application/vnd.github+json` and `X-GitHub-Api-Version: 2022-11-28`, as GitHub's REST
//! documentation asks, and a bearer token when one is given (a private repository answers 404
//! without one; unauthenticated clients get 60 requests an hour).
//!
//! `--github-api-url` defaults to `https://api.github.com`; plain `http://` is accepted for a
//! loopback host only (the tests' stand-in, `credwise_test_kit::github`), and then no token is
//! sent, as `--auth none` sends none to Graph: a token never travels in the clear. The token
//! comes from `GITHUB_TOKEN` (or `GH_TOKEN`, the GitHub CLI's) when set; it is kept in a
//! redacted type and never logged.
//!
//! A renamed repository answers under its new name (GitHub redirects): the lookup returns
//! the name GitHub gave (`full_name`), so a plan can say when it differs from the subject's.
//!
//! May import the live backend's HTTP layer and the domain.

use std::sync::Arc;

use azure_core::http::{Method, Transport, Url};
use serde::Deserialize;

use super::Error;
use super::live::endpoints::is_loopback;
use super::live::error::Need;
use super::live::http::{Service, segment};
use super::live::pace::{Api as PacedApi, PaceSettings, Pacer};
use super::live::retry::{Mode, RetrySettings};
use crate::domain::migration::github_immutable::{KnownIds, RepoIds, repo_key};

/// GitHub.com's API.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// A GitHub token: no `Display`, a redacted `Debug`.
#[derive(Clone)]
pub struct GitHubToken(String);

impl GitHubToken {
    pub fn new(value: String) -> Self {
        Self(value)
    }
}

impl std::fmt::Debug for GitHubToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GitHubToken(<redacted>)")
    }
}

/// Where GitHub is and how to sign in to it.
#[derive(Debug, Clone)]
pub struct GitHubConfig {
    /// `--github-api-url`.
    pub api_url: String,
    pub token: Option<GitHubToken>,
}

impl GitHubConfig {
    /// `--github-api-url` (or GitHub.com's) with the token of `GITHUB_TOKEN` or `GH_TOKEN`.
    pub fn from_env(api_url: Option<&str>) -> Self {
        let token = ["GITHUB_TOKEN", "GH_TOKEN"]
            .iter()
            .filter_map(|k| std::env::var(k).ok())
            .map(|t| t.trim().to_string())
            .find(|t| !t.is_empty())
            .map(GitHubToken::new);
        Self {
            api_url: api_url.unwrap_or(DEFAULT_API_URL).to_string(),
            token,
        }
    }
}

/// A repository's ids as GitHub gave them, with the name it answered under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    pub ids: RepoIds,
    /// `owner/repo` as GitHub writes it now (a renamed repository answers under its new name).
    pub full_name: String,
}

#[derive(Deserialize)]
struct WireRepository {
    id: u64,
    #[serde(default)]
    full_name: String,
    owner: WireOwner,
}

#[derive(Deserialize)]
struct WireOwner {
    id: u64,
}

/// The GitHub client.
#[derive(Debug)]
pub struct GitHub {
    svc: Service,
    base: String,
    token: Option<GitHubToken>,
}

impl GitHub {
    /// Checks the URL (https, or http on loopback without a token) and sets up the client.
    pub fn new(
        config: &GitHubConfig,
        transport: Option<Transport>,
        retry: RetrySettings,
    ) -> Result<Self, Error> {
        let base = config.api_url.trim().trim_end_matches('/').to_string();
        let url = Url::parse(&base)
            .map_err(|e| Error::Endpoint(format!("--github-api-url {base}: not a URL ({e})")))?;
        let token = match url.scheme() {
            "https" => config.token.clone(),
            "http" if is_loopback(&url) => None,
            "http" => {
                return Err(Error::Endpoint(format!(
                    "--github-api-url {base}: plain http is accepted only for a loopback host; use https"
                )));
            }
            other => {
                return Err(Error::Endpoint(format!(
                    "--github-api-url {base}: {other} is not http or https"
                )));
            }
        };
        let pacer = Arc::new(Pacer::new(
            PacedApi::Other,
            PaceSettings::documented(PacedApi::Other),
        ));
        let svc = Service::new("GitHub", &base, None, "", retry, transport, pacer)?;
        Ok(Self { svc, base, token })
    }

    /// The ids of `owner/repo`.
    pub async fn repository(&self, owner: &str, repo: &str) -> Result<Repository, Error> {
        let url = format!("{}/repos/{}/{}", self.base, segment(owner), segment(repo));
        let bearer = self.token.as_ref().map(|t| format!("Bearer {}", t.0));
        let mut headers: Vec<(&'static str, &str)> = vec![
            ("accept", "application/vnd.github+json"),
            ("x-github-api-version", "2022-11-28"),
        ];
        if let Some(b) = &bearer {
            headers.push(("authorization", b));
        }
        let reply = match self
            .svc
            .send(
                Mode::Read,
                Method::Get,
                &url,
                &headers,
                None,
                Need::GitHubRead,
            )
            .await
        {
            Ok(r) => r,
            Err(Error::NotFound(_)) => {
                return Err(Error::NotFound(format!(
                    "GitHub has no repository {owner}/{repo}{}",
                    if self.token.is_none() {
                        " (a private one needs a token: set GITHUB_TOKEN)"
                    } else {
                        " that this token may read"
                    }
                )));
            }
            Err(e) => return Err(e),
        };
        let w: WireRepository = self.svc.json(&reply, &url)?;
        Ok(Repository {
            ids: RepoIds {
                owner_id: w.owner.id.to_string(),
                repo_id: w.id.to_string(),
            },
            full_name: w.full_name,
        })
    }

    /// The ids of every repository of `repos`, and the ones GitHub could not give (each with
    /// its error); also a note for each that answered under another name.
    pub async fn lookup(&self, repos: &[(String, String)]) -> Lookup {
        let mut out = Lookup::default();
        for (owner, repo) in repos {
            match self.repository(owner, repo).await {
                Ok(r) => {
                    if !r.full_name.is_empty()
                        && !r.full_name.eq_ignore_ascii_case(&format!("{owner}/{repo}"))
                    {
                        out.renamed.push(format!(
                            "{owner}/{repo} answered as {} (renamed or transferred): check that it is the repository the credential was made for",
                            r.full_name
                        ));
                    }
                    out.ids.insert(repo_key(owner, repo), r.ids);
                }
                Err(e) => out.failed.push((format!("{owner}/{repo}"), e)),
            }
        }
        out
    }
}

/// What a lookup found.
#[derive(Debug, Default)]
pub struct Lookup {
    pub ids: KnownIds,
    pub failed: Vec<(String, Error)>,
    pub renamed: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_on_loopback_and_then_without_the_token() {
        let cfg = |url: &str| GitHubConfig {
            api_url: url.into(),
            token: Some(GitHubToken::new("ghp_secret".into())),
        };
        let e = GitHub::new(
            &cfg("http://github.example.com"),
            None,
            RetrySettings::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("loopback"), "{e}");
        let local =
            GitHub::new(&cfg("http://127.0.0.1:9"), None, RetrySettings::default()).unwrap();
        assert!(local.token.is_none());
        let public = GitHub::new(&cfg(DEFAULT_API_URL), None, RetrySettings::default()).unwrap();
        assert!(public.token.is_some());
        assert!(!format!("{public:?}").contains("ghp_secret"));
    }
}
