//! `LOG_LEVEL` parsing: a level in any case (`DEBUG`, `info`) or `EnvFilter` directives.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

use crate::Error;

/// The filter for a `LOG_LEVEL` value.
pub(crate) fn parse(level: &str) -> Result<EnvFilter, Error> {
    let level = level.trim();
    if let Ok(plain) = level.parse::<LevelFilter>() {
        return Ok(EnvFilter::default().add_directive(plain.into()));
    }
    // A bare word would be read as a target name and silently enable everything for it:
    // every directive must be a level or `target=level`.
    if let Some(bad) = level
        .split(',')
        .map(str::trim)
        .find(|d| !d.contains('=') && d.parse::<LevelFilter>().is_err())
    {
        return Err(Error::invalid(
            "LOG_LEVEL",
            format!("`{bad}` is not a level"),
        ));
    }
    EnvFilter::try_new(level.to_ascii_lowercase())
        .map_err(|e| Error::invalid("LOG_LEVEL", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_in_any_case_and_directives() {
        for ok in ["DEBUG", "info", "Warn", "error", "TRACE", "info,sqlx=WARN"] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
        assert!(parse("shouting").is_err());
        assert!(parse("info,inof").is_err());
    }
}
