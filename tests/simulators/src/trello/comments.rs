//! Card comments as Trello keeps them: a comment is a `commentCard` action (its id is the
//! comment's id, `data.text` its Markdown, `memberCreator` its author); an edit changes
//! that action's text, sets `data.dateLastEdited` and records an `updateComment` action; a
//! delete removes it and records `deleteComment`. Every write touches the card's
//! `dateLastActivity` and goes out to the board's webhooks like any action.

pub mod routes;

use serde_json::{Value, json};

use super::model::{State, now_date};
use super::ops::SimError;

/// Trello refuses comments longer than this many characters.
const MAX_TEXT_CHARS: usize = 16_384;

impl State {
    /// `POST /1/cards/{id}/actions/comments` by `member_id`; returns the action id.
    pub fn add_comment(
        &mut self,
        card_id: &str,
        member_id: &str,
        text: &str,
    ) -> Result<String, SimError> {
        check_text(text)?;
        let card = self.touch_card(card_id, 1)?;
        let data = json!({"text": text, "textData": {"emoji": {}}, "card": self.card_ref(&card),
                          "list": self.list_ref(&card.id_list)});
        Ok(self.record_action_by(member_id, "commentCard", data))
    }

    /// `PUT /1/cards/{id}/actions/{idAction}/comments`.
    pub fn edit_comment(
        &mut self,
        card_id: &str,
        action_id: &str,
        text: &str,
    ) -> Result<(), SimError> {
        check_text(text)?;
        let index = self.comment_index(card_id, action_id)?;
        let card = self.touch_card(card_id, 0)?;
        let comment = &mut self.actions[index];
        let old = comment.data["text"].clone();
        comment.data["text"] = json!(text);
        comment.data["dateLastEdited"] = json!(now_date());
        let member = comment.member_id.clone();
        let data = json!({"action": {"id": action_id, "text": text}, "old": {"text": old},
                          "card": self.card_ref(&card)});
        self.record_action_by(&member, "updateComment", data);
        Ok(())
    }

    /// `DELETE /1/cards/{id}/actions/{idAction}/comments`.
    pub fn remove_comment(&mut self, card_id: &str, action_id: &str) -> Result<(), SimError> {
        let index = self.comment_index(card_id, action_id)?;
        let card = self.touch_card(card_id, -1)?;
        self.actions.remove(index);
        let data = json!({"action": {"id": action_id}, "card": self.card_ref(&card)});
        self.record_action("deleteComment", data);
        Ok(())
    }

    /// The actions of one card, oldest first.
    pub fn card_actions(&self, card_id: &str) -> Vec<&super::model::Action> {
        self.actions
            .iter()
            .filter(|a| a.data.pointer("/card/id").and_then(Value::as_str) == Some(card_id))
            .collect()
    }

    /// Where the comment `action_id` of this card is in the feed.
    fn comment_index(&self, card_id: &str, action_id: &str) -> Result<usize, SimError> {
        if !self.cards.contains_key(card_id) {
            return Err(SimError::not_found());
        }
        self.actions
            .iter()
            .position(|a| {
                a.id == action_id
                    && a.kind == "commentCard"
                    && a.data.pointer("/card/id").and_then(Value::as_str) == Some(card_id)
            })
            .ok_or_else(SimError::not_found)
    }

    /// Bumps the card's `dateLastActivity` and its comment count by `added`; returns the card.
    fn touch_card(&mut self, card_id: &str, added: isize) -> Result<super::model::Card, SimError> {
        let card = self
            .cards
            .get_mut(card_id)
            .ok_or_else(SimError::not_found)?;
        card.date_last_activity = now_date();
        card.comments = card.comments.saturating_add_signed(added);
        Ok(card.clone())
    }
}

fn check_text(text: &str) -> Result<(), SimError> {
    if text.trim().is_empty() || text.chars().count() > MAX_TEXT_CHARS {
        return Err(SimError::new(400, "invalid value for text"));
    }
    Ok(())
}
