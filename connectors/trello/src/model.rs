//! Trello's JSON shapes as the connector reads them (only the fields it uses).

use serde::Deserialize;
use serde_json::Value;

/// A board.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Board {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub desc: String,
    #[serde(default)]
    pub closed: bool,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub date_last_activity: Option<String>,
}

/// A list (workflow state).
#[derive(Debug, Clone, Deserialize)]
pub struct List {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub closed: bool,
}

/// A label.
#[derive(Debug, Clone, Deserialize)]
pub struct Label {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub color: Option<String>,
}

impl Label {
    /// The label's name, or its color when it has no name (Trello allows both).
    pub fn display_name(&self) -> String {
        if self.name.is_empty() {
            self.color.clone().unwrap_or_default()
        } else {
            self.name.clone()
        }
    }
}

/// A card.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Card {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub desc: String,
    #[serde(default)]
    pub closed: bool,
    pub id_list: String,
    #[serde(default)]
    pub id_board: Option<String>,
    #[serde(default)]
    pub labels: Vec<Label>,
    #[serde(default)]
    pub id_members: Vec<String>,
    #[serde(default)]
    pub due: Option<String>,
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub id_short: Option<u64>,
    #[serde(default)]
    pub url: Option<String>,
    pub date_last_activity: String,
    #[serde(default)]
    pub badges: Option<Badges>,
}

/// The counters Trello shows on a card's front.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Badges {
    /// How many comments the card has.
    #[serde(default)]
    pub comments: Option<u64>,
}

/// One action of a board's feed or a webhook delivery.
#[derive(Debug, Clone, Deserialize)]
pub struct Action {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub date: String,
    #[serde(default)]
    pub data: Value,
    /// Who did it (comments: the author).
    #[serde(default, rename = "memberCreator")]
    pub member_creator: Option<Member>,
}

/// A member as actions name it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub full_name: Option<String>,
}

impl Action {
    /// `data.<what>.id`.
    pub fn ref_id(&self, what: &str) -> Option<&str> {
        self.data.get(what)?.get("id")?.as_str()
    }
}

/// Action types that change a card (its comments included: the card is reported changed).
pub const CARD_ACTIONS: &[&str] = &[
    "createCard",
    "updateCard",
    "deleteCard",
    "copyCard",
    "moveCardToBoard",
    "moveCardFromBoard",
    "convertToCardFromCheckItem",
    "addLabelToCard",
    "removeLabelFromCard",
    "addMemberToCard",
    "removeMemberFromCard",
    "commentCard",
    "updateComment",
    "deleteComment",
];

/// Action types that change a label.
pub const LABEL_ACTIONS: &[&str] = &["createLabel", "updateLabel", "deleteLabel"];

/// The creation time embedded in a Trello id (its first 8 hex digits are Unix seconds).
pub fn id_created_ms(id: &str) -> Option<i64> {
    let head = id.get(..8)?;
    i64::from_str_radix(head, 16).ok().map(|s| s * 1000)
}
