//! Conflict resolver: one scenario per rule, strategy and conflict type.

use std::collections::BTreeSet;

use elder_sync_engine::resolver::{
    Capabilities, ConflictType, Field, FieldValue, Resolution, ResolveInput, Side, SideAction,
    Strategy, apply_patch, resolve,
};
use elder_sync_model::{Item, ItemState, Kind};

fn base() -> Item {
    Item {
        kind: Kind::Issue,
        external_id: "42".into(),
        title: "Login fails".into(),
        body: "Steps...".into(),
        state: ItemState::Open,
        status_name: Some("To Do".into()),
        labels: vec!["bug".into(), "ui".into()],
        assignees: vec!["ann".into()],
        milestone_ref: Some("m1".into()),
        parent_ref: None,
        url: Some("https://example/42".into()),
        updated_at: 1_000,
        version: Some("v1".into()),
        extras: r#"{"a":1,"b":[1,2]}"#.into(),
    }
}

fn edit(f: impl FnOnce(&mut Item), at: i64) -> Item {
    let mut i = base();
    f(&mut i);
    i.updated_at = at;
    i
}

fn run(b: Option<&Item>, e: Option<&Item>, x: Option<&Item>, s: Strategy) -> Resolution {
    resolve(&ResolveInput::new(b, e, x, s))
}

fn both(e: &Item, x: &Item, s: Strategy) -> Resolution {
    run(Some(&base()), Some(e), Some(x), s)
}

fn merged(r: &Resolution) -> &Item {
    r.merged.as_ref().expect("a merged item")
}

#[test]
fn nothing_changed_means_nothing_to_do() {
    let r = both(&base(), &base(), Strategy::LastModifiedWins);
    assert!(r.is_noop());
    assert!(!r.has_conflict());
    assert_eq!(merged(&r).title, "Login fails");
}

#[test]
fn an_elder_only_change_goes_to_the_external_side() {
    let e = edit(|i| i.title = "Login fails on Safari".into(), 2_000);
    for s in Strategy::ALL {
        let r = both(&e, &base(), s);
        assert!(!r.has_conflict(), "{s:?}");
        assert_eq!(r.elder, SideAction::Nothing, "{s:?}");
        let p = r.external_patch().expect("external patch");
        assert_eq!(p.title.as_deref(), Some("Login fails on Safari"));
        assert_eq!(p.body, None);
        assert_eq!(merged(&r).title, "Login fails on Safari");
    }
}

#[test]
fn an_external_only_change_goes_to_elder_even_when_elder_is_newer() {
    let e = edit(|_| {}, 9_000);
    let x = edit(|i| i.state = ItemState::Closed, 2_000);
    for s in Strategy::ALL {
        let r = both(&e, &x, s);
        assert!(!r.has_conflict(), "{s:?}");
        assert_eq!(
            r.elder_patch().and_then(|p| p.state),
            Some(ItemState::Closed),
            "{s:?}"
        );
        assert!(r.external_patch().is_none());
    }
}

#[test]
fn different_fields_changed_on_each_side_are_both_kept() {
    let e = edit(|i| i.body = "new body".into(), 3_000);
    let x = edit(|i| i.assignees = vec!["bob".into()], 2_000);
    let r = both(&e, &x, Strategy::ElderWins);
    assert!(!r.has_conflict());
    let m = merged(&r);
    assert_eq!(
        (m.body.as_str(), m.assignees.clone()),
        ("new body", vec!["bob".to_string()])
    );
    assert_eq!(
        r.elder_patch().unwrap().assignees,
        Some(vec!["bob".to_string()])
    );
    assert_eq!(
        r.external_patch().unwrap().body.as_deref(),
        Some("new body")
    );
}

#[test]
fn both_sides_making_the_same_change_is_not_a_conflict() {
    let e = edit(|i| i.title = "Same".into(), 2_000);
    let x = edit(|i| i.title = "Same".into(), 3_000);
    let r = both(&e, &x, Strategy::Manual);
    assert!(!r.has_conflict());
    assert!(r.is_noop());
    assert_eq!(merged(&r).title, "Same");
}

#[test]
fn last_modified_wins_takes_the_newer_side() {
    let e = edit(|i| i.title = "Elder title".into(), 2_000);
    let x = edit(|i| i.title = "External title".into(), 3_000);
    let r = both(&e, &x, Strategy::LastModifiedWins);
    assert_eq!(r.conflict_types, vec![ConflictType::FieldMismatch]);
    assert_eq!(r.conflicting_fields(), vec![Field::Title]);
    assert_eq!(r.conflicts[0].winner, Some(Side::External));
    assert_eq!(merged(&r).title, "External title");
    assert_eq!(
        r.elder_patch().unwrap().title.as_deref(),
        Some("External title")
    );
    assert!(r.external_patch().is_none());
    assert_eq!(merged(&r).updated_at, 3_000);
}

