//! A tenant made ready to swap in, so the UI thread never works over the whole tenant when
//! one arrives: the usage evidence (`LastUsed`), the navigation counts, the sorted and
//! filtered list and the findings view are worked out beside the tenant (the runtime does it
//! on a blocking thread, for the `ViewKey` the app had then) and `install` only moves them in.
//! When the user changed the view meanwhile (another filter, sort or navigation item), the
//! prepared lists do not fit and `install` works them out again, as before.
//!
//! A partial tenant (`Ready::partial`: the pages of a first load without a cached tenant,
//! before the load completes) is installed the same way; it replaces nothing but another
//! partial tenant, carries no audit (findings that depend on the Azure part or on identities
//! not read yet would be wrong, so the audit runs once, on the complete tenant) and keeps the
//! selection, the filter and the details' scroll across swaps.
//!
//! The clock's minute (`Msg::Tick`) changes what counts as expired or expiring: the lists and
//! counts are worked out again the same way (`Recount`, on a blocking thread) and swapped in
//! (`App::install_recount`) when the tenant and the view are still the ones they were made for.
//!
//! A cached tenant comes first without its audit (`Ready::audit_pending`: the list is usable
//! at once, the findings and the dashboard say the audit is running), then again with it, the
//! same `Directory` and usage evidence (`Ready::shared`); the selection, the filter and the
//! details' scroll stay across that swap too.
//!
//! May import `domain` and `backend` types, like the rest of `app`.

use std::any::Any;
use std::sync::Arc;

use tui_input::Input;

use super::msg::Refresh;
use super::{App, LoadState, NavItem, SortKey, Status};
use crate::backend::{Area, Warning};
use crate::domain::audit::Report;
use crate::domain::audit::overview::Overview;
use crate::domain::expiry::Thresholds;
use crate::domain::last_used::LastUsed;
use crate::domain::{Directory, EntryId, Timestamp};

/// Everything besides the tenant that the list, the counts and the findings view depend on:
/// a view prepared for one key fits an app with the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewKey {
    nav: usize,
    sort: SortKey,
    sort_explicit: bool,
    filter: String,
    now: Timestamp,
    thresholds: Thresholds,
    /// Whether a tenant is on screen: the first complete tenant opens on the dashboard.
    tenant_shown: bool,
}

impl ViewKey {
    /// The key the app will have once a tenant is installed: the first whole, audited one
    /// opens on the dashboard; a partial one, or one whose audit is still running, on the
    /// list (`unaudited`), and the audited tenant after it stays where the user is.
    fn landing(mut self, unaudited: bool) -> Self {
        if !self.tenant_shown && !unaudited {
            self.nav = App::nav_index(NavItem::Dashboard);
        }
        self.tenant_shown = true;
        self
    }
}

/// The lists and counts of one tenant under one `ViewKey`.
#[derive(Debug)]
pub struct View {
    key: ViewKey,
    nav_counts: Vec<usize>,
    base: Vec<EntryId>,
    visible: Vec<EntryId>,
    visible_findings: Vec<u32>,
}

/// What the sweep after an incremental refresh found (`r`: federated credentials of every
/// application and the Azure part read again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Swept {
    /// Applications whose federated credentials the sweep found changed.
    pub fics_changed: usize,
    /// Managed identities (user-assigned) and role assignments, before and after.
    pub identities: (usize, usize),
    pub role_assignments: (usize, usize),
}

/// A tenant ready to swap in (see the module docs).
#[derive(Debug)]
pub struct Ready {
    pub dir: Arc<Directory>,
    pub last_used: Arc<LastUsed>,
    /// The audit and overview, when they were made (never for a partial tenant).
    pub audit: Option<(Arc<Report>, Overview)>,
    pub warnings: Vec<Warning>,
    /// Set when this is the cached tenant shown while the live load runs.
    pub cached_at: Option<Timestamp>,
    /// Set when this tenant came from an incremental refresh (`r`) or its sweep.
    pub refresh: Option<Refresh>,
    /// Set when this is the sweep after a refresh: what it found.
    pub swept: Option<Swept>,
    /// The load still runs: what arrived so far (Graph only, no audit).
    pub partial: bool,
    /// A whole tenant whose audit is still running (the cached tenant, shown before its
    /// audit): no findings yet rather than none; the audited copy follows.
    pub audit_pending: bool,
    view: Option<View>,
}

