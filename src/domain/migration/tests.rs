//! Unit tests of `migration`.

use super::*;

#[test]
fn kinds_round_trip_and_match_the_wizard() {
    use crate::domain::wizard::Migration;
    for k in MigrationKind::EVERY {
        assert_eq!(MigrationKind::parse(k.as_str()), Some(k));
    }
    assert_eq!(
        Migration::SecretToCertificate.as_str(),
        MigrationKind::SecretToCertificate.as_str()
    );
    assert_eq!(
        Migration::SecretToFic.as_str(),
        MigrationKind::SecretToFic.as_str()
    );
    assert_eq!(
        Migration::SecretToManagedIdentity.as_str(),
        MigrationKind::SecretToManagedIdentity.as_str()
    );
}

#[test]
fn slugs_are_valid_names() {
    assert_eq!(
        slug(&["github", "contoso/api", "main"], 120),
        "github-contoso-api-main"
    );
    assert_eq!(slug(&["  weird  ", "ünïcode!!"], 120), "weird-n-code");
    assert_eq!(slug(&["a-very-long"], 5), "a-ver");
}

#[test]
fn months_are_calendar_months() {
    use time::macros::datetime;
    assert_eq!(
        add_months(datetime!(2026-01-31 10:00 UTC), 1),
        datetime!(2026-02-28 10:00 UTC)
    );
    assert_eq!(
        add_months(datetime!(2026-11-22 12:00 UTC), 12),
        datetime!(2027-11-22 12:00 UTC)
    );
    assert_eq!(
        add_months(datetime!(2026-11-22 12:00 UTC), 3),
        datetime!(2027-02-22 12:00 UTC)
    );
}

#[test]
fn sequential_ids_are_guids() {
    let mut ids = SequentialIds::default();
    let a = ids.guid();
    assert!(crate::domain::links::is_guid(&a));
    assert_ne!(a, ids.guid());
}
