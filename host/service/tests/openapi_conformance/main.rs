//! The OpenAPI document the running service serves (`GET /api/v1/openapi.json`) tells the
//! truth, on SQLite and PostgreSQL. On its own it has unique operationIds, path parameters
//! exactly where the paths name them and every error answer an operation can give. Against
//! the service: every documented operation is routed and every undocumented method of a
//! documented path is a JSON `405`; then requests generated from the document (no token, a
//! read-only token on writes, bad ids, each query parameter out of its range or type,
//! unknown parameters and fields, non-JSON and malformed bodies, the smallest and the
//! largest valid bodies, valid values at each parameter's bounds) get answers whose status
//! the operation documents and whose body fits the documented schema. Any mismatch fails.

mod schema;
mod structure;

use elder_sync_e2e::service::{Service, ServiceOptions};
use elder_sync_store::testing::TestEngine;
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use schema::Doc;
use structure::Op;

const BIN: &str = env!("CARGO_BIN_EXE_elder-sync");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_matches_the_service_on_sqlite() {
    conforms(TestEngine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_matches_the_service_on_postgres() {
    conforms(TestEngine::Postgres).await;
}

async fn conforms(engine: TestEngine) {
    let service = Service::start(BIN, ServiceOptions::new(engine).connectors(&["github"])).await;
    let doc = served_document(&service).await;
    assert_eq!(structure::documented(&doc), everything_served());
    let problems = structure::problems(&doc);
    assert!(
        problems.is_empty(),
        "the document:\n{}",
        problems.join("\n")
    );

    let mut probe = Probe {
        service: &service,
        doc: &doc,
        problems: Vec::new(),
        sent: 0,
    };
    let ids = probe.seed().await;
    for op in structure::operations(&doc) {
        probe.routing(&op).await;
        probe.auth(&op, &ids).await;
        probe.path_ids(&op, &ids).await;
        probe.query(&op, &ids).await;
        probe.body(&op, &ids).await;
    }
    probe.undocumented_methods().await;
    assert!(
        probe.problems.is_empty(),
        "{} of {} answers differ from the document:\n{}",
        probe.problems.len(),
        probe.sent,
        probe.problems.join("\n")
    );
    assert!(
        probe.sent > 300,
        "only {} requests were generated",
        probe.sent
    );
}

/// Every operation the service serves under `/api/v1` (but the document itself): the API's,
/// the sync engine's and the plugin host's.
fn everything_served() -> std::collections::BTreeSet<(String, String)> {
    let mut out = std::collections::BTreeSet::new();
    let mut add = |m: &str, p: &str| out.insert((m.to_string(), p.to_string()));
    add("get", "/api/v1/sync/configs");
    add("post", "/api/v1/sync/configs");
    for m in ["get", "patch", "delete"] {
        add(m, "/api/v1/sync/configs/{id}");
    }
    add("get", "/api/v1/sync/history");
    add("get", "/api/v1/sync/status");
    add("get", "/api/v1/sync/conflicts");
    add("get", "/api/v1/sync/mappings");
    add("get", "/api/v1/sync/dead-letters");
    add("post", "/api/v1/sync/dead-letters/{id}/retry");
    add("delete", "/api/v1/sync/dead-letters/{id}");
    // The sync engine's routes.
    add("post", "/api/v1/sync/conflicts/{id}/resolve");
    add("post", "/api/v1/sync/configs/{id}/run");
    add("post", "/api/v1/sync/configs/{id}/test");
    add("post", "/api/v1/sync/mappings");
    add("delete", "/api/v1/sync/mappings/{id}");
    add("post", "/api/v1/webhooks/{config_id}");
    add("head", "/api/v1/webhooks/{config_id}");
    // The plugin host's routes.
    add("get", "/api/v1/plugins");
    add("post", "/api/v1/plugins");
    add("get", "/api/v1/plugins/{id}");
    for action in ["enable", "disable", "rollback", "approve"] {
        add("post", &format!("/api/v1/plugins/{{id}}/{action}"));
    }
    add("get", "/api/v1/issues/{id}/comments");
    add("post", "/api/v1/issues/{id}/comments");
    add("patch", "/api/v1/issues/{id}/comments/{cid}");
    add("delete", "/api/v1/issues/{id}/comments/{cid}");
    for r in ["issues", "projects", "milestones", "labels", "identities"] {
        add("get", &format!("/api/v1/{r}"));
        add("post", &format!("/api/v1/{r}"));
        for m in ["get", "patch", "delete"] {
            add(m, &format!("/api/v1/{r}/{{id}}"));
        }
    }
    out
}

async fn served_document(service: &Service) -> Value {
    let response = service
        .http()
        .get(service.api("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Ids of records that exist, to fill `{id}` (by path prefix) and `{cid}` (a comment of
/// the seeded issue) in paths.
struct Ids {
    by_path: Vec<(String, String)>,
    comment: String,
}

impl Ids {
    fn fill(&self, path: &str) -> String {
        let id = self
            .by_path
            .iter()
            .find(|(prefix, _)| path.starts_with(prefix.as_str()))
            .map_or("999999", |(_, id)| id.as_str());
        path.replace("{id}", id)
            .replace("{config_id}", id)
            .replace("{cid}", &self.comment)
    }
}

/// Sends generated requests and collects every answer the document does not describe.
struct Probe<'a> {
    service: &'a Service,
    doc: &'a Value,
    problems: Vec<String>,
    sent: usize,
}

/// How a request authenticates.
#[derive(Clone, Copy)]
enum Token {
    None,
    Read,
    Admin,
}

impl Probe<'_> {
    fn request(&self, method: &str, path: &str, token: Token) -> RequestBuilder {
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let r = self.service.http().request(m, self.service.url(path));
        match token {
            Token::None => r,
            Token::Read => r.bearer_auth(&self.service.read_token),
            Token::Admin => r.bearer_auth(&self.service.admin_token),
        }
    }

    /// Sends `r` as a call of `op`; the answer must be documented and fit its schema.
    /// Returns the status and body.
    async fn call(&mut self, op: &Op, what: &str, r: RequestBuilder) -> (u16, Value) {
        self.sent += 1;
        let response = r.send().await.expect("request to elder-sync");
        let status = response.status().as_u16();
        let json_answer = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let bytes = response.bytes().await.unwrap_or_default();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let d = Doc(self.doc);
        let problem = match op.op["responses"].get(status.to_string()) {
            None => Some(format!("status {status} is not documented")),
            // HTTP gives answers to HEAD no body, whatever the document says.
            Some(_) if op.method == "head" => None,
            Some(documented) => {
                let documented = d.resolve(documented);
                match documented["content"]["application/json"].get("schema") {
                    Some(schema) if !json_answer => Some(format!(
                        "{status} answered without a JSON body; the document has {schema}"
                    )),
                    Some(schema) => {
                        let wrong = d.check(schema, &body, "$");
                        (!wrong.is_empty()).then(|| wrong.join("; "))
                    }
                    None if !bytes.is_empty() => Some(format!(
                        "{status} has a body the document does not describe"
                    )),
                    None => None,
                }
            }
        };
        if let Some(p) = problem {
            self.problems
                .push(format!("{} ({what}): {p}; body {body}", op.name()));
        }
        (status, body)
    }

    fn expect(&mut self, op: &Op, what: &str, got: (u16, &Value), want: &[u16]) {
        if !want.contains(&got.0) {
            self.problems.push(format!(
                "{} ({what}): status {} (want {want:?}); body {}",
                op.name(),
                got.0,
                got.1
            ));
        }
    }

    fn expect_field(&mut self, op: &Op, what: &str, body: &Value, field: &str) {
        if body["error"]["field"] != field {
            self.problems.push(format!(
                "{} ({what}): the error names {} (want {field}); body {body}",
                op.name(),
                body["error"]["field"]
            ));
        }
    }

    /// A project, a milestone, a label and an issue from the document's smallest valid
    /// bodies, then one of each from its largest (which refer to the first ones by id): all
    /// must be `201`. And the installed `github` plugin.
    async fn seed(&mut self) -> Ids {
        let mut by_path = vec![("/api/v1/plugins/".to_string(), "github".to_string())];
        for full in [false, true] {
            for kind in ["projects", "milestones", "labels", "issues"] {
                let path = format!("/api/v1/{kind}");
                let op = self.op("post", &path);
                let body = Doc(self.doc).example(op.json_body().unwrap(), full);
                let what = format!("create from {}", if full { "largest" } else { "smallest" });
                let r = self.request("post", &path, Token::Admin).json(&body);
                let (status, created) = self.call(&op, &what, r).await;
                self.expect(&op, &what, (status, &created), &[201]);
                if !full {
                    by_path.push((format!("{path}/"), created["id"].to_string()));
                }
            }
        }
        let path = "/api/v1/identities";
        let op = self.op("post", path);
        let body = Doc(self.doc).example(op.json_body().unwrap(), false);
        let r = self.request("post", path, Token::Admin).json(&body);
        let (status, created) = self.call(&op, "create from smallest", r).await;
        self.expect(&op, "create from smallest", (status, &created), &[201]);
        by_path.push((format!("{path}/"), created["id"].to_string()));
        let issue = Ids {
            by_path: by_path.clone(),
            comment: String::new(),
        }
        .fill("/api/v1/issues/{id}/comments");
        let op = self.op("post", "/api/v1/issues/{id}/comments");
        let body = Doc(self.doc).example(op.json_body().unwrap(), false);
        let r = self.request("post", &issue, Token::Admin).json(&body);
        let (status, created) = self.call(&op, "create from smallest", r).await;
        self.expect(&op, "create from smallest", (status, &created), &[201]);
        Ids {
            by_path,
            comment: created["id"].to_string(),
        }
    }

    fn op(&self, method: &str, path: &str) -> Op {
        structure::operations(self.doc)
            .into_iter()
            .find(|o| o.method == method && o.path == path)
            .unwrap_or_else(|| panic!("{method} {path} is not documented"))
    }

    /// The operation is served: neither "no such route" nor 405.
    async fn routing(&mut self, op: &Op) {
        let path = op
            .path
            .replace("{id}", "999999")
            .replace("{config_id}", "999999")
            .replace("{cid}", "999999");
        let r = self.request(&op.method, &path, Token::None);
        self.sent += 1;
        let response = r.send().await.unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status == 405 || body["error"]["code"] == "route_not_found" {
            self.problems
                .push(format!("{}: not served ({status} {body})", op.name()));
        }
    }

    /// No token: 401; a read-only token on a write: 403.
    async fn auth(&mut self, op: &Op, ids: &Ids) {
        if !op.secured() {
            return;
        }
        let path = ids.fill(&op.path);
        let r = self.request(&op.method, &path, Token::None);
        let (status, body) = self.call(op, "no token", r).await;
        self.expect(op, "no token", (status, &body), &[401]);
        if !op.is_read() {
            let r = self.request(&op.method, &path, Token::Read);
            let (status, body) = self.call(op, "read-only token", r).await;
            self.expect(op, "read-only token", (status, &body), &[403]);
        }
    }

    /// Ids outside the documented schema are refused with 400 naming the parameter.
    async fn path_ids(&mut self, op: &Op, ids: &Ids) {
        for p in op.params("path") {
            let name = p["name"].as_str().unwrap().to_string();
            if p["schema"]["type"] != "integer" {
                continue;
            }
            let mut bad = vec!["abc".to_string(), "1.5".to_string()];
            if let Some(min) = p["schema"]["minimum"].as_i64() {
                bad.push((min - 1).to_string());
            }
            for value in bad {
                let path = path_with(&op.path, &name, &value, ids);
                let what = format!("{name}={value}");
                let r = self.body_for(op, self.request(&op.method, &path, Token::Admin));
                let (status, body) = self.call(op, &what, r).await;
                self.expect(op, &what, (status, &body), &[400]);
                if op.method != "head" {
                    self.expect_field(op, &what, &body, &name);
                }
            }
        }
    }

    /// A valid body for ops that take one, so only the part under test is wrong.
    fn body_for(&self, op: &Op, r: RequestBuilder) -> RequestBuilder {
        match op.json_body() {
            Some(schema) => r.json(&Doc(self.doc).example(schema, false)),
            None => r,
        }
    }

    /// Each query parameter: values the document allows are answered 200 (at its bounds and
    /// for each enum member); values it forbids are refused naming the parameter; an
    /// unknown parameter is refused.
    async fn query(&mut self, op: &Op, ids: &Ids) {
        let params = op.params("query");
        if params.is_empty() {
            return;
        }
        let path = ids.fill(&op.path);
        // A valid query on a record that was not seeded (e.g. `run?dry_run=true` of a
        // config that does not exist) is answered for the record: 404, never a 400.
        let accepted: &[u16] = if path.contains("999999") {
            &[200, 404]
        } else {
            &[200]
        };
        for p in &params {
            let name = p["name"].as_str().unwrap().to_string();
            let schema = Doc(self.doc).resolve(&p["schema"]).clone();
            let (good, bad) = query_values(&schema);
            for value in good {
                let what = format!("{name}={value}");
                let r = self
                    .request(&op.method, &path, Token::Admin)
                    .query(&[(&name, &value)]);
                let (status, body) = self.call(op, &what, r).await;
                self.expect(op, &what, (status, &body), accepted);
            }
            for value in bad {
                let what = format!("{name}={value}");
                let r = self
                    .request(&op.method, &path, Token::Admin)
                    .query(&[(&name, &value)]);
                let (status, body) = self.call(op, &what, r).await;
                self.expect(op, &what, (status, &body), &[400, 422]);
                self.expect_field(op, &what, &body, &name);
            }
        }
        let r = self
            .request(&op.method, &path, Token::Admin)
            .query(&[("zz_unknown", "1")]);
        let (status, body) = self.call(op, "unknown parameter", r).await;
        self.expect(op, "unknown parameter", (status, &body), &[400]);
    }

    /// JSON bodies: not JSON is 415, malformed is 400, an unknown field is 400 where the
    /// schema forbids extra fields; the smallest and the largest valid bodies get documented
    /// answers.
    async fn body(&mut self, op: &Op, ids: &Ids) {
        let Some(schema) = op.json_body().cloned() else {
            return;
        };
        let path = ids.fill(&op.path);
        let d = Doc(self.doc);
        let small = d.example(&schema, false);
        let large = d.example(&schema, true);
        let closed = d.resolve(&schema)["additionalProperties"] == false;
        let send = |p: &Self, body: &Value| p.request(&op.method, &path, Token::Admin).json(body);
        let r = self
            .request(&op.method, &path, Token::Admin)
            .header("content-type", "text/plain")
            .body(small.to_string());
        let (status, body) = self.call(op, "text/plain body", r).await;
        self.expect(op, "text/plain body", (status, &body), &[415]);
        let r = self
            .request(&op.method, &path, Token::Admin)
            .header("content-type", "application/json")
            .body("{");
        let (status, body) = self.call(op, "malformed body", r).await;
        self.expect(op, "malformed body", (status, &body), &[400]);
        if closed {
            let mut extra = small.clone();
            extra["zz_unknown"] = json!(1);
            let r = send(self, &extra);
            let (status, body) = self.call(op, "unknown field", r).await;
            self.expect(op, "unknown field", (status, &body), &[400]);
            self.expect_field(op, "unknown field", &body, "zz_unknown");
        }
        let r = send(self, &small);
        self.call(op, &format!("smallest body {small}"), r).await;
        let r = send(self, &large);
        let shown: String = large.to_string().chars().take(200).collect();
        self.call(op, &format!("largest body {shown}"), r).await;
    }

    /// Methods a documented path does not document answer 405 in the error envelope.
    async fn undocumented_methods(&mut self) {
        let paths: Vec<(String, Value)> = self.doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(p, i)| (p.clone(), i.clone()))
            .collect();
        let envelope = json!({"$ref": "#/components/schemas/ErrorBody"});
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] {
                if item.get(method).is_some() {
                    continue;
                }
                let url = path
                    .replace("{id}", "1")
                    .replace("{config_id}", "1")
                    .replace("{cid}", "1");
                self.sent += 1;
                let response = self
                    .request(method, &url, Token::Admin)
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap_or(Value::Null);
                let wrong = Doc(self.doc).check(&envelope, &body, "$");
                if status != 405
                    || body["error"]["code"] != "method_not_allowed"
                    || !wrong.is_empty()
                {
                    self.problems.push(format!(
                        "{} {path} (undocumented): {status} {body} {wrong:?}",
                        method.to_uppercase()
                    ));
                }
            }
        }
    }
}

