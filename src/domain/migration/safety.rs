//! The lockout invariant, written once: **after any step of a migration — forward or undone —
//! the identity keeps at least one usable credential.** A credential is usable when it is
//! within its validity dates and either was not made by this migration (it was there before,
//! or someone else added it) or was made by this migration and verified by content. For
//! secret-to-managed-identity the workload's new credential is the managed identity together
//! with every role assignment this migration granted it: removing the identity or any of those
//! grants while the secrets stay removed is a lockout too.
//!
//! `jobs::migrate` reads the identity's credentials as the tenant has them *now* (a snapshot
//! knows them; the live backend reads the object), builds an `Inventory` with `Workload`, and
//! asks `guard` before every change that removes a credential or an identity: each forward
//! secret removal and every undo of a rollback. A rollback is first simulated over the whole
//! list of undos, so one that would break the rule stops before it changes anything.
//!
//! Pure: the time comes in as an argument. May import the rest of `domain`.

use std::fmt;

use super::MigrationKind;
use super::plan::Plan;
use crate::domain::Timestamp;
use crate::domain::change::{Change, Target};
use crate::domain::credential::{KeyCredential, ObjectCredentials, PasswordCredential};
use crate::domain::verify;

/// One credential the workload can sign in with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Usable {
    Secret {
        key_id: String,
        display_name: Option<String>,
    },
    Certificate {
        key_id: String,
        display_name: Option<String>,
    },
    Federated {
        name: String,
    },
    /// The managed identity of a secret-to-managed-identity migration, with the role
    /// assignments the migration granted it.
    ManagedIdentity {
        name: String,
    },
}

impl Usable {
    /// The credential in the user's words: `client secret "prod" (keyId 1a2b…)`.
    pub fn label(&self) -> String {
        let named = |what: &str, key_id: &str, n: &Option<String>| match n.as_deref() {
            Some(n) if !n.is_empty() => format!("{what} {n:?} (keyId {key_id})"),
            _ => format!("{what} keyId {key_id}"),
        };
        match self {
            Usable::Secret {
                key_id,
                display_name,
            } => named("client secret", key_id, display_name),
            Usable::Certificate {
                key_id,
                display_name,
            } => named("certificate", key_id, display_name),
            Usable::Federated { name } => format!("federated credential {name:?}"),
            Usable::ManagedIdentity { name } => {
                format!(
                    "managed identity {name} with the role assignments this migration granted it"
                )
            }
        }
    }

    fn is(&self, taken: &Taken) -> bool {
        match (self, taken) {
            (Usable::Secret { key_id, .. }, Taken::Secret(k))
            | (Usable::Certificate { key_id, .. }, Taken::Certificate(k)) => {
                key_id.eq_ignore_ascii_case(k)
            }
            (Usable::Federated { name }, Taken::Federated(n)) => name == n,
            (Usable::ManagedIdentity { .. }, Taken::ManagedIdentity) => true,
            _ => false,
        }
    }
}

/// What a change takes away from the workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    Secret(String),
    Certificate(String),
    Federated(String),
    /// The managed identity, or one of the role assignments this migration granted it.
    ManagedIdentity,
}

/// What the workload can sign in with, and what it holds that it cannot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    pub usable: Vec<Usable>,
    /// Credentials it holds that do not count: expired or not yet valid, or made by this
    /// migration but not verified (or no longer what it made). In words.
    pub not_usable: Vec<String>,
}

impl Inventory {
    /// The inventory once `taken` is gone.
    pub fn without(&self, taken: &Taken) -> Inventory {
        Inventory {
            usable: self
                .usable
                .iter()
                .filter(|u| !u.is(taken))
                .cloned()
                .collect(),
            not_usable: self.not_usable.clone(),
        }
    }

    /// The inventory with `added` (a secret a snapshot puts back).
    pub fn with(&self, added: Usable) -> Inventory {
        let mut out = self.clone();
        out.usable.push(added);
        out
    }

    fn label_of(&self, taken: &Taken) -> Option<String> {
        self.usable.iter().find(|u| u.is(taken)).map(Usable::label)
    }
}

/// What `Workload::inventory` reads.
#[derive(Debug, Clone, Copy)]
pub struct Workload<'a> {
    pub plan: &'a Plan,
    /// Per step of the plan: this migration made the step's change and verified it by content
    /// (a step found already in place counts as there before, not as this migration's).
    pub verified: &'a [bool],
    /// The credentials of the plan's target as the tenant has them now.
    pub credentials: &'a ObjectCredentials,
    /// secret-to-managed-identity: the managed identity and every role assignment this
    /// migration verified are in place now, by content.
    pub identity_in_place: bool,
    pub now: Timestamp,
}

