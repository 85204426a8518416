//! Simulator for gitlab (being written).
