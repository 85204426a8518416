//! What the document must say on its own: unique operationIds, path parameters exactly the
//! path's `{names}` (nothing else `in: path`), and the error answers each operation can give
//! documented with the error envelope.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::schema::Doc;

/// One documented operation.
#[derive(Clone)]
pub struct Op {
    pub method: String,
    pub path: String,
    pub op: Value,
}

impl Op {
    /// Its parameters that are `in: where`.
    pub fn params(&self, r#where: &str) -> Vec<Value> {
        self.op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == r#where)
            .cloned()
            .collect()
    }

    /// Needs an API token (everything but `security: [{}]`).
    pub fn secured(&self) -> bool {
        !self.op["security"].as_array().is_some_and(|s| {
            s.iter()
                .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
        })
    }

    pub fn is_read(&self) -> bool {
        self.method == "get" || self.method == "head"
    }

    /// The schema of its JSON body, when it takes one.
    pub fn json_body(&self) -> Option<&Value> {
        self.op["requestBody"]["content"]["application/json"].get("schema")
    }

    pub fn documents(&self, status: &str) -> bool {
        self.op["responses"].get(status).is_some()
    }

    pub fn name(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }
}

/// Every operation of the document.
pub fn operations(doc: &Value) -> Vec<Op> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if ["get", "put", "post", "delete", "patch", "head"].contains(&method.as_str()) {
                out.push(Op {
                    method: method.clone(),
                    path: path.clone(),
                    op: op.clone(),
                });
            }
        }
    }
    out
}

/// Method and path of every documented operation.
pub fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    operations(doc)
        .into_iter()
        .map(|op| (op.method, op.path))
        .collect()
}

/// Everything the document gets wrong by itself.
pub fn problems(doc: &Value) -> Vec<String> {
    let ops = operations(doc);
    let mut out = Vec::new();
    let mut ids = BTreeSet::new();
    for op in &ops {
        match op.op["operationId"].as_str() {
            Some(id) if !ids.insert(id.to_string()) => {
                out.push(format!("{}: operationId {id} is used twice", op.name()));
            }
            None => out.push(format!("{}: no operationId", op.name())),
            _ => {}
        }
        out.extend(parameter_problems(op));
        out.extend(response_problems(doc, op));
    }
    out
}

fn template_names(path: &str) -> BTreeSet<String> {
    path.split('{')
        .skip(1)
        .filter_map(|s| s.split('}').next())
        .map(str::to_string)
        .collect()
}

fn parameter_problems(op: &Op) -> Vec<String> {
    let declared: BTreeSet<String> = op
        .params("path")
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect();
    let mut out = Vec::new();
    if declared != template_names(&op.path) {
        out.push(format!(
            "{}: path parameters {declared:?} are not the path's {:?}",
            op.name(),
            template_names(&op.path)
        ));
    }
    for p in op.params("path") {
        if p["required"] != true {
            out.push(format!(
                "{}: path parameter {} not required",
                op.name(),
                p["name"]
            ));
        }
    }
    for p in op.params("query") {
        if p["required"] == true {
            out.push(format!(
                "{}: query parameter {} required",
                op.name(),
                p["name"]
            ));
        }
    }
    out
}

/// The error answers an operation must document, from what it takes.
pub fn expected_errors(op: &Op) -> Vec<&'static str> {
    let mut want = vec!["431", "500", "503"];
    if op.secured() {
        want.push("401");
        if !op.is_read() {
            want.push("403");
        }
    }
    if !op.params("path").is_empty() {
        want.push("400");
    }
    if !op.params("query").is_empty() {
        want.extend(["400", "422"]);
    }
    if op.op.get("requestBody").is_some() {
        want.extend(["408", "413"]);
    }
    if op.json_body().is_some() {
        want.extend(["400", "415", "422"]);
    }
    want
}

fn response_problems(doc: &Value, op: &Op) -> Vec<String> {
    let d = Doc(doc);
    let mut out = Vec::new();
    for status in expected_errors(op) {
        if !op.documents(status) {
            out.push(format!("{}: {status} is not documented", op.name()));
        }
    }
    for (status, response) in op.op["responses"].as_object().expect("responses") {
        let is_error = status.starts_with('4') || status.starts_with('5');
        if !is_error || status == "431" {
            continue;
        }
        let schema = &d.resolve(response)["content"]["application/json"]["schema"];
        if d.resolve(schema)
            != d.resolve(&serde_json::json!({"$ref": "#/components/schemas/ErrorBody"}))
        {
            out.push(format!("{}: {status} is not the error envelope", op.name()));
        }
    }
    out
}
