//! Site metadata the connector looks up: the sprint custom field id (it differs per site)
//! and the Agile board whose sprints are milestones.

use elder_connector_sdk::ConnectorError;
use serde_json::Value;

use crate::settings::Settings;

/// The schema type of Jira Software's sprint field.
const SPRINT_SCHEMA: &str = "com.pyxis.greenhopper.jira:gh-sprint";

/// The sprint field id: configured, else found in `/rest/api/3/field` (none on sites
/// without Jira Software).
pub fn sprint_field(s: &Settings) -> Result<Option<String>, ConnectorError> {
    if let Some(f) = &s.sprint_field {
        return Ok(Some(f.clone()));
    }
    let fields = s.api.get("/rest/api/3/field").send()?.json::<Value>()?;
    Ok(find_sprint_field(&fields))
}

/// The id of the field whose schema is the sprint type.
pub fn find_sprint_field(fields: &Value) -> Option<String> {
    fields
        .as_array()?
        .iter()
        .find(|f| f.pointer("/schema/custom").and_then(Value::as_str) == Some(SPRINT_SCHEMA))
        .and_then(|f| f.get("id"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The board id: configured, else the project's first board.
pub fn board_id(s: &Settings) -> Result<String, ConnectorError> {
    if let Some(b) = &s.board_id {
        return Ok(b.clone());
    }
    let boards = s
        .api
        .get(&format!(
            "/rest/agile/1.0/board?projectKeyOrId={}",
            s.project_key
        ))
        .send()?
        .json::<Value>()?;
    boards
        .pointer("/values/0/id")
        .map(|id| id.to_string())
        .ok_or_else(|| {
            ConnectorError::unsupported(
                "sprints need a Jira Software board on the project (none found; set board_id)",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_sprint_field_by_schema_not_name() {
        let fields = json!([
            {"id": "customfield_10001", "name": "Sprint", "schema": {"custom": "com.example:text"}},
            {"id": "customfield_10020", "name": "Iteration", "schema": {"custom": SPRINT_SCHEMA}}
        ]);
        assert_eq!(
            find_sprint_field(&fields).as_deref(),
            Some("customfield_10020")
        );
        assert_eq!(find_sprint_field(&json!([])), None);
    }
}
