//! The part of JSON Schema (OpenAPI 3.1 flavour) the served document uses: checks a JSON
//! value against a schema of the document (resolving `#/components/...` references), and
//! builds values from a schema (the smallest valid one, or one at its upper limits).

use serde_json::{Map, Value, json};

/// The document a schema belongs to (for references).
pub struct Doc<'a>(pub &'a Value);

impl Doc<'_> {
    /// Follows a `$ref` (`#/components/schemas/X`, `#/components/responses/X`).
    pub fn resolve<'v>(&'v self, v: &'v Value) -> &'v Value {
        let Some(r) = v.get("$ref").and_then(Value::as_str) else {
            return v;
        };
        let pointer = r.strip_prefix('#').unwrap_or(r);
        let target = self
            .0
            .pointer(pointer)
            .unwrap_or_else(|| panic!("dangling reference {r}"));
        self.resolve(target)
    }

    /// Problems of `value` against `schema`, each naming where (`$.a.b`).
    pub fn check(&self, schema: &Value, value: &Value, at: &str) -> Vec<String> {
        let schema = self.resolve(schema);
        let mut out = Vec::new();
        if let Some(one) = schema.get("oneOf").and_then(Value::as_array) {
            let fits = one
                .iter()
                .filter(|s| self.check(s, value, at).is_empty())
                .count();
            if fits != 1 {
                out.push(format!("{at}: fits {fits} of oneOf (want 1): {value}"));
            }
        }
        if let Some(any) = schema.get("anyOf").and_then(Value::as_array)
            && !any.iter().any(|s| self.check(s, value, at).is_empty())
        {
            out.push(format!("{at}: fits none of anyOf: {value}"));
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for s in all {
                out.extend(self.check(s, value, at));
            }
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array)
            && !options.contains(value)
        {
            out.push(format!("{at}: {value} is not one of {options:?}"));
        }
        if let Some(types) = schema.get("type") {
            let types: Vec<&str> = match types {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            if !types.iter().any(|t| has_type(value, t)) {
                out.push(format!("{at}: {value} is not of type {types:?}"));
                return out;
            }
        }
        self.check_number(schema, value, at, &mut out);
        self.check_string(schema, value, at, &mut out);
        self.check_array(schema, value, at, &mut out);
        self.check_object(schema, value, at, &mut out);
        out
    }

    fn check_number(&self, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
        let Some(n) = value.as_f64() else { return };
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
            && n < min
        {
            out.push(format!("{at}: {n} is below the minimum {min}"));
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
            && n > max
        {
            out.push(format!("{at}: {n} is above the maximum {max}"));
        }
        if schema.get("format").and_then(Value::as_str) == Some("int32")
            && value.as_i64().is_none_or(|i| i32::try_from(i).is_err())
        {
            out.push(format!("{at}: {value} is not an int32"));
        }
    }

    fn check_string(&self, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
        let Some(s) = value.as_str() else { return };
        let len = s.chars().count() as u64;
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && len < min
        {
            out.push(format!("{at}: shorter than {min}"));
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
            && len > max
        {
            out.push(format!("{at}: longer than {max}"));
        }
    }

    fn check_array(&self, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
        let Some(items) = value.as_array() else {
            return;
        };
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
            && items.len() as u64 > max
        {
            out.push(format!("{at}: more than {max} items"));
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                out.extend(self.check(item_schema, item, &format!("{at}[{i}]")));
            }
        }
    }

    fn check_object(&self, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
        let Some(obj) = value.as_object() else {
            return;
        };
        let props = schema.get("properties").and_then(Value::as_object);
        for key in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !obj.contains_key(key) {
                out.push(format!("{at}: required `{key}` is missing"));
            }
        }
        for (key, v) in obj {
            match props.and_then(|p| p.get(key)) {
                Some(s) => out.extend(self.check(s, v, &format!("{at}.{key}"))),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        out.push(format!("{at}: `{key}` is not in the schema"));
                    }
                    Some(extra @ Value::Object(_)) => {
                        out.extend(self.check(extra, v, &format!("{at}.{key}")));
                    }
                    _ => {}
                },
            }
        }
    }

    /// A value of `schema`: the smallest valid one, or with `full` every property and each
    /// string, number and list at its upper limit.
    pub fn example(&self, schema: &Value, full: bool) -> Value {
        let schema = self.resolve(schema);
        if let Some(first) = schema.get("enum").and_then(Value::as_array).and_then(|e| {
            e.iter()
                .find(|v| !v.is_null())
                .or_else(|| e.first())
                .cloned()
        }) {
            return first;
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            if let Some(options) = schema.get(key).and_then(Value::as_array)
                && let Some(s) = options
                    .iter()
                    .find(|s| self.resolve(s).get("type") != Some(&json!("null")))
            {
                return self.example(s, full);
            }
        }
        let ty = match schema.get("type") {
            Some(Value::String(t)) => t.clone(),
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .unwrap_or("null")
                .to_string(),
            _ => return Value::Null,
        };
        let bound = |key: &str| schema.get(key).and_then(Value::as_i64);
        match ty.as_str() {
            "string" => {
                let len = if full { bound("maxLength") } else { None }
                    .or(bound("minLength"))
                    .unwrap_or(1)
                    .max(1);
                json!("x".repeat(len as usize))
            }
            "integer" | "number" => json!(
                if full { bound("maximum") } else { None }
                    .or(bound("minimum"))
                    .unwrap_or(1)
            ),
            "boolean" => json!(true),
            "array" => self.example_array(schema, full),
            "object" => self.example_object(schema, full),
            _ => Value::Null,
        }
    }

    fn example_array(&self, schema: &Value, full: bool) -> Value {
        let n = if full {
            schema
                .get("maxItems")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .min(3)
        } else {
            0
        };
        let item = schema
            .get("items")
            .map_or(Value::Null, |s| self.example(s, false));
        Value::Array((0..n).map(|i| numbered(&item, i)).collect())
    }

    fn example_object(&self, schema: &Value, full: bool) -> Value {
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut out = Map::new();
        for (key, s) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if required.contains(&key.as_str()) || full {
                let v = self.example(s, full);
                if !v.is_null() || required.contains(&key.as_str()) {
                    out.insert(key.clone(), v);
                }
            }
        }
        Value::Object(out)
    }
}

/// List items must differ where the server keeps sets (labels, assignees).
fn numbered(item: &Value, i: u64) -> Value {
    match item.as_str() {
        Some(s) => json!(format!("{s}{i}")),
        None => item.clone(),
    }
}

fn has_type(v: &Value, t: &str) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "string" => v.is_string(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => true,
    }
}