#[test]
fn last_modified_wins_gives_ties_to_elder_and_reports_a_timestamp_conflict() {
    let e = edit(|i| i.title = "Elder title".into(), 5_000);
    let x = edit(|i| i.title = "External title".into(), 5_000);
    let r = both(&e, &x, Strategy::LastModifiedWins);
    assert_eq!(
        r.conflict_types,
        vec![ConflictType::Timestamp, ConflictType::FieldMismatch]
    );
    assert_eq!(merged(&r).title, "Elder title");
    assert_eq!(
        r.external_patch().unwrap().title.as_deref(),
        Some("Elder title")
    );
}

#[test]
fn elder_wins_and_external_wins_ignore_time() {
    let e = edit(|i| i.milestone_ref = None, 1_500);
    let x = edit(|i| i.milestone_ref = Some("m2".into()), 9_000);
    let r = both(&e, &x, Strategy::ElderWins);
    assert_eq!(merged(&r).milestone_ref, None);
    assert_eq!(r.external_patch().unwrap().milestone_ref, Some(None));
    let r = both(&e, &x, Strategy::ExternalWins);
    assert_eq!(merged(&r).milestone_ref.as_deref(), Some("m2"));
    assert_eq!(
        r.elder_patch().unwrap().milestone_ref,
        Some(Some("m2".into()))
    );
}

#[test]
fn field_merge_merges_labels_element_by_element() {
    // base: bug, ui. Elder removes ui and adds p1; external adds backend.
    let e = edit(|i| i.labels = vec!["bug".into(), "p1".into()], 2_000);
    let x = edit(
        |i| i.labels = vec!["bug".into(), "ui".into(), "backend".into()],
        3_000,
    );
    let r = both(&e, &x, Strategy::FieldMerge);
    let got: BTreeSet<_> = merged(&r).labels.iter().cloned().collect();
    let want: BTreeSet<String> = ["bug", "p1", "backend"].map(String::from).into();
    assert_eq!(got, want);
    assert_eq!(r.conflicting_fields(), vec![Field::Labels]);
    assert_eq!(r.conflicts[0].winner, None);
    let to_elder: BTreeSet<_> = r
        .elder_patch()
        .unwrap()
        .labels
        .clone()
        .unwrap()
        .into_iter()
        .collect();
    let to_external: BTreeSet<_> = r
        .external_patch()
        .unwrap()
        .labels
        .clone()
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!((to_elder, to_external), (want.clone(), want));
    // last_modified_wins takes the newer side's set whole instead
    let r = both(&e, &x, Strategy::LastModifiedWins);
    assert_eq!(merged(&r).labels, x.labels);
}

#[test]
fn field_merge_takes_the_newest_side_per_single_valued_field() {
    let e = edit(
        |i| {
            i.title = "E".into();
            i.body = "E body".into();
        },
        4_000,
    );
    let x = edit(
        |i| {
            i.title = "X".into();
            i.parent_ref = Some("7".into());
        },
        3_000,
    );
    let r = both(&e, &x, Strategy::FieldMerge);
    let m = merged(&r);
    assert_eq!(
        (m.title.as_str(), m.body.as_str(), m.parent_ref.as_deref()),
        ("E", "E body", Some("7"))
    );
}

#[test]
fn manual_returns_the_conflict_and_applies_nothing() {
    let e = edit(
        |i| {
            i.title = "E".into();
            i.body = "only elder".into();
        },
        4_000,
    );
    let x = edit(|i| i.title = "X".into(), 3_000);
    let r = both(&e, &x, Strategy::Manual);
    assert!(r.needs_manual);
    assert!(r.is_noop());
    assert_eq!(r.merged, None);
    assert_eq!(r.conflicts.len(), 1);
    let c = &r.conflicts[0];
    assert_eq!(c.field, Field::Title);
    assert_eq!(c.base, Some(FieldValue::Text("Login fails".into())));
    assert_eq!(c.elder, FieldValue::Text("E".into()));
    assert_eq!(c.external, FieldValue::Text("X".into()));
    assert_eq!(c.winner, None);
}

#[test]
fn manual_without_a_conflict_applies_one_sided_changes() {
    let x = edit(|i| i.body = "external body".into(), 3_000);
    let r = both(&base(), &x, Strategy::Manual);
    assert!(!r.needs_manual);
    assert_eq!(
        r.elder_patch().unwrap().body.as_deref(),
        Some("external body")
    );
}

#[test]
fn label_order_and_duplicates_are_not_changes() {
    let e = edit(
        |i| i.labels = vec!["ui".into(), "bug".into(), "ui".into()],
        2_000,
    );
    let x = edit(|i| i.assignees = vec!["ann".into(), "ann".into()], 3_000);
    let r = both(&e, &x, Strategy::Manual);
    assert!(r.is_noop(), "{r:?}");
}

