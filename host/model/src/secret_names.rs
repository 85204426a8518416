//! The name rule for secret configuration keys: a key named like a credential is a
//! secret whatever a connector declares (the store seals it, the runtime withholds it).

/// True for configuration keys whose values are secret by their name.
pub fn is_secret_key(key: &str) -> bool {
    const EXACT: [&str; 7] = [
        "api_token",
        "api_key",
        "token",
        "password",
        "secret",
        "webhook_secret",
        "private_key",
    ];
    let k = key.to_ascii_lowercase();
    EXACT.contains(&k.as_str())
        || k.ends_with("_token")
        || k.ends_with("_secret")
        || k.ends_with("_api_key")
        || k.contains("password")
}
