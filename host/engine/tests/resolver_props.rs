//! Property tests of the conflict resolver over random three-way edits.

use elder_sync_engine::resolver::{
    Capabilities, Field, Resolution, ResolveInput, SideAction, Strategy as Conflicts, apply_patch,
    resolve,
};
use elder_sync_model::{Item, ItemState, Kind};
use proptest::prelude::*;

fn word() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "c", "d"]).prop_map(String::from)
}

fn opt_word() -> impl Strategy<Value = Option<String>> {
    prop::option::of(word())
}

fn list() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(word(), 0..4)
}

fn state() -> impl Strategy<Value = ItemState> {
    prop_oneof![Just(ItemState::Open), Just(ItemState::Closed)]
}

fn extras() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["{}", r#"{"k":1}"#, r#"{ "k" : 1 }"#, r#"{"k":2}"#])
        .prop_map(String::from)
}

fn item() -> impl Strategy<Value = Item> {
    (
        (word(), word(), state(), opt_word()),
        (list(), list(), opt_word(), opt_word()),
        (0i64..4, extras()),
    )
        .prop_map(
            |((title, body, state, status_name), (labels, assignees, m, p), (t, extras))| Item {
                kind: Kind::Issue,
                external_id: "1".into(),
                title,
                body,
                state,
                status_name,
                labels,
                assignees,
                milestone_ref: m,
                parent_ref: p,
                url: None,
                updated_at: t,
                version: None,
                extras,
            },
        )
}

/// `base` with each field replaced by `other`'s with probability ~1/3.
fn edited(base: Item) -> impl Strategy<Value = Item> {
    (
        item(),
        prop::collection::vec(0u8..3, Field::ALL.len()),
        0i64..4,
    )
        .prop_map(move |(other, picks, t)| {
            let mut out = base.clone();
            for (field, pick) in Field::ALL.into_iter().zip(picks) {
                if pick == 0 {
                    copy(&mut out, &other, field);
                }
            }
            out.updated_at = base.updated_at + t;
            out
        })
}

fn copy(to: &mut Item, from: &Item, field: Field) {
    match field {
        Field::Title => to.title = from.title.clone(),
        Field::Body => to.body = from.body.clone(),
        Field::State => to.state = from.state,
        Field::StatusName => to.status_name = from.status_name.clone(),
        Field::Labels => to.labels = from.labels.clone(),
        Field::Assignees => to.assignees = from.assignees.clone(),
        Field::MilestoneRef => to.milestone_ref = from.milestone_ref.clone(),
        Field::ParentRef => to.parent_ref = from.parent_ref.clone(),
        Field::Extras => to.extras = from.extras.clone(),
    }
}

fn strategy() -> impl Strategy<Value = Conflicts> {
    prop::sample::select(Conflicts::ALL.to_vec())
}

fn triple() -> impl Strategy<Value = (Item, Item, Item)> {
    item().prop_flat_map(|b| (Just(b.clone()), edited(b.clone()), edited(b)))
}

/// Did `side` change `field` relative to `base`? (A status name going away is not a
/// change: platforms without statuses report none.)
fn changed(field: Field, base: &Item, side: &Item) -> bool {
    if field == Field::StatusName && side.status_name.is_none() {
        return false;
    }
    !field.value_of(side).same_as(&field.value_of(base))
}

fn same(field: Field, a: &Item, b: &Item) -> bool {
    field.value_of(a).same_as(&field.value_of(b))
}

fn run(b: &Item, e: &Item, x: &Item, s: Conflicts) -> Resolution {
    resolve(&ResolveInput::new(Some(b), Some(e), Some(x), s))
}