impl Ready {
    /// A tenant to swap in; its usage evidence is worked out here (once per tenant: the
    /// column, the sort and the details read it), so call it off the UI thread.
    pub fn new(dir: Directory, audit: Option<(Report, Overview)>, warnings: Vec<Warning>) -> Self {
        Self::shared(Arc::new(dir), None, audit, warnings)
    }

    /// `new` for a `Directory` already shared, with its usage evidence when it was worked
    /// out before (the cached tenant sent again with its audit reuses both).
    pub fn shared(
        dir: Arc<Directory>,
        last_used: Option<Arc<LastUsed>>,
        audit: Option<(Report, Overview)>,
        warnings: Vec<Warning>,
    ) -> Self {
        let last_used = last_used.unwrap_or_else(|| Arc::new(LastUsed::new(&dir)));
        Self {
            dir,
            last_used,
            audit: audit.map(|(r, o)| (Arc::new(r), o)),
            warnings,
            cached_at: None,
            refresh: None,
            swept: None,
            partial: false,
            audit_pending: false,
            view: None,
        }
    }

    /// Works out the list, the counts and the findings view for `key` (what `App::view_key`
    /// said when the tenant arrived), with the same code `install` would run otherwise. Off
    /// the UI thread: it is O(tenant).
    pub fn prepare(&mut self, key: &ViewKey) {
        let key = key.clone().landing(self.partial || self.audit_pending);
        let report = self.audit.as_ref().map(|(r, _)| r.clone());
        self.view = Some(View::of(&self.dir, &self.last_used, report, key));
    }
}

impl View {
    /// The lists and counts of `dir` under `key`, with the code `App` uses (O(tenant)).
    fn of(
        dir: &Arc<Directory>,
        last_used: &Arc<LastUsed>,
        report: Option<Arc<Report>>,
        key: ViewKey,
    ) -> Self {
        let mut scratch = App::new("", false, key.now);
        scratch.thresholds = key.thresholds;
        scratch.nav_selected = key.nav;
        scratch.sort = key.sort;
        scratch.sort_explicit = key.sort_explicit;
        scratch.filter = Input::new(key.filter.clone());
        scratch.dir = Some(dir.clone());
        scratch.last_used = last_used.clone();
        scratch.report = report;
        scratch.recount();
        scratch.refilter_findings();
        scratch.rebuild();
        View {
            key,
            nav_counts: scratch.nav_counts,
            base: scratch.base,
            visible: scratch.visible,
            visible_findings: scratch.visible_findings,
        }
    }
}

/// The lists and counts of the tenant on screen to work out again for the clock's new
/// minute (`Msg::Tick`): what they depend on, shared, for a blocking thread (`run`), so the
/// UI thread never recounts a 150,000-identity tenant.
#[derive(Debug)]
pub struct Recount {
    dir: Arc<Directory>,
    last_used: Arc<LastUsed>,
    report: Option<Arc<Report>>,
    key: ViewKey,
}

impl Recount {
    /// The work itself (O(tenant)): off the UI thread.
    pub fn run(self) -> Recounted {
        let view = View::of(&self.dir, &self.last_used, self.report, self.key);
        Recounted {
            dir: self.dir,
            view,
        }
    }
}

/// What a `Recount` worked out, for `Msg::Recounted`.
#[derive(Debug)]
pub struct Recounted {
    dir: Arc<Directory>,
    view: View,
}

impl App {
    /// What a list prepared beside an arriving tenant depends on (see `Ready::prepare`).
    pub fn view_key(&self) -> ViewKey {
        ViewKey {
            nav: self.nav_selected,
            sort: self.sort,
            sort_explicit: self.sort_explicit,
            filter: self.filter.value().to_string(),
            now: self.now,
            thresholds: self.thresholds,
            tenant_shown: self.dir.is_some(),
        }
    }

    /// What the clock's new minute asks to work out again (`Effect::Recount`); `None` without
    /// a tenant.
    pub fn recount_job(&self) -> Option<Recount> {
        Some(Recount {
            dir: self.dir.clone()?,
            last_used: self.last_used.clone(),
            report: self.report.clone(),
            key: self.view_key(),
        })
    }