#[test]
fn extras_compare_as_json_not_as_text() {
    let e = edit(|i| i.extras = "{ \"b\": [1, 2], \"a\": 1 }".into(), 2_000);
    let r = both(&e, &base(), Strategy::Manual);
    assert!(r.is_noop());
    let x = edit(|i| i.extras = r#"{"a":2,"b":[1,2]}"#.into(), 2_000);
    let r = both(&base(), &x, Strategy::Manual);
    assert_eq!(
        r.elder_patch().unwrap().extras.as_deref(),
        Some(r#"{"a":2,"b":[1,2]}"#)
    );
}

#[test]
fn extras_can_be_left_out_of_the_merge() {
    let x = edit(|i| i.extras = r#"{"node_id":"X1"}"#.into(), 2_000);
    let b = base();
    let mut input = ResolveInput::new(Some(&b), Some(&b), Some(&x), Strategy::LastModifiedWins);
    input.include_extras = false;
    assert!(resolve(&input).is_noop());
}

#[test]
fn patches_carry_the_sides_version_for_optimistic_locking() {
    let e = edit(|i| i.title = "new".into(), 2_000);
    let mut x = base();
    x.version = Some("etag-7".into());
    let r = both(&e, &x, Strategy::LastModifiedWins);
    assert_eq!(
        r.external_patch().unwrap().expected_version.as_deref(),
        Some("etag-7")
    );
}

#[test]
fn merged_keeps_the_external_identity() {
    let mut e = edit(|i| i.title = "new".into(), 2_000);
    e.external_id = "elder-uuid".into();
    e.url = None;
    let r = both(&e, &base(), Strategy::LastModifiedWins);
    assert_eq!(merged(&r).external_id, "42");
    assert_eq!(merged(&r).url.as_deref(), Some("https://example/42"));
}

#[test]
fn deletion_on_one_side_propagates_when_the_other_did_not_change() {
    let b = base();
    let r = run(Some(&b), None, Some(&b), Strategy::LastModifiedWins);
    assert_eq!(
        (r.elder.clone(), r.external.clone()),
        (SideAction::Nothing, SideAction::Delete)
    );
    assert_eq!(r.merged, None);
    assert!(!r.has_conflict());
    let r = run(Some(&b), Some(&b), None, Strategy::LastModifiedWins);
    assert_eq!(
        (r.elder.clone(), r.external.clone()),
        (SideAction::Delete, SideAction::Nothing)
    );
}

#[test]
fn deleted_externally_but_changed_in_elder_is_deleted_external() {
    let b = base();
    let e = edit(|i| i.title = "kept working on it".into(), 2_000);
    for s in [
        Strategy::LastModifiedWins,
        Strategy::FieldMerge,
        Strategy::Manual,
    ] {
        let r = run(Some(&b), Some(&e), None, s);
        assert_eq!(
            r.conflict_types,
            vec![ConflictType::DeletedExternal],
            "{s:?}"
        );
        assert!(r.needs_manual && r.is_noop(), "{s:?}");
    }
    let r = run(Some(&b), Some(&e), None, Strategy::ElderWins);
    assert_eq!(r.conflict_types, vec![ConflictType::DeletedExternal]);
    match &r.external {
        SideAction::Create(n) => assert_eq!(n.title, "kept working on it"),
        other => panic!("expected a create, got {other:?}"),
    }
    assert_eq!(merged(&r).title, "kept working on it");
    let r = run(Some(&b), Some(&e), None, Strategy::ExternalWins);
    assert_eq!(
        (r.elder.clone(), r.merged.clone()),
        (SideAction::Delete, None)
    );
}

#[test]
fn deleted_in_elder_but_changed_externally_is_deleted_local() {
    let b = base();
    let x = edit(|i| i.state = ItemState::Closed, 2_000);
    let r = run(Some(&b), None, Some(&x), Strategy::LastModifiedWins);
    assert_eq!(r.conflict_types, vec![ConflictType::DeletedLocal]);
    assert!(r.needs_manual);
    let r = run(Some(&b), None, Some(&x), Strategy::ExternalWins);
    assert!(matches!(r.elder, SideAction::Create(ref n) if n.state == ItemState::Closed));
    let r = run(Some(&b), None, Some(&x), Strategy::ElderWins);
    assert_eq!(r.external, SideAction::Delete);
}

#[test]
fn never_synced_and_present_on_one_side_is_created_on_the_other() {
    let x = base();
    let r = run(None, None, Some(&x), Strategy::LastModifiedWins);
    assert!(
        matches!(r.elder, SideAction::Create(ref n) if n.title == "Login fails" && n.labels == x.labels)
    );
    assert!(r.external.is_nothing());
    assert!(!r.has_conflict());
    let r = run(None, None, None, Strategy::LastModifiedWins);
    assert!(r.is_noop() && r.merged.is_none());
}

#[test]
fn never_synced_pairs_conflict_only_where_they_differ() {
    let e = edit(|i| i.title = "Elder".into(), 2_000);
    let x = edit(|i| i.body = "External".into(), 1_000);
    let r = run(None, Some(&e), Some(&x), Strategy::LastModifiedWins);
    let mut fields = r.conflicting_fields();
    fields.sort();
    assert_eq!(fields, vec![Field::Title, Field::Body]);
    assert_eq!(
        (merged(&r).title.as_str(), merged(&r).body.as_str()),
        ("Elder", "Steps...")
    );
}

fn no_close() -> Capabilities {
    Capabilities {
        can_close: false,
        ..Capabilities::default()
    }
}

#[test]
fn a_close_the_target_cannot_make_is_held_as_invalid_transition() {
    let b = base();
    let e = edit(
        |i| {
            i.state = ItemState::Closed;
            i.title = "done".into();
        },
        2_000,
    );
    let caps = no_close();
    let mut input = ResolveInput::new(Some(&b), Some(&e), Some(&b), Strategy::LastModifiedWins);
    input.external_caps = &caps;
    let r = resolve(&input);
    assert_eq!(r.conflict_types, vec![ConflictType::InvalidTransition]);
    assert_eq!(r.held, vec![(Side::External, Field::State)]);
    let p = r.external_patch().expect("the title still goes out");
    assert_eq!((p.title.as_deref(), p.state), (Some("done"), None));
    assert!(r.elder_patch().is_none(), "Elder is not reopened");
    assert_eq!(merged(&r).state, ItemState::Open);
    // Next sync with the new base: the close is tried (and held) again, nothing else moves.
    let m = merged(&r).clone();
    let x2 = apply_patch(&b, p);
    let input = ResolveInput {
        base: Some(&m),
        elder: Some(&e),
        external: Some(&x2),
        ..input
    };
    let again = resolve(&input);
    assert!(again.is_noop(), "{again:?}");
    assert_eq!(again.conflict_types, vec![ConflictType::InvalidTransition]);
}

#[test]
fn an_unreachable_status_is_held() {
    let b = base();
    let e = edit(|i| i.status_name = Some("Done".into()), 2_000);
    let caps = Capabilities {
        reachable_statuses: Some(["In Progress".to_string()].into()),
        ..Capabilities::default()
    };
    let mut input = ResolveInput::new(Some(&b), Some(&e), Some(&b), Strategy::ElderWins);
    input.external_caps = &caps;
    let r = resolve(&input);
    assert_eq!(r.held, vec![(Side::External, Field::StatusName)]);
    assert!(r.is_noop());
    let e = edit(|i| i.status_name = Some("In Progress".into()), 2_000);
    input.elder = Some(&e);
    let r = resolve(&input);
    assert!(r.held.is_empty());
    assert_eq!(
        r.external_patch().unwrap().status_name.as_deref(),
        Some("In Progress")
    );
}

#[test]
fn sides_without_status_names_neither_send_nor_receive_them() {
    let b = base();
    let x = edit(|i| i.status_name = None, 2_000);
    let e = edit(|i| i.status_name = Some("Doing".into()), 3_000);
    let caps = Capabilities {
        has_status_names: false,
        ..Capabilities::default()
    };
    let mut input = ResolveInput::new(Some(&b), Some(&e), Some(&x), Strategy::LastModifiedWins);
    input.external_caps = &caps;
    let r = resolve(&input);
    assert!(r.is_noop(), "{r:?}");
    assert_eq!(merged(&r).status_name.as_deref(), Some("Doing"));
}

#[test]
fn strategies_parse_from_their_stored_names() {
    for s in Strategy::ALL {
        assert_eq!(Strategy::parse(s.as_str()), Ok(s));
    }
    assert_eq!(
        Strategy::parse("last-modified-wins"),
        Ok(Strategy::LastModifiedWins)
    );
    assert!(Strategy::parse("newest").is_err());
    assert_eq!(Strategy::default(), Strategy::LastModifiedWins);
}

#[test]
fn conflict_types_use_the_sync_conflicts_values() {
    let names: Vec<_> = [
        ConflictType::Timestamp,
        ConflictType::FieldMismatch,
        ConflictType::DeletedLocal,
        ConflictType::DeletedExternal,
        ConflictType::InvalidTransition,
    ]
    .iter()
    .map(|t| t.as_str())
    .collect();
    assert_eq!(
        names,
        [
            "timestamp",
            "field_mismatch",
            "deleted_local",
            "deleted_external",
            "invalid_transition"
        ]
    );
    assert_eq!(
        serde_json::to_string(&ConflictType::DeletedLocal).unwrap(),
        "\"deleted_local\""
    );
}
