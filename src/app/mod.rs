//! The explorer's model: `App` holds everything the screen shows, `Msg` is every intent and
//! every result, `update` is the only function that changes an `App`, and it answers with
//! `Effect`s for the runtime to carry out (load, copy, open a browser). No terminal here: the
//! TUI turns keys into `Msg`s and renders `&App`; tests drive `update` directly.
//!
//! May import `domain`, `backend` types and tui-input's editing requests; never crossterm or
//! ratatui.

pub mod command;
pub mod keymap;
pub mod line_command;
pub mod lists;
pub mod migration;
pub mod msg;
pub mod ready;
pub mod update;
pub mod wizard;

use std::sync::Arc;

use tui_input::Input;

pub use command::Command;
pub use keymap::Context;
use lists::sort_entries;
pub use lists::{NavItem, SortKey};
pub use msg::{Effect, Msg, OpenRequest};
pub use ready::{Ready, Swept, ViewKey};
pub use update::update;

use crate::backend::{ProgressEvent, Warning};
use crate::domain::audit::overview::Overview;
use crate::domain::audit::{Finding, Report};
use crate::domain::expiry::{self, ExpiryStatus, Thresholds};
use crate::domain::last_used::LastUsed;
use crate::domain::wizard::{Answers, DecisionTable};
use crate::domain::{CredentialType, Directory, EntryId, IdentityKind, Timestamp};
use wizard::WizardState;

/// The three panes, left to right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Nav,
    List,
    Details,
}

/// What keys go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Typing a `/` filter.
    Filter,
    /// Typing a `:` command.
    Command,
    /// The `?` overlay.
    Help,
    /// The decision wizard (over the explorer, or full-screen).
    Wizard,
    /// A guided migration (pick, form, plan, confirm, progress, outcome).
    Migrate,
}

/// Where the tenant is in its loading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadState {
    Loading(Option<ProgressEvent>),
    Loaded,
    Failed(String),
    /// No credential gave a token: the sign-in screen, while no tenant is on screen.
    SignIn(Box<crate::backend::sign_in::SignInFailure>),
}

/// A message in the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub is_error: bool,
}

/// A place to come back to with `Back`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crumb {
    pub nav: usize,
    pub filter: String,
    pub entry: EntryId,
    /// The finding selected in the findings view, to come back to it.
    pub finding: usize,
}

/// The explorer's whole state.
#[derive(Debug)]
pub struct App {
    pub source: String,
    pub read_only: bool,
    pub now: Timestamp,
    pub thresholds: Thresholds,
    pub load: LoadState,
    pub dir: Option<Arc<Directory>>,
    /// The usage evidence of every identity and credential of `dir`, worked out once when
    /// the tenant arrives: the list's LAST USED column and sort and the details read it.
    pub last_used: Arc<LastUsed>,
    /// When the tenant on screen came from the cache: the instant it was captured. Cleared by
    /// the fresh load that replaces it.
    pub cached_at: Option<Timestamp>,
    /// When the tenant on screen came from an incremental refresh: what it did. Cleared by a
    /// full load.
    pub refreshed: Option<msg::Refresh>,
    pub warnings: Vec<Warning>,
    /// The tenant on screen is partial: the pages of a first load so far (no Azure part, no
    /// audit), or what such a load had read when it failed. Migrations wait for a whole one.
    pub partial: bool,
    /// The tenant on screen is whole but its audit still runs (the cached tenant, shown
    /// before its audit): no findings yet, never "none".
    pub audit_pending: bool,
    /// The sweep after an incremental refresh runs (federated credentials and Azure read
    /// again in the background).
    pub sweeping: bool,
    /// The latest progress of each phase of the running load or sweep, in the order they
    /// started (applications, service principals, federated credentials, Azure…).
    pub phases: Vec<ProgressEvent>,
    /// What was let go of, for the event loop to drop off the UI thread (`take_retired`).
    retired: Vec<Box<dyn std::any::Any + Send>>,
    pub nav_selected: usize,
    /// Identities per navigation item, same order as `NavItem::ALL`.
    pub nav_counts: Vec<usize>,
    pub focus: Pane,
    pub mode: Mode,
    /// The sort key of the list (from the configuration, `s` or `:sort`).
    pub sort: SortKey,
    /// The sort was chosen while the current filter was typed: it holds over the ranking
    /// until the filter is cleared.
    pub sort_explicit: bool,
    pub filter: Input,
    pub command: Input,
    /// The identities of the navigation item, sorted.
    base: Vec<EntryId>,
    /// `base` after the filter: what the list shows.
    pub visible: Vec<EntryId>,
    /// Index into `visible`.
    pub selected: usize,
    /// Index into the selected identity's followable links. `None` until the user picks one,
    /// so entering the details pane shows it from the top.
    pub link_selected: Option<usize>,
    /// Scroll position of the details pane.
    pub details_scroll: u16,
    pub history: Vec<Crumb>,
    pub status: Option<Status>,
    pub help_scroll: u16,
    /// The furthest the help overlay can scroll (the TUI reports it).
    pub help_max_scroll: u16,
    /// Rows the list shows at once (the TUI reports it), for page moves.
    pub list_rows: usize,
    /// The audit of the loaded tenant.
    pub report: Option<Arc<Report>>,
    /// The tenant at a glance, for the dashboard.
    pub overview: Option<Overview>,
    /// The findings the findings view lists (filtered), indices into `report.findings`.
    pub visible_findings: Vec<u32>,
    pub finding_selected: usize,
    /// The embedded decision table, when it loaded (the wizard needs it).
    pub decision_table: Option<Arc<DecisionTable>>,
    pub wizard: Option<WizardState>,
    pub migration: Option<migration::MigrationState>,
    /// A migration left unfinished, found in the journals at start.
    pub open_journal: Option<migration::OpenJournal>,
    /// The notice about `open_journal` was dismissed (`:dismiss`); `:resume` and `:rollback`
    /// still work.
    pub journal_notice_dismissed: bool,
    /// Snapshot files used lately, newest first, as the user would type them (`~/…`): what
    /// `:open` lists, `:open N` opens and Tab completes after `:open `.
    pub recent_snapshots: Vec<String>,
    /// The snapshot file an `:open` asked for, until its source opens (then it goes first in
    /// `recent_snapshots`).
    pub opening: Option<String>,
    pub quit: bool,
}