    /// Swaps in what a `Recount` worked out, keeping the selected identity (and the details'
    /// place). When the tenant or the view changed since it was asked for, it changes nothing
    /// (another tenant came with its own lists) and returns true when the same tenant is still
    /// on screen: the counts of the new minute are to be asked for again, for this view.
    pub(crate) fn install_recount(&mut self, r: Recounted) -> bool {
        let same_tenant = self.dir.as_ref().is_some_and(|d| Arc::ptr_eq(d, &r.dir));
        if !same_tenant || r.view.key != self.view_key() {
            self.retired.push(Box::new(r));
            return same_tenant;
        }
        let keep = self.selected_entry();
        let v = r.view;
        self.nav_counts = v.nav_counts;
        let base = std::mem::replace(&mut self.base, v.base);
        let visible = std::mem::replace(&mut self.visible, v.visible);
        self.retired.push(Box::new((base, visible)));
        self.visible_findings = v.visible_findings;
        self.finding_selected = self
            .finding_selected
            .min(self.visible_findings.len().saturating_sub(1));
        match keep.and_then(|k| self.visible.iter().position(|&e| e == k)) {
            Some(i) => self.selected = i,
            None => {
                self.selected = self.selected.min(self.visible.len().saturating_sub(1));
                self.link_selected = None;
                self.details_scroll = 0;
            }
        }
        false
    }

    /// What the app let go of (old tenants, reports), for the event loop to drop off the UI
    /// thread: freeing a 150,000-identity tenant takes longer than a frame.
    pub fn take_retired(&mut self) -> Vec<Box<dyn Any + Send>> {
        std::mem::take(&mut self.retired)
    }

    /// Swaps `ready` in (see the module docs). Returns false when it was not installed: a
    /// partial tenant never replaces a complete one.
    pub(crate) fn install(&mut self, mut ready: Ready) -> bool {
        if ready.partial && self.dir.is_some() && !self.partial {
            return false;
        }
        let count = ready.dir.len();
        let key = self
            .view_key()
            .landing(ready.partial || ready.audit_pending);
        let first_partial = ready.partial && !self.partial;
        // A swap keeps the user where they were: the same identity, by its id.
        let keep = self.dir.as_ref().and_then(|old| {
            self.selected_entry().map(|e| {
                let e = old.entry(e);
                (old.id_of(e).to_string(), e.kind)
            })
        });
        let (link, scroll) = (self.link_selected, self.details_scroll);
        if let Some(old) = self.dir.replace(ready.dir.clone()) {
            self.retired.push(Box::new(old));
        }
        let used = std::mem::replace(&mut self.last_used, ready.last_used.clone());
        self.retired.push(Box::new(used));
        let old_report = match ready.audit.take() {
            Some((report, overview)) => {
                self.overview = Some(overview);
                self.report.replace(report)
            }
            // A partial tenant has no audit, nor one whose audit still runs (no findings
            // yet, never "none"); a whole one loaded without it has no findings.
            None if ready.partial || ready.audit_pending => {
                self.overview = None;
                self.report.take()
            }
            None => {
                self.overview = None;
                self.report.replace(Arc::default())
            }
        };
        if let Some(r) = old_report {
            self.retired.push(Box::new(r));
        }
        self.nav_selected = key.nav;
        self.cached_at = ready.cached_at;
        self.history.clear();
        let was_partial = std::mem::replace(&mut self.partial, ready.partial);
        let was_pending = std::mem::replace(&mut self.audit_pending, ready.audit_pending);
        if !ready.partial {
            self.status = Some(loaded_status(self, &ready, count));
        } else if first_partial {
            self.status = Some(Status {
                text: "identities show as they arrive; findings and migrations wait for the whole tenant".into(),
                is_error: false,
            });
        }
        if ready.partial {
            // The load goes on: the spinner and the phases stay in the title.
            if !matches!(self.load, LoadState::Loading(_)) {
                self.load = LoadState::Loading(None);
            }
        } else if ready.cached_at.is_none() {
            self.load = LoadState::Loaded;
            self.phases.clear();
        }
        // After a refresh, its sweep runs (only a delta refresh leaves anything unread).
        self.sweeping = ready.swept.is_none() && ready.refresh.as_ref().is_some_and(|r| !r.full);
        if ready.swept.is_some() {
            self.phases.clear();
        }
        self.refreshed = ready.refresh.take();
        self.warnings = std::mem::take(&mut ready.warnings);
        if self.filter.value().trim().is_empty() {
            self.sort_explicit = false;
        }
        match ready.view.take() {
            Some(v) if v.key == key => {
                self.nav_counts = v.nav_counts;
                let base = std::mem::replace(&mut self.base, v.base);
                let visible = std::mem::replace(&mut self.visible, v.visible);
                self.retired.push(Box::new((base, visible)));
                self.visible_findings = v.visible_findings;
            }
            // The view changed since the tenant arrived (or nobody prepared it).
            _ => {
                self.recount();
                self.refilter_findings();
                self.rebuild();
            }
        }
        self.finding_selected = self
            .finding_selected
            .min(self.visible_findings.len().saturating_sub(1));
        // By id and kind (an application and its service principal can share an id lookup),
        // with no search by name: a hash lookup and one pass over the list.
        let same = keep
            .and_then(|(id, kind)| {
                let dir = self.dir.as_ref()?;
                dir.by_id(&id)
                    .iter()
                    .copied()
                    .find(|&e| dir.entry(e).kind == kind)
            })
            .and_then(|e| self.visible.iter().position(|&v| v == e));
        match same {
            Some(i) => {
                self.selected = i;
                // Partial swaps come every few hundred milliseconds, and the audited cached
                // tenant right after the unaudited one: the details stay put.
                if ready.partial || was_partial || was_pending {
                    self.link_selected = link;
                    self.details_scroll = scroll;
                } else {
                    self.link_selected = None;
                    self.details_scroll = 0;
                }
            }
            None => {
                self.selected = 0;
                self.link_selected = None;
                self.details_scroll = 0;
            }
        }
        true
    }
}

