//! The three-way decision for one comment pair (an Elder comment and the platform comment
//! a mapping pairs it with): the mapping's base is the body last synced, in Elder's terms.
//! Changed on one side only: that side's body is taken. Changed on both sides differently:
//! the config's strategy (`elder_wins`, `external_wins`; every other strategy is
//! last-modified-wins for comments, a tie going to Elder). Deleted on one side: deleted on
//! the other. Our own write read back (the stored body we recorded, by fingerprint) is no
//! change (the version the platform returned is recorded, but decides nothing). Pure: no
//! I/O.

use elder_sync_model::Strategy;

use crate::comments::attribution;

/// What the mapping recorded at the last sync.
#[derive(Debug, Clone, Copy)]
pub struct Base<'a> {
    /// The body last synced, in Elder's terms.
    pub body: &'a str,
    /// The attribution line we wrote above it on the platform, if we did.
    pub attribution: Option<&'a str>,
    /// Fingerprint of the body the platform stored at our last write.
    pub written: Option<&'a str>,
}

/// One side's comment as it is now.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// The body (the platform's as it holds it, attribution line included).
    pub body: &'a str,
    /// When it last changed, ms since the epoch.
    pub updated_at: i64,
}

/// What to do with the pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// In step: nothing to write.
    Nothing,
    /// Both sides hold the same new body: only the base moves (no write to either side).
    Rebase(String),
    /// Elder's body goes to the platform.
    Push,
    /// The platform's body (attribution left out) comes to Elder.
    Pull(String),
    /// Deleted in Elder: delete it on the platform.
    DeleteOnPlatform,
    /// Deleted on the platform: delete it in Elder.
    DeleteInElder,
    /// Gone on both sides: forget the pair.
    Forget,
}

/// The fingerprint of a comment body as a platform stores it (echo suppression).
pub fn fingerprint(body: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(body.as_bytes()))
}

/// Decides one pair; `elder` and `remote` are `None` when that side no longer has it.
pub fn decide(
    base: Base<'_>,
    elder: Option<Side<'_>>,
    remote: Option<Side<'_>>,
    strategy: Strategy,
) -> Step {
    let (elder, remote) = match (elder, remote) {
        (None, None) => return Step::Forget,
        (None, Some(_)) => return Step::DeleteOnPlatform,
        (Some(_), None) => return Step::DeleteInElder,
        (Some(e), Some(r)) => (e, r),
    };
    // The body the platform stored at our last write, unchanged since. (A version token
    // alone proves nothing: some platforms' are timestamps in whole seconds, shared by an
    // edit made in the same second.)
    let ours = base.written == Some(fingerprint(remote.body).as_str());
    let text = attribution::strip(remote.body, base.attribution);
    let remote_changed = !ours && text != base.body;
    let elder_changed = elder.body != base.body;
    match (elder_changed, remote_changed) {
        (false, false) => Step::Nothing,
        (true, false) => Step::Push,
        (false, true) => Step::Pull(text.to_string()),
        (true, true) if elder.body == text => Step::Rebase(text.to_string()),
        (true, true) => match strategy {
            Strategy::ElderWins => Step::Push,
            Strategy::ExternalWins => Step::Pull(text.to_string()),
            _ if remote.updated_at > elder.updated_at => Step::Pull(text.to_string()),
            _ => Step::Push,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = "*by ada on Elder*";

    fn base(body: &str) -> Base<'_> {
        Base {
            body,
            attribution: Some(LINE),
            written: None,
        }
    }

    fn side(body: &str, at: i64) -> Option<Side<'_>> {
        Some(Side {
            body,
            updated_at: at,
        })
    }

    #[test]
    fn our_own_write_read_back_is_no_change() {
        let sent = attribution::attributed(LINE, "hi");
        let b = base("hi");
        assert_eq!(
            decide(b, side("hi", 1), side(&sent, 2), Strategy::default()),
            Step::Nothing
        );
        // The platform rewrote what we sent (whitespace): the fingerprint of what it stored.
        let stored = "*by ada on Elder*\n\nhi ";
        let print = fingerprint(stored);
        let b = Base {
            written: Some(&print),
            ..base("hi")
        };
        assert_eq!(
            decide(b, side("hi", 1), side(stored, 2), Strategy::default()),
            Step::Nothing
        );
    }

    #[test]
    fn one_sided_edits_are_taken() {
        let b = base("hi");
        let sent = attribution::attributed(LINE, "hi");
        assert_eq!(
            decide(b, side("hello", 5), side(&sent, 2), Strategy::default()),
            Step::Push
        );
        let edited = attribution::attributed(LINE, "hi there");
        assert_eq!(
            decide(b, side("hi", 1), side(&edited, 2), Strategy::default()),
            Step::Pull("hi there".into())
        );
    }

    #[test]
    fn both_edited_follow_the_strategy() {
        let b = base("hi");
        let theirs = attribution::attributed(LINE, "theirs");
        let run =
            |s, elder_at, remote_at| decide(b, side("mine", elder_at), side(&theirs, remote_at), s);
        assert_eq!(run(Strategy::ElderWins, 1, 9), Step::Push);
        assert_eq!(
            run(Strategy::ExternalWins, 9, 1),
            Step::Pull("theirs".into())
        );
        assert_eq!(
            run(Strategy::LastModifiedWins, 1, 9),
            Step::Pull("theirs".into())
        );
        assert_eq!(run(Strategy::LastModifiedWins, 9, 1), Step::Push);
        assert_eq!(run(Strategy::LastModifiedWins, 5, 5), Step::Push);
        let same = attribution::attributed(LINE, "mine");
        assert_eq!(
            decide(b, side("mine", 1), side(&same, 9), Strategy::ElderWins),
            Step::Rebase("mine".into())
        );
    }

    #[test]
    fn deletions_reach_the_other_side() {
        let b = base("hi");
        assert_eq!(
            decide(b, None, side("x", 1), Strategy::default()),
            Step::DeleteOnPlatform
        );
        assert_eq!(
            decide(b, side("hi", 1), None, Strategy::default()),
            Step::DeleteInElder
        );
        assert_eq!(decide(b, None, None, Strategy::default()), Step::Forget);
    }
}
