//! Trello writes: creating, changing, archiving and deleting cards and labels, each
//! recorded in the board's action feed as Trello records it (`createCard`, one
//! `updateCard` per changed field with `data.old`, `addLabelToCard`, ...).

use serde_json::{Map, Value, json};

use super::model::{Card, Label, State, now_date};

/// A request's parameters: query string, form and JSON body merged.
pub type Params = Map<String, Value>;

/// A Trello error answer: status and plain-text message.
#[derive(Debug)]
pub struct SimError {
    pub status: u16,
    pub message: String,
}

impl SimError {
    pub fn new(status: u16, message: impl Into<String>) -> SimError {
        SimError {
            status,
            message: message.into(),
        }
    }

    pub fn not_found() -> SimError {
        SimError::new(404, "The requested resource was not found.")
    }

    fn invalid(field: &str) -> SimError {
        SimError::new(400, format!("invalid value for {field}"))
    }
}

fn text(p: &Params, k: &str) -> Option<String> {
    match p.get(k)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => Some(String::new()),
        v => Some(v.to_string()),
    }
}

fn flag(p: &Params, k: &str) -> Result<Option<bool>, SimError> {
    match p.get(k) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s == "true" => Ok(Some(true)),
        Some(Value::String(s)) if s == "false" => Ok(Some(false)),
        _ => Err(SimError::invalid(k)),
    }
}

fn ids(p: &Params, k: &str) -> Option<Vec<String>> {
    match p.get(k)? {
        Value::Array(a) => Some(
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        ),
        Value::String(s) => Some(
            s.split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect(),
        ),
        _ => Some(Vec::new()),
    }
}

/// A date-time field (`due`, `start`) as given (`null`/empty clears it); it must parse as an
/// ISO date-time, stored in UTC with milliseconds.
fn date_time(p: &Params, key: &str) -> Result<Option<Option<String>>, SimError> {
    match text(p, key) {
        None => Ok(None),
        Some(s) if s.is_empty() || s == "null" => Ok(Some(None)),
        Some(s) => chrono::DateTime::parse_from_rfc3339(&s)
            .map(|d| {
                Some(Some(
                    d.to_utc().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                ))
            })
            .map_err(|_| SimError::invalid(key)),
    }
}

impl State {
    fn check_labels(&self, labels: &[String]) -> Result<(), SimError> {
        if labels.iter().all(|id| self.label(id).is_some()) {
            Ok(())
        } else {
            Err(SimError::invalid("idLabels"))
        }
    }

    fn check_list(&self, id: &str) -> Result<(), SimError> {
        self.list(id)
            .map(|_| ())
            .ok_or_else(|| SimError::invalid("idList"))
    }

    /// `POST /1/cards`.
    pub fn create_card(&mut self, p: &Params) -> Result<String, SimError> {
        let id_list = text(p, "idList").ok_or_else(|| SimError::invalid("idList"))?;
        self.check_list(&id_list)?;
        let id_labels = ids(p, "idLabels").unwrap_or_default();
        self.check_labels(&id_labels)?;
        let due = date_time(p, "due")?.flatten();
        let start = date_time(p, "start")?.flatten();
        let id = self.new_id();
        let card = Card {
            id: id.clone(),
            id_short: self.next_short(),
            name: text(p, "name").unwrap_or_default(),
            desc: text(p, "desc").unwrap_or_default(),
            id_list: id_list.clone(),
            closed: flag(p, "closed")?.unwrap_or(false),
            id_labels: Vec::new(),
            id_members: ids(p, "idMembers").unwrap_or_default(),
            due,
            start,
            date_last_activity: now_date(),
            comments: 0,
        };
        let data = json!({"card": self.card_ref(&card), "list": self.list_ref(&id_list)});
        self.cards.insert(id.clone(), card);
        self.record_action("createCard", data);
        self.set_labels(&id, id_labels)?;
        Ok(id)
    }

    /// `PUT /1/cards/{id}`.
    pub fn update_card(&mut self, id: &str, p: &Params) -> Result<(), SimError> {
        let old = self
            .cards
            .get(id)
            .cloned()
            .ok_or_else(SimError::not_found)?;
        if let Some(l) = text(p, "idList") {
            self.check_list(&l)?;
        }
        let labels = ids(p, "idLabels");
        if let Some(l) = &labels {
            self.check_labels(l)?;
        }
        let closed = flag(p, "closed")?;
        let due = date_time(p, "due")?;
        let start = date_time(p, "start")?;
        let mut c = old.clone();
        if let Some(v) = text(p, "name") {
            c.name = v;
        }
        if let Some(v) = text(p, "desc") {
            c.desc = v;
        }
        if let Some(v) = text(p, "idList") {
            c.id_list = v;
        }
        if let Some(v) = closed {
            c.closed = v;
        }
        if let Some(v) = due {
            c.due = v;
        }
        if let Some(v) = start {
            c.start = v;
        }
        if let Some(v) = ids(p, "idMembers") {
            c.id_members = v;
        }
        c.date_last_activity = now_date();
        self.cards.insert(id.to_string(), c.clone());
        self.record_field_changes(&old, &c);
        if let Some(l) = labels {
            self.set_labels(id, l)?;
        }
        Ok(())
    }