/// The status line when a complete tenant arrives: what a refresh or its sweep did first,
/// then what is missing, or how many identities loaded.
fn loaded_status(app: &App, ready: &Ready, count: usize) -> Status {
    let warnings = &ready.warnings;
    if let Some(s) = &ready.swept {
        return said_then(
            sweep_summary(s),
            warnings.iter().find(|w| w.area != Area::Refresh),
        );
    }
    // What a refresh did comes first; a warning of its own ("read in full: …") says why it
    // was a full load, the others follow.
    let said = ready
        .refresh
        .as_ref()
        .map(|r| super::update::refresh_summary(r, warnings, count));
    let others = warnings.iter().find(|w| w.area != Area::Refresh);
    match (ready.cached_at, warnings.first(), said) {
        (None, _, Some(said)) => said_then(said, others),
        // The live load goes on: the spinner and progress stay in the title.
        (Some(at), _, _) => Status {
            text: format!(
                "showing the cache from {}{}; refreshing…",
                crate::domain::expiry::as_of(at, app.now),
                if ready.audit_pending {
                    " (auditing it)"
                } else {
                    ""
                }
            ),
            is_error: false,
        },
        // The tenant is whole; only the cache had a problem.
        (None, Some(w), None) if w.area == Area::Cache => Status {
            text: format!("loaded {count} identities; {}", w.message),
            is_error: true,
        },
        (None, Some(w), None) => Status {
            text: format!("partly loaded: {}: {}", w.area, w.message),
            is_error: true,
        },
        (None, None, None) => Status {
            text: format!("loaded {count} identities"),
            is_error: false,
        },
    }
}

/// What a refresh or a sweep did, then the first warning that is not about it (an error).
fn said_then(said: String, warning: Option<&Warning>) -> Status {
    match warning {
        Some(w) => Status {
            text: format!("{said}; {}: {}", w.area, w.message),
            is_error: true,
        },
        None => Status {
            text: said,
            is_error: false,
        },
    }
}

/// What the sweep found, for the status line: "sweep: federated credentials of 2
/// applications changed; Azure read again (managed identities 4 → 5)".
fn sweep_summary(s: &Swept) -> String {
    let mut parts = Vec::new();
    if s.fics_changed > 0 {
        parts.push(format!(
            "federated credentials of {} application{} changed",
            s.fics_changed,
            if s.fics_changed == 1 { "" } else { "s" }
        ));
    }
    for (what, (before, after)) in [
        ("managed identities", s.identities),
        ("role assignments", s.role_assignments),
    ] {
        if before != after {
            parts.push(format!("{what} {before} → {after}"));
        }
    }
    if parts.is_empty() {
        "sweep: federated credentials and Azure read again, nothing else changed".to_string()
    } else {
        format!("sweep: {}", parts.join(", "))
    }
}
