//! A loopback stand-in for GitHub's REST API, serving `GET /repos/{owner}/{repo}` as GitHub
//! documents it ("Get a repository": the repository's `id`, `name`, `full_name`, `private`,
//! and its `owner` with `login` and `id`; an unknown or, without a token, private repository
//! is 404 `{"message":"Not Found","documentation_url":…,"status":"404"}`). Names match
//! case-insensitively, as GitHub's do. Every request is logged, headers included, so a test
//! can check what was sent (and that no token went where it should not).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A repository the stand-in knows.
#[derive(Debug, Clone)]
pub struct Repo {
    pub owner: String,
    pub owner_id: u64,
    pub name: String,
    pub id: u64,
    /// Answered only to a request with a bearer token.
    pub private: bool,
}

/// One request as the stand-in saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub headers: Vec<(String, String)>,
}

struct Inner {
    repos: Vec<Repo>,
    log: Mutex<Vec<Seen>>,
}

/// The running stand-in; it stops when dropped.
pub struct GitHubStandIn {
    inner: Arc<Inner>,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for GitHubStandIn {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl GitHubStandIn {
    pub async fn start(repos: Vec<Repo>) -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind a loopback port for the GitHub stand-in");
        let addr = listener.local_addr().expect("the stand-in's address");
        let inner = Arc::new(Inner {
            repos,
            log: Mutex::new(Vec::new()),
        });
        let app = Router::new().fallback(handle).with_state(inner.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            inner,
            addr,
            server,
        }
    }

    /// `http://127.0.0.1:PORT`, what `--github-api-url` takes.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.inner
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

async fn handle(State(inner): State<Arc<Inner>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let authorised = headers
        .iter()
        .any(|(k, v)| k == "authorization" && v.starts_with("Bearer "));
    inner
        .log
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Seen {
            path: path.clone(),
            headers,
        });
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let found = match parts.as_slice() {
        ["repos", owner, name] => inner.repos.iter().find(|r| {
            r.owner.eq_ignore_ascii_case(owner)
                && r.name.eq_ignore_ascii_case(name)
                && (!r.private || authorised)
        }),
        _ => None,
    };
    match found {
        Some(r) => (
            StatusCode::OK,
            axum::Json(json!({
                "id": r.id,
                "node_id": format!("R_{}", r.id),
                "name": r.name,
                "full_name": format!("{}/{}", r.owner, r.name),
                "private": r.private,
                "owner": {
                    "login": r.owner,
                    "id": r.owner_id,
                    "type": "Organization",
                },
                "html_url": format!("https://github.com/{}/{}", r.owner, r.name),
            })),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({
                "message": "Not Found",
                "documentation_url": "https://docs.github.com/rest/repos/repos#get-a-repository",
                "status": "404",
            })),
        )
            .into_response(),
    }
}