fn applied(item: &Item, action: &SideAction) -> Item {
    match action {
        SideAction::Patch(p) => apply_patch(item, p),
        SideAction::Nothing => item.clone(),
        other => panic!("both sides present: unexpected {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn resolving_is_deterministic((b, e, x) in triple(), s in strategy()) {
        prop_assert_eq!(run(&b, &e, &x, s), run(&b, &e, &x, s));
    }

    #[test]
    fn a_change_on_one_side_only_never_conflicts((b, e, _x) in triple(), s in strategy()) {
        let r = run(&b, &e, &b, s);
        prop_assert!(!r.has_conflict(), "{:?}", r);
        let r = run(&b, &b, &e, s);
        prop_assert!(!r.has_conflict(), "{:?}", r);
    }

    #[test]
    fn conflicts_are_exactly_the_fields_both_sides_changed_differently((b, e, x) in triple(), s in strategy()) {
        let r = run(&b, &e, &x, s);
        for field in Field::ALL {
            let expected = changed(field, &b, &e) && changed(field, &b, &x) && !same(field, &e, &x);
            prop_assert_eq!(r.conflicting_fields().contains(&field), expected, "{:?}", field);
        }
        prop_assert_eq!(r.needs_manual, s == Conflicts::Manual && !r.conflicts.is_empty());
    }

    #[test]
    fn no_strategy_loses_a_field_only_one_side_changed((b, e, x) in triple(), s in strategy()) {
        let r = run(&b, &e, &x, s);
        prop_assume!(!r.needs_manual);
        let m = r.merged.as_ref().unwrap();
        for field in Field::ALL {
            let (ce, cx) = (changed(field, &b, &e), changed(field, &b, &x));
            if ce && !cx {
                prop_assert!(same(field, m, &e), "{:?} lost: {:?}", field, r);
            }
            if cx && !ce {
                prop_assert!(same(field, m, &x), "{:?} lost: {:?}", field, r);
            }
        }
    }

    #[test]
    fn patches_make_both_sides_equal_to_the_merged_item((b, e, x) in triple(), s in strategy()) {
        let r = run(&b, &e, &x, s);
        prop_assume!(!r.needs_manual);
        let m = r.merged.as_ref().unwrap();
        let (e2, x2) = (applied(&e, &r.elder), applied(&x, &r.external));
        for field in Field::ALL {
            prop_assert!(same(field, &e2, m), "elder {:?}: {:?}", field, r);
            prop_assert!(same(field, &x2, m), "external {:?}: {:?}", field, r);
        }
    }

    #[test]
    fn applying_a_resolution_twice_changes_nothing((b, e, x) in triple(), s in strategy()) {
        let r = run(&b, &e, &x, s);
        prop_assume!(!r.needs_manual);
        let m = r.merged.clone().unwrap();
        let (e2, x2) = (applied(&e, &r.elder), applied(&x, &r.external));
        let again = run(&m, &e2, &x2, s);
        prop_assert!(again.is_noop(), "{:?}", again);
        prop_assert!(!again.has_conflict(), "{:?}", again);
        let itself = run(&m, &m, &m, s);
        prop_assert!(itself.is_noop() && !itself.has_conflict());
    }

    #[test]
    fn elder_wins_and_external_wins_pick_their_side((b, e, x) in triple()) {
        let re = run(&b, &e, &x, Conflicts::ElderWins);
        let rx = run(&b, &e, &x, Conflicts::ExternalWins);
        for c in &re.conflicts {
            prop_assert!(same(c.field, re.merged.as_ref().unwrap(), &e));
        }
        for c in &rx.conflicts {
            prop_assert!(same(c.field, rx.merged.as_ref().unwrap(), &x));
        }
    }

    #[test]
    fn impossible_transitions_are_held_and_everything_else_converges(
        (b, e, x) in triple(),
        s in strategy(),
        (close, reopen) in (any::<bool>(), any::<bool>()),
    ) {
        let caps = Capabilities { can_close: close, can_reopen: reopen, ..Capabilities::default() };
        let mut input = ResolveInput::new(Some(&b), Some(&e), Some(&x), s);
        input.external_caps = &caps;
        let r = resolve(&input);
        prop_assume!(!r.needs_manual);
        let m = r.merged.clone().unwrap();
        let (e2, x2) = (applied(&e, &r.elder), applied(&x, &r.external));
        prop_assert!(caps.allows_state(x.state, x2.state), "{:?}", r);
        for field in Field::ALL {
            if !r.held.iter().any(|(_, f)| *f == field) {
                prop_assert!(same(field, &e2, &m) && same(field, &x2, &m), "{:?}: {:?}", field, r);
            }
        }
        let again = resolve(&ResolveInput { base: Some(&m), elder: Some(&e2), external: Some(&x2), ..input });
        prop_assert!(again.is_noop(), "{:?}", again);
        prop_assert_eq!(again.held, r.held);
    }
}
