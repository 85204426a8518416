//! The kit's result: one line per check, printed as a table.

use std::fmt;

/// How one check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The connector behaved as the contract says.
    Pass,
    /// The connector broke the contract; the detail says how.
    Fail,
    /// The check could not run (no config or manifest given, no webhooks declared); the
    /// detail says why.
    Skip,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "FAIL",
            Outcome::Skip => "skip",
        })
    }
}

/// One check's line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked, e.g. `describe agrees with manifest`.
    pub name: String,
    /// How it ended.
    pub outcome: Outcome,
    /// What was seen, on one line (whitespace collapsed).
    pub detail: String,
}

/// Every check's line, in the order they ran.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// One line per check, in the order they ran.
    pub checks: Vec<Check>,
}

impl Report {
    fn push(&mut self, name: impl Into<String>, outcome: Outcome, detail: impl Into<String>) {
        self.checks.push(Check {
            name: name.into(),
            outcome,
            detail: detail
                .into()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        });
    }

    /// Records a passed check `name` with what was seen.
    pub fn pass(&mut self, name: impl Into<String>, detail: impl Into<String>) {
        self.push(name, Outcome::Pass, detail);
    }

    /// Records a failed check `name` with why it failed.
    pub fn fail(&mut self, name: impl Into<String>, detail: impl Into<String>) {
        self.push(name, Outcome::Fail, detail);
    }

    /// Records a check `name` that could not run, with why.
    pub fn skip(&mut self, name: impl Into<String>, detail: impl Into<String>) {
        self.push(name, Outcome::Skip, detail);
    }

    /// Records `result` as a pass (its detail) or a failure (its reason).
    pub fn record(&mut self, name: impl Into<String>, result: Result<String, String>) {
        match result {
            Ok(detail) => self.pass(name, detail),
            Err(reason) => self.fail(name, reason),
        }
    }

    /// True when no check failed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.outcome != Outcome::Fail)
    }

    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.outcome == Outcome::Fail)
    }

    /// The check named `name`, if it ran.
    pub fn get(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.checks.iter().map(|c| c.name.len()).max().unwrap_or(5);
        writeln!(f, "{:<width$}  result  detail", "check")?;
        for c in &self.checks {
            writeln!(f, "{:<width$}  {:<6}  {}", c.name, c.outcome, c.detail)?;
        }
        let failed = self.failures().count();
        if failed == 0 {
            write!(f, "conformance: passed ({} checks)", self.checks.len())
        } else {
            write!(
                f,
                "conformance: FAILED ({failed} of {} checks)",
                self.checks.len()
            )
        }
    }
}
