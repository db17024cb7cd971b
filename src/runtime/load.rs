//! Loading the explorer's tenant in the background (`jobs::load::explore`: the cache first,
//! then the backend, remembered after it shows), with progress and results sent as `Msg`s. A
//! newer load cancels an older one.

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Source;
use crate::app::Msg;
use crate::backend::{Error, Progress};
use crate::domain::audit::AuditOptions;
use crate::domain::audit::suppress::Suppression;
use crate::jobs::load::{self, Audited, Loading};

/// Starts a load; `from_cache`: start from the cached tenant (the session's first load).
pub(super) fn start(
    source: &Source,
    from_cache: bool,
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
    let (ltx, mut lrx) = mpsc::unbounded_channel();
    let tenant = source.tenant.clone();
    tokio::spawn(load::explore(
        tenant,
        from_cache,
        progress,
        options,
        suppressions,
        ltx,
    ));
    let tx = tx.clone();
    tokio::spawn(async move {
        while let Some(l) = lrx.recv().await {
            let msg = match l {
                Loading::Cached(a) | Loading::Fresh(a) => loaded(*a),
                Loading::CacheIgnored(e) | Loading::NotRemembered(e) => Msg::EffectFailed(e),
                Loading::Failed(Error::Cancelled) => continue,
                Loading::Failed(e) => Msg::LoadFailed(e.to_string()),
            };
            if tx.send(msg).is_err() {
                break;
            }
        }
    });
}

fn loaded(a: Audited) -> Msg {
    Msg::TenantLoaded {
        dir: Box::new(a.dir),
        audit: Some(Box::new((a.report, a.overview))),
        warnings: a.warnings,
        cached_at: a.cached_at,
    }
}
