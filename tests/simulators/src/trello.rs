//! Simulator for trello (being written).
