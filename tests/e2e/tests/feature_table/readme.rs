//! README's generated section: the text between the `feature-table` markers, read and
//! written back (the rest of README untouched).

/// The line that opens the generated section.
pub const START: &str = "<!-- feature-table:start -->";
/// The line that closes it.
pub const END: &str = "<!-- feature-table:end -->";

/// What goes between the markers for `table`: a blank line either side.
pub fn section_for(table: &str) -> String {
    format!("\n\n{table}\n\n")
}

/// The byte range of the text between the markers; an error when they are missing,
/// repeated or out of order.
pub fn section(readme: &str) -> Result<std::ops::Range<usize>, String> {
    let start = only(readme, START)? + START.len();
    let end = only(readme, END)?;
    if end < start {
        return Err(format!("`{END}` comes before `{START}`"));
    }
    Ok(start..end)
}

/// Where `marker` is, when it occurs exactly once.
fn only(readme: &str, marker: &str) -> Result<usize, String> {
    let at = readme
        .find(marker)
        .ok_or_else(|| format!("README.md has no `{marker}`"))?;
    if readme[at + marker.len()..].contains(marker) {
        return Err(format!("README.md has `{marker}` more than once"));
    }
    Ok(at)
}

/// `readme` with its section replaced by `section`.
pub fn replace(readme: &str, section: &str) -> Result<String, String> {
    let range = self::section(readme)?;
    Ok(format!(
        "{}{section}{}",
        &readme[..range.start],
        &readme[range.end..]
    ))
}