impl App {
    pub fn new(source: impl Into<String>, read_only: bool, now: Timestamp) -> Self {
        Self {
            source: source.into(),
            read_only,
            now,
            thresholds: Thresholds::default(),
            load: LoadState::Loading(None),
            dir: None,
            last_used: Arc::default(),
            cached_at: None,
            refreshed: None,
            warnings: vec![],
            partial: false,
            audit_pending: false,
            sweeping: false,
            phases: Vec::new(),
            retired: Vec::new(),
            nav_selected: App::nav_index(NavItem::All),
            nav_counts: vec![0; NavItem::ALL.len()],
            focus: Pane::List,
            mode: Mode::Normal,
            sort: SortKey::Name,
            sort_explicit: false,
            filter: Input::default(),
            command: Input::default(),
            base: vec![],
            visible: vec![],
            selected: 0,
            link_selected: None,
            details_scroll: 0,
            history: vec![],
            status: None,
            help_scroll: 0,
            help_max_scroll: u16::MAX,
            list_rows: 10,
            report: None,
            overview: None,
            visible_findings: Vec::new(),
            finding_selected: 0,
            decision_table: None,
            wizard: None,
            migration: None,
            open_journal: None,
            journal_notice_dismissed: false,
            recent_snapshots: Vec::new(),
            opening: None,
            quit: false,
        }
    }

    /// How fresh the tenant on screen is, for the title line, and whether to warn about it
    /// (the cache's, or a partial tenant's): "partial, still loading" while a first load
    /// streams in, "from cache, 2h old" while the live load runs, "as of 3m ago" after a full load (or of
    /// a snapshot file), "refreshed just now" after a delta refresh — with the Azure part's
    /// age when it is older, as a delta refresh reads Graph only. `None` without a tenant and
    /// for the demo loaded (its dates are moved to today).
    pub fn freshness(&self) -> Option<(String, bool)> {
        use crate::domain::expiry::ago;
        let dir = self.dir.as_ref()?;
        if self.partial {
            let text = if matches!(self.load, LoadState::Loading(_)) {
                "partial, still loading"
            } else {
                "partial: the load stopped"
            };
            return Some((text.to_string(), true));
        }
        if let Some(at) = self.cached_at {
            let age = match ago(at, self.now).strip_suffix(" ago") {
                Some(span) => format!("{span} old"),
                None => "just now".to_string(),
            };
            return Some((format!("from cache, {age}"), true));
        }
        let s = dir.snapshot();
        if s.source == crate::domain::SnapshotSource::Demo {
            return None;
        }
        let text = match &self.refreshed {
            Some(r) if !r.full => {
                let mut t = format!("refreshed {}", ago(s.captured_at, self.now));
                if let Some(azure) = r.azure_at
                    && s.captured_at - azure >= time::Duration::minutes(1)
                {
                    t.push_str(&format!(" · Azure as of {}", ago(azure, self.now)));
                }
                t
            }
            _ => format!("as of {}", ago(s.captured_at, self.now)),
        };
        Some((text, false))
    }

