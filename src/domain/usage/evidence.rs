//! `Evidence`: what the data says about one credential or identity — signed in, failing,
//! idle over a window the data covers, or unknown with the reason — and its words on screen.

use super::*;

/// What the data says about one credential (or identity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// Its latest successful sign-in (`at`), as of `as_of`.
    SignedIn {
        at: Timestamp,
        as_of: Timestamp,
        source: UsageSource,
        origin: Option<CredentialOrigin>,
    },
    /// Its latest sign-in attempt failed (at `at`), after its last success if it had one:
    /// something still presents it (an expired secret, a wrong one).
    Failing {
        at: Timestamp,
        last_success: Option<Timestamp>,
        as_of: Timestamp,
        source: UsageSource,
    },
    /// No sign-in from `since` to `as_of`, in data that covers that span completely.
    Idle {
        since: Timestamp,
        as_of: Timestamp,
        source: UsageSource,
    },
    Unknown(Unknown),
}

/// Whether a credential went unused for a number of days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unused {
    /// Yes: no sign-in for `days` days (at least the number asked), as of the data.
    Yes { days: i64 },
    /// No: it signed in (or tried to) within the days asked.
    No,
    /// Cannot be said.
    Unknown(Unknown),
}

impl Evidence {
    /// This evidence for a credential (or identity) held by a managed identity when
    /// `managed`: "no sign-in since" becomes unknown. The sign-in log is read for service
    /// principal sign-ins, and Microsoft Learn ("What are service principal sign-ins in
    /// Microsoft Entra?") says those leave out managed identity sign-ins, which only the
    /// managed identity sign-in log holds; its silence proves nothing about one. The explorer,
    /// the audit and the retirement gate all ask through here, so none calls a managed
    /// identity's credential unused on that silence.
    pub fn held_by(self, managed: bool) -> Evidence {
        match self {
            Evidence::Idle { .. } if managed => Evidence::Unknown(Unknown::NotReported),
            ev => ev,
        }
    }

    /// Days without a successful sign-in that the data proves, as of its collection.
    pub fn idle_days(&self) -> Option<i64> {
        match self {
            Self::SignedIn { at, as_of, .. } => Some((*as_of - *at).whole_days().max(0)),
            Self::Idle { since, as_of, .. } => Some((*as_of - *since).whole_days().max(0)),
            Self::Failing { .. } | Self::Unknown(_) => None,
        }
    }

    /// The latest successful sign-in, if the data has one.
    pub fn last_sign_in(&self) -> Option<Timestamp> {
        match self {
            Self::SignedIn { at, .. } => Some(*at),
            _ => None,
        }
    }

    /// Whether it went `days` days without a sign-in. Only data that covers those days says
    /// yes; a failed sign-in within them says no (something still presents the credential).
    pub fn unused_for(&self, days: i64) -> Unused {
        match self {
            Self::SignedIn { at, as_of, .. } => {
                let idle = (*as_of - *at).whole_days();
                if idle >= days {
                    Unused::Yes { days: idle }
                } else {
                    Unused::No
                }
            }
            Self::Failing { .. } => Unused::No,
            Self::Idle { since, as_of, .. } => {
                let covered = (*as_of - *since).whole_days();
                if covered >= days {
                    Unused::Yes { days: covered }
                } else {
                    Unused::Unknown(Unknown::Window {
                        covered_days: covered.max(0),
                    })
                }
            }
            Self::Unknown(u) => Unused::Unknown(u.clone()),
        }
    }

    /// Whether it signed in successfully at or after `t` (a retirement gate's "the new
    /// credential has signed in since it was added").
    pub fn signed_in_since(&self, t: Timestamp) -> bool {
        matches!(self, Self::SignedIn { at, .. } if *at >= t)
    }

    /// The source behind the fact, if there is one.
    pub fn source(&self) -> Option<UsageSource> {
        match self {
            Self::SignedIn { source, .. }
            | Self::Failing { source, .. }
            | Self::Idle { source, .. } => Some(*source),
            Self::Unknown(_) => None,
        }
    }

    /// The evidence in words for details and plans: "last sign-in 3d ago (the sign-in
    /// log)", "no sign-in in 90 days (the sign-in log)", "unknown: needs AuditLog.Read.All".
    pub fn describe(&self, now: Timestamp) -> String {
        match self {
            Self::SignedIn {
                at, source, origin, ..
            } => {
                let origin = origin
                    .filter(|o| *o != CredentialOrigin::Other)
                    .map(|o| format!(", {}", o.words()))
                    .unwrap_or_default();
                format!(
                    "last sign-in {} ({}{origin})",
                    ago(*at, now),
                    source.words()
                )
            }
            Self::Failing {
                at,
                last_success,
                source,
                ..
            } => {
                let success = match last_success {
                    Some(t) => format!(", after a last success {}", ago(*t, now)),
                    None => String::new(),
                };
                format!(
                    "its last sign-in attempt failed {}{success} ({})",
                    ago(*at, now),
                    source.words()
                )
            }
            Self::Idle { since, as_of, .. } => {
                let days = (*as_of - *since).whole_days().max(0);
                format!(
                    "no sign-in in {days} days{} ({})",
                    as_of_words(*as_of, now),
                    self.source().map(UsageSource::words).unwrap_or("")
                )
            }
            Self::Unknown(u) => format!("unknown: {}", u.words()),
        }
    }

    /// A short cell for a LAST USED column, nine columns at most: "3d ago", "none 30d+" (no
    /// sign-in in the 30 days the data covers: the last use, if any, is older), "failing",
    /// "unknown" (the reason is in the details).
    pub fn short(&self, now: Timestamp) -> String {
        match self {
            Self::SignedIn { at, .. } => ago(*at, now),
            Self::Failing { .. } => "failing".to_string(),
            Self::Idle { since, as_of, .. } => {
                format!("none {}d+", (*as_of - *since).whole_days().max(0))
            }
            Self::Unknown(_) => "unknown".to_string(),
        }
    }
}

/// "3d ago", "5h ago", "just now" (and "in the future" for a clock that is behind).
pub fn ago(at: Timestamp, now: Timestamp) -> String {
    let d = now - at;
    if d < time::Duration::ZERO {
        return "just now".to_string();
    }
    let days = d.whole_days();
    if days >= 1 {
        format!("{days}d ago")
    } else if d.whole_hours() >= 1 {
        format!("{}h ago", d.whole_hours())
    } else if d.whole_minutes() >= 1 {
        format!("{}m ago", d.whole_minutes())
    } else {
        "just now".to_string()
    }
}

/// " as of 2026-11-20" when the data is more than a day older than `now`.
pub(super) fn as_of_words(as_of: Timestamp, now: Timestamp) -> String {
    if now - as_of > time::Duration::days(1) {
        format!(" as of {}", crate::domain::expiry::date(as_of))
    } else {
        String::new()
    }
}
