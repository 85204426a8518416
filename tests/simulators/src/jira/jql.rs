//! The JQL subset the simulator understands: `project = KEY`, `updated >= "<date>"` (or
//! `>`, `<=`, `<`) with minute precision in the site's time zone, `key = X`, joined by
//! `AND`, and `ORDER BY updated|created|key ASC|DESC`. Anything else is a 400, as Jira
//! answers a query it cannot parse.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

use super::model::{Issue, State};

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    clauses: Vec<Clause>,
    order: Vec<(String, bool)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Clause {
    Project(String),
    Key(String),
    Time {
        field: String,
        op: String,
        at: DateTime<Utc>,
    },
}

/// Parses `jql`; dates are read in the site's offset.
pub fn parse(jql: &str, s: &State) -> Result<Query, String> {
    let (filter, order) = match find_ci(jql, "order by") {
        Some(i) => (&jql[..i], Some(&jql[i + 8..])),
        None => (jql, None),
    };
    let mut clauses = Vec::new();
    for part in split_ci(filter, " and ") {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        clauses.push(clause(part, s)?);
    }
    let mut ord = Vec::new();
    for o in order
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
    {
        let mut w = o.split_whitespace();
        let field = w.next().unwrap_or("").to_lowercase();
        if !["updated", "created", "key"].contains(&field.as_str()) {
            return Err(format!(
                "Field '{field}' does not exist or you do not have permission to view it."
            ));
        }
        let asc = !matches!(w.next().map(str::to_lowercase).as_deref(), Some("desc"));
        ord.push((field, asc));
    }
    Ok(Query {
        clauses,
        order: ord,
    })
}

fn clause(part: &str, s: &State) -> Result<Clause, String> {
    let ops = [">=", "<=", "!=", "=", ">", "<"];
    let (i, op) = ops
        .iter()
        .filter_map(|op| part.find(op).map(|i| (i, *op)))
        .min_by_key(|(i, op)| (*i, std::cmp::Reverse(op.len())))
        .ok_or_else(|| format!("Error in the JQL Query: expecting an operator in '{part}'."))?;
    let field = part[..i].trim().to_lowercase();
    let value = part[i + op.len()..]
        .trim()
        .trim_matches('"')
        .trim_matches('\'')
        .to_string();
    match (field.as_str(), op) {
        ("project", "=") => Ok(Clause::Project(value)),
        ("key" | "issuekey", "=") => Ok(Clause::Key(value)),
        ("updated" | "created", ">=" | ">" | "<=" | "<") => {
            let naive = NaiveDateTime::parse_from_str(&value, "%Y-%m-%d %H:%M")
                .or_else(|_| NaiveDateTime::parse_from_str(&value, "%Y/%m/%d %H:%M"))
                .map_err(|_| format!("Date value '{value}' for field '{field}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."))?;
            let at = s
                .offset()
                .from_local_datetime(&naive)
                .single()
                .ok_or("ambiguous date")?
                .with_timezone(&Utc);
            Ok(Clause::Time {
                field,
                op: op.to_string(),
                at,
            })
        }
        _ => Err(format!(
            "Error in the JQL Query: the clause '{part}' is not supported."
        )),
    }
}

impl Query {
    /// Whether an issue matches every clause.
    pub fn matches(&self, i: &Issue, s: &State) -> bool {
        self.clauses.iter().all(|c| match c {
            Clause::Project(p) => {
                p.eq_ignore_ascii_case(&s.options.project_key) || *p == s.project_id.to_string()
            }
            Clause::Key(k) => k.eq_ignore_ascii_case(&i.key),
            Clause::Time { field, op, at } => {
                let t = if field == "updated" {
                    i.updated
                } else {
                    i.created
                };
                match op.as_str() {
                    ">=" => t >= *at,
                    ">" => t > *at,
                    "<=" => t <= *at,
                    _ => t < *at,
                }
            }
        })
    }

    /// Sorts issues by the ORDER BY clause (default: created descending, as Jira does).
    pub fn sort(&self, rows: &mut [Issue]) {
        let order = if self.order.is_empty() {
            vec![("created".to_string(), false)]
        } else {
            self.order.clone()
        };
        rows.sort_by(|a, b| {
            for (f, asc) in &order {
                let c = match f.as_str() {
                    "updated" => a.updated.cmp(&b.updated),
                    "created" => a.created.cmp(&b.created),
                    _ => a.id.cmp(&b.id),
                };
                let c = if *asc { c } else { c.reverse() };
                if c != std::cmp::Ordering::Equal {
                    return c;
                }
            }
            a.id.cmp(&b.id)
        });
    }
}

fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    hay.to_lowercase().find(needle)
}

fn split_ci<'a>(hay: &'a str, sep: &str) -> Vec<&'a str> {
    let lower = hay.to_lowercase();
    let mut out = Vec::new();
    let mut start = 0;
    while let Some(i) = lower[start..].find(sep) {
        out.push(&hay[start..start + i]);
        start += i + sep.len();
    }
    out.push(&hay[start..]);
    out
}