impl Workload<'_> {
    pub fn inventory(&self) -> Inventory {
        let mut inv = Inventory::default();
        let target = &self.plan.identity.target;
        let step_of =
            |pred: &dyn Fn(&Change) -> bool| self.plan.steps.iter().position(|s| pred(&s.action));
        for p in &self.credentials.passwords {
            let u = Usable::Secret {
                key_id: p.key_id.to_string(),
                display_name: p.display_name.clone(),
            };
            match secret_dates(p, self.now) {
                Ok(()) => inv.usable.push(u),
                Err(why) => inv.not_usable.push(format!("{} ({why})", u.label())),
            }
        }
        for k in &self.credentials.keys {
            let u = Usable::Certificate {
                key_id: k.key_id.to_string(),
                display_name: k.display_name.clone(),
            };
            let ours = step_of(&|c| {
                matches!(c, Change::AddKey { target: t, credential, .. }
                    if t == target && credential.key_id.eq_ignore_ascii_case(&k.key_id))
            });
            let verdict = key_dates(k, self.now).and_then(|()| match ours {
                None => Ok(()),
                Some(i) => self.ours_verified(i, |c| match c {
                    Change::AddKey { credential, .. } => {
                        verify::certificate(&k.key_id, credential.thumbprint().as_deref(), Some(k))
                            .holds()
                    }
                    _ => false,
                }),
            });
            match verdict {
                Ok(()) => inv.usable.push(u),
                Err(why) => inv.not_usable.push(format!("{} ({why})", u.label())),
            }
        }
        for f in &self.credentials.federated {
            let u = Usable::Federated {
                name: f.name.clone(),
            };
            let ours = step_of(&|c| {
                matches!(c, Change::AddFederatedCredential { target: t, credential }
                    if t == target && credential.name == f.name)
            });
            let verdict = match ours {
                None => Ok(()),
                Some(i) => self.ours_verified(i, |c| match c {
                    Change::AddFederatedCredential { credential, .. } => {
                        verify::federated(credential, Some(f)).holds()
                    }
                    _ => false,
                }),
            };
            match verdict {
                Ok(()) => inv.usable.push(u),
                Err(why) => inv.not_usable.push(format!("{} ({why})", u.label())),
            }
        }
        if self.plan.kind == MigrationKind::SecretToManagedIdentity && self.identity_in_place {
            inv.usable.push(Usable::ManagedIdentity {
                name: managed_identity_name(self.plan),
            });
        }
        inv
    }

    /// A credential step `i` of this migration made counts once verified, and only while it
    /// is still what the step made.
    fn ours_verified(&self, i: usize, same: impl Fn(&Change) -> bool) -> Result<(), String> {
        if !self.verified.get(i).copied().unwrap_or(false) {
            return Err(format!("made by step {} and not verified", i + 1));
        }
        if !same(&self.plan.steps[i].action) {
            return Err(format!("not what step {} made", i + 1));
        }
        Ok(())
    }
}

fn secret_dates(p: &PasswordCredential, now: Timestamp) -> Result<(), String> {
    dates(p.start_date_time, p.end_date_time, now)
}

fn key_dates(k: &KeyCredential, now: Timestamp) -> Result<(), String> {
    dates(k.start_date_time, k.end_date_time, now)
}

fn dates(start: Option<Timestamp>, end: Option<Timestamp>, now: Timestamp) -> Result<(), String> {
    if let Some(e) = end
        && e <= now
    {
        return Err(format!("expired {}", e.date()));
    }
    if let Some(s) = start
        && s > now
    {
        return Err(format!("valid only from {}", s.date()));
    }
    Ok(())
}

/// The managed identity a secret-to-managed-identity plan moves the workload to, by name.
pub fn managed_identity_name(plan: &Plan) -> String {
    for s in &plan.steps {
        if let Change::CreateUserAssignedIdentity { identity } = &s.action {
            return identity.name.clone();
        }
    }
    for s in &plan.steps {
        if let Change::AddRoleAssignment { assignment } = &s.action {
            return format!("(principal id {})", assignment.principal_id);
        }
    }
    "(the one the plan names)".to_string()
}

/// Whether `change` removes a credential, an identity or a role assignment: what the lockout
/// guard is asked about.
pub fn removes_access(change: &Change) -> bool {
    matches!(
        change,
        Change::RemovePassword { .. }
            | Change::RemoveKey { .. }
            | Change::RemoveFederatedCredential { .. }
            | Change::DeleteUserAssignedIdentity { .. }
            | Change::RemoveRoleAssignment { .. }
    )
}

