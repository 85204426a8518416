//! Trello's rate limits: at most `key_limit` requests per 10 s per API key and
//! `token_limit` per 10 s per token (300 and 100 by default), answered with 429 and
//! Trello's error bodies, plus 429s forced on demand by tests.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The length of a rate-limit window.
pub const WINDOW: Duration = Duration::from_secs(10);

/// Which limit a request exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    Key,
    Token,
}

impl Exceeded {
    /// Trello's error code for it.
    pub fn code(self) -> &'static str {
        match self {
            Exceeded::Key => "API_KEY_LIMIT_EXCEEDED",
            Exceeded::Token => "API_TOKEN_LIMIT_EXCEEDED",
        }
    }
}

/// Sliding windows of recent request times.
#[derive(Debug)]
pub struct Limits {
    key_limit: usize,
    token_limit: usize,
    key: VecDeque<Instant>,
    token: VecDeque<Instant>,
    /// The next this many requests answer 429 (token limit) whatever the counts.
    pub forced: u32,
}

impl Limits {
    pub fn new(key_limit: usize, token_limit: usize) -> Limits {
        Limits {
            key_limit,
            token_limit,
            key: VecDeque::new(),
            token: VecDeque::new(),
            forced: 0,
        }
    }

    /// Counts a request; `Err` when it is over a limit (it is still counted, as Trello does).
    pub fn admit(&mut self, now: Instant) -> Result<(), Exceeded> {
        for q in [&mut self.key, &mut self.token] {
            while q.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                q.pop_front();
            }
            q.push_back(now);
        }
        if self.forced > 0 {
            self.forced -= 1;
            return Err(Exceeded::Token);
        }
        if self.token.len() > self.token_limit {
            return Err(Exceeded::Token);
        }
        if self.key.len() > self.key_limit {
            return Err(Exceeded::Key);
        }
        Ok(())
    }

    /// `(limit, remaining)` of the token window, for the `x-rate-limit-*` headers.
    pub fn token_remaining(&self) -> (usize, usize) {
        (
            self.token_limit,
            self.token_limit.saturating_sub(self.token.len()),
        )
    }

    /// `(limit, remaining)` of the key window.
    pub fn key_remaining(&self) -> (usize, usize) {
        (
            self.key_limit,
            self.key_limit.saturating_sub(self.key.len()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_limit_trips_before_key_limit_and_window_slides() {
        let mut l = Limits::new(300, 3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(l.admit(t0), Ok(()));
        }
        assert_eq!(l.admit(t0), Err(Exceeded::Token));
        assert_eq!(l.admit(t0 + WINDOW), Ok(()));
    }

    #[test]
    fn key_limit_reports_its_own_code() {
        let mut l = Limits::new(2, 100);
        let t0 = Instant::now();
        l.admit(t0).unwrap();
        l.admit(t0).unwrap();
        assert_eq!(
            l.admit(t0).map_err(Exceeded::code),
            Err("API_KEY_LIMIT_EXCEEDED")
        );
    }
}
