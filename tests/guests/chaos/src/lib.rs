//! Misbehaving test connector (being written).
