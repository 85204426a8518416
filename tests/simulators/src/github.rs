//! Simulator for github (being written).
