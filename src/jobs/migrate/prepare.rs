//! From a filled form to the plan a run executes, the same way for the CLI and the explorer:
//! `draft` validates the form, reads the user's certificate (for its real thumbprint),
//! builds the plan with fresh ids and weighs each removal's usage evidence as it stands (the
//! retirement gate's `preview`, which the plan and the confirm screen show); `finish`, once the user has confirmed, refuses an identity
//! with an open migration before anything is generated, generates the certificate credwise
//! makes (writing its key files once, 0600) and rebuilds the plan around it. `prepare` is both
//! in one, for a caller that confirmed before it asked. `draft_plan` makes a `Draft` of a plan
//! built elsewhere (`github-immutable-subject`: its GitHub ids come from the REST API).
//!
//! May import `store` and `domain`.

use super::certificate::{self, CertificateError};
use super::error::MigrateError;
use super::journals::ensure_no_open_migration;
use super::{RandomIds, guidance};
use crate::domain::migration::retirement::{self, GateDecision, GateOptions};
use crate::domain::migration::{FieldError, Form, Plan, PlanContext};
use crate::domain::{Directory, Timestamp};
use crate::store::journal::JournalStore;

/// Why a form did not become a plan to run.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// The form's problems, per field.
    #[error("the plan is not valid: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Certificate(#[from] CertificateError),
    #[error(transparent)]
    Migrate(#[from] MigrateError),
}

impl From<Vec<FieldError>> for PrepareError {
    fn from(errors: Vec<FieldError>) -> Self {
        Self::Invalid(errors)
    }
}

/// A validated plan, before the user confirmed it.
#[derive(Debug, Clone)]
pub struct Draft {
    pub plan: Plan,
    /// The retirement gate's options the form asked for (`--idle-days`,
    /// `--without-usage-evidence`): what the run is to use.
    pub gate: GateOptions,
    /// Each removal's usage evidence as it stands now (`retirement::preview`).
    pub evidence: Vec<GateDecision>,
    form: Form,
}

impl Draft {
    /// The evidence as lines for the plan and the confirm screen; empty when nothing is
    /// removed.
    pub fn evidence_lines(&self) -> Vec<String> {
        retirement::evidence_lines(&self.evidence, &self.gate)
    }
}

/// The plan to run, and the key files written for it.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub plan: Plan,
    pub key_files: Vec<String>,
}

/// Validates `form` against `dir` (`applying`: as for a run, which needs a key directory for a
/// generated certificate) and builds its plan with fresh ids and the user's certificate.
pub fn draft(
    form: &Form,
    dir: &Directory,
    now: Timestamp,
    applying: bool,
) -> Result<Draft, PrepareError> {
    let errors = form.validate(dir, applying);
    if !errors.is_empty() {
        return Err(PrepareError::Invalid(errors));
    }
    let certificate = match form.certificate() {
        Some(f) if !f.generates() => Some(certificate::read_user_certificate(
            std::path::Path::new(f.certificate.trim()),
            certificate::pfx_password().as_deref(),
        )?),
        _ => None,
    };
    let ctx = PlanContext {
        dir,
        now,
        guidance: guidance(),
    };
    let plan = form.plan(&ctx, &mut RandomIds, certificate.as_ref(), applying)?;
    let gate = form.gate_options().map_err(|e| vec![e])?;
    let evidence = retirement::preview(&plan, dir.snapshot(), now, &gate);
    Ok(Draft {
        plan,
        gate,
        evidence,
        form: form.clone(),
    })
}

/// A plan built without a form of strings (`github-immutable-subject`, whose plan needs
/// GitHub's ids looked up first) as a `Draft`: the gate's options and each removal's usage
/// evidence as it stands, like `draft` gives a form's plan. Nothing is generated for it.
pub fn draft_plan(plan: Plan, gate: GateOptions, dir: &Directory, now: Timestamp) -> Draft {
    let evidence = retirement::preview(&plan, dir.snapshot(), now, &gate);
    // A form of the plan's kind: it carries no certificate, so `finish` generates nothing.
    let form = Form::new(plan.kind, plan.identity.object_id.clone());
    Draft {
        plan,
        gate,
        evidence,
        form,
    }
}

/// After the confirmation: refuses an identity that has an open migration, then — for a
/// certificate credwise generates — makes it, writes its key files and rebuilds the plan
/// around its thumbprint.
pub fn finish(
    draft: Draft,
    dir: &Directory,
    store: &JournalStore,
    now: Timestamp,
) -> Result<Prepared, PrepareError> {
    let identity = &draft.plan.identity;
    ensure_no_open_migration(store, &identity.object_id, Some(&identity.target))?;
    let generates = draft.form.certificate().filter(|f| f.generates());
    let Some(form) = generates else {
        return Ok(Prepared {
            plan: draft.plan,
            key_files: vec![],
        });
    };
    let info = certificate::prepare(&form, &identity.display_name, now)?;
    let key_files = [&info.key_file, &info.pfx_file]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let ctx = PlanContext {
        dir,
        now,
        guidance: guidance(),
    };
    let plan = draft.form.plan(&ctx, &mut RandomIds, Some(&info), true)?;
    Ok(Prepared { plan, key_files })
}

/// `draft` and `finish` at once, for a caller whose user confirmed the plan already.
pub fn prepare(
    form: &Form,
    dir: &Directory,
    store: &JournalStore,
    now: Timestamp,
) -> Result<Prepared, PrepareError> {
    finish(draft(form, dir, now, true)?, dir, store, now)
}
