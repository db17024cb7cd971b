//! Loading the explorer's tenant in the background (`jobs::load::explore`: the cache first,
//! then the backend — shown as it arrives when nothing was cached —, remembered after it
//! shows; or `jobs::load::explore_refresh`: only what changed since the cached tenant, then
//! `jobs::load::explore_sweep` in the background: every application's federated credentials
//! and the Azure part read again), with progress and results sent as `Msg`s. Every tenant is
//! made ready to swap in (`app::Ready`) on a blocking thread, for what the app shows, so the
//! UI thread only moves it in. A newer load cancels an older one, and a running sweep.

use std::sync::Arc;

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::Source;
use crate::app::msg::Refresh;
use crate::app::{Msg, Ready, Swept, ViewKey};
use crate::backend::{Error, Progress};
use crate::domain::audit::AuditOptions;
use crate::domain::audit::suppress::Suppression;
use crate::domain::last_used::LastUsed;
use crate::domain::{Directory, Timestamp};
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

/// Starts a load. `view` is what the app shows (`App::view_key`, kept current by the event
/// loop): each tenant is made ready for it off the UI thread (`app::Ready::prepare`).
pub(super) fn start(
    source: &Source,
    how: Start,
    tx: &mpsc::UnboundedSender<Msg>,
    cancel: &mut CancellationToken,
    options: AuditOptions,
    suppressions: Vec<Suppression>,
    view: watch::Receiver<Option<ViewKey>>,
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
            let sweep_options = options.clone();
            let sweep_suppressions = suppressions.clone();
            let (a, r) =
                match load::explore_refresh(&tenant, &progress, options, suppressions).await {
                    Ok(done) => done,
                    Err(Error::Cancelled) => return,
                    Err(Error::SignIn(f)) => {
                        let _ = tx.send(Msg::SignInNeeded(f));
                        return;
                    }
                    Err(e) => {
                        let _ = tx.send(Msg::LoadFailed(e.to_string()));
                        return;
                    }
                };
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
                azure_at: r.sync.as_ref().map(|s| s.arm_at),
            };
            let Some(msg) = ready(a, Some(refresh.clone()), None, &view).await else {
                return;
            };
            if tx.send(msg).is_err() || r.full {
                return;
            }
            // A delta refresh reads Graph's changes only: the sweep reads every application's
            // federated credentials (delta does not track them) and the Azure part again, in
            // the background, cancelled like the load.
            let swept = load::explore_sweep(
                &tenant,
                r.loaded.snapshot.clone(),
                &progress,
                sweep_options,
                sweep_suppressions,
            )
            .await;
            let msg = match swept {
                Ok((a, found)) => {
                    let refresh = Refresh {
                        azure_at: found.azure_at.or(refresh.azure_at),
                        ..refresh
                    };
                    let swept = Swept {
                        fics_changed: found.fics_changed,
                        identities: found.identities,
                        role_assignments: found.role_assignments,
                    };
                    match ready(a, Some(refresh), Some(swept), &view).await {
                        Some(msg) => msg,
                        None => return,
                    }
                }
                Err(Error::Cancelled) => return,
                Err(e) => Msg::SweepFailed(e.to_string()),
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
        // The cached tenant's usage evidence, worked out when it came unaudited, for its
        // audited copy (the same `Directory`).
        let mut cached_evidence: Option<(Arc<Directory>, Arc<LastUsed>)> = None;
        while let Some(l) = lrx.recv().await {
            let msg = match l {
                Loading::CachedIndexed(dir, at) => {
                    unaudited(dir, at, &view).await.map(|(msg, evidence)| {
                        cached_evidence = Some(evidence);
                        msg
                    })
                }
                Loading::Cached(a) => {
                    let evidence = cached_evidence
                        .take()
                        .filter(|(d, _)| Arc::ptr_eq(d, &a.dir))
                        .map(|(_, e)| e);
                    ready_with(*a, evidence, None, None, &view).await
                }
                Loading::Fresh(a) => ready(*a, None, None, &view).await,
                Loading::Partial(dir) => partial(*dir, &view).await,
                Loading::CacheIgnored(e) | Loading::NotRemembered(e) => Some(Msg::EffectFailed(e)),
                Loading::Failed(Error::Cancelled) => continue,
                Loading::Failed(Error::SignIn(f)) => Some(Msg::SignInNeeded(f)),
                Loading::Failed(e) => Some(Msg::LoadFailed(e.to_string())),
            };
            // In order: each is made ready before the next is looked at.
            if let Some(msg) = msg
                && tx.send(msg).is_err()
            {
                break;
            }
        }
    });
}

/// A loaded tenant made ready to swap in, off the UI thread; `None` if that thread failed.
async fn ready(
    a: Audited,
    refresh: Option<Refresh>,
    swept: Option<Swept>,
    view: &watch::Receiver<Option<ViewKey>>,
) -> Option<Msg> {
    ready_with(a, None, refresh, swept, view).await
}

/// The cached tenant before its audit, made ready the same way (`Ready::audit_pending`), and
/// its usage evidence for the audited copy that follows.
async fn unaudited(
    dir: Arc<Directory>,
    at: Timestamp,
    view: &watch::Receiver<Option<ViewKey>>,
) -> Option<(Msg, (Arc<Directory>, Arc<LastUsed>))> {
    let key = view.borrow().clone();
    tokio::task::spawn_blocking(move || {
        let mut r = Ready::shared(dir.clone(), None, None, Vec::new());
        r.cached_at = Some(at);
        r.audit_pending = true;
        if let Some(key) = key {
            r.prepare(&key);
        }
        let evidence = (dir, r.last_used.clone());
        (Msg::TenantReady(Box::new(r)), evidence)
    })
    .await
    .ok()
}

/// `ready`, with the usage evidence already worked out for the tenant's `Directory`.
async fn ready_with(
    a: Audited,
    last_used: Option<Arc<LastUsed>>,
    refresh: Option<Refresh>,
    swept: Option<Swept>,
    view: &watch::Receiver<Option<ViewKey>>,
) -> Option<Msg> {
    let key = view.borrow().clone();
    tokio::task::spawn_blocking(move || {
        let mut r = Ready::shared(a.dir, last_used, Some((a.report, a.overview)), a.warnings);
        r.cached_at = a.cached_at;
        r.refresh = refresh;
        r.swept = swept;
        if let Some(key) = key {
            r.prepare(&key);
        }
        Msg::TenantReady(Box::new(r))
    })
    .await
    .ok()
}

/// What a first load has read so far, made ready the same way.
async fn partial(dir: Directory, view: &watch::Receiver<Option<ViewKey>>) -> Option<Msg> {
    let key = view.borrow().clone();
    tokio::task::spawn_blocking(move || {
        let mut r = Ready::new(dir, None, Vec::new());
        r.partial = true;
        if let Some(key) = key {
            r.prepare(&key);
        }
        Msg::TenantReady(Box::new(r))
    })
    .await
    .ok()
}
