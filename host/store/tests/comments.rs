//! The sync engine's writes to Elder's comments, on SQLite and PostgreSQL: a platform's
//! comment imported with its mapping, an edit and a deletion applied with the pair's new
//! base, each in one transaction that also queues the issue's outbox work; pairs gone with
//! their issue mapping; deleted comments kept for the engine, hidden from the API's list.

use elder_sync_model::Kind;
use elder_sync_store::both_engines;
use elder_sync_store::testing::{TestDb, TestEngine, test_secret_key};
use elder_sync_store::*;
use serde_json::json;

both_engines!(
    platform_comments_are_written_with_their_mapping,
    a_refused_import_leaves_nothing_behind,
);

struct Setup {
    _db: TestDb,
    store: Store,
    issue: Resource,
    item: Mapping,
}

async fn setup(engine: TestEngine) -> Setup {
    let db = TestDb::new(engine).await;
    let store = Store::open_with(&db.url, Some(test_secret_key()))
        .await
        .unwrap();
    let cfg: NewSyncConfig = serde_json::from_value(json!({
        "name": "gh", "platform": "github", "webhook_secret": "whsec-PLAIN",
        "config_json": {"api_token": "ghp_PLAINTEXT", "owner": "acme", "repo": "widgets"}
    }))
    .unwrap();
    let cfg = store.create_config(&cfg).await.unwrap();
    let issue = store
        .create_resource(
            Kind::Issue,
            &NewResource {
                title: "Crash".into(),
                ..NewResource::default()
            },
        )
        .await
        .unwrap();
    let item = store
        .upsert_mapping(&MappingUpsert {
            sync_config_id: cfg.id,
            elder_type: Kind::Issue,
            elder_id: issue.id,
            external_platform: "github".into(),
            external_id: "7".into(),
            sync_status: SyncStatus::Synced,
            sync_method: SyncMethod::Poll,
            last_synced_at: None,
            elder_updated_at: None,
            external_updated_at: None,
            base_snapshot: None,
            last_write_fingerprint: None,
        })
        .await
        .unwrap();
    Setup {
        _db: db,
        store,
        issue,
        item,
    }
}

/// Outbox rows of the issue that are still waiting.
async fn waiting(s: &Setup) -> usize {
    s.store
        .list_outbox(Some(OutboxStatus::Pending), 100)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.resource_type == Kind::Issue && e.resource_id == s.issue.id)
        .count()
}

async fn drain(s: &Setup) {
    for e in s
        .store
        .claim_outbox(100, std::time::Duration::from_secs(30), "test")
        .await
        .unwrap()
    {
        s.store.complete_outbox(e.id).await.unwrap();
    }
}

async fn platform_comments_are_written_with_their_mapping(engine: TestEngine) {
    let s = setup(engine).await;
    drain(&s).await;
    let write = CommentMappingWrite {
        sync_config_id: s.item.sync_config_id,
        item_mapping_id: s.item.id,
        external_id: "c-1".into(),
        base_body: "First!".into(),
        external_version: Some("v1".into()),
        ..CommentMappingWrite::default()
    };
    let new = ImportedComment {
        issue_id: s.issue.id,
        body: "First!".into(),
        author: "ada".into(),
        origin: "github".into(),
        created_at: 1_700_000_000_000,
    };
    let (comment, pair) = s.store.import_comment(&new, &write).await.unwrap();
    assert_eq!(
        (comment.origin.as_str(), comment.author.as_str()),
        ("github", "ada")
    );
    assert_eq!(comment.created_at.timestamp_millis(), 1_700_000_000_000);
    assert_eq!(
        (pair.comment_id, pair.external_id.as_str()),
        (comment.id, "c-1")
    );
    assert_eq!(waiting(&s).await, 1, "the other configs get the comment");
    assert_eq!(
        s.store.comment_mappings_of_item(s.item.id).await.unwrap(),
        vec![pair.clone()]
    );

    drain(&s).await;
    let edited = CommentMappingWrite {
        comment_id: comment.id,
        base_body: "First! (edited)".into(),
        external_version: Some("v2".into()),
        ..write.clone()
    };
    let after = s
        .store
        .apply_comment_edit(s.issue.id, "First! (edited)", &edited)
        .await
        .unwrap();
    assert_eq!((after.body.as_str(), after.version), ("First! (edited)", 2));
    let pairs = s.store.comment_mappings_of_item(s.item.id).await.unwrap();
    assert_eq!(pairs.len(), 1, "the same pair, moved on");
    assert_eq!(
        (
            pairs[0].base_body.as_str(),
            pairs[0].external_version.as_deref()
        ),
        ("First! (edited)", Some("v2"))
    );
    assert_eq!(waiting(&s).await, 1);

    drain(&s).await;
    s.store
        .apply_comment_delete(s.issue.id, comment.id, pairs[0].id)
        .await
        .unwrap();
    assert!(
        s.store
            .comment_mappings_of_item(s.item.id)
            .await
            .unwrap()
            .is_empty()
    );
    let all = s.store.comments_of_issue(s.issue.id).await.unwrap();
    assert_eq!(all.len(), 1, "kept for the engine");
    assert!(!all[0].is_live());
    let listed = s
        .store
        .list_comments(s.issue.id, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(listed.total, 0, "gone from the API");
    assert_eq!(waiting(&s).await, 1);

    // A pair goes with its item mapping.
    let (_, _) = s
        .store
        .import_comment(
            &ImportedComment {
                body: "Second".into(),
                ..new.clone()
            },
            &CommentMappingWrite {
                external_id: "c-2".into(),
                ..write.clone()
            },
        )
        .await
        .unwrap();
    s.store.delete_mapping(s.item.id).await.unwrap();
    assert!(
        s.store
            .comment_mappings_of_item(s.item.id)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_refused_import_leaves_nothing_behind(engine: TestEngine) {
    let s = setup(engine).await;
    drain(&s).await;
    let write = CommentMappingWrite {
        sync_config_id: s.item.sync_config_id,
        item_mapping_id: s.item.id,
        external_id: "c-1".into(),
        ..CommentMappingWrite::default()
    };
    let empty = ImportedComment {
        issue_id: s.issue.id,
        body: "   ".into(),
        author: "ada".into(),
        origin: "github".into(),
        created_at: 0,
    };
    let refused = s.store.import_comment(&empty, &write).await;
    assert!(
        matches!(&refused, Err(StoreError::Invalid { field, .. }) if field == "body"),
        "{refused:?}"
    );
    assert!(
        s.store
            .comments_of_issue(s.issue.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.store
            .comment_mappings_of_item(s.item.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        waiting(&s).await,
        0,
        "no outbox row for a write that did not happen"
    );
    // A deleted issue takes no comments.
    s.store
        .delete_resource(Kind::Issue, s.issue.id)
        .await
        .unwrap();
    let gone = s
        .store
        .import_comment(
            &ImportedComment {
                body: "hi".into(),
                ..empty
            },
            &write,
        )
        .await;
    assert!(matches!(gone, Err(StoreError::NotFound(_))), "{gone:?}");
}