    /// The standing notice about a migration left unfinished: it keeps its own line until
    /// the user resumes, rolls back or dismisses it, so no later message can hide it.
    pub fn journal_notice(&self) -> Option<String> {
        let j = self.open_journal.as_ref()?;
        if self.journal_notice_dismissed {
            return None;
        }
        Some(format!(
            "unfinished migration {} of {} (step {} of {}): :resume continues it, :rollback undoes it, :dismiss hides this",
            j.kind.as_str(),
            crate::sanitize::display(&j.identity_name),
            j.next_step + 1,
            j.steps,
        ))
    }

    /// `credwise wizard`: the wizard alone, full-screen, with no tenant.
    pub fn standalone_wizard(table: Arc<DecisionTable>, now: Timestamp) -> Self {
        let mut app = App::new("decision wizard · offline, no tenant", false, now);
        app.load = LoadState::Loaded;
        app.decision_table = Some(table);
        app.mode = Mode::Wizard;
        app.wizard = Some(wizard::WizardState::new(
            Answers::default(),
            None,
            Vec::new(),
            true,
        ));
        wizard::sync_option(&mut app);
        app
    }

    /// The keymap context of what is on screen: which keys mean what, and which hints show.
    pub fn context(&self) -> Context {
        match self.mode {
            Mode::Normal if self.sign_in_needed().is_some() => Context::SignIn,
            Mode::Normal => match (self.focus, self.nav_item()) {
                (Pane::Nav, _) => Context::Nav,
                (_, NavItem::Dashboard) => Context::Dashboard,
                (_, NavItem::Findings) => Context::Findings,
                (Pane::List, _) => Context::List,
                (Pane::Details, _) => Context::Details,
            },
            Mode::Filter => Context::Filter,
            Mode::Command => Context::CommandLine,
            Mode::Help => Context::Help,
            Mode::Wizard if wizard::on_summary(self) => Context::WizardSummary,
            Mode::Wizard => Context::Wizard,
            Mode::Migrate => self
                .migration
                .as_ref()
                .map_or(Context::MigratePick, |m| m.context()),
        }
    }

    /// Commands the screen in `context()` binds but does not offer right now, so the status
    /// bar does not hint them (pressed anyway, they say why).
    pub fn withheld(&self) -> Vec<Command> {
        match (&self.mode, &self.migration) {
            (Mode::Migrate, Some(m)) if m.context() == Context::MigrateDone => {
                if migration::offers_rollback(self.read_only, m) {
                    Vec::new()
                } else {
                    vec![Command::Rollback]
                }
            }
            _ => Vec::new(),
        }
    }

    /// A migration is running (its steps are being carried out).
    pub fn migration_running(&self) -> bool {
        self.migration
            .as_ref()
            .is_some_and(|m| m.stage == migration::Stage::Running)
    }

    /// Why no credential worked, while no tenant is on screen (the sign-in screen).
    pub fn sign_in_needed(&self) -> Option<&crate::backend::sign_in::SignInFailure> {
        match &self.load {
            LoadState::SignIn(f) if self.dir.is_none() => Some(f),
            _ => None,
        }
    }

    /// Another source replaces the tenant on screen (`d` on the sign-in screen, `:open`,
    /// `:demo`): everything read from the old one goes; the settings stay.
    pub(crate) fn source_opened(&mut self, source: String) {
        let mut fresh = App::new(source, self.read_only, self.now);
        fresh.thresholds = self.thresholds;
        fresh.sort = self.sort;
        fresh.decision_table = self.decision_table.take();
        fresh.list_rows = self.list_rows;
        fresh.open_journal = self.open_journal.take();
        fresh.journal_notice_dismissed = self.journal_notice_dismissed;
        fresh.recent_snapshots = std::mem::take(&mut self.recent_snapshots);
        if let Some(path) = self.opening.take() {
            fresh.recent_snapshots.retain(|p| *p != path);
            fresh.recent_snapshots.insert(0, path);
        }
        *self = fresh;
    }

    pub fn nav_item(&self) -> NavItem {
        NavItem::ALL[self.nav_selected.min(NavItem::ALL.len() - 1)]
    }

    /// The position of `item` in the navigation pane.
    pub fn nav_index(item: NavItem) -> usize {
        NavItem::ALL.iter().position(|&i| i == item).unwrap_or(0)
    }

    /// The count the navigation pane shows beside `item`.
    pub fn nav_count(&self, item: NavItem) -> usize {
        self.nav_counts
            .get(Self::nav_index(item))
            .copied()
            .unwrap_or(0)
    }

