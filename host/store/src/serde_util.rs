//! Serde helpers shared by request types: telling "absent" from "null" in patches.

use serde::{Deserialize, Deserializer};

/// For `Option<Option<T>>` patch fields: absent -> `None`, `null` -> `Some(None)`,
/// a value -> `Some(Some(v))`. Use with `#[serde(default, deserialize_with = "double_option")]`.
pub fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}