    fn record_field_changes(&mut self, old: &Card, new: &Card) {
        let base = |s: &State, extra: Value| {
            let mut d = json!({"card": s.card_ref(new), "list": s.list_ref(&new.id_list)});
            for (k, v) in extra.as_object().into_iter().flatten() {
                d[k] = v.clone();
            }
            d
        };
        let mut changes = Vec::new();
        if old.name != new.name {
            changes.push(json!({"old": {"name": old.name}}));
        }
        if old.desc != new.desc {
            changes.push(json!({"old": {"desc": old.desc}, "card": {"desc": new.desc}}));
        }
        if old.closed != new.closed {
            changes.push(json!({"old": {"closed": old.closed}, "card": {"closed": new.closed}}));
        }
        if old.due != new.due {
            changes.push(json!({"old": {"due": old.due}, "card": {"due": new.due}}));
        }
        if old.start != new.start {
            changes.push(json!({"old": {"start": old.start}, "card": {"start": new.start}}));
        }
        if old.id_list != new.id_list {
            changes.push(json!({"old": {"idList": old.id_list}, "card": {"idList": new.id_list},
                "listBefore": self.list_ref(&old.id_list), "listAfter": self.list_ref(&new.id_list)}));
        }
        for extra in changes {
            let mut d = base(self, json!({}));
            if let Some(card_extra) = extra.get("card").and_then(Value::as_object) {
                for (k, v) in card_extra {
                    d["card"][k] = v.clone();
                }
            }
            for (k, v) in extra
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(k, _)| *k != "card")
            {
                d[k] = v.clone();
            }
            self.record_action("updateCard", d);
        }
    }

    /// Replaces a card's labels, recording `addLabelToCard`/`removeLabelFromCard`.
    pub fn set_labels(&mut self, id: &str, labels: Vec<String>) -> Result<(), SimError> {
        self.check_labels(&labels)?;
        let current = self
            .cards
            .get(id)
            .ok_or_else(SimError::not_found)?
            .id_labels
            .clone();
        for l in current.iter().filter(|l| !labels.contains(l)) {
            self.label_event(id, l, false);
        }
        for l in labels.iter().filter(|l| !current.contains(l)) {
            self.label_event(id, l, true);
        }
        Ok(())
    }

    /// Adds or removes one label on a card and records it.
    pub fn label_event(&mut self, card_id: &str, label_id: &str, add: bool) {
        let Some(label) = self.label(label_id).cloned() else {
            return;
        };
        let Some(card) = self.cards.get_mut(card_id) else {
            return;
        };
        let has = card.id_labels.iter().any(|l| l == label_id);
        if add == has {
            return;
        }
        if add {
            card.id_labels.push(label_id.to_string());
        } else {
            card.id_labels.retain(|l| l != label_id);
        }
        card.date_last_activity = now_date();
        let card = card.clone();
        let data = json!({"card": self.card_ref(&card), "label": self.label_json(&label), "text": label.name});
        self.record_action(
            if add {
                "addLabelToCard"
            } else {
                "removeLabelFromCard"
            },
            data,
        );
    }

    /// `DELETE /1/cards/{id}`.
    pub fn delete_card(&mut self, id: &str) -> Result<(), SimError> {
        let c = self.cards.remove(id).ok_or_else(SimError::not_found)?;
        let data = json!({"card": {"id": c.id, "idShort": c.id_short, "shortLink": super::model::short_link(&c.id)},
            "list": self.list_ref(&c.id_list)});
        self.record_action("deleteCard", data);
        Ok(())
    }

    /// `POST /1/labels`.
    pub fn create_label(&mut self, p: &Params) -> Result<String, SimError> {
        let name = text(p, "name").ok_or_else(|| SimError::invalid("name"))?;
        let id = self.new_id();
        let label = Label {
            id: id.clone(),
            name,
            color: text(p, "color").filter(|c| !c.is_empty() && c != "null"),
        };
        let data = json!({"label": self.label_json(&label)});
        self.labels.push(label);
        self.record_action("createLabel", data);
        Ok(id)
    }

    /// `PUT /1/labels/{id}`.
    pub fn update_label(&mut self, id: &str, p: &Params) -> Result<(), SimError> {
        let label = self
            .labels
            .iter_mut()
            .find(|l| l.id == id)
            .ok_or_else(SimError::not_found)?;
        let old = label.clone();
        if let Some(n) = text(p, "name") {
            label.name = n;
        }
        if let Some(c) = text(p, "color") {
            label.color = Some(c).filter(|c| !c.is_empty() && c != "null");
        }
        let new = label.clone();
        let data =
            json!({"label": self.label_json(&new), "old": {"name": old.name, "color": old.color}});
        self.record_action("updateLabel", data);
        Ok(())
    }

    /// `DELETE /1/labels/{id}`: also removes it from every card.
    pub fn delete_label(&mut self, id: &str) -> Result<(), SimError> {
        if self.label(id).is_none() {
            return Err(SimError::not_found());
        }
        self.labels.retain(|l| l.id != id);
        for c in self.cards.values_mut() {
            c.id_labels.retain(|l| l != id);
        }
        self.record_action("deleteLabel", json!({"label": {"id": id}}));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(v: Value) -> Params {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn a_cards_start_and_due_are_date_times_in_utc_with_milliseconds() {
        let mut s = State::new(crate::trello::TrelloOptions::default());
        let list = s.lists[0].id.clone();
        let id = s
            .create_card(&params(json!({"idList": list, "name": "Dated",
                "start": "2027-03-01T12:00:00Z", "due": "2027-03-05T14:00:00+02:00"})))
            .unwrap();
        let c = s.card_json(&s.cards[&id]);
        assert_eq!(c["start"], "2027-03-01T12:00:00.000Z");
        assert_eq!(c["due"], "2027-03-05T12:00:00.000Z");
        let bad = s.update_card(&id, &params(json!({"start": "soon"})));
        assert!(bad.is_err());
        s.update_card(&id, &params(json!({"start": null, "due": null})))
            .unwrap();
        let c = s.card_json(&s.cards[&id]);
        assert_eq!((&c["start"], &c["due"]), (&Value::Null, &Value::Null));
    }
}