/// What `change` takes away from the workload `plan` migrates, if anything.
pub fn takes(plan: &Plan, change: &Change) -> Option<Taken> {
    let target = &plan.identity.target;
    let on_target = |t: &Target| t == target;
    match change {
        Change::RemovePassword { target, key_id } if on_target(target) => {
            Some(Taken::Secret(key_id.clone()))
        }
        Change::RemoveKey { target, key_id } if on_target(target) => {
            Some(Taken::Certificate(key_id.clone()))
        }
        Change::RemoveFederatedCredential { target, name } if on_target(target) => {
            Some(Taken::Federated(name.clone()))
        }
        Change::DeleteUserAssignedIdentity { id } => plan
            .steps
            .iter()
            .any(|s| {
                matches!(&s.action, Change::CreateUserAssignedIdentity { identity }
                    if identity.id.eq_ignore_ascii_case(id))
            })
            .then_some(Taken::ManagedIdentity),
        Change::RemoveRoleAssignment { id } => plan
            .steps
            .iter()
            .any(|s| {
                matches!(&s.action, Change::AddRoleAssignment { assignment }
                    if assignment.id.eq_ignore_ascii_case(id))
            })
            .then_some(Taken::ManagedIdentity),
        _ => None,
    }
}

/// The credential `change` gives the workload back (an undo of a removal: a secret a snapshot
/// puts back, or a federated credential re-created), if usable.
pub fn gives(plan: &Plan, change: &Change, now: Timestamp) -> Option<Usable> {
    match change {
        Change::AddPassword { target, credential }
            if target == &plan.identity.target && secret_dates(credential, now).is_ok() =>
        {
            Some(Usable::Secret {
                key_id: credential.key_id.to_string(),
                display_name: credential.display_name.clone(),
            })
        }
        // A federated credential re-created by an undo works again at once (it holds no
        // secret), so a rollback's later removals may count on it.
        Change::AddFederatedCredential { target, credential }
            if target == &plan.identity.target =>
        {
            Some(Usable::Federated {
                name: credential.name.clone(),
            })
        }
        _ => None,
    }
}

/// The invariant for one change: `Ok` when, after `change` (of step `step`), the workload
/// keeps a usable credential; otherwise why not. `undo` says whether the change is a step's
/// undo (a rollback) or the step itself.
pub fn guard(
    plan: &Plan,
    inventory: &Inventory,
    step: usize,
    change: &Change,
    undo: bool,
) -> Result<(), Box<Lockout>> {
    let Some(taken) = takes(plan, change) else {
        return Ok(());
    };
    if !inventory.without(&taken).usable.is_empty() {
        return Ok(());
    }
    let last = inventory.label_of(&taken).unwrap_or_else(|| match &taken {
        Taken::Secret(k) => format!("client secret keyId {k}"),
        Taken::Certificate(k) => format!("certificate keyId {k}"),
        Taken::Federated(n) => format!("federated credential {n:?}"),
        Taken::ManagedIdentity => Usable::ManagedIdentity {
            name: managed_identity_name(plan),
        }
        .label(),
    });
    Err(Box::new(Lockout {
        identity: plan.identity.display_name.clone(),
        kind: plan.identity.kind.as_str().to_string(),
        object_id: plan.identity.object_id.clone(),
        step,
        undo,
        last,
        not_usable: inventory.not_usable.clone(),
        unrestored: Vec::new(),
    }))
}

/// Why a change would leave the identity without a usable credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lockout {
    /// The identity's display name.
    pub identity: String,
    /// Its kind (`application`, `service-principal`).
    pub kind: String,
    pub object_id: String,
    /// The step (0-based) whose change — or, in a rollback, whose undo — would do it.
    pub step: usize,
    pub undo: bool,
    /// The credential it removes, which would have been the last usable one.
    pub last: String,
    /// What else the identity holds that cannot be used (expired, not verified).
    pub not_usable: Vec<String>,
    /// The client secrets this migration removed that cannot come back (a live tenant), in
    /// words; filled in by the rollback.
    pub unrestored: Vec<String>,
}

impl fmt::Display for Lockout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let doing = if self.undo {
            format!("undoing step {}", self.step + 1)
        } else {
            format!("step {}", self.step + 1)
        };
        write!(
            f,
            "{doing} would leave {} ({} {}) without a usable credential: it removes {}, the last one",
            self.identity, self.kind, self.object_id, self.last
        )?;
        if !self.unrestored.is_empty() {
            write!(
                f,
                "; the {} this migration removed cannot come back on a live tenant (a new secret gets a new keyId and value)",
                self.unrestored.join(", ")
            )?;
        }
        if !self.not_usable.is_empty() {
            write!(f, "; not usable: {}", self.not_usable.join(", "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
