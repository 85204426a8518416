//! Simulator for openproject (being written).