/// `path` with parameter `name` set to `value` and the others filled from `ids`.
fn path_with(path: &str, name: &str, value: &str, ids: &Ids) -> String {
    ids.fill(&path.replace(&format!("{{{name}}}"), value))
}

/// Values of a query parameter the document allows (answered 200) and forbids.
fn query_values(schema: &Value) -> (Vec<String>, Vec<String>) {
    if let Some(options) = schema["enum"].as_array() {
        let good = options
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        return (good, vec!["zz-not-a-member".into()]);
    }
    let ty = match &schema["type"] {
        Value::Array(ts) => ts
            .iter()
            .find(|t| *t != "null")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        t => t.as_str().unwrap_or("").to_string(),
    };
    match ty.as_str() {
        "integer" => {
            let min = schema["minimum"].as_i64();
            let max = schema["maximum"].as_i64();
            let mut good = vec![min.unwrap_or(1).to_string()];
            good.extend(max.map(|m| m.to_string()));
            let mut bad = vec!["abc".to_string(), "1.5".to_string()];
            bad.extend(min.map(|m| (m - 1).to_string()));
            bad.extend(max.map(|m| (m + 1).to_string()));
            (good, bad)
        }
        "boolean" => (vec!["true".into(), "false".into()], vec!["maybe".into()]),
        _ => (vec!["x".into()], vec![]),
    }
}
