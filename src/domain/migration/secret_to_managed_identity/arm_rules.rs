//! ARM's naming rules for what a managed-identity migration creates (a user-assigned
//! identity's name, its resource group and region), checked before anything is sent.
//!
//! Pure; may import the rest of `domain::migration`.

use crate::domain::migration::words::Words;

/// ARM's rule for a user-assigned identity's name: 3–128 characters, letters, digits, '-' and
/// '_', starting with a letter or digit.
pub(super) fn validate_identity_name(name: &str) -> Result<(), String> {
    let len = name.chars().count();
    let ok = (3..=128).contains(&len)
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(
            "3 to 128 characters: letters, digits, '-' and '_', starting with a letter or digit"
                .into(),
        )
    }
}

/// ARM's rule for a resource group name: 1–90 characters of letters, digits, `-_.()`, not
/// ending in '.'.
pub(super) fn validate_resource_group(rg: &str) -> Result<(), Words> {
    if rg.is_empty() {
        return Err(Words::of("required with {create}"));
    }
    let ok = rg.chars().count() <= 90
        && rg
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '(' | ')'))
        && !rg.ends_with('.');
    if ok {
        Ok(())
    } else {
        Err(
            "at most 90 characters: letters, digits, '-', '_', '.', '(' and ')', not ending in '.'"
                .into(),
        )
    }
}

/// An Azure region name (`westeurope`; spaces and case are normalised before this check).
pub(super) fn validate_location(location: &str) -> Result<(), Words> {
    if location.is_empty() {
        return Err(Words::of(
            "required with {create} (an Azure region such as westeurope)",
        ));
    }
    let ok = location.len() <= 40 && location.chars().all(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(format!("{location:?} is not an Azure region name (such as westeurope)").into())
    }
}