    /// The worst finding on an identity.
    pub fn worst_finding(&self, id: EntryId) -> Option<&Finding> {
        let report = self.report.as_deref()?;
        let first = *self.report.as_ref()?.by_identity.of(id).first()?;
        report.findings.get(first as usize)
    }

    /// The finding selected in the findings view.
    pub fn selected_finding(&self) -> Option<&Finding> {
        let i = *self.visible_findings.get(self.finding_selected)?;
        self.report.as_deref()?.findings.get(i as usize)
    }

    /// Installs an audit report and indexes its findings by identity.
    pub fn set_report(&mut self, report: Report) {
        self.report = Some(Arc::new(report));
        self.refilter_findings();
    }

    /// Applies the filter to the findings view: words match the identity's name, the rule,
    /// the title and the message.
    pub(crate) fn refilter_findings(&mut self) {
        let (Some(dir), Some(report)) = (self.dir.clone(), self.report.clone()) else {
            self.visible_findings.clear();
            return;
        };
        let query = self.filter.value().to_lowercase();
        let words: Vec<&str> = query.split_whitespace().collect();
        self.visible_findings = report
            .findings
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                words.is_empty() || {
                    let name = dir.display_name_of(dir.entry(f.identity)).to_lowercase();
                    let text = format!(
                        "{name} {} {} {} {}",
                        f.rule(),
                        f.severity,
                        f.title(),
                        f.message
                    )
                    .to_lowercase();
                    words.iter().all(|w| text.contains(w))
                }
            })
            .map(|(i, _)| i as u32)
            .collect();
        self.finding_selected = self
            .finding_selected
            .min(self.visible_findings.len().saturating_sub(1));
    }

    /// The selected identity, if the list has any.
    pub fn selected_entry(&self) -> Option<EntryId> {
        self.visible.get(self.selected).copied()
    }

    /// Recounts the navigation items (after a load or a change of `now`).
    pub fn recount(&mut self) {
        let Some(dir) = self.dir.clone() else {
            self.nav_counts = vec![0; NavItem::ALL.len()];
            return;
        };
        let (now, t) = (self.now, self.thresholds);
        let findings = self.report.as_ref().map_or(0, |r| r.findings.len());
        self.nav_counts = NavItem::ALL
            .iter()
            .map(|item| match item {
                NavItem::Dashboard => 0,
                NavItem::Findings => findings,
                _ => (0..dir.len() as EntryId)
                    .filter(|&id| item.includes(&dir, id, now, t))
                    .count(),
            })
            .collect();
    }

    /// The order the list is in: best match first while a filter is typed (unless a sort was
    /// chosen since), else the sort key (by name for `match` with nothing to rank).
    pub fn effective_sort(&self) -> SortKey {
        match (self.filter.value().trim().is_empty(), self.sort_explicit) {
            (true, _) if self.sort == SortKey::Match => SortKey::Name,
            (true, _) | (false, true) => self.sort,
            (false, false) => SortKey::Match,
        }
    }

    /// Chooses the sort key; chosen while a filter is typed, it holds over the ranking.
    pub(crate) fn choose_sort(&mut self, key: SortKey) {
        self.sort = key;
        self.sort_explicit = !self.filter.value().trim().is_empty();
        self.rebuild();
    }

    /// Rebuilds `base` for the navigation item and sort, then applies the filter. Keeps the
    /// selected identity selected when it is still listed.
    pub(crate) fn rebuild(&mut self) {
        let keep = self.selected_entry();
        self.base.clear();
        if let Some(dir) = self.dir.clone() {
            let item = self.nav_item();
            let (now, t) = (self.now, self.thresholds);
            self.base = (0..dir.len() as EntryId)
                .filter(|&id| item.includes(&dir, id, now, t))
                .collect();
            sort_entries(&dir, &self.last_used, &mut self.base, self.sort);
        }
        self.refilter(keep);
    }

    /// Applies the filter to `base`, keeping `keep` selected when it is still listed.
    pub(crate) fn refilter(&mut self, keep: Option<EntryId>) {
        if self.nav_item() == NavItem::Findings {
            self.refilter_findings();
        }
        let query = self.filter.value().to_string();
        if query.trim().is_empty() {
            self.sort_explicit = false;
        }
        let ranked = self.effective_sort() == SortKey::Match;
        self.visible = match (&self.dir, crate::domain::filter::Filter::new(&query)) {
            (Some(dir), Some(mut f)) if ranked => f.rank(dir, &self.base),
            (Some(dir), Some(mut f)) => f.apply(dir, &self.base),
            _ => self.base.clone(),
        };
        self.selected = keep
            .and_then(|k| self.visible.iter().position(|&v| v == k))
            .unwrap_or(0);
        self.link_selected = None;
        self.details_scroll = 0;
    }
}
