//! The sign-in import behind `snapshot import-az --sign-ins FILE`: usage evidence from a file
//! the user exported — the sign-in log (a Graph page saved by `az rest`, the Entra admin
//! center's "Download JSON", a Log Analytics export of `AADServicePrincipalSignInLogs`) or
//! either beta report (`appCredentialSignInActivities`, `servicePrincipalSignInActivities`).
//! The shapes are read by `backend::wire::usage`; the file's top level is what the `az` import
//! accepts (an array, or a page object with `value`), and every error names the file, line
//! and column (`ImportError`).
//!
//! What an export can and cannot prove: a sign-in in it is a sign-in, but the filter it was
//! exported with is unknown (one application, one day, failures only…), so a credential it
//! does not mention is "not reported", never "unused"; and its claims hold as of the latest
//! time the file shows, not as of the import.

use std::path::Path;

use super::import::{ImportError, has_next_link, parse_list};
use super::wire::usage::UsageItem;
use crate::domain::Timestamp;
use crate::domain::usage::{LogAggregate, SourceStatus, UsageData, UsageSource};

/// Usage evidence read from files, and what the user should know about them.
#[derive(Debug)]
pub struct SignInImport {
    pub data: UsageData,
    /// Each names its file.
    pub warnings: Vec<String>,
}

/// Reads every file in `paths` (sign-in log exports and reports, in any mix). `fallback_as_of`
/// is used only when the files hold no timestamp at all.
pub fn import_sign_ins(
    paths: &[&Path],
    fallback_as_of: Timestamp,
) -> Result<SignInImport, ImportError> {
    let mut log = LogAggregate::default();
    let mut data = UsageData::default();
    let mut warnings = Vec::new();
    let mut latest: Option<Timestamp> = None;
    let mut seen = [false; 3];
    for path in paths {
        let bytes = std::fs::read(path).map_err(|source| ImportError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let items = parse_sign_ins(&bytes, path)?;
        if has_next_link(&bytes) {
            warnings.push(format!(
                "{}: this is one page of a list (it has a next link): sign-ins on later pages \
                 are missing; follow the link until there is none, or export from the Entra \
                 admin center",
                path.display()
            ));
        }
        if items.is_empty() {
            warnings.push(format!("{}: holds no sign-in data", path.display()));
        }
        let mut later = |t: Option<Timestamp>| {
            if let Some(t) = t
                && latest.is_none_or(|l| t > l)
            {
                latest = Some(t);
            }
        };
        for item in items {
            match item {
                UsageItem::Credential(c) => {
                    seen[0] = true;
                    later(c.last_sign_in);
                    data.credentials.push(c);
                }
                UsageItem::Identity(i) => {
                    seen[1] = true;
                    later(i.last_any.max(i.last_app_only));
                    data.identities.push(i);
                }
                UsageItem::SignIn(e) => {
                    seen[2] = true;
                    later(Some(e.at));
                    log.add(e);
                }
            }
        }
    }
    let (credentials, identities) = log.into_facts();
    data.credentials.extend(credentials);
    data.identities.extend(identities);
    // No window: the filter an export was made with is unknown (see the module docs).
    for (i, source) in UsageSource::ALL.into_iter().enumerate() {
        if seen[i] {
            data.sources.push(SourceStatus::read(source, None, 1));
        }
    }
    data.collected_at = Some(latest.unwrap_or(fallback_as_of));
    Ok(SignInImport { data, warnings })
}

/// The items of one file; `path` only names it in errors.
pub(crate) fn parse_sign_ins(bytes: &[u8], path: &Path) -> Result<Vec<UsageItem>, ImportError> {
    // `parse_list` reports a saved error response itself ("this is an error response, not a
    // list: Authentication_RequestFromNonPremiumTenantOrB2CTenant …") and skips a BOM.
    parse_list::<UsageItem>(bytes, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CredentialRef;
    use crate::domain::credential::PasswordCredential;
    use crate::domain::usage::{Evidence, Unknown, UsageIndex};
    use time::macros::datetime;

    const NOW: Timestamp = datetime!(2026-11-22 12:00 UTC);

    fn write(dir: &tempfile_dir::Dir, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.0.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// A scratch directory without the dev-dependency (unit tests inside `src/` use std only).
    mod tempfile_dir {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new(tag: &str) -> Self {
                let p = std::env::temp_dir().join(format!(
                    "credwise-usage-import-{tag}-{}",
                    std::process::id()
                ));
                std::fs::create_dir_all(&p).unwrap();
                Dir(p)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    fn secret(key: &str) -> PasswordCredential {
        PasswordCredential {
            key_id: key.into(),
            display_name: None,
            hint: None,
            start_date_time: None,
            end_date_time: None,
        }
    }

    #[test]
    fn a_portal_export_gives_sign_ins_and_never_idle() {
        let dir = tempfile_dir::Dir::new("portal");
        let f = write(
            &dir,
            "signins.json",
            r#"[{"id":"1","createdDateTime":"2026-11-20T10:00:00Z","appId":"a",
                 "servicePrincipalCredentialKeyId":"k1","status":{"errorCode":0}},
                {"id":"2","createdDateTime":"2026-11-10T10:00:00Z","appId":"a",
                 "servicePrincipalCredentialKeyId":"k1","status":{"errorCode":0}}]"#,
        );
        let got = import_sign_ins(&[&f], NOW).unwrap();
        assert!(got.warnings.is_empty(), "{:?}", got.warnings);
        assert_eq!(
            got.data.collected_at,
            Some(datetime!(2026-11-20 10:00 UTC)),
            "as of the newest entry, not the import"
        );
        let ix = UsageIndex::new(&got.data);
        let used = secret("k1");
        assert_eq!(
            ix.credential(CredentialRef::Secret(&used)).last_sign_in(),
            Some(datetime!(2026-11-20 10:00 UTC))
        );
        let other = secret("k2");
        assert_eq!(
            ix.credential(CredentialRef::Secret(&other)),
            Evidence::Unknown(Unknown::NotReported)
        );
    }

    #[test]
    fn a_saved_page_warns_and_errors_name_the_file() {
        let dir = tempfile_dir::Dir::new("page");
        let f = write(
            &dir,
            "report.json",
            r#"{"value":[{"keyId":"k","keyType":"clientSecret","appId":"a",
                "signInActivity":{"lastSignInDateTime":"2026-10-01T00:00:00Z"}}],
                "@odata.nextLink":"https://graph.microsoft.com/beta/reports/appCredentialSignInActivities?$skiptoken=x"}"#,
        );
        let got = import_sign_ins(&[&f], NOW).unwrap();
        assert_eq!(got.warnings.len(), 1);
        assert!(got.warnings[0].starts_with(&f.display().to_string()));
        let bad = write(&dir, "bad.json", "[{\"displayName\":\"x\"}]");
        let e = import_sign_ins(&[&bad], NOW).unwrap_err().to_string();
        assert!(e.starts_with(&bad.display().to_string()), "{e}");
        assert!(e.contains("not a sign-in"), "{e}");
        let licence = write(
            &dir,
            "error.json",
            r#"{"error":{"code":"Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                "message":"Neither tenant is B2C or tenant doesn't have premium license"}}"#,
        );
        let e = import_sign_ins(&[&licence], NOW).unwrap_err().to_string();
        assert!(e.contains("premium license"), "{e}");
    }
}
