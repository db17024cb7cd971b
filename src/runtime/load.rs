//! Loading the explorer's tenant in the background (`jobs::load::explore`: the cache first,
//! then the backend, remembered after it shows; or `jobs::load::explore_refresh`: only what
//! changed since the cached tenant), with progress and results sent as `Msg`s. A newer load
//! cancels an older one.

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Source;
use crate::app::Msg;
use crate::app::msg::Refresh;
use crate::backend::{Error, Progress};
use crate::domain::audit::AuditOptions;
use crate::domain::audit::suppress::Suppression;
use crate::jobs::load::{self, Audited, Loading};

/// How a load starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Start {
    /// The cached tenant first, then a full load (the session's first load, a new source).
    FromCache,
    /// A full load (`:reload full`, after a migration).
    Full,
    /// An incremental refresh from the cached tenant's delta links (`r`).
    Incremental,
}

/// Starts a load.
pub(super) fn start(
    source: &Source,
    how: Start,
    tx: &mpsc::UnboundedSender<Msg>,
    cancel: &mut CancellationToken,
    options: AuditOptions,
    suppressions: Vec<Suppression>,
) {
    cancel.cancel();
    *cancel = CancellationToken::new();
    let (ptx, mut prx) = mpsc::unbounded_channel();
    let progress = Progress::new(ptx, cancel.clone());
    let forward = tx.clone();
    tokio::spawn(async move {
        while let Some(p) = prx.recv().await {
            if forward.send(Msg::LoadProgress(p)).is_err() {
                break;
            }
        }
    });
    let tenant = source.tenant.clone();
    if how == Start::Incremental {
        let tx = tx.clone();
        tokio::spawn(async move {
            let msg = match load::explore_refresh(&tenant, &progress, options, suppressions).await {
                Ok((a, r)) => {
                    let (added, changed, removed) = [&r.applications, &r.service_principals]
                        .iter()
                        .fold((0, 0, 0), |(a, c, d), m| {
                            (a + m.added.len(), c + m.changed.len(), d + m.removed.len())
                        });
                    let refresh = Refresh {
                        full: r.full,
                        added,
                        changed,
                        removed,
                        azure_at: r.sync.map(|s| s.arm_at),
                    };
                    loaded(a, Some(refresh))
                }
                Err(Error::Cancelled) => return,
                Err(Error::SignIn(f)) => Msg::SignInNeeded(f),
                Err(e) => Msg::LoadFailed(e.to_string()),
            };
            let _ = tx.send(msg);
        });
        return;
    }
    let (ltx, mut lrx) = mpsc::unbounded_channel();
    tokio::spawn(load::explore(
        tenant,
        how == Start::FromCache,
        progress,
        options,
        suppressions,
        ltx,
    ));
    let tx = tx.clone();
    tokio::spawn(async move {
        while let Some(l) = lrx.recv().await {
            let msg = match l {
                Loading::Cached(a) | Loading::Fresh(a) => loaded(*a, None),
                Loading::CacheIgnored(e) | Loading::NotRemembered(e) => Msg::EffectFailed(e),
                Loading::Failed(Error::Cancelled) => continue,
                Loading::Failed(Error::SignIn(f)) => Msg::SignInNeeded(f),
                Loading::Failed(e) => Msg::LoadFailed(e.to_string()),
            };
            if tx.send(msg).is_err() {
                break;
            }
        }
    });
}

fn loaded(a: Audited, refresh: Option<Refresh>) -> Msg {
    Msg::TenantLoaded {
        dir: Box::new(a.dir),
        audit: Some(Box::new((a.report, a.overview))),
        warnings: a.warnings,
        cached_at: a.cached_at,
        refresh,
    }
}
